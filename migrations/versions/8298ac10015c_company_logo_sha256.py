"""company settings: logo_sha256 (a new logo shows in the audit log)

Revision ID: 8298ac10015c
Revises: 05e286447d0c
Create Date: 2026-12-08 01:56:28

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8298ac10015c'
down_revision = '05e286447d0c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.drop_column('logo_sha256')
