"""Escalation "fired" flags on assignments, set from the escalations already recorded, and the
indexes the sweeper reads only not-yet-escalated assignments through.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STEPS = ("ack_overdue", "ack_overdue_twice", "feedback_overdue")


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        for step in STEPS:
            batch_op.add_column(sa.Column(f"{step}_fired", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index("ix_assignments_ack_twice_due")
        batch_op.create_index("ix_assignments_ack_unfired", ["status", "ack_overdue_fired", "acknowledge_due_at"])
        batch_op.create_index(
            "ix_assignments_ack_twice_unfired", ["status", "ack_overdue_twice_fired", "acknowledge_twice_due_at"]
        )
        batch_op.create_index(
            "ix_assignments_feedback_unfired", ["status", "feedback_overdue_fired", "feedback_due_at"]
        )
    for step in STEPS:
        op.execute(
            sa.text(
                f"UPDATE assignments SET {step}_fired = :fired WHERE EXISTS (SELECT 1 FROM escalations"  # noqa: S608
                " WHERE escalations.assignment_id = assignments.id AND escalations.step = :step)"
            ).bindparams(fired=True, step=step)
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_feedback_unfired")
        batch_op.drop_index("ix_assignments_ack_twice_unfired")
        batch_op.drop_index("ix_assignments_ack_unfired")
        batch_op.create_index("ix_assignments_ack_twice_due", ["status", "acknowledge_twice_due_at"])
        for step in reversed(STEPS):
            batch_op.drop_column(f"{step}_fired")
