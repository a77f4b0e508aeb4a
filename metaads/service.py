"""``MetaAdsService``: the seed's Meta Marketing API methods, in Python, on :class:`GraphClient`.

Each method names the Graph fields it needs, calls the client, and loads the answer into the
typed dataclasses of :mod:`metaads.graph.types`. Failures are :class:`GraphError` subclasses:
Meta's own (sorted by code/subcode) and :class:`GraphResponseError` when an answer does not
have the shape we load.
"""

from __future__ import annotations

import datetime as dt
import itertools
import typing as t
from collections.abc import Iterator, Mapping, Sequence

from metaads.graph import schemas
from metaads.graph.batch import MAX_BATCH_SIZE, BatchRequest
from metaads.graph.client import GraphClient
from metaads.graph.encoding import NO_FIELDS, Fields, Params, join_fields
from metaads.graph.errors import GraphError, GraphResponseError
from metaads.graph.paging import Page
from metaads.graph.times import to_unix
from metaads.graph.types import (
    AdAccountData,
    AdData,
    AdPreview,
    AdSetData,
    CampaignData,
    EventsReceived,
    InsightsRow,
    LeadData,
    LeadFormData,
    OAuthToken,
    PageData,
    SubscribedApp,
    TokenInfo,
    UserData,
)

INSIGHTS_LEVELS = ("account", "campaign", "adset", "ad")
#: Rows per page on an ad account's campaigns / adsets / ads edges: Meta's largest, so an account
#: of 2,000 ads is read in a handful of calls (BUC budgets count calls, not rows).
ADS_PAGE_SIZE = 500
#: Every ``effective_status`` an edge lists when asked (meta-graph.md §5.2) except ``DELETED``,
#: which edges refuse as a filter (§5.1): a deleted object is read by id instead. Without this
#: filter Meta leaves out ``ARCHIVED`` objects too.
LISTABLE_STATUSES: dict[str, tuple[str, ...]] = {
    "campaign": ("ACTIVE", "PAUSED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"),
    "adset": ("ACTIVE", "PAUSED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES", "CAMPAIGN_PAUSED"),
    "ad": (
        "ACTIVE",
        "PAUSED",
        "ARCHIVED",
        "IN_PROCESS",
        "WITH_ISSUES",
        "CAMPAIGN_PAUSED",
        "ADSET_PAUSED",
        "PENDING_REVIEW",
        "DISAPPROVED",
        "PREAPPROVED",
        "PENDING_BILLING_INFO",
    ),
}
AdsEdge = t.Literal["campaigns", "adsets", "ads"]
#: Each account-level edge: the entity its filters name, and the loader of its rows.
ADS_EDGES: dict[str, tuple[str, schemas.Loader[t.Any]]] = {
    "campaigns": ("campaign", schemas.CAMPAIGN),
    "adsets": ("adset", schemas.AD_SET),
    "ads": ("ad", schemas.AD),
}
#: Meta's "check, don't do it" switch on every create and update (meta-graph.md §5.3-§5.5).
VALIDATE_ONLY = {"execution_options": ["validate_only"]}
#: Rows per page on the leads edge (Meta's default is smaller; 100 keeps calls few and pages light).
LEADS_PAGE_SIZE = 100

_T = t.TypeVar("_T")
TimeArg = dt.datetime | int


