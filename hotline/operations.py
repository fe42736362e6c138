"""Verbs that change state: each adds rows and audit events and flushes, never commits.

The caller (a view or a job) commits once and only then do side effects happen: jobs queued with
``enqueue_after_commit`` and messages written to the outbox are released by that commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit, lifecycle, queries, workorders
from hotline.audit import Actor
from hotline.links import LinkSigner
from hotline.models import Agency, Assignment, AssignmentNote, Report, TriageDecision, utcnow
from hotline.queue import enqueue_after_commit
from hotline.taxonomy import AssignmentRole, AssignmentStatus, ReportStatus, Urgency
from intake_forms.schema import IntakeData
from notifications import messages, outbox

# Status codes avoid characters people confuse when reading them aloud or copying (0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_hasher = PasswordHasher()


def new_status_code() -> str:
    """A secret the reporter keeps to check their report's status later, e.g. ``K7QM-9XPA``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def check_status_code(report: Report, code: str) -> bool:
    """Whether ``code`` is the report's status code (case and dashes ignored)."""
    cleaned = code.strip().upper().replace(" ", "")
    if len(cleaned) == 8:
        cleaned = f"{cleaned[:4]}-{cleaned[4:]}"
    try:
        return _hasher.verify(report.status_code_hash, cleaned)
    except (VerificationError, InvalidHashError):
        return False


def make_reference(report_id: int, received_at: datetime, timezone: str) -> str:
    """The human reference of a report, e.g. ``HX-2026-000123`` (year of receipt, local time)."""
    year = received_at.astimezone(ZoneInfo(timezone)).year
    return f"HX-{year}-{report_id:06d}"


def submit_report(
    session: Session,
    intake: IntakeData,
    actor: Actor,
    *,
    timezone: str,
    base_url: str,
    language: str = "zh",
) -> tuple[Report, str]:
    """Store a new report (status received), audit it and queue its triage after commit.

    Returns the report and its status code (shown once to the reporter; only its hash is kept).
    """
    now = utcnow()
    code = new_status_code()
    screening = intake.screening
    report = Report(
        status=ReportStatus.RECEIVED,
        channel=intake.channel or "web",
        external_id=intake.id,
        received_at=intake.received_at or now,
        created_at=now,
        language=language,
        status_code_hash=_hasher.hash(code),
        narrative=intake.narrative,
        reporter_role=intake.reporter.role,
        reporter_institution=intake.reporter.institution,
        reporter_name=intake.reporter.name,
        reporter_phone=intake.reporter.phone,
        reporter_anonymous=intake.reporter.anonymous,
        child_name=intake.child.name,
        child_age=intake.child.age,
        child_age_range=intake.child.age_range,
        child_sex=intake.child.sex,
        child_school=intake.child.school_or_institution,
        child_location_now=intake.child.location_now,
        jurisdiction_code=intake.jurisdiction.code,
        address=intake.jurisdiction.address,
        screening={
            "immediate_danger": screening.immediate_danger,
            "perpetrator_access_24h": screening.perpetrator_access_24h,
            "needs_medical_care_now": screening.needs_medical_care_now,
            "missing": screening.missing,
            "self_harm_risk": screening.self_harm_risk,
            "observed": list(screening.observed),
        },
        perpetrator_relationship=intake.alleged_perpetrator.relationship,
        intake=intake.to_json(),
        triage_enqueued_at=now,
    )
    session.add(report)
    session.flush()
    report.reference = make_reference(report.id, report.received_at, timezone)
    audit.record(
        session,
        actor,
        "report.received",
        report=report,
        subject_type="report",
        subject_id=report.id,
        after=ReportStatus.RECEIVED,
        details={"channel": report.channel, "reference": report.reference},
    )
    if report.reporter_phone and not report.reporter_anonymous:
        outbox.queue(
            session,
            dedupe_key=f"receipt:{report.id}",
            report=report,
            purpose="reporter_receipt",
            recipient=report.reporter_phone,
            language=language,
            body=messages.reporter_receipt(report.reference, base_url, language),
        )
    session.flush()
    enqueue_after_commit(session, "triage", "triage.jobs.triage_report", report.id)
    return report, code


def record_view(session: Session, report: Report, actor: Actor, what: str = "details") -> None:
    """Audit that someone looked at a report's details (every view is recorded)."""
    audit.record(session, actor, f"report.viewed.{what}", report=report, subject_type="report", subject_id=report.id)


