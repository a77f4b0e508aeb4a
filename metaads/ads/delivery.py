"""What Ads Manager's Delivery column says of a campaign, ad set or ad: a word and, when the
object is not delivering because of something else, the reason. (Ads Manager says "Off" where
we say "Paused": the word of our Pause / Resume buttons.)

The word comes from Meta's ``effective_status`` (meta-graph.md §5.2: a paused, archived or
deleted parent shows through on its children as ``CAMPAIGN_PAUSED`` / ``ADSET_PAUSED``), then
from what Meta's status does not say: an ad account that cannot spend (``account_status``
§4.2), a schedule that has ended or not started.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from metaads.models import Ad, AdAccount, AdCampaign, AdSet

#: Meta's ``account_status`` codes under which nothing in the account delivers (§4.2).
ACCOUNT_PROBLEMS: dict[int, str] = {
    2: "Account disabled",
    3: "Account has unsettled payments",
    7: "Account under risk review",
    8: "Account pending settlement",
    9: "Account in grace period",
    100: "Account closing",
    101: "Account closed",
}

#: effective_status → (label, tone, reason). The tone names the badge's colour class.
EFFECTIVE: dict[str, tuple[str, str, str | None]] = {
    "ACTIVE": ("Active", "ACTIVE", None),
    "PREAPPROVED": ("Active", "ACTIVE", "Preapproved"),
    "PAUSED": ("Paused", "PAUSED", None),
    "CAMPAIGN_PAUSED": ("Paused", "PAUSED", "Campaign paused"),
    "ADSET_PAUSED": ("Paused", "PAUSED", "Ad set paused"),
    "IN_PROCESS": ("Processing", "review", "Meta is processing a change"),
    "PENDING_REVIEW": ("In review", "review", "Meta is reviewing the ad"),
    "DISAPPROVED": ("Rejected", "error", "Does not follow Meta's advertising standards"),
    "WITH_ISSUES": ("Not delivering", "error", "With issues"),
    "PENDING_BILLING_INFO": ("Not delivering", "error", "Billing information needed"),
    "ARCHIVED": ("Archived", "ARCHIVED", None),
    "DELETED": ("Deleted", "DELETED", None),
}

#: The filter the lists offer on ``effective_status``, in Ads Manager's order.
FILTER_CHOICES: tuple[tuple[str, str], ...] = (
    ("ACTIVE", "Active"),
    ("PAUSED", "Paused"),
    ("CAMPAIGN_PAUSED", "Paused: campaign paused"),
    ("ADSET_PAUSED", "Paused: ad set paused"),
    ("PENDING_REVIEW", "In review"),
    ("IN_PROCESS", "Processing"),
    ("DISAPPROVED", "Rejected"),
    ("WITH_ISSUES", "With issues"),
    ("PENDING_BILLING_INFO", "Billing information needed"),
    ("ARCHIVED", "Archived"),
    ("DELETED", "Deleted"),
)


@dataclasses.dataclass(frozen=True)
class Delivery:
    label: str
    tone: str
    reason: str | None = None


def delivery(row: AdCampaign | AdSet | Ad, account: AdAccount | None, now: dt.datetime | None = None) -> Delivery:
    """The Delivery cell of ``row`` (its ad account given, to spare a lazy load per row)."""
    status = row.effective_status or str(row.status)
    label, tone, reason = EFFECTIVE.get(status, (status.replace("_", " ").capitalize(), "review", None))
    if tone != "ACTIVE":
        return Delivery(label, tone, reason)
    if inherited := _from_parents(row):
        return inherited
    problem = ACCOUNT_PROBLEMS.get(account.account_status or 1) if account is not None else None
    if problem:
        return Delivery("Not delivering", "error", problem)
    now = now or dt.datetime.now(dt.UTC)
    start, end = schedule(row)
    if end is not None and _aware(end) <= now:
        return Delivery("Completed", "ARCHIVED", f"Ended {_aware(end):%Y-%m-%d}")
    if start is not None and _aware(start) > now:
        return Delivery("Scheduled", "review", f"Starts {_aware(start):%Y-%m-%d}")
    return Delivery(label, tone, reason)


#: A parent's own status → what its children show (§5.2: it shows through on them).
PARENT_STATUS = {
    "PAUSED": ("Paused", "PAUSED", "paused"),
    "ARCHIVED": ("Archived", "ARCHIVED", "archived"),
    "DELETED": ("Deleted", "DELETED", "deleted"),
}


def _from_parents(row: AdCampaign | AdSet | Ad) -> Delivery | None:
    """An ad set or ad Meta last listed as active whose campaign or ad set we have since paused,
    archived or deleted (a bulk pause reads back the campaigns, not their children): what Meta
    now shows for it, from the parents' own statuses."""
    parents: list[tuple[str, AdCampaign | AdSet]] = []
    if isinstance(row, AdSet):
        parents = [("Campaign", row.campaign)]
    elif isinstance(row, Ad):
        parents = [("Campaign", row.ad_set.campaign), ("Ad set", row.ad_set)]
    for noun, parent in parents:
        if (shown := PARENT_STATUS.get(str(parent.status))) is not None:
            label, tone, verb = shown
            return Delivery(label, tone, f"{noun} {verb}")
    return None


def schedule(row: AdCampaign | AdSet | Ad) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the object starts and ends (an ad runs on its ad set's schedule, not shown here)."""
    if isinstance(row, AdCampaign):
        return row.start_time, row.stop_time
    if isinstance(row, AdSet):
        return row.start_time, row.end_time
    return None, None


def _aware(value: dt.datetime) -> dt.datetime:
    # Stored times are UTC; SQLite hands them back without a zone.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def ends(row: AdCampaign | AdSet | Ad) -> t.Any:
    """The Ends column: the end of the object's schedule, None when it runs until stopped."""
    return schedule(row)[1]
