"""Campaigns, ad sets and ads of every connected ad account, every status kept.

One sync reads each account's three account-level edges (``act_X/campaigns``, ``act_X/adsets``,
``act_X/ads``) in pages of 500, parents before children, and upserts on Meta's ids. After the
first full pass it asks only for what Meta changed since the account's high-water marks (the
latest ``updated_time`` listed on each edge, by Meta's clock). A full pass runs again when it is
due (``METAADS_ADS_FULL_SYNC_INTERVAL``): edges never list deleted objects, so whatever it did
not see is read by id and stored as Meta reports it (``DELETED``), or marked ``DELETED`` when
Meta no longer knows it. Nothing is deleted here.

Each page is committed with the run's resume point (edge and cursor), so a run paused by a rate
limit continues after the last page it stored; the upserts make a re-read page harmless.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask import current_app

from metaads.connections import graph_service
from metaads.graph.errors import GraphError, GraphNotFoundError
from metaads.graph.types import AdData, AdSetData, CampaignData
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm, SyncRun
from metaads.models.enums import BuyingType, DeliveryStatus
from metaads.service import AdsEdge
from metaads.sync.runs import Unit, bump, run_for, save_progress, sync_from_meta
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform

#: Parents before children, so every ad set finds its campaign and every ad its ad set.
EDGES: tuple[AdsEdge, ...] = ("campaigns", "adsets", "ads")
#: How far before a high-water mark the next sync starts: Meta lists a change a little after
#: its ``updated_time``, so the few objects of the last minutes are read again (upserts).
MARK_OVERLAP = 300


def sync_ads(
    run_id: int | None = None,
    *,
    platform_id: int | None = None,
    account_id: int | None = None,
    full: bool = False,
    trigger: str = "manual",
) -> int:
    """Sync the campaigns, ad sets and ads of every ad account of the active connections (or of
    ``platform_id``'s, or the one ad account ``account_id``, our id); returns the sync run's
    id. ``full`` forces a full pass (deletions noticed) even where it is not due."""
    scope = f"account:{account_id}" if account_id is not None else str(platform_id or "all")
    run = run_for(run_id, "ads", scope=scope, trigger=trigger, platform_id=platform_id)
    if run_id is None and full:
        save_progress(run, full=True)
    force_full = bool((run.progress or {}).get("full"))
    units = [
        Unit(account.meta_account_id, f"ad account {account.name}", token, owner, account)
        for account, owner, token in accounts_of(run)
    ]
    sync_from_meta(run, units, lambda unit: AccountSync(run, unit, force_full).read(), job=sync_ads)
    return run.id


def accounts_of(run: SyncRun) -> list[tuple[AdAccount, int, str]]:
    """(ad account, connection id, its token) for every account the run covers."""
    query = (
        sa.select(AdAccount, SocialPlatform.id, SocialPlatform.access_token)
        .join(SocialPlatform, AdAccount.platform_id == SocialPlatform.id)
        .where(SocialPlatform.status == PlatformStatus.ACTIVE, SocialPlatform.access_token.is_not(None))
        .order_by(AdAccount.id)
    )
    if run.scope.startswith("account:"):
        query = query.where(AdAccount.id == int(run.scope.removeprefix("account:")))
    elif run.platform_id is not None:
        query = query.where(SocialPlatform.id == run.platform_id)
    return [(account, owner, token or "") for account, owner, token in db.session.execute(query).all()]


def full_pass_due(account: AdAccount, now: dt.datetime) -> bool:
    marks = account.ads_sync_marks or {}
    if account.ads_full_sync_at is None or any(edge not in marks for edge in EDGES):
        return True
    interval = dt.timedelta(seconds=current_app.config["METAADS_ADS_FULL_SYNC_INTERVAL"])
    return now - account.ads_full_sync_at >= interval


@dataclasses.dataclass
class Position:
    """Where an account's pass stands, saved in the run's progress after every page."""

    full: bool
    started: str  # ISO time the pass began: rows a full pass did not touch since were not listed
    edge: str = EDGES[0]
    after: str | None = None  # the cursor after the last page stored on ``edge``
    marks: dict[str, int] = dataclasses.field(default_factory=dict)  # new high-water marks so far


class AccountSync:
    """One ad account's pass (a unit of the run)."""

    def __init__(self, run: SyncRun, unit: Unit[AdAccount], force_full: bool) -> None:
        self.run, self.unit, self.account = run, unit, unit.item
        self.service = graph_service()
        saved = ((run.progress or {}).get("positions") or {}).get(unit.key)
        now = utcnow()
        self.position = (
            Position(**saved) if saved else Position(full=force_full or full_pass_due(self.account, now), started=now.isoformat())
        )

    def read(self) -> None:
        if self.position.full:
            # Owed until one finishes: a full pass cut short makes the next sync a full one too.
            self.account.ads_full_sync_at = None
        first = EDGES.index(self.position.edge) if self.position.edge in EDGES else len(EDGES)
        for edge in EDGES[first:]:
            self.read_edge(edge)
        if self.position.full:
            self.notice_deletions()
        self.finish()

    def read_edge(self, edge: AdsEdge) -> None:
        resume_after = self.position.after if self.position.edge == edge else None
        mark = (self.account.ads_sync_marks or {}).get(edge)
        updated_after = None if self.position.full or mark is None else max(int(mark) - MARK_OVERLAP, 0)
        pages = self.service.account_object_pages(
            self.account.meta_account_id, edge, self.unit.token, updated_after=updated_after, after=resume_after
        )
        for page in pages:
            stored = Store(self.account, self.service, self.unit.token).put(edge, page.items)
            self.note_marks(edge, page.items)
            self.position.edge, self.position.after = edge, page.after if page.has_next else None
            bump(self.run, **{edge: stored})
            self.save()
        next_edges = EDGES[EDGES.index(edge) + 1 :]
        self.position.edge, self.position.after = (next_edges[0] if next_edges else "done"), None
        self.save()

    def note_marks(self, edge: str, items: Iterable[t.Any]) -> None:
        latest = max((int(item.updated_time.timestamp()) for item in items if item.updated_time), default=None)
        if latest is not None:
            self.position.marks[edge] = max(latest, self.position.marks.get(edge, 0))

    def notice_deletions(self) -> None:
        """Whatever the full pass did not list is read by id (edges never list deleted objects)
        and stored as Meta has it; an id Meta no longer knows is marked ``DELETED``."""
        started = dt.datetime.fromisoformat(self.position.started)
        store = Store(self.account, self.service, self.unit.token)
        for edge in EDGES:
            missing = store.unseen(edge, started)
            if not missing:
                continue
            found = self.service.get_ad_objects_batch(missing, edge, self.unit.token)
            gone = [meta_id for meta_id, result in found.items() if isinstance(result, GraphNotFoundError)]
            for result in found.values():
                if isinstance(result, GraphError) and not isinstance(result, GraphNotFoundError):
                    raise result  # a dead token, a rate limit…: the run sorts it like any call
            store.put(edge, [result for result in found.values() if not isinstance(result, GraphError)])
            store.mark_deleted(edge, gone)
            listed_deleted = [r for r in found.values() if not isinstance(r, GraphError) and r.effective_status == "DELETED"]
            bump(self.run, deleted=len(gone) + len(listed_deleted))
            db.session.commit()

    def finish(self) -> None:
        marks = dict(self.account.ads_sync_marks or {})
        for edge, mark in self.position.marks.items():
            marks[edge] = max(mark, int(marks.get(edge, 0)))
        for edge in EDGES:
            marks.setdefault(edge, 0)  # an empty edge: the next pass asks for anything newer than nothing
        self.account.ads_sync_marks = marks
        if self.position.full:
            self.account.ads_full_sync_at = utcnow()
            bump(self.run, full_passes=1)
        link_lead_forms(self.account)
        bump(self.run, accounts=1)
        positions = dict((self.run.progress or {}).get("positions") or {})
        positions.pop(self.unit.key, None)
        save_progress(self.run, positions=positions)

    def save(self) -> None:
        positions = dict((self.run.progress or {}).get("positions") or {})
        positions[self.unit.key] = dataclasses.asdict(self.position)
        save_progress(self.run, positions=positions)  # commits the page's rows with it


class Store:
    """Upserts of one account's objects on Meta's ids, a page at a time (one query for the rows
    that exist, one for the parents), parents linked by our ids."""

    MODELS: t.ClassVar[dict[str, t.Any]] = {"campaigns": AdCampaign, "adsets": AdSet, "ads": Ad}

    def __init__(self, account: AdAccount, service: t.Any, token: str) -> None:
        self.account, self.service, self.token = account, service, token
        self.now = utcnow()

    def put(self, edge: str, items: Sequence[t.Any]) -> int:
        if not items:
            return 0
        if edge == "campaigns":
            self.put_campaigns(items)
        elif edge == "adsets":
            self.put_ad_sets(items)
        else:
            self.put_ads(items)
        db.session.flush()
        return len(items)

    # -- campaigns, ad sets, ads ---------------------------------------------------------------

    def put_campaigns(self, items: Sequence[CampaignData]) -> dict[str, AdCampaign]:
        rows = existing(AdCampaign, AdCampaign.meta_campaign_id, [c.id for c in items])
        for data in items:
            row = rows.get(data.id) or add(rows, data.id, AdCampaign(meta_campaign_id=data.id))
            row.ad_account_id = self.account.id
            row.name = data.name or row.name or data.id
            row.objective = data.objective
            row.status = delivery_status(data.status, row)
            row.effective_status = data.effective_status
            row.buying_type = buying_type(data.buying_type)
            row.daily_budget = budget(data.daily_budget)
            row.lifetime_budget = budget(data.lifetime_budget)
            row.budget_remaining = data.budget_remaining
            row.start_time, row.stop_time = data.start_time, data.stop_time
            row.metadata_ = {
                **(row.metadata_ or {}),
                "bid_strategy": data.bid_strategy,
                "special_ad_categories": list(data.special_ad_categories),
                "updated_time": iso(data.updated_time),
            }
            row.last_synced_at = self.now
        return rows

    def put_ad_sets(self, items: Sequence[AdSetData]) -> dict[str, AdSet]:
        parents = self.parents(AdCampaign, AdCampaign.meta_campaign_id, "campaigns", [s.campaign_id for s in items])
        rows = existing(AdSet, AdSet.meta_adset_id, [s.id for s in items])
        for data in items:
            parent = parents.get(data.campaign_id or "")
            if parent is None:
                continue  # Meta did not give the campaign even by id: nothing to hang it on
            row = rows.get(data.id) or add(rows, data.id, AdSet(meta_adset_id=data.id))
            row.campaign_id = parent.id
            row.name = data.name or row.name or data.id
            row.status = delivery_status(data.status, row)
            row.effective_status = data.effective_status
            row.daily_budget = budget(data.daily_budget)
            row.lifetime_budget = budget(data.lifetime_budget)
            row.bid_amount = data.bid_amount
            row.billing_event = data.billing_event or row.billing_event or "IMPRESSIONS"
            row.optimization_goal = data.optimization_goal
            row.targeting = dict(data.targeting) if data.targeting is not None else None
            row.start_time, row.end_time = data.start_time, data.end_time
            row.metadata_ = {
                **(row.metadata_ or {}),
                "bid_strategy": data.bid_strategy,
                "budget_remaining": data.budget_remaining,
                "destination_type": data.destination_type,
                "promoted_object": dict(data.promoted_object) if data.promoted_object is not None else None,
                "updated_time": iso(data.updated_time),
            }
            row.last_synced_at = self.now
        return rows

    def put_ads(self, items: Sequence[AdData]) -> dict[str, Ad]:
        parents = self.parents(AdSet, AdSet.meta_adset_id, "adsets", [a.adset_id for a in items])
        rows = existing(Ad, Ad.meta_ad_id, [a.id for a in items])
        for data in items:
            parent = parents.get(data.adset_id or "")
            if parent is None:
                continue
            row = rows.get(data.id) or add(rows, data.id, Ad(meta_ad_id=data.id))
            row.ad_set_id = parent.id
            row.name = data.name or row.name or data.id
            row.status = delivery_status(data.status, row)
            row.effective_status = data.effective_status
            row.creative_id = data.creative_id
            row.preview_url = data.preview_shareable_link or row.preview_url
            row.thumbnail_url = data.thumbnail_url or row.thumbnail_url
            row.lead_gen_form_id = data.lead_gen_form_id
            row.metadata_ = {
                **(row.metadata_ or {}),
                "page_id": data.page_id,
                "creative": dict(data.creative_content) if data.creative_content else (row.metadata_ or {}).get("creative"),
                "updated_time": iso(data.updated_time),
            }
            row.last_synced_at = self.now
        return rows

    def parents(self, model: t.Any, column: t.Any, edge: AdsEdge, meta_ids: Iterable[str | None]) -> dict[str, t.Any]:
        """Our rows of these parents; one Meta created after we read its edge is read by id."""
        wanted = {meta_id for meta_id in meta_ids if meta_id}
        found = existing(model, column, wanted)
        missing = sorted(wanted - set(found))
        if missing:
            read = self.service.get_ad_objects_batch(missing, edge, self.token)
            for result in read.values():
                if isinstance(result, GraphError) and not isinstance(result, GraphNotFoundError):
                    raise result
            self.put(edge, [result for result in read.values() if not isinstance(result, GraphError)])
            found = existing(model, column, wanted)
        return found

    # -- deletions -------------------------------------------------------------------------------

    def owned(self, edge: str) -> sa.Select[t.Any]:
        """The account's rows of ``edge``."""
        if edge == "campaigns":
            return sa.select(AdCampaign).where(AdCampaign.ad_account_id == self.account.id)
        if edge == "adsets":
            return sa.select(AdSet).join(AdCampaign).where(AdCampaign.ad_account_id == self.account.id)
        return sa.select(Ad).join(AdSet).join(AdCampaign).where(AdCampaign.ad_account_id == self.account.id)

    def unseen(self, edge: str, since: dt.datetime) -> list[str]:
        """Meta ids of the account's rows of ``edge`` the pass begun at ``since`` did not list
        and that are not known deleted yet."""
        model = self.MODELS[edge]
        query = self.owned(edge).where(
            model.status != DeliveryStatus.DELETED,
            sa.or_(model.effective_status.is_(None), model.effective_status != "DELETED"),
            sa.or_(model.last_synced_at.is_(None), model.last_synced_at < since),
        )
        return [meta_id(row) for row in db.session.execute(query).scalars()]

    def mark_deleted(self, edge: str, meta_ids: Sequence[str]) -> None:
        """Meta no longer knows these (100/33): deleted for good, the row stays."""
        model = self.MODELS[edge]
        for row in db.session.execute(self.owned(edge).where(meta_column(model).in_(meta_ids))).scalars():
            row.status = DeliveryStatus.DELETED
            row.effective_status = "DELETED"
            row.last_synced_at = self.now


def link_lead_forms(account: AdAccount) -> None:
    """A lead form belongs to the ad account whose ads open it (Meta's form has no account)."""
    opened = (
        sa.select(Ad.lead_gen_form_id)
        .join(AdSet, Ad.ad_set_id == AdSet.id)
        .join(AdCampaign, AdSet.campaign_id == AdCampaign.id)
        .where(AdCampaign.ad_account_id == account.id, Ad.lead_gen_form_id.is_not(None))
    )
    db.session.execute(
        sa.update(LeadForm)
        .where(LeadForm.meta_form_id.in_(opened), LeadForm.ad_account_id.is_(None))
        .values(ad_account_id=account.id)
        .execution_options(synchronize_session=False)
    )


# -- helpers -------------------------------------------------------------------------------------

M = t.TypeVar("M")


def existing(model: type[M], column: t.Any, meta_ids: Iterable[str]) -> dict[str, M]:
    ids = list(set(meta_ids))
    if not ids:
        return {}
    rows = db.session.execute(sa.select(model).where(column.in_(ids))).scalars()
    return {meta_id(row): row for row in rows}


def add(rows: dict[str, M], key: str, row: M) -> M:
    db.session.add(row)
    rows[key] = row
    return row


def meta_column(model: t.Any) -> t.Any:
    return {AdCampaign: AdCampaign.meta_campaign_id, AdSet: AdSet.meta_adset_id, Ad: Ad.meta_ad_id}[model]


def meta_id(row: t.Any) -> str:
    return str(getattr(row, meta_column(type(row)).key))


def delivery_status(status: str | None, row: t.Any) -> DeliveryStatus:
    """Meta's configured status (ACTIVE, PAUSED, ARCHIVED, DELETED); another value keeps ours."""
    try:
        return DeliveryStatus((status or "").upper())
    except ValueError:
        return t.cast(DeliveryStatus, row.status or DeliveryStatus.PAUSED)


def buying_type(value: str | None) -> BuyingType:
    try:
        return BuyingType((value or "AUCTION").upper())
    except ValueError:
        return BuyingType.AUCTION


def budget(value: int | None) -> int | None:
    """A budget that is not set is ``None``: Meta sends ``"0"`` for it on some objects."""
    return value or None


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
