"""Read-only selects for the console, the API and dashboards. Scoping happens here, in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.lifecycle import OPEN_STATUSES
from hotline.models import Assignment, AuditEvent, LevelChangeRequest, Notification, Report

QUEUE_LIMIT = 200


def open_queue(session: Session, limit: int = QUEUE_LIMIT) -> Sequence[Report]:
    """Open reports, most urgent first, then by acknowledgement deadline.

    Untriaged reports (no level yet) come first: until the engine has looked, assume the worst.
    """
    return session.scalars(
        select(Report)
        .where(Report.status.in_(OPEN_STATUSES))
        .order_by(
            Report.urgency_rank.desc().nulls_first(),
            Report.acknowledge_due_at.asc().nulls_last(),
            Report.received_at.asc(),
        )
        .limit(limit)
    ).all()


def report_by_reference(session: Session, reference: str) -> Report | None:
    return session.scalar(
        select(Report)
        .where(Report.reference == reference.strip().upper())
        .options(selectinload(Report.assignments).selectinload(Assignment.agency), selectinload(Report.decisions))
    )


def timeline(session: Session, report_id: int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.report_id == report_id).order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()


def notifications_for(session: Session, report_id: int) -> Sequence[Notification]:
    return session.scalars(
        select(Notification).where(Notification.report_id == report_id).order_by(Notification.id)
    ).all()


def console_outbox(session: Session, limit: int = 200) -> Sequence[Notification]:
    """What the console channel 'sent', newest first (the embedded default's SMS outbox)."""
    return session.scalars(
        select(Notification)
        .where(Notification.provider == "console")
        .options(selectinload(Notification.report))
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()


def agency_assignments(session: Session, agency_id: int, limit: int = 200) -> Sequence[Assignment]:
    """One agency's assignments, newest first: agency staff see nothing else."""
    return session.scalars(
        select(Assignment)
        .where(Assignment.agency_id == agency_id)
        .options(selectinload(Assignment.report))
        .order_by(Assignment.id.desc())
        .limit(limit)
    ).all()


def level_change_requests(session: Session, report_id: int) -> Sequence[LevelChangeRequest]:
    return session.scalars(
        select(LevelChangeRequest).where(LevelChangeRequest.report_id == report_id).order_by(LevelChangeRequest.id)
    ).all()
