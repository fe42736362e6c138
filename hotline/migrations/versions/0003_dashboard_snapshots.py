"""Dashboard snapshots: the last computation of a slow supervisor dashboard (see hotline.snapshots).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import hotline.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compute_ms", sa.Double(), nullable=False),
        sa.Column("refresh_queued_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dashboard_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_snapshots")
