"""Every write to Meta's campaigns, ad sets and ads, and how each one ends.

1. The input has been judged by a schema and :mod:`metaads.ads.params` (a 400, no Graph call).
2. A dead or missing connection stops the write before Meta is called (409).
3. "Check with Meta": the same call with ``execution_options=["validate_only"]``; nothing is
   created or changed, nothing is recorded.
4. Otherwise a :class:`AdWrite` row, with the client's idempotency key, is committed *before*
   Meta is called. A second submit with the same key finds it: the object made the first time
   (done), or a 409 while the first is still running. It is never sent twice.
5. Meta's answer: the object is read back and stored on our row at once (done). A refusal is a
   422 with Meta's own words; a dead token marks the connection for re-auth (409); our row is
   untouched either way. An answer lost on the way (timeout, dropped connection, a 5xx without
   Meta's error envelope) is resolved by reading Meta back: a create is looked for among the
   account's objects created since it was sent, an update by reading the object. Never by
   sending it again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing as t
from collections.abc import Callable

import sqlalchemy as sa
from flask_login import current_user

from metaads.ads import store
from metaads.connections import graph_service, mark_needs_reauth
from metaads.graph.errors import GraphError, GraphRateLimitError, GraphTokenError, GraphTransientError
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, AdWrite, WriteStatus
from metaads.service import AdsEdge, MetaAdsService
from metaads.sync.ads import Store
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus

log = logging.getLogger(__name__)

Kind = t.Literal["campaign", "adset", "ad"]
#: Meta stamps ``created_time`` by its own clock: look this far before we sent a create.
CLOCK_SLACK = dt.timedelta(minutes=2)


class Kinds(t.NamedTuple):
    model: type[store.AdObject]
    edge: AdsEdge
    label: str


KINDS: dict[str, Kinds] = {
    "campaign": Kinds(AdCampaign, "campaigns", "campaign"),
    "adset": Kinds(AdSet, "adsets", "ad set"),
    "ad": Kinds(Ad, "ads", "ad"),
}


def meta_id_of(row: store.AdObject) -> str:
    if isinstance(row, AdCampaign):
        return row.meta_campaign_id
    if isinstance(row, AdSet):
        return row.meta_adset_id
    return row.meta_ad_id


def account_of(row: store.AdObject) -> AdAccount:
    if isinstance(row, AdCampaign):
        return row.ad_account
    if isinstance(row, AdSet):
        return row.campaign.ad_account
    return row.ad_set.campaign.ad_account


# -- the Graph calls of each kind --------------------------------------------------------------


def _create_call(kind: str, service: MetaAdsService, account: AdAccount, params: dict[str, t.Any], token: str) -> t.Any:
    meta_account = account.meta_account_id
    if kind == "campaign":
        return service.create_campaign(meta_account, params, token)
    if kind == "adset":
        body = {key: value for key, value in params.items() if key != "campaign_id"}
        return service.create_ad_set(params["campaign_id"], body, token, account_id=meta_account)
    body = {key: value for key, value in params.items() if key != "adset_id"}
    return service.create_ad(params["adset_id"], body, token, account_id=meta_account)


def _update_call(kind: str, service: MetaAdsService, meta_id: str, params: dict[str, t.Any], token: str) -> t.Any:
    update = {"campaign": service.update_campaign, "adset": service.update_ad_set, "ad": service.update_ad}[kind]
    return update(meta_id, params, token)


def _read_call(kind: str, service: MetaAdsService, meta_id: str, token: str) -> t.Any:
    read = {"campaign": service.get_campaign, "adset": service.get_ad_set, "ad": service.get_ad}[kind]
    return read(meta_id, token)


# -- the writes --------------------------------------------------------------------------------


def create(
    kind: Kind,
    account: AdAccount,
    params: dict[str, t.Any],
    *,
    key: str | None,
    validate_only: bool = False,
) -> store.AdObject | None:
    """Create a campaign, ad set or ad at Meta and store it as the ads sync does (its parent
    its parent set). Returns ``None`` for a check (``validate_only``)."""
    token, platform_id = connection(account)
    service = graph_service()
    if validate_only:
        _ask(lambda: service.check_create(account.meta_account_id, KINDS[kind].edge, params, token), platform_id)
        return None
    write = claim(kind, "create", account, params, key)
    if write.status == WriteStatus.DONE:
        return t.cast("store.AdObject | None", db.session.get(KINDS[kind].model, write.object_id))  # the same submit again
    sent_at = utcnow()
    try:
        data = _create_call(kind, service, account, params, token)
    except GraphError as exc:
        if not answer_lost(exc):
            raise refused(write, exc, platform_id) from None
        data = find_created(kind, service, account, params["name"], sent_at, token, write)
    row = keep(kind, account, token, data)
    finish(write, WriteStatus.DONE, row=row, meta={"id": meta_id_of(row)})
    db.session.commit()
    return row


def update(
    row: store.AdObject, params: dict[str, t.Any], *, action: str = "update", validate_only: bool = False
) -> store.AdObject:
    """Change a campaign, ad set or ad at Meta, then store what Meta now has."""
    kind = kind_of(row)
    account = account_of(row)
    token, platform_id = connection(account)
    service = graph_service()
    meta_id = meta_id_of(row)
    if validate_only:
        _ask(lambda: service.check_update(meta_id, params, token), platform_id)
        return row
    write = claim(kind, action, account, params, None, row=row)
    try:
        data = _update_call(kind, service, meta_id, params, token)
    except GraphError as exc:
        if not answer_lost(exc):
            raise refused(write, exc, platform_id) from None
        data = read_back(kind, service, meta_id, token, write)
        if not _shows(data, params):
            keep(kind, account, token, data)
            finish(write, WriteStatus.UNKNOWN, row=row, message="Meta's answer was lost and the change does not show yet.")
            db.session.commit()
            raise lost(  # noqa: B904 (the lost answer is resolved above; this is its outcome)
                f"Meta's answer was lost and the {KINDS[kind].label} does not show the change yet; reload it in a minute."
            )
    keep(kind, account, token, data)
    finish(write, WriteStatus.DONE, row=row, meta={"success": True})
    db.session.commit()
    return row


def check_creative(account: AdAccount, creative: dict[str, t.Any]) -> None:
    """Ask Meta whether it would make this creative, creating nothing: what of an ad Meta can
    judge before its ad set exists (its Page, lead form, button, link)."""
    token, platform_id = connection(account)
    _ask(lambda: graph_service().check_creative(account.meta_account_id, creative, token), platform_id)


def created_by(kind: Kind, key: str) -> store.AdObject | None:
    """The object a finished create with this idempotency key made, if there is one."""
    query = sa.select(AdWrite.object_id).where(
        AdWrite.idempotency_key == key, AdWrite.object_type == kind, AdWrite.status == WriteStatus.DONE
    )
    object_id = db.session.execute(query).scalar_one_or_none()
    return t.cast("store.AdObject | None", db.session.get(KINDS[kind].model, object_id)) if object_id else None


def keep(kind: str, account: AdAccount, token: str, data: t.Any) -> store.AdObject:
    """Our row as Meta now has it, stored by the ads sync's upsert (one home for what Meta's
    objects become here), so a list right after the write shows it."""
    Store(account, graph_service(), token).put(KINDS[kind].edge, [data])
    model = KINDS[kind].model
    return t.cast(store.AdObject, db.session.execute(sa.select(model).where(store.meta_column(model) == data.id)).scalar_one())


def kind_of(row: store.AdObject) -> Kind:
    return "campaign" if isinstance(row, AdCampaign) else "adset" if isinstance(row, AdSet) else "ad"


def history(row: store.AdObject) -> list[AdWrite]:
    """The object's writes, newest first (its create included)."""
    query = (
        sa.select(AdWrite)
        .where(AdWrite.object_type == kind_of(row), AdWrite.object_id == row.id)
        .order_by(AdWrite.id.desc())
        .limit(100)
    )
    return list(db.session.execute(query).scalars())


