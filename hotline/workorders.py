"""12345 work orders: partner credentials, signed requests, the mapping onto the intake schema,
and the feedback (回复) pushed back to the partner when a report is closed.

Signing, both ways: ``hex(HMAC-SHA256(secret, "<unix seconds>.<raw body>"))`` in
``X-Hotline-Signature``, the seconds in ``X-Hotline-Timestamp`` and the partner's key id in
``X-Hotline-Key``. A request more than ``SIGNATURE_WINDOW`` off our clock is refused, and so is a
signature seen before within that window (remembered in Redis; see ``remember_signature``).

Feedback pushes follow the outbox pattern of ``notifications.jobs``: ``queue_feedback_push`` adds a
``FeedbackPush`` row in the caller's transaction and enqueues ``push_feedback`` after commit; the
job claims the row (``pending → sending``), posts it with an HTTP timeout, records the attempt and
either finishes it or schedules the next try with exponential backoff; ``due_pushes`` lets the
sweeper hand back whatever Redis lost. Nothing here reads a Flask request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
import urllib3
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from hotline import audit, queries
from hotline.audit import Actor
from hotline.db import get_db
from hotline.models import (
    Assignment,
    FeedbackPush,
    FeedbackPushAttempt,
    Partner,
    Report,
    WorkOrder,
    utcnow,
)
from hotline.queue import app_job, enqueue_after_commit
from hotline.taxonomy import AssignmentRole, AssignmentStatus, Channel
from intake_forms.schema import MAX_NARRATIVE_CHARS, IntakeData, IntakeError, normalise_phone, parse_intake

log = logging.getLogger(__name__)

KEY_HEADER = "X-Hotline-Key"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
SIGNATURE_WINDOW = 300  # seconds a signed request stays acceptable either side of our clock

PUSH_QUEUE = "notify"
PUSH_JOB = "hotline.workorders.push_feedback"
PUSH_CONNECT_TIMEOUT = 5.0
PUSH_READ_TIMEOUT = 10.0
PUSH_MAX_ATTEMPTS = 12
PUSH_BACKOFF_BASE = 30  # seconds before the second try; doubled each time…
PUSH_BACKOFF_CAP = 3600  # …up to an hour: twelve tries span about five hours
PUSH_LEASE = timedelta(minutes=5)  # a claimed push whose worker died is tried again after this
ACTOR = Actor.system("feedback-push")


# --- Signing -----------------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature of one request or push: hex HMAC-SHA256 of ``b"<timestamp>." + body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(partner: Partner, body: bytes) -> dict[str, str]:
    """The three authentication headers for ``body``, signed with the partner's secret now."""
    timestamp = int(time.time())
    return {
        KEY_HEADER: partner.key_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(partner.secret, timestamp, body),
    }