class MetaAdsService:
    """The Meta Marketing API operations metaads uses (the seed's ``MetaAdsService``).

    :param client: the :class:`GraphClient` every call goes through.
    """

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    # -- connecting ----------------------------------------------------------------------------

    def get_me(self, user_token: str) -> UserData:
        """The user (or system user) the token belongs to."""
        return self._get("me", user_token, schemas.USER)

    def list_pages(self, user_token: str) -> list[PageData]:
        """The Pages the user can act on, each with its Page token (``/me/accounts``, all pages)."""
        return self._list("me/accounts", user_token, schemas.PAGE)

    def get_subscribed_apps(self, page_id: str, page_token: str) -> list[SubscribedApp]:
        """The apps installed on a Page; empty when none is."""
        return self._list(f"{page_id}/subscribed_apps", page_token, schemas.SUBSCRIBED_APP)

    def subscribe_page(self, page_id: str, page_token: str, fields: Sequence[str] = ("leadgen",)) -> bool:
        """Install this app on a Page for webhook ``fields``. Meta sets the app's fields to this
        list, so pass every field the app needs."""
        body = self.client.post(f"{page_id}/subscribed_apps", page_token, {"subscribed_fields": join_fields(fields)})
        return _success(body)

    def debug_token(self, input_token: str) -> TokenInfo:
        """What Meta knows about a token (validity, scopes, expiry), asked with the app token."""
        body = self.client.get("debug_token", self.client.app_access_token(), {"input_token": input_token}, fields=NO_FIELDS)
        return schemas.TOKEN_INFO.load(body.get("data"))

    def exchange_code(self, code: str, redirect_uri: str) -> OAuthToken:
        """Trade an OAuth dialog ``code`` for a user token (``redirect_uri`` must match the dialog's)."""
        params = {**self.client.client_credentials(), "redirect_uri": redirect_uri, "code": code}
        return schemas.OAUTH_TOKEN.load(self.client.get("oauth/access_token", None, params, fields=NO_FIELDS))

    def exchange_long_lived(self, short_token: str) -> OAuthToken:
        """Trade a short-lived user token for a long-lived one (~60 days)."""
        params = {**self.client.client_credentials(), "grant_type": "fb_exchange_token", "fb_exchange_token": short_token}
        return schemas.OAUTH_TOKEN.load(self.client.get("oauth/access_token", None, params, fields=NO_FIELDS))

    # -- ad accounts -------------------------------------------------------------------------

    def list_ad_accounts(self, user_token: str) -> list[AdAccountData]:
        """The ad accounts the user or system user is assigned to."""
        return self._list("me/adaccounts", user_token, schemas.AD_ACCOUNT)

    def get_ad_account(self, account_id: str, token: str) -> AdAccountData:
        return self._get(act(account_id), token, schemas.AD_ACCOUNT)

    # -- campaigns ---------------------------------------------------------------------------

    def list_campaigns(self, account_id: str, token: str, *, effective_status: Sequence[str] | None = None) -> list[CampaignData]:
        """An account's campaigns. Meta hides ARCHIVED ones unless ``effective_status`` asks for them."""
        params = {"effective_status": list(effective_status) if effective_status else None}
        return self._list(f"{act(account_id)}/campaigns", token, schemas.CAMPAIGN, params)

    def get_campaign(self, campaign_id: str, token: str) -> CampaignData:
        return self._get(campaign_id, token, schemas.CAMPAIGN)

    def create_campaign(self, account_id: str, data: Params, token: str) -> CampaignData:
        """Create a campaign (budgets in minor units). ``special_ad_categories`` defaults to ``[]``
        and, without a campaign budget, ``is_adset_budget_sharing_enabled`` to ``false``: Meta
        requires both (meta-graph.md §5.3)."""
        created = self.client.post(f"{act(account_id)}/campaigns", token, campaign_defaults(data))
        return self.get_campaign(_created_id(created), token)

    def update_campaign(self, campaign_id: str, data: Params, token: str) -> CampaignData:
        """Change a campaign; returns it as Meta now has it."""
        _success(self.client.post(campaign_id, token, data))
        return self.get_campaign(campaign_id, token)

    def set_campaign_status(self, campaign_id: str, status: t.Literal["ACTIVE", "PAUSED"], token: str) -> None:
        """Pause or resume a campaign."""
        if status not in ("ACTIVE", "PAUSED"):
            raise ValueError(f"status must be ACTIVE or PAUSED, not {status!r}")
        _success(self.client.post(campaign_id, token, {"status": status}))

    # -- ad sets -----------------------------------------------------------------------------

    def list_ad_sets(self, campaign_id: str, token: str) -> list[AdSetData]:
        return self._list(f"{campaign_id}/adsets", token, schemas.AD_SET)

    def get_ad_set(self, ad_set_id: str, token: str) -> AdSetData:
        return self._get(ad_set_id, token, schemas.AD_SET)

    def create_ad_set(self, campaign_id: str, data: Params, token: str, *, account_id: str | None = None) -> AdSetData:
        """Create an ad set in a campaign. Meta creates ad sets on ``act_{id}/adsets`` with a
        ``campaign_id`` (§5.4); without ``account_id`` the campaign's account is read first."""
        account = account_id or self._account_of(campaign_id, token)
        created = self.client.post(f"{act(account)}/adsets", token, {**data, "campaign_id": campaign_id})
        return self.get_ad_set(_created_id(created), token)

    def update_ad_set(self, ad_set_id: str, data: Params, token: str) -> AdSetData:
        _success(self.client.post(ad_set_id, token, data))
        return self.get_ad_set(ad_set_id, token)

    # -- ads ---------------------------------------------------------------------------------

    def list_ads(self, ad_set_id: str, token: str) -> list[AdData]:
        return self._list(f"{ad_set_id}/ads", token, schemas.AD)

    def get_ad(self, ad_id: str, token: str) -> AdData:
        return self._get(ad_id, token, schemas.AD)

    def create_ad(self, ad_set_id: str, data: Params, token: str, *, account_id: str | None = None) -> AdData:
        """Create an ad in an ad set (``data`` holds ``name``, ``creative``, ``status``); like ad
        sets, ads are created on ``act_{id}/ads``."""
        account = account_id or self._account_of(ad_set_id, token)
        created = self.client.post(f"{act(account)}/ads", token, {**data, "adset_id": ad_set_id})
        return self.get_ad(_created_id(created), token)

    def update_ad(self, ad_id: str, data: Params, token: str) -> AdData:
        _success(self.client.post(ad_id, token, data))
        return self.get_ad(ad_id, token)

    def get_ad_preview(self, ad_id: str, ad_format: str, token: str) -> AdPreview:
        """Meta's rendering of an ad in one placement (``ad_format``, e.g. ``MOBILE_FEED_STANDARD``):
        an ``<iframe>`` of www.facebook.com that shows only to people with a role on the account
        (meta-graph.md §5.7)."""
        body = self.client.get(f"{ad_id}/previews", token, {"ad_format": ad_format}, fields=NO_FIELDS)
        items = body.get("data")
        if not isinstance(items, list) or not items:
            raise GraphResponseError("Graph returned no preview")
        return schemas.AD_PREVIEW.load(items[0])

    # -- the ads hierarchy, account-wide (the ads sync) ------------------------------------------

    def account_object_pages(
        self,
        account_id: str,
        edge: AdsEdge,
        token: str,
        *,
        updated_after: TimeArg | None = None,
        after: str | None = None,
        page_size: int = ADS_PAGE_SIZE,
    ) -> Iterator[Page[t.Any]]:
        """An ad account's campaigns, ad sets or ads (``CampaignData`` / ``AdSetData`` /
        ``AdData``) page by page, every status but ``DELETED``; with ``updated_after``, only
        those Meta changed after that time (its ``updated_time``, exclusive). Each page's
        ``after`` cursor resumes after it."""
        entity, loader = ADS_EDGES[edge]
        filtering: list[dict[str, t.Any]] = [
            {"field": f"{entity}.effective_status", "operator": "IN", "value": list(LISTABLE_STATUSES[entity])}
        ]
        if updated_after is not None:
            filtering.append({"field": f"{entity}.updated_time", "operator": "GREATER_THAN", "value": to_unix(updated_after)})
        path = f"{act(account_id)}/{edge}"
        pages = self.client.pages(path, token, {"filtering": filtering}, fields=loader.fields, page_size=page_size, after=after)
        for page in pages:
            yield page.map(loader.load)

    def get_ad_objects_batch(self, ids: Sequence[str], edge: AdsEdge, token: str) -> dict[str, t.Any]:
        """Campaigns, ad sets or ads read by id through the Batch API (50 per call), deleted ones
        included (edges no longer list them): each id maps to its object or to the typed error
        of that one read."""
        return self._batch_get(ids, token, ADS_EDGES[edge][1])

    def set_statuses_batch(self, object_ids: Sequence[str], status: str, token: str) -> dict[str, GraphError | None]:
        """Set ``status`` (``ACTIVE``, ``PAUSED``, ``ARCHIVED``) on campaigns, ad sets or ads in
        one Batch API call (at most 50, §8): each id maps to ``None`` (Meta said it was done)
        or to the typed error of that one update; an update Meta returned as ``null`` maps to a
        :class:`GraphTransientError` without a code (its fate is unknown: read it back).

        :raises GraphError: when the batch call itself failed (its answer lost, the token dead):
            no update of it is known to be done or not.
        """
        unique = list(dict.fromkeys(object_ids))
        if len(unique) > MAX_BATCH_SIZE:
            raise ValueError(f"at most {MAX_BATCH_SIZE} updates in one batch call")
        requests = [BatchRequest.post(object_id, {"status": status}) for object_id in unique]
        out: dict[str, GraphError | None] = {}
        for object_id, result in zip(unique, self.client.batch(requests, token), strict=True):
            if result.error is not None:
                out[object_id] = result.error
                continue
            try:
                _success(result.body if isinstance(result.body, Mapping) else {})
            except GraphResponseError as exc:
                out[object_id] = exc
            else:
                out[object_id] = None
        return out

    # -- checks and read-backs for writes ------------------------------------------------------

    def check_create(self, account_id: str, edge: AdsEdge, data: Params, token: str) -> None:
        """Ask Meta whether it would create this campaign, ad set or ad, creating nothing
        (``execution_options=["validate_only"]``); a refusal raises like the real create."""
        values = campaign_defaults(data) if edge == "campaigns" else dict(data)
        _success(self.client.post(f"{act(account_id)}/{edge}", token, {**values, **VALIDATE_ONLY}))

    def check_creative(self, account_id: str, data: Params, token: str) -> None:
        """Ask Meta whether it would make this creative (``object_story_spec``: its Page, lead
        form, call to action), creating nothing: what of an ad Meta can judge before its ad set
        exists."""
        _success(self.client.post(f"{act(account_id)}/adcreatives", token, {**data, **VALIDATE_ONLY}))

    def check_update(self, object_id: str, data: Params, token: str) -> None:
        """Ask Meta whether it would make this change, changing nothing."""
        _success(self.client.post(object_id, token, {**data, **VALIDATE_ONLY}))

    def recent_objects(self, account_id: str, edge: AdsEdge, token: str, created_after: TimeArg) -> list[t.Any]:
        """An account's campaigns, ad sets or ads created after ``created_after`` (exclusive):
        how a create whose answer was lost is found again instead of being sent twice."""
        entity, loader = ADS_EDGES[edge]
        filtering = [{"field": f"{entity}.created_time", "operator": "GREATER_THAN", "value": to_unix(created_after)}]
        return self._list(f"{act(account_id)}/{edge}", token, loader, {"filtering": filtering})

    def _account_of(self, object_id: str, token: str) -> str:
        account = self.client.get(object_id, token, fields=("account_id",)).get("account_id")
        if not account:
            raise GraphResponseError(f"Graph did not say which ad account {object_id} belongs to")
        return str(account)

    # -- lead forms and leads ----------------------------------------------------------------

    def list_lead_forms(self, page_id: str, page_token: str) -> list[LeadFormData]:
        """A Page's lead forms (needs a Page token)."""
        return self._list(f"{page_id}/leadgen_forms", page_token, schemas.LEAD_FORM)

    def get_lead_form(self, form_id: str, token: str) -> LeadFormData:
        return self._get(form_id, token, schemas.LEAD_FORM)

    def get_lead(self, lead_id: str, token: str) -> LeadData:
        return self._get(lead_id, token, schemas.LEAD)

    def get_leads(
        self, form_id: str, token: str, since: TimeArg | None = None, until: TimeArg | None = None, limit: int | None = None
    ) -> Iterator[LeadData]:
        """A form's leads, paging to the end (or ``limit`` leads). ``since`` is inclusive and
        ``until`` exclusive, both on the submission time (Meta's ``time_created`` filter)."""
        page_size = max(1, min(limit, LEADS_PAGE_SIZE)) if limit is not None else LEADS_PAGE_SIZE
        pages = self.get_lead_pages(form_id, token, since=since, until=until, page_size=page_size)
        # islice stops pulling (and so stops paging) as soon as it has ``limit`` leads.
        yield from itertools.islice((lead for page in pages for lead in page.items), limit)

    def get_lead_pages(
        self,
        form_id: str,
        token: str,
        *,
        since: TimeArg | None = None,
        until: TimeArg | None = None,
        page_size: int = LEADS_PAGE_SIZE,
        after: str | None = None,
    ) -> Iterator[Page[LeadData]]:
        """A form's leads page by page; each page's ``after`` cursor resumes a sync after it."""
        params = {"filtering": time_created_filter(since, until) or None}
        pages = self.client.pages(f"{form_id}/leads", token, params, fields=schemas.LEAD.fields, page_size=page_size, after=after)
        for page in pages:
            yield page.map(schemas.LEAD.load)

    def get_leads_batch(self, lead_ids: Sequence[str], token: str) -> dict[str, LeadData | GraphError]:
        """Read many leads through the Batch API (50 per call): each id maps to its lead or to
        the typed error of that one read (a timed-out read is a retryable transient error)."""
        return self._batch_get(lead_ids, token, schemas.LEAD)

    def create_test_lead(self, form_id: str, page_token: str, field_data: Sequence[Mapping[str, t.Any]] | None = None) -> str:
        """Create the form's test lead (one per form: delete the previous one first); returns its id."""
        data = {"field_data": [dict(item) for item in field_data] if field_data else None}
        return _created_id(self.client.post(f"{form_id}/test_leads", page_token, data))

    def list_test_leads(self, form_id: str, token: str) -> list[LeadData]:
        return self._list(f"{form_id}/test_leads", token, schemas.LEAD)

    def delete_lead(self, lead_id: str, token: str) -> bool:
        return _success(self.client.delete(lead_id, token))

    # -- insights ----------------------------------------------------------------------------

    def get_insights(
        self,
        object_id: str,
        level: t.Literal["account", "campaign", "adset", "ad"],
        token: str,
        date_preset: str | None = None,
        time_range: tuple[dt.date, dt.date] | Mapping[str, str] | None = None,
        time_increment: int | str | None = None,
        fields: Fields | None = None,
        breakdowns: Sequence[str] | None = None,
        *,
        currency: str | None = None,
    ) -> Iterator[InsightsRow]:
        """Insights rows of an account, campaign, ad set or ad, at ``level``, paged to the end.

        ``account_currency`` is always requested: Insights ``spend`` is in major units and
        becomes minor units with it (``currency`` is the fallback if a row lacks it).
        """
        if level not in INSIGHTS_LEVELS:
            raise ValueError(f"level must be one of {INSIGHTS_LEVELS}, not {level!r}")
        wanted = [f for f in (fields.split(",") if isinstance(fields, str) else fields or schemas.INSIGHTS_ROW.fields) if f]
        if "account_currency" not in wanted:
            wanted.append("account_currency")
        params: dict[str, t.Any] = {
            "level": level,
            "date_preset": date_preset,
            "time_range": _time_range(time_range),
            "time_increment": time_increment,
            "breakdowns": ",".join(breakdowns) if breakdowns else None,
        }
        for row in self.client.paginate(f"{object_id}/insights", token, params, fields=wanted):
            if currency and not row.get("account_currency"):
                row = {**row, "account_currency": currency}
            yield schemas.INSIGHTS_ROW.load(row)

    # -- helpers -----------------------------------------------------------------------------

    # -- Conversions API ---------------------------------------------------------------------

    def send_events(
        self, dataset_id: str, events: Sequence[Mapping[str, t.Any]], token: str, *, test_event_code: str | None = None
    ) -> EventsReceived:
        """``POST /{dataset_id}/events``: up to 1,000 events in one call (``data`` travels as a
        JSON array; Python ints stay exact, so a lead id above 2**53 arrives intact)."""
        body = self.client.post(f"{dataset_id}/events", token, {"data": list(events), "test_event_code": test_event_code})
        received = body.get("events_received")
        if not isinstance(received, int):
            raise GraphResponseError(f"POST {dataset_id}/events answered without events_received", path=f"{dataset_id}/events")
        messages = body.get("messages")
        return EventsReceived(received, body.get("fbtrace_id"), messages if isinstance(messages, list) else [])

    def _get(self, path: str, token: str, loader: schemas.Loader[_T]) -> _T:
        """One object, asked for with the fields its loader reads."""
        return loader.load(self.client.get(path, token, fields=loader.fields))

    def _batch_get(self, ids: Sequence[str], token: str, loader: schemas.Loader[_T]) -> dict[str, _T | GraphError]:
        """Objects read by id through the Batch API: each id maps to its object or its error."""
        unique = list(dict.fromkeys(ids))
        requests = [BatchRequest.get(object_id, fields=loader.fields) for object_id in unique]
        out: dict[str, _T | GraphError] = {}
        for object_id, result in zip(unique, self.client.batch(requests, token), strict=True):
            if result.error is not None:
                out[object_id] = result.error
                continue
            try:
                out[object_id] = loader.load(result.body)
            except GraphResponseError as exc:
                out[object_id] = exc
        return out

    def _list(self, path: str, token: str, loader: schemas.Loader[_T], params: Params | None = None) -> list[_T]:
        """Every item of an edge, paged to the end, each asked for with the fields its loader reads."""
        return [loader.load(item) for item in self.client.paginate(path, token, params, fields=loader.fields)]


