"""Ad accounts from Meta: money in minor units with the account's currency and timezone."""

from __future__ import annotations

import sqlalchemy as sa

from metaads.connections import active_connections, graph_service
from metaads.graph.types import AdAccountData
from metaads.models import AdAccount, SyncRun
from metaads.models.enums import AccountStatus, SyncStatus
from metaads.sync.runs import Unit, bump, run_for, sync_from_meta
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import SocialPlatform

#: Meta's account_status codes (meta-graph.md §4.2) → the seed's three states. Closed (101,
#: and the ANY_CLOSED aggregate 202) is disabled for good, not pending: it never comes back.
ACTIVE_CODES = {1}
PENDING_CODES = {7, 8, 9, 100, 201}


def sync_ad_accounts(run_id: int | None = None, *, platform_id: int | None = None, trigger: str = "manual") -> int:
    """Upsert the ad accounts of every active connection (or of ``platform_id``); returns the
    sync run's id. A run queued by a route, or paused by a rate limit, says which connection."""
    run = run_for(run_id, "ad_accounts", scope=str(platform_id or "all"), trigger=trigger, platform_id=platform_id)
    connections = active_connections(run.platform_id)
    units = [Unit(str(c.id), c.name, c.access_token or "", c.id, c) for c in connections]
    sync_from_meta(run, units, lambda unit: read_accounts(run, unit), job=sync_ad_accounts)
    return run.id


def read_accounts(run: SyncRun, unit: Unit[SocialPlatform]) -> None:
    accounts = graph_service().list_ad_accounts(unit.token)
    for data in accounts:
        upsert_account(data, unit.platform_id)
    unit.item.last_synced_at = utcnow()
    bump(run, accounts=len(accounts))
    db.session.commit()


def upsert_account(data: AdAccountData, platform_id: int | None) -> AdAccount:
    account = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == data.id)).scalar_one_or_none()
    if account is None:
        account = AdAccount(meta_account_id=data.id, name=data.name or data.id)
        db.session.add(account)
    account.name = data.name or account.name
    account.currency = (data.currency or account.currency or "USD").upper()
    account.timezone = data.timezone_name
    account.business_name = data.business_name
    account.account_status = data.account_status
    account.status = account_status(data.account_status)
    account.amount_spent = data.amount_spent or 0
    account.spend_cap = data.spend_cap or None  # Meta's 0 means "no cap"
    account.balance = data.balance
    account.platform_id = platform_id
    account.last_synced_at = utcnow()
    account.sync_status = SyncStatus.SYNCED
    return account


def account_status(code: int | None) -> AccountStatus:
    if code in ACTIVE_CODES:
        return AccountStatus.ACTIVE
    if code in PENDING_CODES:
        return AccountStatus.PENDING
    return AccountStatus.DISABLED if code is not None else AccountStatus.ACTIVE