def claim_for_triage(session: Session, report_id: int) -> Report | None:
    """Claim an untriaged report for one triage job; None if another job already did it.

    A conditional update: of two concurrent jobs only one sees a row change, so a duplicate
    run creates nothing twice.
    """
    result = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == ReportStatus.RECEIVED)
        .values(triage_attempts=Report.triage_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(Report, report_id, populate_existing=True)


@dataclass(frozen=True)
class Classification:
    """What a triage decision says, whoever made it (engine or operator)."""

    urgency: Urgency
    categories: Sequence[str]
    mandatory_report_codes: Sequence[str]
    lead_agency_type: str
    assisting_agency_types: Sequence[str]
    reasons: Sequence[dict[str, str]]
    policy_version: str


def apply_triage(
    session: Session,
    report: Report,
    classification: Classification,
    actor: Actor,
    *,
    source: str = "engine",
    note: str | None = None,
) -> TriageDecision:
    """Record a triage decision, copy its outcome onto the report and move it to triaged."""
    decision = TriageDecision(
        report_id=report.id,
        source=source,
        urgency=classification.urgency,
        categories=list(classification.categories),
        mandatory_report_codes=list(classification.mandatory_report_codes),
        lead_agency_type=classification.lead_agency_type,
        assisting_agency_types=list(classification.assisting_agency_types),
        reasons=list(classification.reasons),
        policy_version=classification.policy_version,
        actor_id=int(actor.id) if actor.type == "user" and actor.id else None,
        note=note,
        created_at=utcnow(),
    )
    report.decisions.append(decision)
    report.urgency = classification.urgency
    report.urgency_rank = Urgency(classification.urgency).rank
    report.categories = list(classification.categories)
    report.mandatory_report_codes = list(classification.mandatory_report_codes)
    report.triaged_at = decision.created_at
    session.flush()
    lifecycle.transition(
        session,
        report,
        ReportStatus.TRIAGED,
        actor,
        details={"decision_id": decision.id, "urgency": classification.urgency, "source": source},
    )
    return decision


@dataclass(frozen=True)
class PlannedAssignment:
    """One agency a report goes to, as routing decided it."""

    agency: Agency
    role: AssignmentRole
    note: str


def dispatch(
    session: Session,
    report: Report,
    plan: Sequence[PlannedAssignment],
    actor: Actor,
    *,
    acknowledge_due_at: datetime,
    feedback_due_at: datetime,
    links: LinkSigner,
) -> list[Assignment]:
    """Create the assignments, queue each agency's notification, and move the report to dispatched.

    The lead of a red report also gets a voice call. Messages carry no child, reporter or
    narrative details (TRIAGE_POLICY §7).
    """
    now = utcnow()
    existing = {a.agency_id: a for a in session.scalars(select(Assignment).where(Assignment.report_id == report.id))}
    created: list[Assignment] = []
    for item in plan:
        if item.agency.id in existing:
            continue
        assignment = Assignment(
            report_id=report.id,
            agency_id=item.agency.id,
            agency_type=item.agency.agency_type,
            role=item.role,
            routing_note=item.note,
            created_at=now,
            reply_code=new_reply_code(),
        )
        assignment.set_deadlines(acknowledge_due_at, feedback_due_at)
        report.assignments.append(assignment)
        session.flush()
        existing[item.agency.id] = assignment
        created.append(assignment)
        audit.record(
            session,
            actor,
            "assignment.created",
            report=report,
            subject_type="assignment",
            subject_id=assignment.id,
            after=assignment.status,
            details={
                "agency_id": item.agency.id,
                "agency": item.agency.name,
                "role": item.role,
                "routing": item.note,
            },
        )
        notify_assignment(session, report, assignment, links, cause="dispatch")
    report.dispatched_at = now
    report.acknowledge_due_at = acknowledge_due_at
    report.feedback_due_at = feedback_due_at
    lifecycle.transition(
        session, report, ReportStatus.DISPATCHED, actor, details={"assignments": [a.id for a in created]}
    )
    return created


def new_reply_code() -> str:
    """Six digits an agency may reply with instead of the reference ("1 483920")."""
    return f"{secrets.randbelow(10**6):06d}"


def notify_assignment(session: Session, report: Report, assignment: Assignment, links: LinkSigner, cause: str) -> None:
    """Queue the SMS (and, for the lead of a red report, the voice call) telling an agency of its
    assignment. ``cause`` makes the outbox key unique per event (dispatch, re-route, upgrade…)."""
    agency = assignment.agency
    body = messages.dispatch_sms(
        reference=report.reference or "",
        urgency=report.urgency or Urgency.YELLOW,
        categories=report.categories,
        role=assignment.role,
        acknowledge_due_at=assignment.acknowledge_due_at,
        reply_code=assignment.reply_code or "",
        link=links.url(assignment.id),
        language=agency.language,
    )
    outbox.queue(
        session,
        dedupe_key=f"{cause}:{assignment.id}:sms",
        report=report,
        assignment=assignment,
        purpose="dispatch",
        recipient=agency.duty_phone,
        language=agency.language,
        body=body,
    )
    if report.urgency == Urgency.RED and assignment.role == AssignmentRole.LEAD:
        outbox.queue(
            session,
            dedupe_key=f"{cause}:{assignment.id}:voice",
            report=report,
            assignment=assignment,
            purpose="dispatch",
            channel="voice",
            recipient=agency.voice_phone or agency.duty_phone,
            language=agency.language,
            body=messages.dispatch_voice(report.reference or "", agency.language),
        )


# --- The agency loop: acknowledge, progress, decline, feedback; closure by the operator. -------

FEEDBACK_OUTCOMES = ("case_opened", "placed_in_care", "referred_on", "unfounded", "other")
ACTIVE_ASSIGNMENT = (AssignmentStatus.NOTIFIED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)


class AgencyActionError(ValueError):
    """An agency action that is not possible in the assignment's current state."""


def _assignment_transition(
    session: Session,
    assignment: Assignment,
    new_status: AssignmentStatus,
    actor: Actor,
    reason: str | None = None,
) -> None:
    before = assignment.status
    assignment.status = new_status
    audit.record(
        session,
        actor,
        "assignment.status",
        report=assignment.report,
        subject_type="assignment",
        subject_id=assignment.id,
        before=before,
        after=new_status,
        reason=reason,
        details={"agency_id": assignment.agency_id},
    )


def cancel_assignment(session: Session, assignment: Assignment, actor: Actor, reason: str) -> None:
    """Withdraw an assignment from its agency (re-routed elsewhere, or its report merged into
    another): it leaves the agency's list and the response-time figures, with an audit event."""
    before = assignment.status
    assignment.status = AssignmentStatus.CANCELLED
    audit.record(
        session,
        actor,
        "assignment.cancelled",
        report=assignment.report,
        subject_type="assignment",
        subject_id=assignment.id,
        before=before,
        after=AssignmentStatus.CANCELLED,
        reason=reason,
    )


def _follow_assignments(session: Session, report: Report, actor: Actor) -> None:
    """Move the report's status to match its assignments (the lead's progress, everyone's feedback)."""
    active = [a for a in report.assignments if a.status not in (AssignmentStatus.CANCELLED, AssignmentStatus.DECLINED)]
    lead = next((a for a in active if a.role == AssignmentRole.LEAD), active[0] if active else None)
    if lead is None:
        return
    if all(a.status == AssignmentStatus.FEEDBACK_RECEIVED for a in active):
        target = ReportStatus.FEEDBACK_RECEIVED
    elif lead.status in (AssignmentStatus.IN_PROGRESS, AssignmentStatus.FEEDBACK_RECEIVED):
        target = ReportStatus.IN_PROGRESS
    elif lead.status == AssignmentStatus.ACKNOWLEDGED:
        target = ReportStatus.ACKNOWLEDGED
    else:
        return
    order = [
        ReportStatus.DISPATCHED,
        ReportStatus.ACKNOWLEDGED,
        ReportStatus.IN_PROGRESS,
        ReportStatus.FEEDBACK_RECEIVED,
    ]
    current = ReportStatus(report.status)
    if current == ReportStatus.REOPENED or (current in order and order.index(target) > order.index(current)):
        lifecycle.transition(session, report, target, actor)


def acknowledge(session: Session, assignment: Assignment, actor: Actor, via: str) -> bool:
    """签收: the agency confirms it has the case. False (and nothing changed) if already done."""
    if assignment.status != AssignmentStatus.NOTIFIED:
        if assignment.status in (AssignmentStatus.CANCELLED, AssignmentStatus.DECLINED):
            raise AgencyActionError("this assignment is no longer active")
        return False
    assignment.acknowledged_at = utcnow()
    _assignment_transition(session, assignment, AssignmentStatus.ACKNOWLEDGED, actor, reason=f"via {via}")
    _follow_assignments(session, assignment.report, actor)
    session.flush()
    return True


def add_progress_note(session: Session, assignment: Assignment, actor: Actor, text: str) -> None:
    """A progress note; the first one moves the assignment to in progress (acknowledging it)."""
    text = text.strip()
    if not text:
        raise AgencyActionError("the note is empty")
    if assignment.status not in ACTIVE_ASSIGNMENT:
        raise AgencyActionError("this assignment is no longer active")
    if assignment.status == AssignmentStatus.NOTIFIED:
        acknowledge(session, assignment, actor, "progress note")
    assignment.notes.append(AssignmentNote(author=actor.label or actor.type, text=text, created_at=utcnow()))
    if assignment.status == AssignmentStatus.ACKNOWLEDGED:
        _assignment_transition(session, assignment, AssignmentStatus.IN_PROGRESS, actor)
    audit.record(
        session,
        actor,
        "assignment.note",
        report=assignment.report,
        subject_type="assignment",
        subject_id=assignment.id,
    )
    _follow_assignments(session, assignment.report, actor)
    session.flush()


def decline(session: Session, assignment: Assignment, actor: Actor, reason: str) -> None:
    """派单异议: not this agency's responsibility; back to the operator for re-dispatch."""
    reason = reason.strip()
    if not reason:
        raise AgencyActionError("declining needs a reason")
    if assignment.status not in ACTIVE_ASSIGNMENT:
        raise AgencyActionError("this assignment is no longer active")
    assignment.declined_reason = reason
    _assignment_transition(session, assignment, AssignmentStatus.DECLINED, actor, reason=reason)
    report = assignment.report
    if assignment.role == AssignmentRole.LEAD and report.status in (
        ReportStatus.DISPATCHED,
        ReportStatus.ACKNOWLEDGED,
        ReportStatus.IN_PROGRESS,
    ):
        lifecycle.transition(session, report, ReportStatus.TRIAGED, actor, reason=f"lead declined: {reason}")
    session.flush()


def record_feedback(session: Session, assignment: Assignment, actor: Actor, outcome: str, note: str) -> None:
    """反馈: what the agency did, as an outcome code and a note."""
    if outcome not in FEEDBACK_OUTCOMES:
        raise AgencyActionError(f"outcome must be one of {', '.join(FEEDBACK_OUTCOMES)}")
    if assignment.status not in ACTIVE_ASSIGNMENT:
        raise AgencyActionError("this assignment is no longer active")
    if assignment.status == AssignmentStatus.NOTIFIED:
        acknowledge(session, assignment, actor, "feedback")
    assignment.feedback_outcome = outcome
    assignment.feedback_note = note.strip() or None
    assignment.feedback_at = utcnow()
    _assignment_transition(session, assignment, AssignmentStatus.FEEDBACK_RECEIVED, actor, reason=outcome)
    _follow_assignments(session, assignment.report, actor)
    session.flush()


def close_report(session: Session, report: Report, actor: Actor, *, base_url: str, note: str = "") -> None:
    """办结: the operator has reviewed every assignment's feedback; the reporter is told, without details."""
    active = [a for a in report.assignments if a.status not in (AssignmentStatus.CANCELLED, AssignmentStatus.DECLINED)]
    if not active or any(a.status != AssignmentStatus.FEEDBACK_RECEIVED for a in active):
        raise AgencyActionError("every active assignment must have given feedback first")
    lifecycle.transition(session, report, ReportStatus.CLOSED, actor, reason=note.strip() or None)
    report.closed_at = utcnow()
    if report.reporter_phone and not report.reporter_anonymous:
        # One closure notice per closing (a reopened report closed again tells the reporter again).
        closings = queries.closings(session, report.id)
        outbox.queue(
            session,
            dedupe_key=f"closure:{report.id}:{closings}",
            report=report,
            purpose="reporter_closure",
            recipient=report.reporter_phone,
            language=report.language,
            body=messages.reporter_closure(report.reference or "", base_url, report.language),
        )
    workorders.queue_feedback_push(session, report)  # 回复: the 12345 partner hears of it, if it came from one
    session.flush()


def reopen_report(session: Session, report: Report, actor: Actor, reason: str) -> None:
    """Reopen a closed report (with a reason): it is handled again by its agencies."""
    lifecycle.transition(session, report, ReportStatus.REOPENED, actor, reason=reason)
    report.closed_at = None
    session.flush()
