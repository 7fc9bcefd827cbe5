"""stocktake counts: received_at and clock_suspect; lines: clock_suspect

Revision ID: 5a1e0c7d9b21
Revises: 3c16d59fb783
Create Date: 2026-12-02 07:30:00

"""
import sqlalchemy as sa
from alembic import op

import backend.models.base

# revision identifiers, used by Alembic.
revision = '5a1e0c7d9b21'
down_revision = '3c16d59fb783'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stocktake_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', backend.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clock_suspect', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_suspect', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.drop_column('clock_suspect')

    with op.batch_alter_table('stocktake_counts', schema=None) as batch_op:
        batch_op.drop_column('clock_suspect')
        batch_op.drop_column('received_at')
