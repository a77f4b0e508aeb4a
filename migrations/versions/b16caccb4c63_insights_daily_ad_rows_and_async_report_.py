"""insights: daily ad rows and async report runs

metaads_ad_insights holds one row per ad per day of the account's time zone, keyed on (ad, day);
ad sets, campaigns and accounts are summed from it through the ids each row carries (indexed with
the day). metaads_insights_reports keeps each async report run a sync posted, so a resumed sync
polls it rather than posting it again.

Revision ID: b16caccb4c63
Revises: 4704c75cc45f
Create Date: 2026-12-06 11:03:32.234683

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16caccb4c63'
down_revision = '4704c75cc45f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('metaads_insights_reports',
    sa.Column('sync_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ad_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meta_campaign_id', sa.String(length=64), nullable=True),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('report_run_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('pending', 'running', 'stored', 'split', 'failed', name='reportstatus', native_enum=False, length=32), nullable=False),
    sa.Column('async_status', sa.String(length=32), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_account_id'], ['metaads_ad_accounts.id'], name=op.f('fk_metaads_insights_reports_ad_account_id_metaads_ad_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['metaads_insights_reports.id'], name=op.f('fk_metaads_insights_reports_parent_id_metaads_insights_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sync_run_id'], ['metaads_sync_runs.id'], name=op.f('fk_metaads_insights_reports_sync_run_id_metaads_sync_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metaads_insights_reports'))
    )
    with op.batch_alter_table('metaads_insights_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metaads_insights_reports_sync_run_id'), ['sync_run_id'], unique=False)

    op.create_table('metaads_ad_insights',
    sa.Column('ad_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('ad_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ad_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('impressions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('link_clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('reach', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('spend', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('leads', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('actions', sa.JSON(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['metaads_ads.id'], name=op.f('fk_metaads_ad_insights_ad_id_metaads_ads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ad_id', 'date', name=op.f('pk_metaads_ad_insights'))
    )
    with op.batch_alter_table('metaads_ad_insights', schema=None) as batch_op:
        batch_op.create_index('ix_metaads_ad_insights_account_date', ['ad_account_id', 'date'], unique=False)
        batch_op.create_index('ix_metaads_ad_insights_ad_set_date', ['ad_set_id', 'date'], unique=False)
        batch_op.create_index('ix_metaads_ad_insights_campaign_date', ['campaign_id', 'date'], unique=False)



def downgrade():
    with op.batch_alter_table('metaads_ad_insights', schema=None) as batch_op:
        batch_op.drop_index('ix_metaads_ad_insights_campaign_date')
        batch_op.drop_index('ix_metaads_ad_insights_ad_set_date')
        batch_op.drop_index('ix_metaads_ad_insights_account_date')

    op.drop_table('metaads_ad_insights')
    with op.batch_alter_table('metaads_insights_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metaads_insights_reports_sync_run_id'))

    op.drop_table('metaads_insights_reports')
