"""The seed's enumerations, as the values stored (strings, so Meta adding a value never breaks a row)."""

from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    PENDING = "pending"


class SyncStatus(StrEnum):
    SYNCED = "synced"
    SYNCING = "syncing"
    ERROR = "error"


class DeliveryStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DELETED = "DELETED"
    ARCHIVED = "ARCHIVED"


class Objective(StrEnum):
    AWARENESS = "OUTCOME_AWARENESS"
    ENGAGEMENT = "OUTCOME_ENGAGEMENT"
    LEADS = "OUTCOME_LEADS"
    SALES = "OUTCOME_SALES"
    TRAFFIC = "OUTCOME_TRAFFIC"
    APP_PROMOTION = "OUTCOME_APP_PROMOTION"


class BuyingType(StrEnum):
    AUCTION = "AUCTION"
    RESERVED = "RESERVED"


class BillingEvent(StrEnum):
    IMPRESSIONS = "IMPRESSIONS"
    LINK_CLICKS = "LINK_CLICKS"
    APP_INSTALLS = "APP_INSTALLS"


class FormStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"
    ARCHIVED = "archived"


class LeadSource(StrEnum):
    WEBHOOK = "webhook"
    RECONCILER = "reconciler"
    BACKFILL = "backfill"
    MANUAL = "manual"


class InboxStatus(StrEnum):
    PENDING = "pending"  # committed, not yet handed to a worker
    ENQUEUED = "enqueued"  # handed to a worker
    PROCESSED = "processed"  # the lead is stored
    WAITING_REAUTH = "waiting_reauth"  # the page's token is dead; resumes after reconnect
    FAILED = "failed"  # gave up after retries; an admin can retry
    GONE = "gone"  # Meta no longer has the lead (deleted, expired, access removed)
    INVALID = "invalid"  # signed but malformed; kept for inspection


class SyncRunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
