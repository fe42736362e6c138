"""Calls forwarded from 12345 / 12355 (or dialled directly), as the voice webhooks report them.

Pure functions of the database, called by ``hotline.web.voice`` after it checked Twilio's
signature: they record the call and every status change (the call log), remember whether the
caller pressed 1 (a child in danger now), and open a callback task when no operator answered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.models import Call, CallbackTask, CallEvent, Report, utcnow

ACTOR = Actor.system("voice-webhook")
LINES = ("12345", "12355")


def parse_line_numbers(setting: str) -> dict[str, str]:
    """``+8657112345=12345,+8657112355=12355`` → {number: line}."""
    pairs = (item.split("=", 1) for item in setting.split(",") if "=" in item)
    return {number.strip(): line.strip() for number, line in pairs}


def line_of(forwarded_from: str | None, dialled: str | None, line_numbers: dict[str, str]) -> str:
    """Which line a call came through: the carrier's ForwardedFrom, else the number dialled."""
    for line in LINES:
        if forwarded_from and forwarded_from.strip().lstrip("+").endswith(line):
            return line
    if forwarded_from and forwarded_from in line_numbers:
        return line_numbers[forwarded_from]
    if dialled and dialled in line_numbers:
        return line_numbers[dialled]
    return "direct"


def _event(session: Session, call: Call, status: str, details: dict[str, Any]) -> None:
    call.events.append(CallEvent(status=status, details=details, at=utcnow()))


def call_started(session: Session, params: dict[str, str], line_numbers: dict[str, str]) -> Call:
    """The first webhook of a call: record it (idempotent on CallSid, Twilio may retry)."""
    sid = params.get("CallSid", "")
    call = session.scalar(select(Call).where(Call.call_sid == sid))
    if call is not None:
        return call
    call = Call(
        call_sid=sid,
        from_number=params.get("From"),
        to_number=params.get("To"),
        forwarded_from=params.get("ForwardedFrom"),
        line=line_of(params.get("ForwardedFrom"), params.get("To"), line_numbers),
        status="ringing",
        started_at=utcnow(),
    )
    session.add(call)
    session.flush()
    _event(session, call, "incoming", {"line": call.line, "forwarded_from": call.forwarded_from})
    return call


def find(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == sid))


def caller_choice(session: Session, call: Call, digits: str) -> None:
    """The caller's menu choice: 1 means a child is in danger now."""
    call.urgent = digits.strip() == "1"
    call.status = "queued"
    _event(session, call, "menu", {"digits": digits, "urgent": call.urgent})


def dial_finished(session: Session, call: Call, dial_status: str) -> bool:
    """After ringing the operators: True if nobody answered (a callback task is then opened)."""
    answered = dial_status in ("answered", "completed")
    _event(session, call, f"dial-{dial_status}", {})
    if answered:
        call.status = "answered"
        call.answered_at = call.answered_at or utcnow()
        return False
    call.status = "voicemail"
    if session.scalar(select(CallbackTask).where(CallbackTask.call_id == call.id)) is None:
        session.add(CallbackTask(call_id=call.id, urgent=call.urgent, created_at=utcnow()))
        audit.record(
            session,
            ACTOR,
            "call.callback_task",
            subject_type="call",
            subject_id=call.id,
            details={"urgent": call.urgent},
        )
    return True


def recording_ready(session: Session, call: Call, params: dict[str, str]) -> None:
    """Recording status callback: keep where the message is (the recording stays at Twilio)."""
    if params.get("RecordingStatus", "completed") != "completed":
        _event(session, call, "recording-" + params.get("RecordingStatus", ""), {})
        return
    call.recording_sid = params.get("RecordingSid")
    call.recording_url = params.get("RecordingUrl")
    duration = params.get("RecordingDuration", "")
    call.recording_seconds = int(duration) if duration.isdigit() else None
    _event(session, call, "recording", {"seconds": call.recording_seconds})


def status_changed(session: Session, call: Call, params: dict[str, str]) -> None:
    """Call status callback: the call log keeps every change and the final duration."""
    status = params.get("CallStatus", "")
    _event(session, call, status, {})
    if status in ("completed", "busy", "failed", "no-answer", "canceled"):
        call.ended_at = call.ended_at or utcnow()
        duration = params.get("CallDuration", "")
        call.duration_seconds = int(duration) if duration.isdigit() else call.duration_seconds
        if call.status not in ("answered", "voicemail"):
            call.status = status
        elif call.status == "answered":
            call.status = "completed"


def link_to_report(session: Session, call: Call, report: Report, actor: Actor) -> None:
    """Attach a call to an existing report (a second call about the same child)."""
    call.report_id = report.id
    audit.record(
        session,
        actor,
        "call.linked",
        report=report,
        subject_type="call",
        subject_id=call.id,
        details={"sid": call.call_sid},
    )


def finish_callback(session: Session, task: CallbackTask, actor: Actor, note: str) -> None:
    task.status = "done"
    task.done_at = utcnow()
    task.done_by_id = int(actor.id) if actor.id else None
    task.note = note.strip() or None
    audit.record(session, actor, "call.callback_done", subject_type="callback_task", subject_id=task.id)
