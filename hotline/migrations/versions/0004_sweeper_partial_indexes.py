"""Partial indexes for the sweeper: reports awaiting triage, audit events awaiting their seal.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    received = sa.text("status = 'received'")
    unsealed = sa.text("chain_seq IS NULL")
    op.create_index("ix_reports_awaiting_triage", "reports", ["id"], sqlite_where=received, postgresql_where=received)
    op.create_index("ix_audit_events_to_seal", "audit_events", ["id"], sqlite_where=unsealed, postgresql_where=unsealed)


def downgrade() -> None:
    op.drop_index("ix_audit_events_to_seal", table_name="audit_events")
    op.drop_index("ix_reports_awaiting_triage", table_name="reports")
