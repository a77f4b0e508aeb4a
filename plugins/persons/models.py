"""Person: the contact record a lead links to."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.core.extensions import db
from plugins.core.models import BigIntPK, Timestamps


class Person(Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    full_name: Mapped[str | None]
    first_name: Mapped[str | None]
    last_name: Mapped[str | None]
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)  # lower-cased
    phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # E.164
    phone_raw: Mapped[str | None] = mapped_column(sa.String(64))  # as typed, when it did not parse
    source: Mapped[str | None] = mapped_column(sa.String(64))  # who created it: "admin", an extension's name, ...
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    @property
    def display_name(self) -> str:
        parts = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.full_name or parts or self.email or self.phone or f"Person {self.id}"
