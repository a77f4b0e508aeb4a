"""Column helpers shared by metaads' models."""

from __future__ import annotations

import enum
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.core.models import BigIntPK

E = t.TypeVar("E", bound=enum.Enum)


def enum_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    """Stored as its string value (VARCHAR), validated in Python; no database enum to migrate."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def meta_id(*, unique: bool = False, nullable: bool = True) -> t.Any:
    """Meta ids are numeric strings that outgrow 2**53: always text, never a number."""
    return mapped_column(sa.String(64), unique=unique, nullable=nullable, index=not unique)


def money(*, nullable: bool = True, default: int | None = None) -> t.Any:
    """Integer minor units (cents; whole yen) in the ad account's currency."""
    if default is None:
        return mapped_column(sa.BigInteger(), nullable=nullable)
    return mapped_column(sa.BigInteger(), nullable=False, default=default, server_default=str(default))


def counter() -> t.Any:
    return mapped_column(sa.BigInteger(), nullable=False, default=0, server_default="0")


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
