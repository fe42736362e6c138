"""Hotline channels: forwarded phone calls and their callback tasks, operator intake drafts, and
12345 partners with their work orders and the feedback pushed back to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow
from hotline.models.report import Report


class Call(Base):
    """A call that reached the hotline through Twilio Voice (forwarded from 12345/12355, or direct)."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    forwarded_from: Mapped[str | None] = mapped_column(String(32))
    line: Mapped[str] = mapped_column(String(16))  # 12345, 12355, direct
    status: Mapped[str] = mapped_column(String(24), default="ringing")
    urgent: Mapped[bool] = mapped_column(default=False)  # the caller pressed 1: a child in danger now
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    report: Mapped[Report | None] = relationship()
    events: Mapped[list[CallEvent]] = relationship(order_by="CallEvent.id")


class CallEvent(Base):
    """One status change of a call, with what Twilio reported."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(24))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CallbackTask(Base):
    """A caller nobody answered: an operator must call back (urgent first)."""

    __tablename__ = "callback_tasks"
    __table_args__ = (Index("ix_callback_tasks_status", "status", "urgent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship()


class IntakeDraft(Base):
    """What an operator has typed into the call intake form so far (autosaved, never lost)."""

    __tablename__ = "intake_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


class Partner(Base):
    """A platform that sends work orders (the 12345 platform of a city) and receives feedback."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret: Mapped[str] = mapped_column(String(100))  # HMAC key, shared with the partner
    callback_url: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkOrder(Base):
    """A 12345 work order as received, and the report it became."""

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("partner_id", "number", name="uq_work_orders_partner_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    number: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    category_label: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    partner: Mapped[Partner] = relationship()
    report: Mapped[Report] = relationship()


class FeedbackPush(Base):
    """The 回复 step: a closed report's feedback, pushed (signed) to the partner's callback URL."""

    __tablename__ = "feedback_pushes"
    __table_args__ = (Index("ix_feedback_pushes_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    work_order: Mapped[WorkOrder] = relationship()
    attempt_log: Mapped[list[FeedbackPushAttempt]] = relationship(order_by="FeedbackPushAttempt.id")


class FeedbackPushAttempt(Base):
    """One try at pushing feedback: when, what the partner answered, how long it took."""

    __tablename__ = "feedback_push_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("feedback_pushes.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