class AuthError(Exception):
    """A request whose signature cannot be accepted; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{64}")


def authenticate(
    session: Session,
    nonces: redis.Redis,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> Partner:
    """The active partner that signed this request, or ``AuthError``.

    The signature is checked (in constant time) before the clock, so a stranger learns nothing
    but "bad signature"; an accepted signature is then remembered so the same request cannot be
    played again while its timestamp is still fresh.
    """
    key_id = headers.get(KEY_HEADER, "").strip()
    timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    signature = headers.get(SIGNATURE_HEADER, "").strip()
    if not (key_id and timestamp and signature):
        raise AuthError(
            "missing_signature",
            f"需要 {KEY_HEADER}、{TIMESTAMP_HEADER} 与 {SIGNATURE_HEADER} / these three headers are required",
        )
    partner = session.scalar(select(Partner).where(Partner.key_id == key_id))
    if partner is None or not partner.active:
        raise AuthError("unknown_key", "密钥编号无效或已停用 / unknown or disabled key id")
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise AuthError("bad_timestamp", f"{TIMESTAMP_HEADER} 应为 Unix 秒数 / must be Unix seconds")
    expected = sign(partner.secret, timestamp, body)
    if not _SIGNATURE_RE.fullmatch(signature) or not hmac.compare_digest(expected, signature.lower()):
        raise AuthError("bad_signature", "签名不符 / the signature does not match the body")
    age = now.timestamp() - int(timestamp)
    if abs(age) > SIGNATURE_WINDOW:
        raise AuthError(
            "stale_timestamp",
            f"时间戳与服务器时间相差超过 {SIGNATURE_WINDOW} 秒 / timestamp more than {SIGNATURE_WINDOW} s off",
        )
    if not remember_signature(nonces, partner.id, signature.lower(), ttl=int(SIGNATURE_WINDOW - age) + 1):
        raise AuthError("replayed", "该签名已使用过,请以新时间戳重新签名 / replayed request: sign it again")
    return partner


def remember_signature(nonces: redis.Redis, partner_id: int, signature: str, ttl: int) -> bool:
    """Record a signature as used until its timestamp leaves the window; False if it already was.

    Redis ``SET NX EX`` is atomic across web processes and forgets by itself. If Redis cannot be
    reached the request is let through (logged): the endpoint is idempotent on the work-order
    number, so a replay can only return the same answer again, while refusing would lose a report.
    """
    try:
        return bool(nonces.set(f"hotline:workorder-signature:{partner_id}:{signature}", 1, nx=True, ex=max(ttl, 1)))
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("replay check skipped, Redis unavailable: %s", exc)
        return True


# --- The work order and its mapping onto INTAKE_SCHEMA ------------------------------------------

NUMBER_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,47}")
DIVISION_CODE_RE = re.compile(r"[0-9]{6}(?:[0-9]{3}){0,2}")
URL_RE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][^\x00-\x20\x7f]*)?")
RFC3339_RE = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_h>[0-9]{2}):(?P<off_m>[0-9]{2}))"
)
MAX_ATTACHMENTS = 20
MAX_URL_CHARS = 500
EARLIEST_RECEIVED_AT = datetime(2000, 1, 1, tzinfo=UTC)
RECEIVED_AT_FUTURE_SLACK = timedelta(minutes=10)
_FIELDS = {"number", "received_at", "category", "caller", "area", "text", "attachments"}

# Where an intake field came from in the work order, so errors name what the partner sent.
_INTAKE_TO_ORDER = {
    "id": "number",
    "received_at": "received_at",
    "narrative": "text",
    "reporter.name": "caller.name",
    "reporter.phone": "caller.phone",
    "jurisdiction.code": "area.division_code",
    "jurisdiction.address": "area.address",
}


class WorkOrderError(ValueError):
    """A work order with invalid fields; ``errors`` maps each field (as the partner named it) to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ParsedWorkOrder:
    """A validated work order: what the report is made of, and what only the work order keeps."""

    number: str
    category: str
    intake: IntakeData
    payload: dict[str, Any]
    warnings: dict[str, str] = field(default_factory=dict)


