"""Queue messages as outbox rows in the caller's transaction; delivery starts after its commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Assignment, Notification, Report, utcnow
from hotline.queue import enqueue_after_commit
from hotline.taxonomy import NotificationChannel, NotificationStatus


def queue(
    session: Session,
    *,
    dedupe_key: str,
    recipient: str,
    body: str,
    purpose: str,
    report: Report | None = None,
    assignment: Assignment | None = None,
    channel: str = NotificationChannel.SMS,
    language: str = "zh",
) -> Notification:
    """Add one pending notification (or return the existing one with the same ``dedupe_key``)."""
    existing = session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    now = utcnow()
    notification = Notification(
        dedupe_key=dedupe_key,
        report_id=report.id if report is not None else None,
        assignment_id=assignment.id if assignment is not None else None,
        purpose=purpose,
        channel=channel,
        recipient=recipient,
        language=language,
        body=body,
        status=NotificationStatus.PENDING,
        created_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )
    session.add(notification)
    session.flush()
    queue_name = "notify_low" if purpose.startswith("reporter") else "notify"
    enqueue_after_commit(session, queue_name, "notifications.jobs.deliver", notification.id)
    return notification


def mask_phone(number: str | None) -> str:
    """A phone number with its middle hidden, e.g. ``+86138****0101`` (for lists and the API)."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:-8]}****{number[-4:]}" if len(number) > 8 else f"{number[:3]}****{number[-2:]}"
