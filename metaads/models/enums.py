"""The seed's enumerations, as the values stored (strings, so Meta adding a value never breaks a row)."""

from __future__ import annotations

import enum


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    PENDING = "pending"


class SyncStatus(enum.StrEnum):
    SYNCED = "synced"
    SYNCING = "syncing"
    ERROR = "error"


class DeliveryStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DELETED = "DELETED"
    ARCHIVED = "ARCHIVED"


class Objective(enum.StrEnum):
    AWARENESS = "OUTCOME_AWARENESS"
    ENGAGEMENT = "OUTCOME_ENGAGEMENT"
    LEADS = "OUTCOME_LEADS"
    SALES = "OUTCOME_SALES"
    TRAFFIC = "OUTCOME_TRAFFIC"
    APP_PROMOTION = "OUTCOME_APP_PROMOTION"


class BuyingType(enum.StrEnum):
    AUCTION = "AUCTION"
    RESERVED = "RESERVED"


class BillingEvent(enum.StrEnum):
    IMPRESSIONS = "IMPRESSIONS"
    LINK_CLICKS = "LINK_CLICKS"
    APP_INSTALLS = "APP_INSTALLS"


class FormStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"
    ARCHIVED = "archived"


class LeadSource(enum.StrEnum):
    WEBHOOK = "webhook"
    RECONCILER = "reconciler"
    BACKFILL = "backfill"
    MANUAL = "manual"


class InboxStatus(enum.StrEnum):
    PENDING = "pending"  # committed, not yet handed to a worker
    ENQUEUED = "enqueued"  # claimed by a worker, which holds it until its lease ends
    PROCESSED = "processed"  # the lead is stored
    WAITING_REAUTH = "waiting_reauth"  # the page's token is dead; resumes after reconnect
    FAILED = "failed"  # gave up after retries; an admin can retry
    GONE = "gone"  # Meta no longer has the lead (deleted, expired, access removed)
    INVALID = "invalid"  # signed but malformed; kept for inspection


class SyncRunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