def parse_work_order(data: Any, partner_id: int, now: datetime) -> ParsedWorkOrder:
    """Validate a work-order object and map it onto INTAKE_SCHEMA (channel ``workorder_12345``).

    Malformed fields raise ``WorkOrderError`` naming each one. Two things never make us refuse a
    child-protection report, only warn: a caller number that is not a valid phone number (12345
    platforms often mask it; it stays on the work order, no SMS goes to it) and an implausible
    receipt time (before 2000 or in the future; our own receipt time is used).

    The intake id is ``"<partner id>:<number>"``: two cities' platforms may number orders alike,
    and reports are unique per channel and id.
    """
    if not isinstance(data, dict):
        raise WorkOrderError({"": "应为 JSON 对象 / must be a JSON object"})
    errors = {key: "未知字段 / unknown field" for key in data if key not in _FIELDS}
    warnings: dict[str, str] = {}

    number = data.get("number")
    if not isinstance(number, str) or not NUMBER_RE.fullmatch(number):
        errors["number"] = "必填,字母、数字或 . _ -(最多 48 位)/ required: letters, digits, . _ - (at most 48)"
        number = None
    category = _required_text(data, "category", errors, 100)
    text = _required_text(data, "text", errors, MAX_NARRATIVE_CHARS)

    received_at = _received_at(data.get("received_at"), now, errors, warnings)

    caller = _section(data, "caller", {"phone", "name"}, errors)
    caller_name = _optional_text(caller, "name", "caller.name", errors, 100)
    caller_phone = _optional_text(caller, "phone", "caller.phone", errors, 40)
    if caller_phone is not None:
        try:
            caller_phone = normalise_phone(caller_phone)
        except ValueError:
            warnings["caller.phone"] = "不是有效号码,仅保存在工单中 / not a valid number: kept on the work order only"
            caller_phone = None

    area = _section(data, "area", {"division_code", "address"}, errors)
    division_code = area.get("division_code")
    if division_code is not None and not (isinstance(division_code, str) and DIVISION_CODE_RE.fullmatch(division_code)):
        errors["area.division_code"] = "应为 6、9 或 12 位行政区划代码 / must be a 6, 9 or 12 digit division code"
        division_code = None
    address = _optional_text(area, "address", "area.address", errors, 200)

    _check_attachments(data.get("attachments"), errors)
    if errors:
        raise WorkOrderError(errors)
    assert number is not None and category is not None and text is not None  # guaranteed when no errors

    intake_object: dict[str, Any] = {
        "id": f"{partner_id}:{number}",
        "channel": Channel.WORKORDER_12345.value,
        "reporter": {"name": caller_name, "phone": caller_phone},
        "jurisdiction": {"code": division_code, "address": address},
        "narrative": text,
    }
    if received_at is not None:
        intake_object["received_at"] = received_at.isoformat()
    try:
        intake = parse_intake(intake_object)
    except IntakeError as exc:
        raise WorkOrderError(
            {_INTAKE_TO_ORDER.get(path, path): message for path, message in exc.errors.items()}
        ) from exc
    return ParsedWorkOrder(number, category, intake, data, warnings)


def clean_json(value: Any) -> Any:
    """A decoded JSON value without NUL characters (PostgreSQL stores none; they mean nothing in
    text); ``ValueError`` if a string holds a lone surrogate, which no database can store."""
    if isinstance(value, str):
        value.encode()
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_json(key): clean_json(item) for key, item in value.items()}
    return value


def _required_text(data: dict[str, Any], key: str, errors: dict[str, str], limit: int) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        errors[key] = "必填文本 / required, a non-empty string"
        return None
    if len(value) > limit:
        errors[key] = f"过长(最多 {limit} 字)/ too long (at most {limit} characters)"
        return None
    return value.strip()


def _optional_text(data: dict[str, Any], key: str, path: str, errors: dict[str, str], limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[path] = "应为文本 / must be a string"
        return None
    if len(value) > limit:
        errors[path] = f"过长(最多 {limit} 字)/ too long (at most {limit} characters)"
        return None
    return value.strip() or None


def _section(data: dict[str, Any], key: str, allowed: set[str], errors: dict[str, str]) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[key] = "应为对象 / must be an object"
        return {}
    errors.update({f"{key}.{name}": "未知字段 / unknown field" for name in value if name not in allowed})
    return value


def _received_at(value: Any, now: datetime, errors: dict[str, str], warnings: dict[str, str]) -> datetime | None:
    """An RFC 3339 time with its offset (what OpenAPI calls ``date-time``), as aware UTC.

    None with an error if it is not one; None with a warning if it is implausible (before 2000,
    later than a few minutes from now, or beyond what a datetime holds in UTC).
    """
    match = RFC3339_RE.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError("not RFC 3339")
        offset = timedelta(0)
        if match["sign"]:
            if int(match["off_h"]) > 23 or int(match["off_m"]) > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=int(match["off_h"]), minutes=int(match["off_m"]))
            offset = -offset if match["sign"] == "-" else offset
        local = datetime.fromisoformat(
            f"{match['date']}T{match['hour']}:{match['minute']}:{min(int(match['second']), 59):02d}"
        ).replace(  # RFC 3339 allows a leap second (:60); Python does not, so it becomes :59
            microsecond=int((match["fraction"] or "0")[:6].ljust(6, "0")), tzinfo=timezone(offset)
        )
    except ValueError:
        errors["received_at"] = "必填,RFC 3339 时间(带时区)/ required, an RFC 3339 date-time with its offset"
        return None
    try:
        received_at = local.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00, a valid RFC 3339 time before year 1 in UTC
        received_at = None
    if received_at is None or not EARLIEST_RECEIVED_AT <= received_at <= now + RECEIVED_AT_FUTURE_SLACK:
        warnings["received_at"] = "时间不合理,已改用本系统受理时间 / implausible time: our receipt time is used"
        return None
    return received_at


