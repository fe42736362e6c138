"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:58:34.047668
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hotline.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seen_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["jurisdictions.code"], name=op.f("fk_jurisdictions_parent_code_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jurisdictions")),
    )
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jurisdictions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("key_id", name=op.f("uq_partners_key_id")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status_code_hash", sa.String(length=200), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("reporter_role", sa.String(length=32), nullable=True),
        sa.Column("reporter_institution", sa.String(length=200), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("reporter_anonymous", sa.Boolean(), nullable=False),
        sa.Column("child_name", sa.String(length=100), nullable=True),
        sa.Column("child_age", sa.Integer(), nullable=True),
        sa.Column("child_age_range", sa.String(length=8), nullable=True),
        sa.Column("child_sex", sa.String(length=8), nullable=True),
        sa.Column("child_school", sa.String(length=200), nullable=True),
        sa.Column("child_location_now", sa.String(length=16), nullable=True),
        sa.Column("jurisdiction_code", sa.String(length=12), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column(
            "screening", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("perpetrator_relationship", sa.String(length=24), nullable=True),
        sa.Column(
            "intake", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("urgency", sa.String(length=8), nullable=True),
        sa.Column("urgency_rank", sa.Integer(), nullable=True),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "mandatory_report_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("triaged_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledge_due_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_due_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("triage_enqueued_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("triage_attempts", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["merged_into_id"], ["reports.id"], name=op.f("fk_reports_merged_into_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("channel", "external_id", name="uq_reports_channel_external_id"),
        sa.UniqueConstraint("reference", name=op.f("uq_reports_reference")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_jurisdiction_code"), ["jurisdiction_code"], unique=False)
        batch_op.create_index(
            "ix_reports_received_at",
            ["received_at"],
            unique=False,
            postgresql_include=["id", "urgency", "jurisdiction_code", "status", "triaged_at", "dispatched_at"],
        )
        batch_op.create_index(
            "ix_reports_status_urgency", ["status", "urgency_rank", "acknowledge_due_at"], unique=False
        )

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_type", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=12), nullable=False),
        sa.Column("duty_phone", sa.String(length=20), nullable=False),
        sa.Column("backup_phone", sa.String(length=20), nullable=True),
        sa.Column("voice_phone", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "bad_numbers", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"], ["jurisdictions.code"], name=op.f("fk_agencies_jurisdiction_code_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index("ix_agencies_type_jurisdiction", ["agency_type", "jurisdiction_code"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.String(length=64), nullable=True),
        sa.Column("after", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("chain_seq", sa.Integer(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_audit_events_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_audit_events_chain_seq")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_actor", ["actor_type", "actor_id"], unique=False)
        batch_op.create_index("ix_audit_events_report_time", ["report_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_audit_events_subject", ["subject_type", "subject_id"], unique=False)
        batch_op.create_index("ix_audit_events_unsealed", ["chain_seq", "id"], unique=False)

    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("received_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("category_label", sa.String(length=100), nullable=True),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_work_orders_partner_id_partners")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_work_orders_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("partner_id", "number", name="uq_work_orders_partner_number"),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_orders_report_id"), ["report_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("agency_type", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("routing_note", sa.Text(), nullable=True),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_due_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_twice_due_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_due_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_outcome", sa.String(length=32), nullable=True),
        sa.Column("feedback_note", sa.Text(), nullable=True),
        sa.Column("declined_reason", sa.Text(), nullable=True),
        sa.Column("reply_code", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_assignments_agency_id_agencies")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_assignments_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("report_id", "agency_id", name="uq_assignments_report_agency"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_ack_due", ["status", "acknowledge_due_at"], unique=False)
        batch_op.create_index("ix_assignments_ack_twice_due", ["status", "acknowledge_twice_due_at"], unique=False)
        batch_op.create_index("ix_assignments_agency_status", ["agency_id", "status"], unique=False)
        batch_op.create_index("ix_assignments_feedback_due", ["status", "feedback_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_reply_code"), ["reply_code"], unique=False)
        batch_op.create_index(
            "ix_assignments_report_cover",
            ["report_id"],
            unique=False,
            postgresql_include=[
                "agency_id",
                "agency_type",
                "status",
                "created_at",
                "acknowledge_due_at",
                "feedback_due_at",
                "acknowledged_at",
                "feedback_at",
            ],
        )

    op.create_table(
        "feedback_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_feedback_pushes_work_order_id_work_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_pushes")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_feedback_pushes_dedupe_key")),
    )
    with op.batch_alter_table("feedback_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_pushes_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_pushes_work_order_id"), ["work_order_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("jurisdiction_code", sa.String(length=12), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"], ["jurisdictions.code"], name=op.f("fk_users_jurisdiction_code_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "assignment_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_assignment_notes_assignment_id_assignments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_notes")),
    )
    with op.batch_alter_table("assignment_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_notes_assignment_id"), ["assignment_id"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=True),
        sa.Column("forwarded_from", sa.String(length=32), nullable=True),
        sa.Column("line", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("started_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["users.id"], name=op.f("fk_calls_operator_id_users")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_calls_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_calls_call_sid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_calls_started_at", ["started_at"], unique=False)

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("fired_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_escalations_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_escalations_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("assignment_id", "step", name="uq_escalations_assignment_step"),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_fired_at", ["fired_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_report_id"), ["report_id"], unique=False)

    op.create_table(
        "feedback_push_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("push_id", sa.Integer(), nullable=False),
        sa.Column("at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["push_id"], ["feedback_pushes.id"], name=op.f("fk_feedback_push_attempts_push_id_feedback_pushes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_push_attempts")),
    )
    with op.batch_alter_table("feedback_push_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_push_attempts_push_id"), ["push_id"], unique=False)

    op.create_table(
        "level_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("from_level", sa.String(length=8), nullable=False),
        sa.Column("to_level", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_level_change_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_level_change_requests_report_id_reports")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_level_change_requests_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_change_requests")),
    )
    with op.batch_alter_table("level_change_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_level_change_requests_report_id"), ["report_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_notifications_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_notifications_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_notifications_status_next", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_policy_versions_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
    )
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_versions_version"), ["version"], unique=False)

    op.create_table(
        "triage_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "mandatory_report_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("lead_agency_type", sa.String(length=32), nullable=False),
        sa.Column(
            "assisting_agency_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_triage_decisions_actor_id_users")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_triage_decisions_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_decisions")),
    )
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_decisions_report_id"), ["report_id"], unique=False)

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_call_events_call_id_calls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_events_call_id"), ["call_id"], unique=False)

    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_callback_tasks_call_id_calls")),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name=op.f("fk_callback_tasks_done_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_tasks")),
        sa.UniqueConstraint("call_id", name=op.f("uq_callback_tasks_call_id")),
    )
    with op.batch_alter_table("callback_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_callback_tasks_status", ["status", "urgent"], unique=False)

    op.create_table(
        "intake_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_intake_drafts_call_id_calls")),
        sa.ForeignKeyConstraint(["operator_id"], ["users.id"], name=op.f("fk_intake_drafts_operator_id_users")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_intake_drafts_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_drafts")),
    )
    with op.batch_alter_table("intake_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_drafts_operator_id"), ["operator_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intake_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_drafts_operator_id"))

    op.drop_table("intake_drafts")
    with op.batch_alter_table("callback_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_tasks_status")

    op.drop_table("callback_tasks")
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_events_call_id"))

    op.drop_table("call_events")
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_decisions_report_id"))

    op.drop_table("triage_decisions")
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_versions_version"))

    op.drop_table("policy_versions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_next")
        batch_op.drop_index(batch_op.f("ix_notifications_report_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_provider_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("level_change_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_level_change_requests_report_id"))

    op.drop_table("level_change_requests")
    with op.batch_alter_table("feedback_push_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_push_attempts_push_id"))

    op.drop_table("feedback_push_attempts")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_report_id"))
        batch_op.drop_index("ix_escalations_fired_at")

    op.drop_table("escalations")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_started_at")
        batch_op.drop_index(batch_op.f("ix_calls_report_id"))

    op.drop_table("calls")
    with op.batch_alter_table("assignment_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_notes_assignment_id"))

    op.drop_table("assignment_notes")
    op.drop_table("users")
    with op.batch_alter_table("feedback_pushes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_pushes_work_order_id"))
        batch_op.drop_index("ix_feedback_pushes_status_next")

    op.drop_table("feedback_pushes")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_assignments_report_cover",
            postgresql_include=[
                "agency_id",
                "agency_type",
                "status",
                "created_at",
                "acknowledge_due_at",
                "feedback_due_at",
                "acknowledged_at",
                "feedback_at",
            ],
        )
        batch_op.drop_index(batch_op.f("ix_assignments_reply_code"))
        batch_op.drop_index("ix_assignments_feedback_due")
        batch_op.drop_index("ix_assignments_agency_status")
        batch_op.drop_index("ix_assignments_ack_twice_due")
        batch_op.drop_index("ix_assignments_ack_due")

    op.drop_table("assignments")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_orders_report_id"))

    op.drop_table("work_orders")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_unsealed")
        batch_op.drop_index("ix_audit_events_subject")
        batch_op.drop_index("ix_audit_events_report_time")
        batch_op.drop_index("ix_audit_events_actor")

    op.drop_table("audit_events")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index("ix_agencies_type_jurisdiction")

    op.drop_table("agencies")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_status_urgency")
        batch_op.drop_index(
            "ix_reports_received_at",
            postgresql_include=["id", "urgency", "jurisdiction_code", "status", "triaged_at", "dispatched_at"],
        )
        batch_op.drop_index(batch_op.f("ix_reports_jurisdiction_code"))

    op.drop_table("reports")
    op.drop_table("partners")
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jurisdictions_parent_code"))

    op.drop_table("jurisdictions")
    op.drop_table("heartbeats")
    op.drop_table("api_tokens")
