"""Escalation steps whose messages a job has still to write (``escalations.notices_enqueued_at``
and its partial index); the audit events' (chain_seq, id) index, which the chain's unique key
and the partial index of events to seal have replaced, is dropped.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import hotline.models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pending = sa.text("notices_enqueued_at IS NOT NULL")
    column = sa.Column("notices_enqueued_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(column)
    op.create_index(
        "ix_escalations_notices_pending",
        "escalations",
        ["notices_enqueued_at"],
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")


def downgrade() -> None:
    pending = op.get_bind().scalar(sa.text("SELECT count(*) FROM escalations WHERE notices_enqueued_at IS NOT NULL"))
    if pending:
        raise RuntimeError(
            f"{pending} escalation steps still await their messages: run the workers until none does, then downgrade"
        )
    op.create_index("ix_audit_events_unsealed", "audit_events", ["chain_seq", "id"])
    op.drop_index("ix_escalations_notices_pending", table_name="escalations")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("notices_enqueued_at")