def _check_attachments(value: Any, errors: dict[str, str]) -> None:
    """Attachments are links to files 12345 holds: http(s) only, since operators open them."""
    if value is None:
        return
    if not isinstance(value, list):
        errors["attachments"] = "应为网址列表 / must be a list of URLs"
        return
    if len(value) > MAX_ATTACHMENTS:
        errors["attachments"] = f"最多 {MAX_ATTACHMENTS} 个 / at most {MAX_ATTACHMENTS}"
        return
    for index, url in enumerate(value):
        if not isinstance(url, str) or len(url) > MAX_URL_CHARS or not URL_RE.fullmatch(url):
            errors[f"attachments[{index}]"] = (
                f"应为 http(s) 网址(最多 {MAX_URL_CHARS} 字)/ must be an http(s) URL (at most {MAX_URL_CHARS})"
            )


def find_work_order(session: Session, partner_id: int, number: str) -> WorkOrder | None:
    """The partner's work order with this number, if it was received before."""
    return session.scalar(select(WorkOrder).where(WorkOrder.partner_id == partner_id, WorkOrder.number == number))


def record_work_order(session: Session, partner: Partner, order: ParsedWorkOrder, report: Report) -> WorkOrder:
    """Link a newly submitted report to the work order it came from (flushed, not committed)."""
    work_order = WorkOrder(
        partner_id=partner.id,
        number=order.number,
        report_id=report.id,
        received_at=report.received_at,
        category_label=order.category,
        payload=order.payload,
    )
    session.add(work_order)
    session.flush()
    return work_order


# --- Partners -----------------------------------------------------------------------------------


