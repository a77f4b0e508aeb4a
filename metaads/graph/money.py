"""Money as Meta sends it, turned into integer minor units.

Budgets, ``amount_spent``, ``balance`` and ``spend_cap`` already arrive in the currency's
minimum unit as numeric strings; Insights ``spend`` arrives in *major* units as a decimal
string. Meta's offset table (meta-graph.md §4.3) is not ISO 4217: HUF, TWD, IDR and COP have
offset 1 there, so the table is kept here rather than derived.
"""

from __future__ import annotations

import decimal
import re
import typing as t

#: Currencies whose Meta offset is 1 (no minor unit); every other currency's offset is 100.
OFFSET_ONE_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"})

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MINOR = re.compile(r"^-?\d+$")


def currency_offset(currency: str) -> int:
    """How many minor units make one major unit in Meta's money fields (1 or 100)."""
    code = currency.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"not an ISO 4217 currency code: {currency!r}")
    return 1 if code in OFFSET_ONE_CURRENCIES else 100


def to_minor_units(amount: str | int | decimal.Decimal, currency: str) -> int:
    """A major-unit amount (Insights ``spend`` like ``"85.42"``) in minor units (``8542``).

    Floats are refused: they have already lost the exact value. Fractions of a minor unit are
    rounded half up.
    """
    if isinstance(amount, bool) or not isinstance(amount, str | int | decimal.Decimal):
        raise TypeError(f"money must be a decimal string, int or Decimal, not {type(amount).__name__}")
    try:
        value = decimal.Decimal(amount.strip() if isinstance(amount, str) else amount)
    except decimal.InvalidOperation:
        raise ValueError(f"not a decimal amount: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    minor = (value * currency_offset(currency)).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP)
    return int(minor)


def parse_minor_units(value: t.Any) -> int:
    """A minor-unit field (``"1500"`` or ``1500``) as an ``int``; anything fractional is refused,
    because it would mean the field was not in minor units after all."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _MINOR.match(value.strip()):
        return int(value.strip())
    raise ValueError(f"not an integer amount in minor units: {value!r}")
