"""ads sync: per-account high-water marks and full-pass time; an ad's thumbnail and lead form

The ads sync asks Meta only for what changed after the last ``updated_time`` it saw on each
edge of an account (``ads_sync_marks``), and re-reads everything once a day
(``ads_full_sync_at``) to notice deletions. An ad keeps its creative's thumbnail and the Meta
id of the lead form its call to action opens.

Revision ID: b7e4d2a91c03
Revises: a7d3c5e1f024
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b7e4d2a91c03'
down_revision = 'a7d3c5e1f024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metaads_ad_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ads_sync_marks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('ads_full_sync_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('metaads_ads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thumbnail_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('lead_gen_form_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_metaads_ads_lead_gen_form_id'), ['lead_gen_form_id'], unique=False)


def downgrade():
    with op.batch_alter_table('metaads_ads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaads_ads_lead_gen_form_id'))
        batch_op.drop_column('lead_gen_form_id')
        batch_op.drop_column('thumbnail_url')
    with op.batch_alter_table('metaads_ad_accounts', schema=None) as batch_op:
        batch_op.drop_column('ads_full_sync_at')
        batch_op.drop_column('ads_sync_marks')