def create_partner(session: Session, name: str, callback_url: str | None) -> tuple[str, str]:
    """Register a partner platform; returns its key id and secret (shown once, to hand over).

    The callback URL must be https, except on this machine (tests, demos): feedback leaves the
    hotline through it. Flushed and audited, not committed.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("name must be 1 to 100 characters")
    if callback_url is not None:
        check_callback_url(callback_url)
    key_id = f"wo_{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    partner = Partner(name=name, key_id=key_id, secret=secret, callback_url=callback_url, created_at=utcnow())
    session.add(partner)
    session.flush()
    audit.record(
        session,
        Actor.system("hotline partner create"),
        "partner.created",
        subject_type="partner",
        subject_id=partner.id,
        details={"name": name, "key_id": key_id, "callback_url": callback_url},
    )
    return key_id, secret


def check_callback_url(url: str) -> None:
    """``ValueError`` unless ``url`` is an absolute https URL (or http to a loopback host)."""
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("callback URL must be an absolute http(s) URL of at most 500 characters")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("callback URL must use https (http only to this machine)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- Feedback pushed back to the partner (回复) ------------------------------------------------

# The reply text per outcome: the agency's name and what happened, never a name or the narrative.
_REPLIES = {
    "case_opened": "经{agency}核查处置,已立案办理。",
    "placed_in_care": "经{agency}处置,儿童已得到妥善安置照护。",
    "referred_on": "已由{agency}转交有关单位继续办理。",
    "unfounded": "经{agency}核查,未发现反映的情况。",
    "other": "已由{agency}处置完毕。",
}
_REPLY_DEFAULT = "已由{agency}处置完毕。"


def queue_feedback_push(session: Session, report: Report) -> FeedbackPush | None:
    """After ``close_report``: queue the signed feedback to the partner the report came from.

    None when the report did not come from a work order or its partner has no callback URL.
    One push per closing (a reopened report closed again pushes again); calling this twice in the
    same closing changes nothing. Flushes; the job is enqueued when the caller commits.
    """
    work_order = session.scalar(select(WorkOrder).where(WorkOrder.report_id == report.id))
    if work_order is None or not work_order.partner.callback_url:
        return None
    closings = queries.closings(session, report.id)
    dedupe_key = f"closure:{work_order.id}:{closings}"
    existing = session.scalar(select(FeedbackPush).where(FeedbackPush.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    now = utcnow()
    push = FeedbackPush(
        work_order_id=work_order.id,
        dedupe_key=dedupe_key,
        payload=feedback_payload(report, work_order, event_id=f"{report.reference}/closed/{closings}"),
        status="pending",
        created_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )
    session.add(push)
    session.flush()
    enqueue_after_commit(session, PUSH_QUEUE, PUSH_JOB, push.id)
    return push


def feedback_payload(report: Report, work_order: WorkOrder, event_id: str) -> dict[str, Any]:
    """What the partner is told when a report closes: status, the lead's outcome, the agency, the
    time and a short reply. Built from codes and the agency's name only: no child or reporter
    name, no narrative, no agency note (which may contain either)."""
    lead = _lead_assignment(report)
    agency = lead.agency.name if lead is not None else None
    outcome = lead.feedback_outcome if lead is not None else None
    reply = _REPLIES.get(outcome or "", _REPLY_DEFAULT).format(agency=agency or "本热线")
    closed_at = report.closed_at or utcnow()
    return {
        "event_id": event_id,
        "event": "report.closed",
        "work_order": work_order.number,
        "reference": report.reference,
        "status": report.status,
        "outcome": outcome,
        "agency": agency,
        "closed_at": closed_at.astimezone(UTC).isoformat(),
        "reply": f"{reply}本事项已办结(编号 {report.reference})。",
    }


def _lead_assignment(report: Report) -> Assignment | None:
    active = [a for a in report.assignments if a.status not in (AssignmentStatus.CANCELLED, AssignmentStatus.DECLINED)]
    return next((a for a in active if a.role == AssignmentRole.LEAD), active[0] if active else None)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 60 s, 120 s… at most an hour."""
    return timedelta(seconds=min(PUSH_BACKOFF_BASE * 2 ** (attempts - 1), PUSH_BACKOFF_CAP))


def is_permanent(status_code: int) -> bool:
    """A client error the partner will answer the same way next time (408 and 429 are not)."""
    return 400 <= status_code < 500 and status_code not in (408, 429)


