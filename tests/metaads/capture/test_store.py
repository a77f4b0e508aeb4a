"""Storing a page of leads in one statement: every value as the lead had it, new leads told
apart from leads already stored, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from flask import Flask

from metaads.capture.store import record_received, store_leads
from metaads.graph.types import LeadData
from metaads.models import Lead, LeadActivity
from metaads.models.enums import LeadSource
from plugins.core.extensions import db

FORM = "82595106832710137"
CREATED = dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=dt.UTC)


def lead(number: int, **changes: object) -> LeadData:
    base = LeadData(
        id=str(7_692_241_906_645_000_000 + number),  # beyond 2**53: kept as the exact string
        created_time=CREATED + dt.timedelta(minutes=number),
        field_data=[
            {"name": "full_name", "values": [f"Zoë Ünïcödé {number}"]},
            {"name": "email", "values": [f"Zoe.{number}@Example.COM"]},
            {"name": "phone_number", "values": ["+49 151 12345678"]},
            {"name": "which_models?", "values": ["city_e_bike", "cargo_family"]},
        ],
        form_id=FORM,
        ad_id="23849651968500137",
        ad_name="Kitchens – Carousel",
        is_organic=False,
        platform="ig",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def stored(meta_id: str) -> Lead:
    db.session.expire_all()
    return db.session.execute(sa.select(Lead).where(Lead.meta_lead_id == meta_id)).scalar_one()


def test_every_value_is_stored_as_the_lead_had_it(app: Flask) -> None:
    odd = lead(
        2,
        field_data=[{"name": "full_name", "values": ["Nul\x00 Byte"]}, {"name": "comments", "values": []}],
        ad_id=None,
        ad_name="Ad\x00name",
        is_organic=True,
        custom_disclaimer_responses=None,
    )
    result = store_leads([lead(1), odd], source=LeadSource.BACKFILL, platform_id=None, page_ids={odd.id: "1122"})
    db.session.commit()

    first = stored(lead(1).id)
    assert (first.email, first.phone, first.full_name) == ("zoe.1@example.com", "+4915112345678", "Zoë Ünïcödé 1")
    assert first.field_data == lead(1).field_data and first.created_time == lead(1).created_time
    assert (first.meta_platform, first.is_organic, first.ad_name, first.page_id) == ("ig", False, "Kitchens – Carousel", None)
    assert first.lead_form_id is not None and first.source == LeadSource.BACKFILL
    second = stored(odd.id)
    assert second.field_data == [{"name": "full_name", "values": ["Nul\\u0000 Byte"]}, {"name": "comments", "values": []}]
    assert (second.full_name, second.ad_name, second.ad_id) == ("Nul\\u0000 Byte", "Ad\\u0000name", None)
    assert (second.is_organic, second.page_id, second.email) == (True, "1122", None)
    is_json_null = sa.select(Lead.custom_disclaimer_responses.is_(None)).where(Lead.meta_lead_id == odd.id)
    assert db.session.execute(is_json_null).scalar_one() is False, "None is JSON null, as SQLAlchemy writes it"
    assert sorted(result.ids) == sorted([lead(1).id, odd.id]) and sorted(result.created) == sorted(result.ids.values())


def test_only_the_leads_inserted_now_are_new(app: Flask) -> None:
    first = store_leads([lead(n) for n in range(3)], source=LeadSource.BACKFILL, platform_id=None)
    record_received({lead_id: {"source": "backfill"} for lead_id in first.created})
    db.session.commit()
    again = [lead(0, ad_name="Renamed"), lead(1), lead(3), lead(3)]
    second = store_leads(again, source=LeadSource.RECONCILER, platform_id=None)
    record_received({lead_id: {"source": "reconciler"} for lead_id in second.created})
    db.session.commit()

    assert len(first.created) == 3
    assert second.created == [second.ids[lead(3).id]], "stored before: not new again"
    assert second.ids[lead(0).id] == first.ids[lead(0).id] and len(second.ids) == 3
    assert stored(lead(0).id).ad_name == "Renamed", "a later read refreshes what Meta sent"
    assert stored(lead(0).id).source == LeadSource.BACKFILL, "but not how the lead first came"
    activities = db.session.execute(sa.select(LeadActivity.lead_id, LeadActivity.details)).all()
    assert sorted(activities) == sorted(
        [(lead_id, {"source": "backfill"}) for lead_id in first.created] + [(second.created[0], {"source": "reconciler"})]
    )


def test_a_lone_lead_and_leads_alike_but_for_their_id(app: Flask) -> None:
    alone = store_leads([lead(5)], source=LeadSource.WEBHOOK, platform_id=None)
    alike = [lead(6, created_time=CREATED), lead(7, created_time=CREATED)]
    twins = store_leads(alike, source=LeadSource.WEBHOOK, platform_id=None)
    db.session.commit()
    assert len(alone.created) == 1 and len(twins.created) == 2
    assert stored(lead(7).id).created_time == CREATED and stored(lead(5).id).email == "zoe.5@example.com"
