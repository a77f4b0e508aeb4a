"""marshmallow fields for the way Graph writes values: ids as exact strings, money in minor
units, times and dates, numbers as strings, lists kept verbatim. The schemas of
:mod:`metaads.graph.schemas` are built from them."""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t
from collections.abc import Mapping

from marshmallow import ValidationError, fields

from metaads.graph import types
from metaads.graph.money import parse_minor_units
from metaads.graph.times import parse_graph_date, parse_graph_time

_Data = Mapping[str, t.Any] | None


class GraphId(fields.Field[str]):
    """A Graph id as an exact string, from a JSON string or integer."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ValidationError("Graph ids are strings or integers (never floats: they lose digits).")


class MinorUnits(fields.Field[int]):
    """Money Meta sends in minor units as a numeric string."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> int:
        try:
            return parse_minor_units(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class GraphDateTime(fields.Field[dt.datetime]):
    """An ISO 8601 time with a ``+0000`` offset, or Unix seconds; loaded as aware UTC."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.datetime:
        try:
            return parse_graph_time(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(str(exc)) from None


class UnixTimeOrNever(fields.Field[dt.datetime | None]):
    """``debug_token`` times: Unix seconds, where ``0`` means never (loaded as ``None``)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.datetime | None:
        if value in (0, "0"):
            return None
        try:
            return parse_graph_time(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(str(exc)) from None


class GraphDate(fields.Field[dt.date]):
    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.date:
        try:
            return parse_graph_date(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class IntString(fields.Field[int]):
    """A count Meta sends as ``"2466376"`` (or, in old samples, a number)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> int:
        number = _decimal(value)
        if number != number.to_integral_value():
            raise ValidationError("not a whole number")
        return int(number)


class DecimalString(fields.Field[decimal.Decimal]):
    """A metric Meta sends as a decimal string (``"2.741"``)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> decimal.Decimal:
        return _decimal(value)


class StrTuple(fields.Field[tuple[str, ...]]):
    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return tuple(str(item) for item in value)


class TupleOf(fields.List[t.Any]):
    """A list field that loads as a tuple (the dataclasses are frozen)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[t.Any, ...]:  # type: ignore[override]
        return tuple(super()._deserialize(value, attr, data, **kwargs))


class VerbatimList(fields.Field[list[t.Any]]):
    """A list kept exactly as Meta sent it (lead answers)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> list[t.Any]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return value


class ActionStats(fields.Field[tuple[types.ActionStat, ...]]):
    """Insights ``actions``-style lists: ``[{"action_type": "lead", "value": "12", "7d_click": "10"}]``."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[types.ActionStat, ...]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return tuple(_action_stat(item) for item in value)


def _action_stat(item: t.Any) -> types.ActionStat:
    if not isinstance(item, Mapping) or not item.get("action_type"):
        raise ValidationError("an action stat needs an action_type")
    windows = {key: _decimal(val) for key, val in item.items() if key not in ("action_type", "value")}
    return types.ActionStat(str(item["action_type"]), _decimal(item.get("value", "0")), windows)


def _decimal(value: t.Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError("not a number")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValidationError("not a number") from None
    if not number.is_finite():
        raise ValidationError("not a finite number")
    return number


def optional(field: type[fields.Field[t.Any]], *args: t.Any, **kwargs: t.Any) -> fields.Field[t.Any]:
    """An optional field: missing or null loads as ``None``."""
    return field(*args, load_default=None, allow_none=True, **kwargs)


def flatten(data: Mapping[str, t.Any], source: str, target: str) -> dict[str, t.Any]:
    """Copy ``data[source]["id"]`` to ``data[target]`` (``business{id}`` -> ``business_id``)."""
    out = dict(data)
    nested = out.get(source)
    if target not in out and isinstance(nested, Mapping) and nested.get("id") is not None:
        out[target] = nested["id"]
    return out
