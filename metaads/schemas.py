"""JSON shapes of metaads' models, one schema per object (every view and the outbound webhook dump
with these): the seed's field names, money as integer minor units with the currency beside it,
times as ISO 8601 UTC, Meta ids as strings. The keys are fixed by design.md."""

from __future__ import annotations

from marshmallow import Schema, fields


class _Base(Schema):
    id = fields.Integer(dump_only=True)
    metadata = fields.Dict(attribute="metadata_", allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class _Performance(Schema):
    impressions = fields.Integer()
    clicks = fields.Integer()
    spend = fields.Integer()
    leads = fields.Integer()


class AdAccountSchema(_Base):
    meta_account_id = fields.String()
    name = fields.String()
    currency = fields.String()
    timezone = fields.String(allow_none=True)
    business_name = fields.String(allow_none=True)
    status = fields.String()
    account_status = fields.Integer(allow_none=True)
    amount_spent = fields.Integer()
    spend_cap = fields.Integer(allow_none=True)
    balance = fields.Integer(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    sync_status = fields.String()
    platform_id = fields.Integer(allow_none=True)


class AdCampaignSchema(_Base, _Performance):
    meta_campaign_id = fields.String()
    name = fields.String()
    objective = fields.String(allow_none=True)
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    buying_type = fields.String()
    daily_budget = fields.Integer(allow_none=True)
    lifetime_budget = fields.Integer(allow_none=True)
    budget_remaining = fields.Integer(allow_none=True)
    currency = fields.Function(lambda c: c.ad_account.currency if c.ad_account else None)
    start_time = fields.AwareDateTime(allow_none=True)
    stop_time = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    ad_account_id = fields.Integer()


class AdSetSchema(_Base, _Performance):
    meta_adset_id = fields.String()
    name = fields.String()
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    daily_budget = fields.Integer(allow_none=True)
    lifetime_budget = fields.Integer(allow_none=True)
    bid_amount = fields.Integer(allow_none=True)
    billing_event = fields.String()
    optimization_goal = fields.String(allow_none=True)
    targeting = fields.Dict(allow_none=True)
    currency = fields.Function(lambda s: s.campaign.ad_account.currency if s.campaign and s.campaign.ad_account else None)
    start_time = fields.AwareDateTime(allow_none=True)
    end_time = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    campaign_id = fields.Integer()


class AdSchema(_Base, _Performance):
    meta_ad_id = fields.String()
    name = fields.String()
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    creative_id = fields.String(allow_none=True)
    lead_gen_form_id = fields.String(allow_none=True)
    preview_url = fields.String(allow_none=True)
    currency = fields.Function(
        lambda a: (
            a.ad_set.campaign.ad_account.currency if a.ad_set and a.ad_set.campaign and a.ad_set.campaign.ad_account else None
        )
    )
    last_synced_at = fields.AwareDateTime(allow_none=True)
    ad_set_id = fields.Integer()
    campaign_id = fields.Function(lambda a: a.ad_set.campaign_id if a.ad_set else None)


class AdWriteSchema(Schema):
    """One write to Meta, as the object's page and JSON show it."""

    id = fields.Integer()
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    meta_id = fields.String(allow_none=True)
    action = fields.String()
    status = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    meta = fields.Dict(allow_none=True)
    message = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class LeadFormSchema(_Base):
    meta_form_id = fields.String()
    name = fields.String()
    status = fields.String()
    locale = fields.String(allow_none=True)
    questions = fields.List(fields.Dict(), allow_none=True)
    privacy_policy_url = fields.String(allow_none=True)
    thank_you_page_url = fields.String(allow_none=True)
    leads_count = fields.Integer()
    page_id = fields.String()
    ad_account_id = fields.Integer(allow_none=True)
    question_count = fields.Function(lambda form: len(form.questions or []))
    last_lead_at = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)


class LeadSchema(_Base):
    meta_lead_id = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    full_name = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    field_data = fields.List(fields.Dict(), allow_none=True)
    custom_disclaimer_responses = fields.List(fields.Dict(), allow_none=True)
    ad_id = fields.String(allow_none=True)
    ad_name = fields.String(allow_none=True)
    adset_id = fields.String(allow_none=True)
    adset_name = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    campaign_name = fields.String(allow_none=True)
    form_id = fields.String(allow_none=True)
    page_id = fields.String(allow_none=True)
    is_organic = fields.Boolean(allow_none=True)
    is_test = fields.Boolean()
    platform = fields.String(attribute="meta_platform", allow_none=True)
    created_time = fields.AwareDateTime()
    status = fields.String()
    notes = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)
    contacted_at = fields.AwareDateTime(allow_none=True)
    converted_at = fields.AwareDateTime(allow_none=True)
    source = fields.String()
    lead_form_id = fields.Integer(allow_none=True)
    platform_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    erased_at = fields.AwareDateTime(allow_none=True)


class LeadActivitySchema(Schema):
    """One entry of a lead's log."""

    id = fields.Integer()
    action = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    from_value = fields.String(allow_none=True)
    to_value = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    created_at = fields.AwareDateTime()


# -- the pipeline ------------------------------------------------------------------------------


class SyncRunSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    scope = fields.String()
    trigger = fields.String()
    status = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    counts = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)


class WebhookInboxSchema(Schema):
    id = fields.Integer()
    leadgen_id = fields.String(allow_none=True)
    page_id = fields.String(allow_none=True)
    form_id = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    deliveries = fields.Integer()
    last_error = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    lead_id = fields.Integer(allow_none=True)


class OutboundDeliverySchema(Schema):
    id = fields.Integer()
    url = fields.String()
    event = fields.String()
    lead_id = fields.Integer(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)


class PageHealthSchema(Schema):
    """A connected Page as the pipeline shows it: is it subscribed, when did its last webhook come."""

    page_id = fields.String()
    name = fields.String()
    leadgen_subscribed = fields.Boolean()
    last_webhook_at = fields.AwareDateTime(allow_none=True)


class JobFailureSchema(Schema):
    id = fields.Integer()
    func_name = fields.String()
    error_type = fields.String()
    error = fields.String()
    failed_at = fields.AwareDateTime()


# -- the Conversions API for CRM ---------------------------------------------------------------


class ConversionEventSchema(Schema):
    """One stage of a lead sent (or to send) to Meta."""

    id = fields.Integer()
    lead_id = fields.Integer()
    stage = fields.String()
    event_name = fields.String()
    event_id = fields.String()
    reached_at = fields.AwareDateTime()
    status = fields.String()
    sent_at = fields.AwareDateTime(allow_none=True)
    error = fields.String(allow_none=True)


class ConversionBatchSchema(Schema):
    """One call to ``POST /{dataset_id}/events`` and Meta's answer."""

    id = fields.Integer()
    created_at = fields.AwareDateTime()
    dataset_id = fields.String()
    events = fields.Integer()
    events_received = fields.Integer(allow_none=True)
    fbtrace_id = fields.String(allow_none=True)
    test_event_code = fields.String(allow_none=True)
    status = fields.String()
    error = fields.String(allow_none=True)
