"""metaads' tables: the seed's ads and leads models plus what the lead path needs."""

from metaads.models.activity import LeadActivity
from metaads.models.ads import Ad, AdAccount, AdCampaign, AdSet
from metaads.models.conversions import ConversionBatch, ConversionEvent, ConversionSettings
from metaads.models.inbox import WebhookInbox
from metaads.models.insights import AdInsight, InsightsReport, ReportStatus
from metaads.models.leads import Lead, LeadForm
from metaads.models.outbound import OutboundDelivery
from metaads.models.sync import SyncRun
from metaads.models.writes import AdWrite, WriteStatus

__all__ = [
    "Ad",
    "AdAccount",
    "AdCampaign",
    "AdInsight",
    "AdSet",
    "AdWrite",
    "ConversionBatch",
    "ConversionEvent",
    "ConversionSettings",
    "InsightsReport",
    "Lead",
    "LeadActivity",
    "LeadForm",
    "OutboundDelivery",
    "ReportStatus",
    "SyncRun",
    "WebhookInbox",
    "WriteStatus",
]
