"""Storing a page of insights rows: Meta's ad ids mapped to our ads (an ad not synced yet gets a
minimal row, and so do its ad set and campaign), then one ``INSERT … ON CONFLICT (ad, day) DO
UPDATE`` for the whole page, so a day read again (Meta restates the last 28) replaces the old
numbers and a page stored twice (a resumed run) leaves one row per ad and day."""

from __future__ import annotations

import dataclasses
import typing as t
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from psycopg.types.json import Json

from metaads.capture.upsert import insert_rows
from metaads.graph.money import currency_offset
from metaads.insights import rows as insight_rows
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet
from plugins.core.extensions import db
from plugins.core.models import utcnow

#: What a stored row's conflict replaces: everything Meta said about the day.
UPDATED = ("impressions", "clicks", "link_clicks", "reach", "spend", "leads", "actions", "currency", "synced_at")


@dataclasses.dataclass(frozen=True)
class Placement:
    """Our ids of an ad and its parents."""

    ad_id: int
    ad_set_id: int
    campaign_id: int


class AdIndex:
    """Meta ad id → our ad (and its parents) for one account, loaded once per sync of it; ads
    that an insights row names before the ads sync has stored them are created as stubs (named
    as the row names them) which that sync completes later."""

    def __init__(self, account: AdAccount) -> None:
        self.account = account
        # Plain copies: the account object expires at every commit (one per page), and reading
        # an expired attribute is a query.
        self.account_id, self.currency, self.meta_account_id = account.id, account.currency, account.meta_account_id
        found = db.session.execute(
            sa.select(Ad.meta_ad_id, Ad.id, Ad.ad_set_id, AdSet.campaign_id)
            .join(AdSet, Ad.ad_set_id == AdSet.id)
            .join(AdCampaign, AdSet.campaign_id == AdCampaign.id)
            .where(AdCampaign.ad_account_id == account.id)
        ).all()
        self.ads = {meta_id: Placement(ad_id, ad_set_id, campaign_id) for meta_id, ad_id, ad_set_id, campaign_id in found}

    def place(self, raw: Mapping[str, t.Any]) -> Placement:
        meta_ad_id = str(raw["ad_id"])
        placement = self.ads.get(meta_ad_id)
        if placement is None:
            placement = self.ads[meta_ad_id] = self._stub(insight_rows.parents(raw))
        return placement

    def _stub(self, parents: insight_rows.Parents) -> Placement:
        """Our rows for an ad we have not synced: found by Meta id (another account's sync may
        hold it), else created with the names the row gives."""
        ad = db.session.execute(sa.select(Ad).where(Ad.meta_ad_id == parents.ad_id)).scalar_one_or_none()
        if ad is None:
            ad_set = self._ad_set(parents)
            ad = Ad(meta_ad_id=parents.ad_id, name=parents.ad_name or parents.ad_id, ad_set_id=ad_set.id)
            db.session.add(ad)
            db.session.flush()
        campaign_id = db.session.scalar(sa.select(AdSet.campaign_id).where(AdSet.id == ad.ad_set_id))
        return Placement(ad.id, ad.ad_set_id, int(campaign_id or 0))

    def _ad_set(self, parents: insight_rows.Parents) -> AdSet:
        meta_id = parents.adset_id or f"unknown-adset-of-{parents.ad_id}"
        ad_set = db.session.execute(sa.select(AdSet).where(AdSet.meta_adset_id == meta_id)).scalar_one_or_none()
        if ad_set is None:
            campaign = self._campaign(parents)
            ad_set = AdSet(meta_adset_id=meta_id, name=parents.adset_name or meta_id, campaign_id=campaign.id)
            db.session.add(ad_set)
            db.session.flush()
        return ad_set

    def _campaign(self, parents: insight_rows.Parents) -> AdCampaign:
        meta_id = parents.campaign_id or f"unknown-campaign-of-{parents.ad_id}"
        campaign = db.session.execute(sa.select(AdCampaign).where(AdCampaign.meta_campaign_id == meta_id)).scalar_one_or_none()
        if campaign is None:
            campaign = AdCampaign(meta_campaign_id=meta_id, name=parents.campaign_name or meta_id, ad_account_id=self.account_id)
            db.session.add(campaign)
            db.session.flush()
        return campaign


def store_page(index: AdIndex, raw_rows: Sequence[Mapping[str, t.Any]]) -> int:
    """Upsert a page (or a few) of Meta's ad-day rows (the caller commits); returns how many."""
    if not raw_rows:
        return 0
    synced_at = utcnow()
    offset = currency_offset(index.currency)
    by_key: dict[tuple[int, t.Any], dict[str, t.Any]] = {}
    for raw in raw_rows:
        values = insight_rows.parse(raw, index.currency, offset)
        placement = index.place(raw)
        del values["meta_ad_id"]
        values.update(
            ad_id=placement.ad_id,
            ad_set_id=placement.ad_set_id,
            campaign_id=placement.campaign_id,
            ad_account_id=index.account_id,
            synced_at=synced_at,
        )
        # One statement may not touch a row twice (PostgreSQL refuses it): the last row wins.
        by_key[(placement.ad_id, values["date"])] = values
    page = list(by_key.values())
    if db.engine.dialect.name == "postgresql":
        _upsert_by_copy(page)
    else:
        statement = insert_rows(AdInsight.__table__, page)
        statement = statement.on_conflict_do_update(
            index_elements=["ad_id", "date"], set_={name: statement.excluded[name] for name in UPDATED}
        )
        db.session.execute(statement)
    return len(page)


COLUMNS = [column.name for column in AdInsight.__table__.columns]
STAGE = "metaads_insights_stage"
_CREATE_STAGE = f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {AdInsight.__tablename__}) ON COMMIT DELETE ROWS"
# Names of our own table and columns only, no input:
_MERGE_STAGE = (
    f"INSERT INTO {AdInsight.__tablename__} ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM {STAGE} "  # noqa: S608
    f"ON CONFLICT (ad_id, date) DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in UPDATED)}"
)


def _upsert_by_copy(page: list[dict[str, t.Any]]) -> None:
    """PostgreSQL: ``COPY`` the rows into a temporary table of this connection, then one
    ``INSERT … SELECT … ON CONFLICT``. COPY reads rows far faster than a statement parses a JSON
    parameter (about 1.5× for the whole upsert, measured in tests/benchmarks/test_insights.py)."""
    # Rows Meta can always send again need no flush to disk before the commit returns: a crash
    # loses at most the last pages, together with the resume point stored with them (same
    # transaction), so they are read again.
    db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))
    db.session.execute(sa.text(_CREATE_STAGE))
    connection = db.session.connection().connection.driver_connection
    if connection is None:  # the pool detached or invalidated it; a live session's connection has one
        raise sa.exc.ResourceClosedError("the session's database connection is closed")
    actions_at = COLUMNS.index("actions")
    with connection.cursor() as cursor, cursor.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for values in page:
            row = [values[name] for name in COLUMNS]
            row[actions_at] = Json(row[actions_at])
            copy.write_row(row)
    db.session.execute(sa.text(_MERGE_STAGE))
    # ON COMMIT DELETE ROWS empties the stage at the commit; a second batch in the same
    # transaction must not merge the first one's rows again.
    db.session.execute(sa.text(f"TRUNCATE {STAGE}"))
