"""The delivery job: claim one outbox row, send it through its channel, record the outcome.

At-least-once safe: the claim is a conditional update (``pending → sending``) committed before
the send, so a duplicate job finds nothing to claim. A transient failure puts the row back to
``pending`` with a later ``next_attempt_at`` (the sweeper re-enqueues it then); a permanent one
marks it ``failed``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from hotline import audit
from hotline.audit import Actor
from hotline.db import get_db
from hotline.models import Notification, utcnow
from hotline.queue import app_job
from hotline.taxonomy import NotificationStatus
from notifications.channels import Channel, PermanentFailure, TransientFailure
from notifications.channels.console import ConsoleChannel

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
ACTOR = Actor.system("notification-worker")


def channel_for(provider: str) -> Channel:
    """The channel object for the configured provider."""
    if provider == "console":
        return ConsoleChannel()
    raise ValueError(f"unknown SMS provider {provider!r} (HOTLINE_SMS_PROVIDER)")


@app_job
def deliver(notification_id: int) -> str:
    """Send one notification if it is still pending and due; returns what happened (for logs)."""
    provider = current_app.config["SMS_PROVIDER"]
    database = get_db()
    now = utcnow()
    with database.session() as session:
        claimed = session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now,
            )
            .values(
                status=NotificationStatus.SENDING,
                claimed_at=now,
                provider=provider,
                attempts=Notification.attempts + 1,
            )
        )
        session.commit()
        if claimed.rowcount != 1:
            return "not claimed"
        notification = session.get(Notification, notification_id)
        assert notification is not None
        try:
            result = channel_for(provider).send(notification)
        except TransientFailure as exc:
            _retry_later(notification, str(exc))
        except PermanentFailure as exc:
            notification.status = NotificationStatus.FAILED
            notification.error_code = exc.code
            notification.error_message = exc.message
        else:
            notification.status = result.status
            notification.provider_id = result.provider_id
            notification.sent_at = utcnow()
            notification.error_code = notification.error_message = None
        audit.record(
            session,
            ACTOR,
            "notification.attempt",
            subject_type="notification",
            subject_id=notification.id,
            before=NotificationStatus.SENDING,
            after=notification.status,
            details={
                "attempt": notification.attempts,
                "provider": provider,
                "error": notification.error_code,
            },
            report=notification.report,
        )
        session.commit()
        return notification.status


def _retry_later(notification: Notification, error: str) -> None:
    if notification.attempts >= MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.error_code = "retries_exhausted"
        notification.error_message = error
        return
    delay = BACKOFF_SECONDS[min(notification.attempts, len(BACKOFF_SECONDS)) - 1]
    notification.status = NotificationStatus.PENDING
    notification.next_attempt_at = utcnow() + timedelta(seconds=delay)
    notification.enqueued_at = None
    notification.error_message = error
