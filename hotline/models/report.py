"""A report (one child-protection concern), its triage decisions and its assignments to agencies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow
from hotline.models.directory import Agency


class Report(Base):
    """The intake fields of INTAKE_SCHEMA v1, the current triage outcome and the life-cycle state.

    ``status`` moves only through ``hotline.lifecycle``. ``triage_enqueued_at`` records when the
    triage job was last handed to the queue, so the sweeper can tell lost work from work in flight.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_urgency", "status", "urgency_rank", "acknowledge_due_at"),
        Index(
            "ix_reports_received_at",
            "received_at",
            postgresql_include=["id", "urgency", "jurisdiction_code", "status", "triaged_at", "dispatched_at"],
        ),
        # The sweeper's look for reports still waiting for triage: a handful of rows, where an index
        # on status alone loses to a primary-key scan once the planner knows how few statuses exist.
        Index(
            "ix_reports_awaiting_triage",
            "id",
            sqlite_where=text("status = 'received'"),
            postgresql_where=text("status = 'received'"),
        ),
        UniqueConstraint("channel", "external_id", name="uq_reports_channel_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="received")
    channel: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status_code_hash: Mapped[str] = mapped_column(String(200))

    narrative: Mapped[str] = mapped_column(Text)
    reporter_role: Mapped[str | None] = mapped_column(String(32))
    reporter_institution: Mapped[str | None] = mapped_column(String(200))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    reporter_anonymous: Mapped[bool] = mapped_column(default=False)
    child_name: Mapped[str | None] = mapped_column(String(100))
    child_age: Mapped[int | None]
    child_age_range: Mapped[str | None] = mapped_column(String(8))
    child_sex: Mapped[str | None] = mapped_column(String(8))
    child_school: Mapped[str | None] = mapped_column(String(200))
    child_location_now: Mapped[str | None] = mapped_column(String(16))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(12), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    screening: Mapped[dict[str, Any]] = mapped_column(default=dict)
    perpetrator_relationship: Mapped[str | None] = mapped_column(String(24))
    intake: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the object as received

    urgency: Mapped[str | None] = mapped_column(String(8))
    urgency_rank: Mapped[int | None]  # 3 red … 0 blue, for ordering queues in SQL
    categories: Mapped[list[str]] = mapped_column(default=list)
    mandatory_report_codes: Mapped[list[str]] = mapped_column(default=list)
    triaged_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    acknowledge_due_at: Mapped[datetime | None]
    feedback_due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    triage_enqueued_at: Mapped[datetime | None]
    triage_attempts: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))

    decisions: Mapped[list[TriageDecision]] = relationship(back_populates="report", order_by="TriageDecision.id")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="report", order_by="Assignment.id")


class TriageDecision(Base):
    """One classification of a report: the engine's, or an operator's override. Never edited."""

    __tablename__ = "triage_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # engine, override
    urgency: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(default=list)
    mandatory_report_codes: Mapped[list[str]] = mapped_column(default=list)
    lead_agency_type: Mapped[str] = mapped_column(String(32))
    assisting_agency_types: Mapped[list[str]] = mapped_column(default=list)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(default=list)
    policy_version: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="decisions")


