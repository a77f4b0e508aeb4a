"""Which leads are test leads. Meta's lead carries no flag saying so (a test lead is just an organic
lead, meta-graph.md §2.4), so a lead counts as a test lead when either

- it is the test lead an admin sent from the form's page (its id is kept on the form), or
- its answers are the dummy values Meta's testing tool fills in for a test lead sent without
  answers ("<test lead: dummy data for email>"), which also catches one sent from Meta's tool.

A test lead is stored like any other but carries ``is_test``: the lists, counts and exports leave
it out unless ``include_test`` asks for it, and no Person, email or CRM push is made for it.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from metaads.models import LeadForm
from plugins.core.extensions import db

#: The beginning of every answer Meta's testing tool makes up.
DUMMY_ANSWER = "<test lead: dummy data for "


def has_dummy_answers(field_data: t.Sequence[t.Mapping[str, t.Any]] | None) -> bool:
    return any(
        isinstance(value, str) and value.startswith(DUMMY_ANSWER)
        for answer in field_data or ()
        for value in (answer.get("values") or ())
    )


def sent_test_lead_ids(form_ids: t.Collection[int]) -> set[str]:
    """The Meta ids of the test leads admins sent from these forms' pages (the last one of each)."""
    if not form_ids:
        return set()
    sent = LeadForm.metadata_["test_lead"]["id"].as_string()
    found = db.session.execute(sa.select(sent).where(LeadForm.id.in_(form_ids), sent.is_not(None))).scalars()
    return {lead_id for lead_id in found if lead_id}