# -- steps -------------------------------------------------------------------------------------


def connection(account: AdAccount) -> tuple[str, int]:
    """The token of the account's connection; 409 when there is none we may use."""
    platform = account.platform
    if platform is not None and platform.status == PlatformStatus.NEEDS_REAUTH:
        raise needs_reauth()
    if platform is None or platform.status != PlatformStatus.ACTIVE or not platform.access_token:
        raise APIError(409, "not_connected", "This ad account's Facebook connection is not active: connect Facebook first.")
    return platform.access_token, platform.id


def claim(
    kind: str, action: str, account: AdAccount, params: dict[str, t.Any], key: str | None, *, row: store.AdObject | None = None
) -> AdWrite:
    """The write's row, committed before Meta is called; with ``key`` the row an earlier submit
    of the same request made, when that one is done."""
    if key:
        earlier = db.session.execute(sa.select(AdWrite).where(AdWrite.idempotency_key == key)).scalar_one_or_none()
        if earlier is not None:
            if earlier.status == WriteStatus.DONE:
                return earlier
            if earlier.status == WriteStatus.PENDING:
                raise in_progress()
            if earlier.status == WriteStatus.UNKNOWN:
                raise lost(earlier.message or "This request's answer was lost; check Meta before sending it again.")
            earlier.idempotency_key = None  # refused or not sent: nothing happened, it may go again
    write = pending(kind, action, account, params, row=row, key=key)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same key, committed a moment ago by the other submit
        raise in_progress() from None
    return write


