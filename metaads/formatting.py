"""Template filters for money and times, as admins read them."""

from __future__ import annotations

import datetime as dt
import decimal

from babel.core import Locale
from babel.numbers import parse_pattern
from flask import Flask

from metaads.graph.money import currency_offset

#: Parsed once (a table formats a few hundred amounts a page): what ``format_currency`` would
#: parse again for every amount.
LOCALE = Locale.parse("en_US")
STANDARD = LOCALE.currency_formats["standard"]
WHOLE = parse_pattern("¤#,##0")


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
        return str(WHOLE.apply(major, LOCALE, currency=currency, currency_digits=False))
    return str(STANDARD.apply(major, LOCALE, currency=currency))


def utc(value: dt.datetime | None) -> str:
    return "—" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(utc, "utc")
