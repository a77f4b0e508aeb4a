"""Ad accounts from Meta: money in minor units with the account's currency and timezone."""

from __future__ import annotations

import sqlalchemy as sa

from metaads.graph.errors import GraphError, GraphTokenError
from metaads.graph.types import AdAccountData
from metaads.models import AdAccount
from metaads.models.enums import AccountStatus, SyncRunStatus, SyncStatus
from metaads.sync.runs import bump, finish_run, run_for
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform

#: Meta's account_status codes (meta-graph.md §4.2) → the seed's three states.
ACTIVE_CODES = {1}
PENDING_CODES = {7, 8, 9, 100, 101, 201}


def sync_ad_accounts(run_id: int | None = None, *, platform_id: int | None = None, trigger: str = "manual") -> int:
    """Upsert the ad accounts of every active connection; returns the sync run's id."""
    from metaads.meta import graph_service, mark_needs_reauth

    run = run_for(run_id, "ad_accounts", scope=str(platform_id or "all"), trigger=trigger, platform_id=platform_id)
    query = sa.select(SocialPlatform).where(SocialPlatform.status == PlatformStatus.ACTIVE)
    if platform_id is not None:
        query = query.where(SocialPlatform.id == platform_id)
    errors = []
    for platform in db.session.execute(query).scalars().all():
        try:
            accounts = graph_service().list_ad_accounts(platform.access_token or "")
        except GraphError as exc:
            if isinstance(exc, GraphTokenError):
                mark_needs_reauth(platform.id, exc)
            errors.append(f"{platform.name}: {exc}")
            continue
        for data in accounts:
            upsert_account(data, platform.id)
        platform.last_synced_at = utcnow()
        bump(run, accounts=len(accounts))
        db.session.commit()
    finish_run(run, SyncRunStatus.FAILED if errors else SyncRunStatus.SUCCEEDED, "; ".join(errors) or None)
    return run.id


def upsert_account(data: AdAccountData, platform_id: int) -> AdAccount:
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
