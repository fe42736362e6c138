"""Read-only selects for the console, the API and dashboards. Scoping happens here, in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session, selectinload

from hotline.lifecycle import OPEN_STATUSES
from hotline.models import Assignment, AuditEvent, LevelChangeRequest, Notification, Report
from hotline.taxonomy import ReportStatus

QUEUE_LIMIT = 200


def open_queue(
    session: Session, limit: int = QUEUE_LIMIT, scope: ColumnElement[bool] | None = None
) -> Sequence[Report]:
    """Open reports, most urgent first, then by acknowledgement deadline.

    Untriaged reports (no level yet) come first: until the engine has looked, assume the worst.
    """
    return session.scalars(
        select(Report)
        .where(Report.status.in_(OPEN_STATUSES), scope if scope is not None else true())
        .order_by(
            Report.urgency_rank.desc().nulls_first(),
            Report.acknowledge_due_at.asc().nulls_last(),
            Report.received_at.asc(),
        )
        .limit(limit)
    ).all()


def report_by_reference(session: Session, reference: str, scope: ColumnElement[bool] | None = None) -> Report | None:
    """The report with this reference, if it is within ``scope`` (a SQL condition; None: any)."""
    return session.scalar(
        select(Report)
        .where(Report.reference == reference.strip().upper(), scope if scope is not None else true())
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


def closings(session: Session, report_id: int) -> int:
    """How many times a report has been closed (a reopened report closed again counts twice)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.report_id == report_id,
                AuditEvent.action == "report.status",
                AuditEvent.after == ReportStatus.CLOSED,
            )
        )
        or 0
    )


def jurisdiction_prefix(code: str) -> str:
    """The code prefix every division inside ``code`` shares: 330100 (a city) → "3301"."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


AUDIT_PAGE = 200


def audit_events(
    session: Session,
    *,
    within: str | None,
    reference: str | None = None,
    actor: str | None = None,
    agency_id: int | None = None,
    action: str | None = None,
    limit: int = AUDIT_PAGE,
) -> Sequence[AuditEvent]:
    """Audit events, newest first, filtered; ``within`` limits them to reports of a jurisdiction
    (events about no report — logins, policy changes — are then left out). None means everything."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if within is not None:
        query = query.join(Report, Report.id == AuditEvent.report_id).where(
            Report.jurisdiction_code.like(f"{jurisdiction_prefix(within)}%")
        )
    if reference:
        report_id = select(Report.id).where(Report.reference == reference.strip().upper()).scalar_subquery()
        query = query.where(AuditEvent.report_id == report_id)
    if actor:
        query = query.where((AuditEvent.actor_label == actor) | (AuditEvent.actor_id == actor))
    if agency_id is not None:
        query = query.where(
            ((AuditEvent.subject_type == "agency") & (AuditEvent.subject_id == str(agency_id)))
            | ((AuditEvent.actor_type == "agency") & (AuditEvent.actor_id == str(agency_id)))
        )
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    return session.scalars(query).all()
