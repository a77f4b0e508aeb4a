"""leads carry is_test

Test leads (sent through a form's test_leads edge) stay out of counts, exports and follow-ups
unless a filter asks for them. Existing rows are real leads unless their answers are Meta's
testing tool's dummy values.

Revision ID: a7d3c5e1f024
Revises: 3c1d0e7a9b21
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c5e1f024'
down_revision = '3c1d0e7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The marker metaads.leads.test_leads.DUMMY_ANSWER looks for, written out: a migration does not
    # import the code it outlives.
    leads = sa.table('metaads_leads', sa.column('is_test', sa.Boolean()), sa.column('field_data', sa.JSON()))
    op.execute(
        leads.update()
        .where(sa.cast(leads.c.field_data, sa.Text()).like('%<test lead: dummy data for %'))
        .values(is_test=True)
    )


def downgrade():
    with op.batch_alter_table('metaads_leads', schema=None) as batch_op:
        batch_op.drop_column('is_test')
