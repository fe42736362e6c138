"""The outbox: one row per message to send, written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow
from hotline.models.report import Assignment, Report


class Notification(Base):
    """An SMS or voice call to an agency or a reporter, and what became of it.

    ``dedupe_key`` is unique: queuing the same message for the same cause twice (a retried job)
    inserts nothing new. A delivery job claims the row by moving it ``pending → sending``.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    purpose: Mapped[str] = mapped_column(String(32))  # dispatch, reporter_receipt, escalation…
    channel: Mapped[str] = mapped_column(String(8))  # sms, voice
    provider: Mapped[str] = mapped_column(String(16), default="")  # console, twilio: set when sent
    recipient: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report | None] = relationship()
    assignment: Mapped[Assignment | None] = relationship()
