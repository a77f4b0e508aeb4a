"""Phone numbers to E.164 with Google's libphonenumber rules (the ``phonenumbers`` package)."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str | None, default_region: str | None = None) -> str | None:
    """``+14155550100`` for anything that parses as a possible number, else None.

    ``default_region`` (e.g. the ad account's country) lets national formats parse; numbers
    written with a ``+`` need none.
    """
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
