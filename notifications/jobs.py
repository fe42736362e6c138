"""Delivery jobs: claim an outbox row, send it through its channel, record the outcome.

At-least-once safe: the claim is a conditional update (``pending → sending``) committed before
the send, so a duplicate job finds nothing to claim. Outcomes (see ``notifications.channels``):
sent; transient failure → ``pending`` again with a later ``next_attempt_at`` (the sweeper
re-enqueues it then); unknown outcome → ``unknown``, reconciled by looking the message up instead
of sending again; permanent failure → ``failed``, the number marked bad, the supervisor alerted
and the agency's backup number tried, in the same commit.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.db import get_db
from hotline.models import Notification, utcnow
from hotline.queue import app_job
from hotline.taxonomy import NotificationStatus
from notifications.channels import Callbacks, Channel, PermanentFailure, TransientFailure, UnknownOutcome
from notifications.channels.console import ConsoleChannel

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
RECONCILE_AFTER = timedelta(seconds=60)
RATE_WAIT_LIMIT = 5.0  # seconds a job waits for the sender's rate limit before retrying later
ACTOR = Actor.system("notification-worker")


def channel_for(app: Flask) -> Channel:
    """The configured channel, built once per app (the Twilio client keeps its connection pool)."""
    channel = app.extensions.get("hotline.channel")
    if channel is None:
        provider = app.config["SMS_PROVIDER"]
        if provider == "console":
            channel = ConsoleChannel()
        elif provider == "twilio":
            from notifications.channels.twilio import TwilioChannel

            channel = TwilioChannel(
                app.config["TWILIO_ACCOUNT_SID"],
                app.config["TWILIO_AUTH_TOKEN"],
                app.config["TWILIO_FROM_NUMBER"],
                api_base=app.config["TWILIO_API_BASE"],
                timeout=app.config["TWILIO_TIMEOUT"],
            )
        else:
            raise ValueError(f"unknown SMS provider {provider!r} (HOTLINE_SMS_PROVIDER)")
        app.extensions["hotline.channel"] = channel
    return channel


def _rate_limiter(app: Flask) -> tuple[MovingWindowRateLimiter, RateLimitItemPerSecond]:
    limiter = app.extensions.get("hotline.sms_limiter")
    if limiter is None:
        storage = RedisStorage(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else MemoryStorage()
        limiter = (MovingWindowRateLimiter(storage), RateLimitItemPerSecond(app.config["SMS_RATE_PER_SECOND"]))
        app.extensions["hotline.sms_limiter"] = limiter
    return limiter


def _wait_for_sending_slot(app: Flask, sender: str) -> bool:
    """Respect the per-sender rate limit (Twilio long codes take about one message a second)."""
    limiter, item = _rate_limiter(app)
    deadline = time.monotonic() + RATE_WAIT_LIMIT
    while not limiter.hit(item, "sms-sender", sender):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def callbacks_for(app: Flask, notification: Notification) -> Callbacks:
    base = app.config["BASE_URL"].rstrip("/")
    return Callbacks(
        status_url=f"{base}/twilio/status",
        voice_gather_url=f"{base}/twilio/notify/gather?n={notification.id}",
    )


@app_job
def deliver(notification_id: int) -> str:
    """Send one notification if it is still pending and due; returns what happened (for logs)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    channel = channel_for(app)
    now = utcnow()
    with get_db(app).session() as session:
        if not _claim(
            session,
            notification_id,
            NotificationStatus.PENDING,
            now,
            status=NotificationStatus.SENDING,
            claimed_at=now,
            provider=channel.name,
            attempts=Notification.attempts + 1,
        ):
            return "not claimed"
        notification = session.get(Notification, notification_id)
        assert notification is not None
        if channel.name != "console" and not _wait_for_sending_slot(app, app.config["TWILIO_FROM_NUMBER"]):
            _retry_later(notification, "sender rate limit", immediate=True)
        else:
            try:
                result = channel.send(notification, callbacks_for(app, notification))
            except TransientFailure as exc:
                _retry_later(notification, str(exc))
            except UnknownOutcome as exc:
                notification.status = NotificationStatus.UNKNOWN
                notification.error_message = str(exc)
                notification.next_attempt_at = utcnow() + RECONCILE_AFTER
                notification.enqueued_at = None
            except PermanentFailure as exc:
                permanent_failure(session, notification, exc.code, exc.message, app.config["HOME_JURISDICTION"])
            else:
                notification.status = result.status
                notification.provider_id = result.provider_id
                notification.sent_at = utcnow()
                notification.error_code = notification.error_message = None
        _audit_attempt(session, notification)
        session.commit()
        return notification.status


