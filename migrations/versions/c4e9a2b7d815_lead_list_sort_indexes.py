"""lead list sort indexes: name, ad name, platform and form, each ending in (created_time, id)

The leads list sorts by name, ad, source (platform), form, status, assignee and time, paging by
keyset (metaads.leads.sorting). Status and assignee are read from the existing (status, ...) and
(assigned_to, ...) indexes; these four let the other sorts start a page at its cursor instead of
sorting every matching lead. The expressions are exactly those the sorts order by.

On PostgreSQL they are built CONCURRENTLY, so leads keep being stored while a large table is
indexed (outside the migration's transaction, as PostgreSQL requires).

Revision ID: c4e9a2b7d815
Revises: c4e8a2d6f1b3
Create Date: 2026-12-08 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4e9a2b7d815"
down_revision = "c4e8a2d6f1b3"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_metaads_leads_name_sort": [sa.text("lower(substr(full_name, 1, 100))"), "created_time", "id"],
    "ix_metaads_leads_ad_name_sort": [sa.text("lower(substr(ad_name, 1, 100))"), "created_time", "id"],
    "ix_metaads_leads_platform_sort": [sa.text("coalesce(meta_platform, 'fb')"), "created_time", "id"],
    "ix_metaads_leads_form_created": ["lead_form_id", "created_time", "id"],
}


def upgrade():
    with op.get_context().autocommit_block():
        for name, columns in INDEXES.items():
            op.create_index(name, "metaads_leads", columns, unique=False, postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.drop_index(name, table_name="metaads_leads", postgresql_concurrently=True)
