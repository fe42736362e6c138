"""Escalation steps superseded by later deadlines: ``escalations.resolved_at`` (never written)
becomes ``superseded_at``, and the (assignment, step) unique key covers only the steps in force,
so a step whose deadline moved later can fire again at the new one.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CURRENT = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.alter_column("resolved_at", new_column_name="superseded_at")
        batch_op.drop_constraint("uq_escalations_assignment_step", type_="unique")
    op.create_index(
        "uq_escalations_assignment_step_current",
        "escalations",
        ["assignment_id", "step"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    op.drop_index("uq_escalations_assignment_step_current", table_name="escalations")
    # The old key allows one row per (assignment, step): superseded rows are kept under a
    # step name of their own rather than deleted.
    op.execute("UPDATE escalations SET step = step || '@' || CAST(id AS VARCHAR) WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_escalations_assignment_step", ["assignment_id", "step"])
        batch_op.alter_column("superseded_at", new_column_name="resolved_at")
