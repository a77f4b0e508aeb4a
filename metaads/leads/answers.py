"""A lead's answers under its form's question labels, in the order the person answered; a
multiple-choice answer (Meta sends the option's key, ``over_50k``) shown with the option's label
(``Over 50k €``), its key kept for JSON clients."""

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
    #: The values as the form showed them: an option's label in place of its key.
    shown: list[str] = dataclasses.field(default_factory=list)

    @property
    def question(self) -> str:
        return self.label or self.key

    @property
    def answer(self) -> str | list[str] | None:
        """One value as a string, several as a list (multiple choice), none as None."""
        if not self.values:
            return None
        return self.values[0] if len(self.values) == 1 else list(self.values)

    @property
    def answer_label(self) -> str | list[str] | None:
        shown = self.shown or self.values
        if not shown:
            return None
        return shown[0] if len(shown) == 1 else list(shown)

    def as_json(self) -> dict[str, t.Any]:
        """``answer`` is what Meta sent (an option's key); ``answer_label``, only when the form
        shows it otherwise, is what the person chose."""
        data = {"key": self.key, "question": self.question, "type": self.type, "answer": self.answer}
        if self.answer_label != self.answer:
            data["answer_label"] = self.answer_label
        return data


def questions_by_key(form: LeadForm | None) -> dict[str, dict[str, t.Any]]:
    questions = (form.questions if form else None) or []
    return {q["key"]: q for q in questions if isinstance(q, dict) and isinstance(q.get("key"), str)}


def option_labels(question: t.Mapping[str, t.Any]) -> dict[str, str]:
    """``{option key: label}`` of a multiple-choice question (Meta names them key / value)."""
    options = question.get("options") or ()
    return {
        str(o["key"]): str(o.get("value") or o["key"]) for o in options if isinstance(o, dict) and o.get("key") is not None
    }


def shown_values(question: t.Mapping[str, t.Any], values: list[str]) -> list[str]:
    labels = option_labels(question)
    return [labels.get(value, value) for value in values]


def labelled_answers(lead: Lead) -> list[Answer]:
    questions = questions_by_key(lead.lead_form)
    answers = []
    for key, values in answers_by_key(lead.field_data).items():
        question = questions.get(key, {})
        answers.append(
            Answer(
                key=key,
                label=question.get("label"),
                type=question.get("type"),
                values=values,
                shown=shown_values(question, values),
            )
        )
    return answers
