"""inbox drops the indexes no query uses

A webhook delivery is one insert into metaads_webhook_inbox, and every insert pays for every
index. Rows are found by status (the status/next_attempt_at index), by lead id (the unique
dedupe_key) or by lead row (lead_id); the page_id and received_at indexes served no query.

Revision ID: 3c1d0e7a9b21
Revises: f9f8cfb8bc27
Create Date: 2026-11-24 23:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c1d0e7a9b21'
down_revision = 'f9f8cfb8bc27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metaads_webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaads_webhook_inbox_received_at'))
        batch_op.drop_index(batch_op.f('ix_metaads_webhook_inbox_page_id'))


def downgrade():
    with op.batch_alter_table('metaads_webhook_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metaads_webhook_inbox_page_id'), ['page_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_metaads_webhook_inbox_received_at'), ['received_at'], unique=False)