def pending(
    kind: str, action: str, account: AdAccount, params: dict[str, t.Any], *, row: store.AdObject | None, key: str | None = None
) -> AdWrite:
    """A new write's audit row, added to the session (the caller commits it before calling Meta)."""
    write = AdWrite(
        object_type=kind,
        object_id=row.id if row is not None else None,
        meta_id=meta_id_of(row) if row is not None else None,
        ad_account_id=account.id,
        action=action,
        status=WriteStatus.PENDING,
        idempotency_key=key or None,
        actor_user_id=_actor(),
        request=_jsonable(params),
        before=store.snapshot(row),
    )
    db.session.add(write)
    return write


def answer_lost(exc: GraphError) -> bool:
    """A failure after which Meta may have made the change: a timeout or dropped connection, a
    5xx without Meta's error envelope. (With an envelope, Meta says it did not.)"""
    return isinstance(exc, GraphTransientError) and exc.code is None


def find_created(
    kind: str, service: MetaAdsService, account: AdAccount, name: str, sent_at: dt.datetime, token: str, write: AdWrite
) -> t.Any:
    """The object a create whose answer was lost made: the newest of that name created since
    it was sent that no row of ours holds yet."""
    model = KINDS[kind].model
    try:
        recent = service.recent_objects(account.meta_account_id, KINDS[kind].edge, token, sent_at - CLOCK_SLACK)
    except GraphError as exc:
        log.warning("reading back a lost %s create failed: %s", kind, type(exc).__name__)
        recent = None
    if recent is not None:
        ours = _meta_ids(model, [item.id for item in recent])
        for item in sorted(recent, key=lambda item: item.created_time or sent_at, reverse=True):
            if item.name == name and item.id not in ours:
                return item
    message = (
        f"Meta's answer was lost and no new {KINDS[kind].label} named {name!r} shows at Meta yet: "
        "check Meta before creating it again."
    )
    finish(write, WriteStatus.UNKNOWN, message=message)
    db.session.commit()
    raise lost(message)


def read_back(kind: str, service: MetaAdsService, meta_id: str, token: str, write: AdWrite) -> t.Any:
    try:
        return _read_call(kind, service, meta_id, token)
    except GraphError:
        message = "Meta's answer was lost and Meta could not be read back; reload in a minute to see whether the change was made."
        finish(write, WriteStatus.UNKNOWN, message=message)
        db.session.commit()
        raise lost(message) from None


