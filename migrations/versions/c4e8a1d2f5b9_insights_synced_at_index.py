"""insights: an index on synced_at, so the latest change to stored insights is one lookup

The ads tables keep each object's totals over a date range until stored insights change; they
ask ``max(synced_at)`` on every page, which without this index is a scan of every row.

Revision ID: c4e8a1d2f5b9
Revises: a5d3c8e1f207
Create Date: 2026-12-06 14:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a1d2f5b9'
down_revision = 'a5d3c8e1f207'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_metaads_ad_insights_synced_at', 'metaads_ad_insights', ['synced_at'], unique=False)


def downgrade():
    op.drop_index('ix_metaads_ad_insights_synced_at', table_name='metaads_ad_insights')
