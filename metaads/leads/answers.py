"""A lead's answers under its form's question labels, in the order the person answered."""

from __future__ import annotations

import dataclasses
import typing as t

from metaads.capture.answers import answers_by_key
from metaads.models import Lead, LeadForm


@dataclasses.dataclass(frozen=True)
class Answer:
    key: str
    label: str | None  # the form's label; None when the form does not (or no longer) list the key
    type: str | None
    values: list[str]

    @property
    def question(self) -> str:
        return self.label or self.key

    @property
    def answer(self) -> str | list[str] | None:
        """One value as a string, several as a list (multiple choice), none as None."""
        if not self.values:
            return None
        return self.values[0] if len(self.values) == 1 else list(self.values)

    def as_json(self) -> dict[str, t.Any]:
        return {"key": self.key, "question": self.question, "type": self.type, "answer": self.answer}


def questions_by_key(form: LeadForm | None) -> dict[str, dict[str, t.Any]]:
    questions = (form.questions if form else None) or []
    return {q["key"]: q for q in questions if isinstance(q, dict) and isinstance(q.get("key"), str)}


def labelled_answers(lead: Lead) -> list[Answer]:
    questions = questions_by_key(lead.lead_form)
    return [
        Answer(key=key, label=questions.get(key, {}).get("label"), type=questions.get(key, {}).get("type"), values=values)
        for key, values in answers_by_key(lead.field_data).items()
    ]
