"""lead list indexes for keyset paging and email prefix search

The campaign, ad and assignee indexes end in (created_time, id), the keyset the leads list pages
on, so a deep page under those filters starts at its cursor; on PostgreSQL they INCLUDE status,
so the list's per-status counts are index-only scans. The email index uses
varchar_pattern_ops on PostgreSQL, so a search by the beginning of an address (LIKE 'zoe@%')
uses it under any collation; equality still does.

Revision ID: f9f8cfb8bc27
Revises: e2a82a008553
Create Date: 2026-11-24 20:43:32.324423

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f9f8cfb8bc27'
down_revision = 'e2a82a008553'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaads_leads_ad_created'))
        batch_op.create_index(
            'ix_metaads_leads_ad_created',
            ['ad_id', 'created_time', 'id'],
            unique=False,
            postgresql_include=['status'],
        )
        batch_op.drop_index(batch_op.f('ix_metaads_leads_assigned_created'))
        batch_op.create_index(
            'ix_metaads_leads_assigned_created',
            ['assigned_to', 'created_time', 'id'],
            unique=False,
            postgresql_include=['status'],
        )
        batch_op.drop_index(batch_op.f('ix_metaads_leads_campaign_created'))
        batch_op.create_index(
            'ix_metaads_leads_campaign_created',
            ['campaign_id', 'created_time', 'id'],
            unique=False,
            postgresql_include=['status'],
        )
        batch_op.drop_index(batch_op.f('ix_metaads_leads_email'))
        batch_op.create_index(
            'ix_metaads_leads_email', ['email'], unique=False, postgresql_ops={'email': 'varchar_pattern_ops'}
        )


def downgrade():
    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_metaads_leads_email')
        batch_op.create_index(batch_op.f('ix_metaads_leads_email'), ['email'], unique=False)
        batch_op.drop_index('ix_metaads_leads_campaign_created')
        batch_op.create_index(batch_op.f('ix_metaads_leads_campaign_created'), ['campaign_id', 'created_time'], unique=False)
        batch_op.drop_index('ix_metaads_leads_assigned_created')
        batch_op.create_index(batch_op.f('ix_metaads_leads_assigned_created'), ['assigned_to', 'created_time'], unique=False)
        batch_op.drop_index('ix_metaads_leads_ad_created')
        batch_op.create_index(batch_op.f('ix_metaads_leads_ad_created'), ['ad_id', 'created_time'], unique=False)