def act(account_id: str) -> str:
    """``act_<id>`` from ``123`` or ``act_123``."""
    digits = str(account_id).removeprefix("act_")
    if not digits.isdigit():
        raise ValueError(f"not an ad account id: {account_id!r}")
    return f"act_{digits}"


def campaign_defaults(data: Params) -> dict[str, t.Any]:
    """What Meta requires on every new campaign: ``special_ad_categories`` (``[]`` when none)
    and, without a campaign budget, ``is_adset_budget_sharing_enabled`` (meta-graph.md §5.3)."""
    values = dict(data)
    if values.get("special_ad_categories") is None:
        values["special_ad_categories"] = []
    if values.get("daily_budget") is None and values.get("lifetime_budget") is None:
        values.setdefault("is_adset_budget_sharing_enabled", False)
    return values


def time_created_filter(since: TimeArg | None, until: TimeArg | None) -> list[dict[str, t.Any]]:
    """Meta's ``filtering`` on a lead's submission time (the filter field is ``time_created``
    although leads return ``created_time``). ``since`` inclusive, ``until`` exclusive."""
    rules: list[dict[str, t.Any]] = []
    if since is not None:
        # GREATER_THAN is the operator every client relies on; one second earlier makes it inclusive.
        rules.append({"field": "time_created", "operator": "GREATER_THAN", "value": to_unix(since) - 1})
    if until is not None:
        rules.append({"field": "time_created", "operator": "LESS_THAN", "value": to_unix(until)})
    return rules


def _time_range(value: tuple[dt.date, dt.date] | Mapping[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {"since": str(value["since"]), "until": str(value["until"])}
    since, until = value
    return {"since": since.isoformat(), "until": until.isoformat()}


def _created_id(body: Mapping[str, t.Any]) -> str:
    created = body.get("id")
    if isinstance(created, bool) or not isinstance(created, str | int) or not str(created):
        raise GraphResponseError("Graph did not return the id of the created object")
    return str(created)


def _success(body: Mapping[str, t.Any]) -> bool:
    # Meta's samples show both true and "true".
    if body.get("success") in (True, "true"):
        return True
    raise GraphResponseError("Graph did not confirm the change")