@app_job
def push_feedback(push_id: int) -> str:
    """Post one pending, due feedback push to the partner; returns what happened (for logs).

    The claim (``pending → sending``, with a lease in ``next_attempt_at``) is committed before the
    request, so a duplicate job finds nothing to claim. Each try is signed afresh (the partner's
    clock window applies to every delivery) and recorded as a ``FeedbackPushAttempt``.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    with get_db(app).session() as session:
        claimed = session.execute(
            update(FeedbackPush)
            .where(FeedbackPush.id == push_id, FeedbackPush.status == "pending", FeedbackPush.next_attempt_at <= now)
            .values(status="sending", attempts=FeedbackPush.attempts + 1, next_attempt_at=now + PUSH_LEASE)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if claimed.rowcount != 1:
            return "not claimed"
        push = session.get(FeedbackPush, push_id, populate_existing=True)
        assert push is not None
        partner = push.work_order.partner
        if not partner.active or not partner.callback_url:
            _finish(session, push, "failed", "partner disabled or without a callback URL")
            session.commit()
            return push.status
        body = json.dumps(push.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "hotline-feedback/1",
            **signed_headers(partner, body),
        }
        attempt = FeedbackPushAttempt(push_id=push.id, at=utcnow())
        started = time.monotonic()
        try:
            with requests.post(
                partner.callback_url,
                data=body,
                headers=headers,
                timeout=(PUSH_CONNECT_TIMEOUT, PUSH_READ_TIMEOUT),
                allow_redirects=False,
                stream=True,  # only the start of an error answer is kept, however long it is
            ) as response:
                attempt.status_code = response.status_code
                if not 200 <= response.status_code < 300:
                    start = response.raw.read(200, decode_content=True).decode("utf-8", "replace")
                    attempt.error = f"HTTP {response.status_code}: {start}"
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"[:500]
        attempt.duration_ms = int((time.monotonic() - started) * 1000)
        session.add(attempt)
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            push.sent_at = utcnow()
            _finish(session, push, "sent", None)
        elif attempt.status_code is not None and is_permanent(attempt.status_code):
            _finish(session, push, "failed", attempt.error)
        elif push.attempts >= PUSH_MAX_ATTEMPTS:
            _finish(session, push, "failed", f"gave up after {push.attempts} tries; last: {attempt.error}")
        else:
            push.next_attempt_at = utcnow() + backoff(push.attempts)
            push.enqueued_at = None
            _finish(session, push, "pending", attempt.error)
        session.commit()
        return push.status


def _finish(session: Session, push: FeedbackPush, status: str, error: str | None) -> None:
    """Set the outcome of one try and audit it on the report's timeline."""
    push.status = status
    push.last_error = error
    audit.record(
        session,
        ACTOR,
        "workorder.feedback_push",
        report=push.work_order.report,
        subject_type="feedback_push",
        subject_id=push.id,
        before="sending",
        after=status,
        details={"attempt": push.attempts, "error": error},
    )


def due_pushes(session: Session, now: datetime, stale: timedelta) -> list[int]:
    """For the sweeper: ids of pushes to enqueue now, marked as enqueued (the caller commits,
    then enqueues ``push_feedback`` for each).

    A push whose worker died mid-send (still ``sending`` after its lease) goes back to pending
    first: the partner may then see it twice, which ``event_id`` lets it recognise.
    """
    session.execute(
        update(FeedbackPush)
        .where(FeedbackPush.status == "sending", FeedbackPush.next_attempt_at <= now)
        .values(status="pending", enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    ids = list(
        session.scalars(
            select(FeedbackPush.id)
            .where(
                FeedbackPush.status == "pending",
                FeedbackPush.next_attempt_at <= now,
                or_(FeedbackPush.enqueued_at.is_(None), FeedbackPush.enqueued_at < now - stale),
            )
            .order_by(FeedbackPush.next_attempt_at)
            .limit(500)
        )
    )
    if ids:
        session.execute(
            update(FeedbackPush)
            .where(FeedbackPush.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


@dataclass(frozen=True)
class WorkOrderView:
    """A report's work order and the feedback pushed for it, for the report page."""

    work_order: WorkOrder
    pushes: list[FeedbackPush]


def work_order_view(session: Session, report_id: int) -> WorkOrderView | None:
    """The work order a report came from with its pushes and their attempts; None for other reports."""
    work_order = session.scalar(select(WorkOrder).where(WorkOrder.report_id == report_id))
    if work_order is None:
        return None
    pushes = session.scalars(
        select(FeedbackPush)
        .where(FeedbackPush.work_order_id == work_order.id)
        .options(selectinload(FeedbackPush.attempt_log))
        .order_by(FeedbackPush.id)
    ).all()
    return WorkOrderView(work_order, list(pushes))
