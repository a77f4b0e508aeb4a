"""ad writes: the pending record and audit row of every write to Meta's ads objects

Revision ID: a5d3c8e1f207
Revises: b16caccb4c63
Create Date: 2026-12-06 11:15:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a5d3c8e1f207'
down_revision = 'b16caccb4c63'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('metaads_ad_writes',
    sa.Column('object_type', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.BigInteger(), nullable=True),
    sa.Column('meta_id', sa.String(length=64), nullable=True),
    sa.Column('ad_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'done', 'refused', 'failed', 'unknown', name='writestatus', native_enum=False, length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('request', JSON, nullable=True),
    sa.Column('before', JSON, nullable=True),
    sa.Column('after', JSON, nullable=True),
    sa.Column('meta', JSON, nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['accounts_users.id'], name=op.f('fk_metaads_ad_writes_actor_user_id_accounts_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ad_account_id'], ['metaads_ad_accounts.id'], name=op.f('fk_metaads_ad_writes_ad_account_id_metaads_ad_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metaads_ad_writes')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_metaads_ad_writes_idempotency_key'))
    )
    with op.batch_alter_table('metaads_ad_writes', schema=None) as batch_op:
        batch_op.create_index('ix_metaads_ad_writes_object', ['object_type', 'object_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('metaads_ad_writes', schema=None) as batch_op:
        batch_op.drop_index('ix_metaads_ad_writes_object')
    op.drop_table('metaads_ad_writes')
