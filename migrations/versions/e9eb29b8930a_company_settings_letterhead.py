"""company settings (letterhead)

Revision ID: e9eb29b8930a
Revises: 5a1e0c7d9b21
Create Date: 2026-12-08 01:13:45.707343

"""
import sqlalchemy as sa
from alembic import op

import backend.models.base

# revision identifiers, used by Alembic.
revision = 'e9eb29b8930a'
down_revision = '5a1e0c7d9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('tax_id', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=40), nullable=True),
    sa.Column('logo_size', sa.Integer(), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', backend.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_settings'))
    )


def downgrade():
    op.drop_table('company_settings')
