"""The sweeper: finds work the queue lost and hands it back, escalates what is overdue, and beats
a heartbeat.

The database is the source of truth: a report still ``received``, or a notification still
``pending`` and due, whose job was enqueued more than ``STALE_AFTER`` seconds ago (or never,
because Redis was down) is enqueued again. Jobs are idempotent, so a spurious re-enqueue is
harmless. A notification stuck in ``sending`` (its worker died mid-send) is returned to
``pending`` for the console channel, where resending is harmless, and marked ``unknown`` for
Twilio, where it must be reconciled instead; due ``unknown`` rows get a reconcile job. Then the
escalation ladder runs (``triage.escalation``), and escalation steps whose message job was lost
are enqueued again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hotline import snapshots
from hotline.audit_chain import seal
from hotline.db import get_db
from hotline.models import Heartbeat, Notification, Report, utcnow
from hotline.queue import get_queue
from hotline.taxonomy import NotificationStatus, ReportStatus
from hotline.workorders import PUSH_JOB, PUSH_QUEUE, due_pushes
from triage.escalation import escalate_due, requeue_lost_notices

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class SweepResult:
    reports_requeued: int = 0
    notifications_requeued: int = 0
    notifications_unstuck: int = 0
    reconciliations: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    audit_sealed: int = 0
    feedback_pushes_requeued: int = 0
    escalation_notices_requeued: int = 0
    snapshots_pruned: int = 0


def sweep(app: Flask, process_name: str = "sweeper") -> SweepResult:
    """One pass: re-enqueue lost triage and delivery work, then record a heartbeat."""
    database = get_db(app)
    job_queue = get_queue(app)
    stale = timedelta(seconds=app.config["STALE_AFTER"])
    result = SweepResult()
    now = utcnow()
    with database.session() as session:
        unstuck = session.execute(
            update(Notification)
            .where(
                Notification.status == NotificationStatus.SENDING,
                Notification.provider == "console",
                Notification.claimed_at < now - 5 * stale,
            )
            .values(status=NotificationStatus.PENDING, enqueued_at=None)
        )
        stuck_unknown = session.execute(
            update(Notification)
            .where(
                Notification.status == NotificationStatus.SENDING,
                Notification.provider != "console",
                Notification.claimed_at < now - 5 * stale,
            )
            .values(status=NotificationStatus.UNKNOWN, next_attempt_at=now, enqueued_at=None)
        )
        result.notifications_unstuck = (unstuck.rowcount or 0) + (stuck_unknown.rowcount or 0)
        report_ids = session.scalars(
            select(Report.id)
            .where(
                Report.status == ReportStatus.RECEIVED,
                or_(Report.triage_enqueued_at.is_(None), Report.triage_enqueued_at < now - stale),
            )
            .order_by(Report.id)
            .limit(BATCH)
        ).all()
        notification_ids = _requeue_notifications(session, NotificationStatus.PENDING, now, stale)
        unknown_ids = _requeue_notifications(session, NotificationStatus.UNKNOWN, now, stale)
        if report_ids:
            session.execute(update(Report).where(Report.id.in_(report_ids)).values(triage_enqueued_at=now))
        push_ids = due_pushes(session, now, stale)
        result.escalations = escalate_due(session, now)
        result.escalation_notices_requeued = requeue_lost_notices(session, now, stale)
        result.audit_sealed = seal(session)
        result.snapshots_pruned = snapshots.prune(session, now)
        _beat(session, process_name, "sweeper")
        session.commit()
    for report_id in report_ids:
        result.reports_requeued += job_queue.enqueue("triage", "triage.jobs.triage_report", report_id)
    for notification_id in notification_ids:
        result.notifications_requeued += job_queue.enqueue("notify", "notifications.jobs.deliver", notification_id)
    for notification_id in unknown_ids:
        result.reconciliations += job_queue.enqueue("notify", "notifications.jobs.reconcile", notification_id)
    for push_id in push_ids:
        result.feedback_pushes_requeued += job_queue.enqueue(PUSH_QUEUE, PUSH_JOB, push_id)
    if (
        report_ids
        or notification_ids
        or unknown_ids
        or push_ids
        or result.notifications_unstuck
        or result.escalation_notices_requeued
        or any(result.escalations.values())
    ):
        log.warning("sweep: %s", result)
    return result


def _requeue_notifications(session: Session, status: str, now: datetime, stale: timedelta) -> list[int]:
    """Notifications in ``status`` that are due and whose job is lost (never enqueued, or longer
    ago than ``stale``), earliest due first, marked enqueued now; the caller enqueues them."""
    ids = list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.status == status,
                Notification.next_attempt_at <= now,
                or_(Notification.enqueued_at.is_(None), Notification.enqueued_at < now - stale),
            )
            .order_by(Notification.next_attempt_at)
            .limit(BATCH)
        )
    )
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids)).values(enqueued_at=now))
    return ids


def _beat(session, name: str, kind: str) -> None:
    heartbeat = session.get(Heartbeat, name)
    if heartbeat is None:
        session.add(Heartbeat(name=name, kind=kind, seen_at=utcnow()))
    else:
        heartbeat.seen_at = utcnow()