class Assignment(Base):
    """A report dispatched to one agency, as lead (主办) or assisting (协办), with its deadlines."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("report_id", "agency_id", name="uq_assignments_report_agency"),
        Index("ix_assignments_agency_status", "agency_id", "status"),
        Index("ix_assignments_ack_due", "status", "acknowledge_due_at"),
        Index("ix_assignments_feedback_due", "status", "feedback_due_at"),
        # The sweeper's look for steps still to fire: only the assignments not yet reminded.
        Index("ix_assignments_ack_unfired", "status", "ack_overdue_fired", "acknowledge_due_at"),
        Index("ix_assignments_ack_twice_unfired", "status", "ack_overdue_twice_fired", "acknowledge_twice_due_at"),
        Index("ix_assignments_feedback_unfired", "status", "feedback_overdue_fired", "feedback_due_at"),
        Index(
            "ix_assignments_report_cover",
            "report_id",
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
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    agency_type: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(24), default="notified")
    routing_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledge_due_at: Mapped[datetime]
    # Twice the acknowledgement deadline (created + 2 × window): when the supervisor is told.
    acknowledge_twice_due_at: Mapped[datetime | None]
    feedback_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    feedback_at: Mapped[datetime | None]
    feedback_outcome: Mapped[str | None] = mapped_column(String(32))
    feedback_note: Mapped[str | None] = mapped_column(Text)
    declined_reason: Mapped[str | None] = mapped_column(Text)
    # A short code the agency may reply with instead of the reference ("1 483920").
    reply_code: Mapped[str | None] = mapped_column(String(8), index=True)
    # Which of the sweeper's escalation steps have fired (an ``Escalation`` row exists): set with the
    # claim, so an idle sweep reads no assignment it has already escalated. The escalations'
    # unique key, not these flags, is what makes each step fire once.
    ack_overdue_fired: Mapped[bool] = mapped_column(default=False, server_default=false())
    ack_overdue_twice_fired: Mapped[bool] = mapped_column(default=False, server_default=false())
    feedback_overdue_fired: Mapped[bool] = mapped_column(default=False, server_default=false())

    report: Mapped[Report] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()

    def set_deadlines(self, acknowledge_due_at: datetime, feedback_due_at: datetime) -> None:
        """Set both deadlines, and the escalation point at twice the acknowledgement window."""
        self.acknowledge_due_at = acknowledge_due_at
        self.feedback_due_at = feedback_due_at
        self.acknowledge_twice_due_at = acknowledge_due_at + (acknowledge_due_at - self.created_at)

    notes: Mapped[list[AssignmentNote]] = relationship(order_by="AssignmentNote.id")


class AssignmentNote(Base):
    """A progress note an agency adds while handling its assignment."""

    __tablename__ = "assignment_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


# An escalation step still in force; a step superseded by later deadlines may fire again.
CURRENT_ESCALATION = "superseded_at IS NULL"


class Escalation(Base):
    """One escalation step (督办) fired for one assignment; the unique key over the steps in force
    makes each step happen exactly once per deadline, however many sweepers race for it."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index(
            "uq_escalations_assignment_step_current",
            "assignment_id",
            "step",
            unique=True,
            sqlite_where=text(CURRENT_ESCALATION),
            postgresql_where=text(CURRENT_ESCALATION),
        ),
        Index("ix_escalations_fired_at", "fired_at"),
        # The steps whose notices a job has still to write (none, between sweeps), oldest first.
        Index(
            "ix_escalations_notices_pending",
            "notices_enqueued_at",
            sqlite_where=text("notices_enqueued_at IS NOT NULL"),
            postgresql_where=text("notices_enqueued_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    # ack_overdue, ack_overdue_twice, feedback_overdue, delivery_failed, or manual (a supervisor's 督办)
    step: Mapped[str] = mapped_column(String(32))
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # Set when the deadline this step enforced moved later (a lowered level): the step stays in
    # the history, no longer counts as fired, and fires again if the new deadline passes too.
    superseded_at: Mapped[datetime | None]
    # Set while the step's messages are still to be written by a job (the sweeper's steps): when
    # that job was last enqueued, so the sweeper enqueues it again if Redis lost it. NULL once
    # written, and for steps whose message is written with the step (督办, delivery failures).
    notices_enqueued_at: Mapped[datetime | None]

    assignment: Mapped[Assignment] = relationship()


class LevelChangeRequest(Base):
    """An operator's request to lower a red or orange report, awaiting a supervisor.

    It must be decided before the report's acknowledgement deadline (``expires_at``); after that
    it can no longer be approved and the level stands (safety first).
    """

    __tablename__ = "level_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    from_level: Mapped[str] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, approved, rejected, expired
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship()
