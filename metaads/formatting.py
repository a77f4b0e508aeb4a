"""Template filters for money and times, as admins read them."""

from __future__ import annotations

import datetime as dt
import decimal

from babel.numbers import format_currency
from flask import Flask

from metaads.graph.money import currency_offset


def money(amount_minor: int | None, currency: str | None) -> str:
    """``12345, "EUR"`` → ``€123.45``; ``5000, "JPY"`` → ``¥5,000`` (Meta's offsets, not ISO's)."""
    if amount_minor is None:
        return "—"
    if not currency:
        return str(amount_minor)
    offset = currency_offset(currency)
    major = decimal.Decimal(amount_minor) / offset
    # Meta's offset table, not ISO's digits, says what the amount means: HUF has no minor unit
    # at Meta, so it is shown without decimals.
    if offset == 1:
        return str(format_currency(major, currency, format="¤#,##0", locale="en_US", currency_digits=False))
    return str(format_currency(major, currency, locale="en_US"))


def utc(value: dt.datetime | None) -> str:
    return "—" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(utc, "utc")