@app_job
def deliver_batch(notification_ids: list[int]) -> list[str]:
    """Deliver several notifications in one job (a sweep that escalates thousands at once)."""
    return [deliver(notification_id) for notification_id in notification_ids]


@app_job
def reconcile(notification_id: int) -> str:
    """After an unknown outcome: look the message up; found → sent, not found → send again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    channel = channel_for(app)
    now = utcnow()
    with get_db(app).session() as session:
        if not _claim(
            session,
            notification_id,
            NotificationStatus.UNKNOWN,
            now,
            next_attempt_at=now + RECONCILE_AFTER,
            enqueued_at=now,
        ):
            return "not claimed"
        notification = session.get(Notification, notification_id)
        assert notification is not None
        try:
            found = channel.lookup(notification, since=notification.claimed_at or notification.created_at)
        except UnknownOutcome as exc:
            notification.error_message = str(exc)
            session.commit()
            return "still unknown"
        if found is not None:
            notification.status = NotificationStatus.SENT
            notification.provider_id = found.provider_id
            notification.sent_at = notification.sent_at or now
        else:
            notification.status = NotificationStatus.PENDING
            notification.next_attempt_at = now
        audit.record(
            session,
            ACTOR,
            "notification.reconciled",
            report=notification.report,
            subject_type="notification",
            subject_id=notification.id,
            before=NotificationStatus.UNKNOWN,
            after=notification.status,
        )
        session.commit()
        if notification.status == NotificationStatus.PENDING:
            from hotline.queue import get_queue

            get_queue(app).enqueue("notify", "notifications.jobs.deliver", notification.id)
        return notification.status


def _claim(session: Session, notification_id: int, from_status: str, now: datetime, **values: object) -> bool:
    """Take a due row in ``from_status`` for this job (a conditional update, committed at once);
    False when another job already has it or it is not due."""
    claimed = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == from_status,
            Notification.next_attempt_at <= now,
        )
        .values(**values)
    )
    session.commit()
    return claimed.rowcount == 1


def permanent_failure(session: Session, notification: Notification, code: str, message: str, home_code: str) -> None:
    """Mark the row failed and the number bad; alert the supervisor and try the backup number."""
    from triage.escalation import on_delivery_failed  # escalation sits above the outbox

    notification.status = NotificationStatus.FAILED
    notification.error_code = code
    notification.error_message = message
    on_delivery_failed(session, notification, home_code)


def _retry_later(notification: Notification, error: str, immediate: bool = False) -> None:
    if notification.attempts >= MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.error_code = "retries_exhausted"
        notification.error_message = error
        return
    delay = 1 if immediate else BACKOFF_SECONDS[min(notification.attempts, len(BACKOFF_SECONDS)) - 1]
    notification.status = NotificationStatus.PENDING
    notification.next_attempt_at = utcnow() + timedelta(seconds=delay)
    notification.enqueued_at = None
    notification.error_message = error


def _audit_attempt(session: Session, notification: Notification) -> None:
    audit.record(
        session,
        ACTOR,
        "notification.attempt",
        report=notification.report,
        subject_type="notification",
        subject_id=notification.id,
        before=NotificationStatus.SENDING,
        after=notification.status,
        details={"attempt": notification.attempts, "provider": notification.provider, "error": notification.error_code},
    )
