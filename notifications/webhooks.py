"""What Twilio tells us, as plain functions of the database: delivery status callbacks, SMS
replies from agencies, and keypresses on voice calls. The web layer checks the signature first
and only then calls these; they flush, the view commits.

Status only moves forward (a late "sent" never undoes "delivered"), so duplicate and out-of-order
callbacks are harmless.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from hotline import audit, operations
from hotline.audit import Actor
from hotline.models import Assignment, Notification, Report, utcnow
from hotline.taxonomy import NotificationStatus
from notifications import messages, outbox

ACTOR = Actor.system("twilio-webhook")

# Twilio message and call statuses → our delivery states.
_MESSAGE_STATUS = {
    "accepted": NotificationStatus.SENT,
    "queued": NotificationStatus.SENT,
    "sending": NotificationStatus.SENT,
    "sent": NotificationStatus.SENT,
    "delivered": NotificationStatus.DELIVERED,
    "read": NotificationStatus.DELIVERED,
    "undelivered": NotificationStatus.FAILED,
    "failed": NotificationStatus.FAILED,
    "initiated": NotificationStatus.SENT,
    "ringing": NotificationStatus.SENT,
    "in-progress": NotificationStatus.DELIVERED,
    "answered": NotificationStatus.DELIVERED,
    "completed": NotificationStatus.DELIVERED,
    "busy": NotificationStatus.FAILED,
    "no-answer": NotificationStatus.FAILED,
    "canceled": NotificationStatus.FAILED,
}
_RANK = {
    NotificationStatus.PENDING: 0,
    NotificationStatus.SENDING: 1,
    NotificationStatus.UNKNOWN: 1,
    NotificationStatus.SENT: 2,
    NotificationStatus.DELIVERED: 3,
    NotificationStatus.FAILED: 3,
}

REPLY = re.compile(r"^\s*(?:1|签收|簽收|ack|ok|收到)\s*[,,::]?\s*([A-Za-z]{2}-\d{4}-\d{6}|\d{6})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StatusOutcome:
    notification: Notification | None
    changed: bool
    permanent_failure: bool = False
    retry: bool = False


def apply_status(session: Session, sid: str, provider_status: str, error_code: str | None) -> StatusOutcome:
    """Record a status callback for message or call ``sid``; only ever moves forward."""
    from notifications.channels.twilio import PERMANENT_CODES, TRANSIENT_DELIVERY_CODES

    notification = session.scalar(select(Notification).where(Notification.provider_id == sid))
    new = _MESSAGE_STATUS.get(provider_status.lower())
    if notification is None or new is None:
        return StatusOutcome(notification, False)
    current = NotificationStatus(notification.status)
    if current in (NotificationStatus.DELIVERED, NotificationStatus.FAILED) or _RANK[new] <= _RANK[current]:
        return StatusOutcome(notification, False)
    notification.status = new
    code = int(error_code) if error_code and error_code.isdigit() else None
    if new == NotificationStatus.DELIVERED:
        notification.delivered_at = utcnow()
    elif new == NotificationStatus.FAILED:
        notification.error_code = error_code or provider_status
    _audit(session, notification, current, f"{provider_status} {error_code or ''}".strip())
    return StatusOutcome(
        notification,
        True,
        permanent_failure=new == NotificationStatus.FAILED and code in PERMANENT_CODES,
        retry=new == NotificationStatus.FAILED and code in TRANSIENT_DELIVERY_CODES,
    )


def _audit(session: Session, notification: Notification, before: str, detail: str) -> None:
    audit.record(
        session,
        ACTOR,
        "notification.status",
        report=notification.report,
        subject_type="notification",
        subject_id=notification.id,
        before=before,
        after=notification.status,
        details={"provider_status": detail},
    )


def retry_as_new_attempt(session: Session, failed: Notification) -> Notification:
    """A delivery error worth retrying (unreachable handset): queue the same text again."""
    return outbox.queue(
        session,
        dedupe_key=f"retry:{failed.id}",
        report=failed.report,
        assignment=failed.assignment,
        purpose=failed.purpose,
        channel=failed.channel,
        recipient=failed.recipient,
        language=failed.language,
        body=failed.body,
    )


def _normalise(text: str) -> str:
    """Full-width digits and letters (common on Chinese phones) to ASCII."""
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_reply(body: str) -> str | None:
    """The reference or reply code an acknowledgement names ("1 HX-2026-000123", "签收 483920")."""
    match = REPLY.match(_normalise(body))
    return match.group(1).upper() if match else None


@dataclass(frozen=True)
class ReplyOutcome:
    answer: str
    acknowledged: Assignment | None = None


def handle_sms_reply(session: Session, sender: str, body: str) -> ReplyOutcome:
    """An agency's SMS reply: acknowledge the matching assignment if the sender is registered for it.

    Malformed replies and unknown senders get a helpful answer and an audit event, nothing else.
    """
    key = parse_reply(body)
    if key is None:
        audit.record(session, ACTOR, "sms.reply_malformed", details={"from": outbox.mask_phone(sender)})
        return ReplyOutcome(messages.reply_help("zh"))
    candidates = session.scalars(
        select(Assignment)
        .join(Report, Report.id == Assignment.report_id)
        .where(or_(Report.reference == key, Assignment.reply_code == key))
        .options(joinedload(Assignment.agency), joinedload(Assignment.report))
    ).all()
    mine = [
        a for a in candidates if sender in {a.agency.duty_phone, a.agency.backup_phone, a.agency.voice_phone} - {None}
    ]
    if not mine:
        audit.record(
            session,
            ACTOR,
            "sms.reply_rejected",
            report=candidates[0].report if candidates else None,
            details={"from": outbox.mask_phone(sender), "key": key},
        )
        return ReplyOutcome(messages.reply_unknown_sender("zh") if candidates else messages.reply_help("zh"))
    assignment = mine[0]
    actor = Actor("agency", str(assignment.agency_id), f"{assignment.agency.name} (SMS)")
    try:
        operations.acknowledge(session, assignment, actor, via="sms")
    except operations.AgencyActionError:
        return ReplyOutcome(messages.reply_help(assignment.agency.language))
    return ReplyOutcome(
        messages.reply_acknowledged(assignment.report.reference or "", assignment.agency.language), assignment
    )


def handle_keypress(session: Session, notification_id: int, digits: str) -> bool:
    """A key pressed on a voice call: 1 acknowledges the call's assignment."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.assignment is None or _normalise(digits) != "1":
        return False
    assignment = notification.assignment
    actor = Actor("agency", str(assignment.agency_id), f"{assignment.agency.name} (voice)")
    try:
        operations.acknowledge(session, assignment, actor, via="voice")
    except operations.AgencyActionError:
        return False
    return True
