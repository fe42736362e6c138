"""Audit events (who did what, when, before → after) and process heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class AuditEvent(Base):
    """One state change or one view of a report's details. Rows are only ever inserted.

    Tamper evidence: the sweeper seals committed events into a hash chain (``chain_seq`` in
    sealing order, ``hash`` = SHA-256 over the previous hash and the event's content), and
    database triggers refuse any UPDATE of a sealed row and any DELETE (see ``hotline.audit``).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_report_time", "report_id", "occurred_at"),
        Index("ix_audit_events_actor", "actor_type", "actor_id"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # The events the sweeper has still to seal, in id order (a few, among millions sealed).
        Index(
            "ix_audit_events_to_seal",
            "id",
            sqlite_where=text("chain_seq IS NULL"),
            postgresql_where=text("chain_seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))  # user, system, reporter, agency, api
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(String(64))
    after: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    hash: Mapped[str | None] = mapped_column(String(64))


class Heartbeat(Base):
    """Last sign of life of a worker or sweeper process, read by ``/healthz``."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class DashboardSnapshot(Base):
    """The last computation of one supervisor dashboard (scope, area and period), kept when computing
    it live is too slow to do on every view; see ``hotline.snapshots``. Derived data: deleting every
    row loses nothing but speed."""

    __tablename__ = "dashboard_snapshots"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column()
    compute_ms: Mapped[float] = mapped_column()
    refresh_queued_at: Mapped[datetime | None] = mapped_column()