def refused(write: AdWrite, exc: GraphError, platform_id: int) -> APIError:
    """Record why Meta said no and turn it into the answer for the client."""
    error = refusal(exc, platform_id)
    status = WriteStatus.FAILED if isinstance(exc, GraphRateLimitError | GraphTransientError) else WriteStatus.REFUSED
    finish(write, status, meta=error.details.get("meta") or {"code": exc.code, "message": exc.message}, message=error.description)
    db.session.commit()
    return error


def refusal(exc: GraphError, platform_id: int) -> APIError:
    """Meta's refusal as our error: a dead token is a 409 (and the connection needs re-auth),
    a throttle 429, Meta unavailable 503, anything else Meta said no to a 422 in Meta's words."""
    if isinstance(exc, GraphTokenError):
        mark_needs_reauth(platform_id, exc)
        db.session.commit()
        return needs_reauth()
    if isinstance(exc, GraphRateLimitError):
        seconds = int(exc.retry_after)
        return APIError(
            429, "rate_limited", f"Meta asks us to slow down: try again in {seconds} seconds.", {"retry_after": seconds}
        )
    if isinstance(exc, GraphTransientError) or exc.code is None:
        return APIError(503, "meta_unavailable", "Meta did not answer properly; nothing was changed. Try again in a moment.")
    meta = {
        "code": exc.code,
        "error_subcode": exc.subcode,
        "error_user_title": exc.user_title,
        "error_user_msg": exc.user_message,
    }
    details: dict[str, t.Any] = {"meta": meta}
    if field := blamed_field(exc):
        details["field"] = field
    return APIError(422, "meta_refused", exc.user_message or exc.message, details)


def blamed_field(exc: GraphError) -> str | None:
    """The parameter Meta blames (``error_data.blame_field_specs``), for the form to show the
    refusal next to it."""
    data = exc.error_data if isinstance(exc.error_data, dict) else {}
    specs = data.get("blame_field_specs")
    if isinstance(specs, list) and specs:
        first = specs[0][0] if isinstance(specs[0], list) and specs[0] else specs[0]
        return str(first) if isinstance(first, str) else None
    return None


def finish(
    write: AdWrite,
    status: WriteStatus,
    *,
    row: store.AdObject | None = None,
    meta: dict[str, t.Any] | None = None,
    message: str | None = None,
) -> None:
    write.status = status
    if row is not None:
        write.object_id, write.meta_id, write.after = row.id, meta_id_of(row), store.snapshot(row)
    write.meta = meta if meta is not None else write.meta
    write.message = message
    write.finished_at = utcnow()


def _ask(call: Callable[[], None], platform_id: int) -> None:
    try:
        call()
    except GraphError as exc:
        raise refusal(exc, platform_id) from None


def needs_reauth() -> APIError:
    return APIError(409, "needs_reauth", "Facebook refused this connection's token: reconnect Facebook, then try again.")


def in_progress() -> APIError:
    return APIError(409, "write_in_progress", "This request was already sent and is still being written to Meta.")


def lost(message: str) -> APIError:
    return APIError(502, "answer_lost", message)


def _shows(data: t.Any, params: dict[str, t.Any]) -> bool:
    """Whether Meta's object shows each simple value we sent (a lost update's read-back)."""
    for key, value in params.items():
        if isinstance(value, str | int) and not isinstance(value, bool) and hasattr(data, key) and getattr(data, key) != value:
            return False
    return True


def _meta_ids(model: type[store.AdObject], ids: list[str]) -> set[str]:
    column = store.meta_column(model)
    return set(db.session.execute(sa.select(column).where(column.in_(ids))).scalars()) if ids else set()


def _actor() -> int | None:
    return t.cast(int | None, getattr(current_user, "id", None)) if current_user else None


def _jsonable(params: dict[str, t.Any]) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], json.loads(json.dumps(params, default=str)))
