"""dashboard: leads' qualified_at, and covering insights indexes for range totals

``qualified_at`` joins ``contacted_at`` and ``converted_at``: when a lead first reached the stage,
so the dashboard counts cumulative stages from the lead row alone (a lead that went straight to
converted was qualified too). Existing leads take it from their activity log (the first move to
qualified or converted), else from ``converted_at``, else — a lead that is qualified without a
logged move — from ``updated_at``.

The insights indexes: totals over a range of days group ad-day rows by campaign (the dashboard,
every campaign) or read a page of campaigns (the campaigns list). On PostgreSQL both indexes carry
the additive counts (INCLUDE), so the sums are index-only scans: the rows themselves are wide
(Meta's ``actions`` list) and a range of days is spread over the whole table.

Revision ID: c4e8a2d6f1b3
Revises: c4e8a1d2f5b9
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2d6f1b3'
down_revision = 'c4e8a1d2f5b9'
branch_labels = None
depends_on = None

METRICS = ['impressions', 'clicks', 'spend', 'leads']

BACKFILL = """
UPDATE metaads_leads SET qualified_at = COALESCE(
    (SELECT MIN(a.created_at) FROM metaads_lead_activity a
      WHERE a.lead_id = metaads_leads.id AND a.action IN ('status_changed', 'converted')
        AND a.to_value IN ('qualified', 'converted')),
    converted_at,
    updated_at)
WHERE qualified_at IS NULL AND (
    status IN ('qualified', 'converted') OR converted_at IS NOT NULL
    OR EXISTS (SELECT 1 FROM metaads_lead_activity a
                WHERE a.lead_id = metaads_leads.id AND a.action IN ('status_changed', 'converted')
                  AND a.to_value IN ('qualified', 'converted')))
"""


def upgrade():
    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)

    with op.batch_alter_table('metaads_ad_insights', schema=None) as batch_op:
        batch_op.drop_index('ix_metaads_ad_insights_campaign_date')
        batch_op.create_index(
            'ix_metaads_ad_insights_campaign_date', ['campaign_id', 'date'], unique=False, postgresql_include=METRICS
        )
        batch_op.create_index(
            'ix_metaads_ad_insights_date_campaign',
            ['date', 'campaign_id'],
            unique=False,
            postgresql_include=['ad_account_id', *METRICS],
        )


def downgrade():
    with op.batch_alter_table('metaads_ad_insights', schema=None) as batch_op:
        batch_op.drop_index('ix_metaads_ad_insights_date_campaign')
        batch_op.drop_index('ix_metaads_ad_insights_campaign_date')
        batch_op.create_index('ix_metaads_ad_insights_campaign_date', ['campaign_id', 'date'], unique=False)

    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.drop_column('qualified_at')
