"""persons' extension point: sections other modules add to a Person's page (a lead module lists
the person's leads and conversions), so the platform shows them without importing any module."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Flask, current_app

if t.TYPE_CHECKING:
    from plugins.persons.models import Person


@dataclasses.dataclass(frozen=True)
class PersonSection:
    """A card on the Person page: ``template`` is included there, and reads ``section.context``
    (and ``person``)."""

    title: str
    template: str
    context: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    #: Sections sort by this, then by title.
    order: int = 100
    #: For JSON clients of the Person route, under ``sections[<key>]``.
    json: t.Any = None
    key: str = ""


#: Gets the Person, returns its section, or None when the module has nothing on this person.
SectionProvider = t.Callable[["Person"], PersonSection | None]


@dataclasses.dataclass
class PersonsState:
    section_providers: list[SectionProvider] = dataclasses.field(default_factory=list)
    #: How a stored ``source`` code reads ("metaads" → "Facebook lead ad"), for records made
    #: before sources were written in words.
    source_labels: dict[str, str] = dataclasses.field(default_factory=dict)

    def source_label(self, source: str | None) -> str | None:
        return self.source_labels.get(source, source) if source else None

    def register_section(self, provider: SectionProvider) -> None:
        if provider not in self.section_providers:
            self.section_providers.append(provider)

    def sections(self, person: Person) -> list[PersonSection]:
        found = [section for provider in self.section_providers if (section := provider(person)) is not None]
        return sorted(found, key=lambda section: (section.order, section.title))


def persons_state(app: Flask | None = None) -> PersonsState:
    """The state, created on first use: a module may register before or after persons' init_app."""
    extensions = (app or current_app).extensions
    state: PersonsState = extensions.setdefault("persons", PersonsState())
    return state
