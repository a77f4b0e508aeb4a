"""Lead forms and leads: the seed's models, plus what the lead path needs to never lose an answer."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metaads.models.base import IdMixin, enum_type, meta_id
from metaads.models.enums import FormStatus, LeadSource, LeadStatus
from plugins.core.extensions import db
from plugins.core.models import Timestamps

if t.TYPE_CHECKING:
    from metaads.models.activity import LeadActivity
    from metaads.models.ads import AdAccount
    from plugins.persons.models import Person
    from plugins.socials.models import SocialPlatform


class LeadForm(IdMixin, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_lead_forms"

    meta_form_id: Mapped[str] = meta_id(unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[FormStatus] = mapped_column(enum_type(FormStatus), default=FormStatus.ACTIVE)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    questions: Mapped[list[t.Any] | None]  # [{key, label, type, options: [{key, value}]}] as Meta sends
    privacy_policy_url: Mapped[str | None]
    thank_you_page_url: Mapped[str | None]
    leads_count: Mapped[int] = mapped_column(default=0, server_default="0")
    page_id: Mapped[str] = meta_id(nullable=False)  # the Facebook Page the form belongs to
    ad_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_ad_accounts.id", ondelete="SET NULL"), index=True)
    created_time: Mapped[dt.datetime | None]  # when the form was created on Meta
    last_lead_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    # The reconciler's high-water mark: newest lead created_time seen through /{form}/leads.
    leads_synced_until: Mapped[dt.datetime | None]
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    ad_account: Mapped[AdAccount | None] = relationship(back_populates="lead_forms")
    leads: Mapped[list[Lead]] = relationship(back_populates="lead_form")


class Lead(IdMixin, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_leads"
    __table_args__ = (
        # The list pages filter on one of these and sort newest first; (created_time, id) is the
        # keyset that keeps deep paging fast on millions of rows.
        sa.Index("ix_metaads_leads_created", "created_time", "id"),
        sa.Index("ix_metaads_leads_status_created", "status", "created_time", "id"),
        sa.Index("ix_metaads_leads_form_status_created", "lead_form_id", "status", "created_time", "id"),
        # Status rides along (PostgreSQL INCLUDE) so the per-status counts of the list's tabs read
        # these indexes alone, never the table.
        sa.Index("ix_metaads_leads_campaign_created", "campaign_id", "created_time", "id", postgresql_include=["status"]),
        sa.Index("ix_metaads_leads_ad_created", "ad_id", "created_time", "id", postgresql_include=["status"]),
        sa.Index("ix_metaads_leads_assigned_created", "assigned_to", "created_time", "id", postgresql_include=["status"]),
        # Pattern ops let a search by the beginning of an email (LIKE 'zoe@%') use the index under
        # any collation (a plain btree serves LIKE only under the "C" collation); = works too.
        sa.Index("ix_metaads_leads_email", "email", postgresql_ops={"email": "varchar_pattern_ops"}),
        sa.Index("ix_metaads_leads_phone", "phone"),
        # The list's other sorts (metaads.leads.sorting), each ending in the (created_time, id)
        # tie-break so a page starts at its cursor: on exactly the expressions the sorts order by
        # (the first 100 characters of a name ignoring case; a missing platform is Facebook's).
        sa.Index("ix_metaads_leads_name_sort", sa.text("lower(substr(full_name, 1, 100))"), "created_time", "id"),
        sa.Index("ix_metaads_leads_ad_name_sort", sa.text("lower(substr(ad_name, 1, 100))"), "created_time", "id"),
        sa.Index("ix_metaads_leads_platform_sort", sa.text("coalesce(meta_platform, 'fb')"), "created_time", "id"),
        # By form (its name): each form's leads in time order, whatever their status.
        sa.Index("ix_metaads_leads_form_created", "lead_form_id", "created_time", "id"),
    )

    meta_lead_id: Mapped[str] = meta_id(unique=True, nullable=False)

    email: Mapped[str | None] = mapped_column(sa.String(320))  # lower-cased
    phone: Mapped[str | None] = mapped_column(sa.String(32))  # E.164 when it parses; the raw answer stays in field_data
    full_name: Mapped[str | None]
    first_name: Mapped[str | None]
    last_name: Mapped[str | None]
    # Every answer verbatim: [{"name": key, "values": [...]}] exactly as Meta sent field_data.
    field_data: Mapped[list[t.Any] | None]
    custom_disclaimer_responses: Mapped[list[t.Any] | None]

    ad_id: Mapped[str | None] = mapped_column(sa.String(64))
    ad_name: Mapped[str | None]
    adset_id: Mapped[str | None] = meta_id()
    adset_name: Mapped[str | None]
    campaign_id: Mapped[str | None] = mapped_column(sa.String(64))
    campaign_name: Mapped[str | None]
    form_id: Mapped[str | None] = meta_id()
    page_id: Mapped[str | None] = meta_id()
    is_organic: Mapped[bool | None]
    meta_platform: Mapped[str | None] = mapped_column(sa.String(16))  # Meta's "platform": fb / ig
    # Sent through a form's test_leads edge (ours or Meta's testing tool), not by a person: kept out
    # of counts, exports and follow-ups unless asked for (see metaads.capture.test_leads).
    is_test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    created_time: Mapped[dt.datetime]  # when the person submitted the form (UTC)

    status: Mapped[LeadStatus] = mapped_column(enum_type(LeadStatus), default=LeadStatus.NEW)
    notes: Mapped[str | None]
    assigned_to: Mapped[str | None] = mapped_column(sa.String(64))  # user id
    # When the lead first reached each stage. Stages are cumulative: a lead that went straight
    # from new to converted was contacted and qualified too, so all three are set at once.
    contacted_at: Mapped[dt.datetime | None]
    qualified_at: Mapped[dt.datetime | None]
    converted_at: Mapped[dt.datetime | None]

    source: Mapped[LeadSource] = mapped_column(enum_type(LeadSource), default=LeadSource.WEBHOOK)
    fetched_at: Mapped[dt.datetime | None]  # last time the answers were read from Graph
    erased_at: Mapped[dt.datetime | None]  # personal data removed (retention or an erasure request)

    lead_form_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_lead_forms.id", ondelete="SET NULL"))
    platform_id: Mapped[int | None] = mapped_column(sa.ForeignKey("socials_platforms.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    lead_form: Mapped[LeadForm | None] = relationship(back_populates="leads")
    platform: Mapped[SocialPlatform | None] = relationship()
    person: Mapped[Person | None] = relationship()
    activities: Mapped[list[LeadActivity]] = relationship(back_populates="lead", order_by="LeadActivity.id")
