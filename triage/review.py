"""Operator review of a triage decision (TRIAGE_POLICY §2.3): raising a level is free; lowering
one needs a reason, and lowering red or orange needs a supervisor's approval before the
acknowledgement deadline runs out; re-routing to another agency needs a reason. Every step is an
audit event, and the engine's original decision stays on record (overrides are new decisions).

These verbs flush, never commit; notifications they queue leave after the caller's commit.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.lifecycle import OPEN_STATUSES
from hotline.links import LinkSigner
from hotline.models import Agency, Assignment, LevelChangeRequest, Report, TriageDecision, utcnow
from hotline.operations import cancel_assignment, new_reply_code, notify_assignment
from hotline.taxonomy import AssignmentStatus, Urgency, UserRole
from triage import escalation
from triage.deadlines import due_at
from triage.policy import Policy

APPROVERS = frozenset({UserRole.SUPERVISOR})
NEEDS_APPROVAL = frozenset({Urgency.RED, Urgency.ORANGE})
OPEN_ASSIGNMENTS = (AssignmentStatus.NOTIFIED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)


class ReviewError(ValueError):
    """A review step that is not allowed (missing reason, wrong role, too late…)."""


def _latest_decision(report: Report) -> TriageDecision:
    if not report.decisions:
        raise ReviewError("report has not been triaged yet")
    return report.decisions[-1]


def _deadlines(policy: Policy, level: Urgency, start: datetime, timezone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(timezone)
    spec = policy.levels[level]
    ack = due_at(
        start,
        spec.acknowledge_within.amount,
        spec.acknowledge_within.unit,
        policy.holidays,
        policy.makeup_workdays,
        tz,
    )
    feedback = due_at(
        start,
        spec.feedback_within.amount,
        spec.feedback_within.unit,
        policy.holidays,
        policy.makeup_workdays,
        tz,
    )
    return ack, feedback


def _override(session: Session, report: Report, level: Urgency, actor: Actor, rule: str, reason: str) -> TriageDecision:
    previous = _latest_decision(report)
    decision = TriageDecision(
        report_id=report.id,
        source="override",
        urgency=level,
        categories=list(previous.categories),
        mandatory_report_codes=list(previous.mandatory_report_codes),
        lead_agency_type=previous.lead_agency_type,
        assisting_agency_types=list(previous.assisting_agency_types),
        reasons=[{"rule": rule, "evidence": reason}],
        policy_version=previous.policy_version,
        actor_id=int(actor.id) if actor.type == "user" and actor.id else None,
        note=reason,
        created_at=utcnow(),
    )
    report.decisions.append(decision)
    before = report.urgency
    report.urgency = level
    report.urgency_rank = level.rank
    session.flush()
    audit.record(
        session,
        actor,
        "triage.level_changed",
        report=report,
        subject_type="decision",
        subject_id=decision.id,
        before=before,
        after=level,
        reason=reason,
    )
    return decision


def _reschedule(
    session: Session, report: Report, ack: datetime, feedback: datetime, actor: Actor, *, sooner_only: bool
) -> None:
    """Move the open assignments' deadlines (only ever earlier when ``sooner_only``). Escalation
    steps that fired for a deadline now moved into the future are superseded and fire again at
    the new deadline if it passes too."""
    now = utcnow()
    for assignment in report.assignments:
        if assignment.status not in OPEN_ASSIGNMENTS:
            continue
        if sooner_only:
            assignment.set_deadlines(min(assignment.acknowledge_due_at, ack), min(assignment.feedback_due_at, feedback))
        else:
            assignment.set_deadlines(ack, feedback)
            escalation.rearm(session, assignment, now, actor)
    open_due = [a.acknowledge_due_at for a in report.assignments if a.status in OPEN_ASSIGNMENTS]
    report.acknowledge_due_at = min(open_due) if open_due else ack
    open_feedback = [a.feedback_due_at for a in report.assignments if a.status in OPEN_ASSIGNMENTS]
    report.feedback_due_at = min(open_feedback) if open_feedback else feedback


def change_level(
    session: Session,
    report: Report,
    new_level: Urgency,
    actor: Actor,
    reason: str,
    policy: Policy,
    timezone: str,
    links: LinkSigner,
) -> LevelChangeRequest | TriageDecision:
    """Raise (at once) or lower (with a reason; red/orange only with approval) a report's level.

    Returns the new decision, or the pending request when a supervisor must approve.
    """
    reason = (reason or "").strip()
    if report.status not in OPEN_STATUSES or report.urgency is None:
        raise ReviewError("only an open, triaged report can change level")
    current = Urgency(report.urgency)
    if new_level == current:
        raise ReviewError("the report already has this level")
    if new_level.rank > current.rank:
        decision = _override(session, report, new_level, actor, "operator-upgrade", reason or "raised by operator")
        ack, feedback = _deadlines(policy, new_level, utcnow(), timezone)
        _reschedule(session, report, ack, feedback, actor, sooner_only=True)
        _notify_open_assignments(session, report, decision, links)
        return decision
    if not reason:
        raise ReviewError("lowering a level needs a reason")
    if current not in NEEDS_APPROVAL:
        decision = _override(session, report, new_level, actor, "operator-downgrade", reason)
        start = report.triaged_at or report.received_at
        _reschedule(session, report, *_deadlines(policy, new_level, start, timezone), actor, sooner_only=False)
        return decision
    pending = session.scalar(
        select(LevelChangeRequest).where(
            LevelChangeRequest.report_id == report.id, LevelChangeRequest.status == "pending"
        )
    )
    if pending is not None:
        raise ReviewError("a request to lower this report is already waiting for a supervisor")
    request = LevelChangeRequest(
        report_id=report.id,
        from_level=current,
        to_level=new_level,
        reason=reason,
        requested_by_id=int(actor.id) if actor.id else 0,
        created_at=utcnow(),
        expires_at=report.acknowledge_due_at or utcnow(),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "triage.downgrade_requested",
        report=report,
        subject_type="level_change_request",
        subject_id=request.id,
        before=current,
        after=new_level,
        reason=reason,
    )
    return request


def decide_level_change(
    session: Session,
    request: LevelChangeRequest,
    approve: bool,
    actor: Actor,
    note: str,
    policy: Policy,
    timezone: str,
) -> None:
    """A supervisor approves or rejects a pending downgrade, before it expires."""
    if actor.role not in APPROVERS:
        raise ReviewError("only a supervisor can decide a downgrade")
    if request.status != "pending":
        raise ReviewError(f"this request is already {request.status}")
    now = utcnow()
    report = request.report
    if now > request.expires_at:
        request.status = "expired"
        request.decided_at = now
        audit.record(
            session,
            actor,
            "triage.downgrade_expired",
            report=report,
            subject_type="level_change_request",
            subject_id=request.id,
        )
        session.flush()
        raise ReviewError("the acknowledgement deadline has passed: the level stands")
    request.status = "approved" if approve else "rejected"
    request.decided_by_id = int(actor.id) if actor.id else None
    request.decided_at = now
    request.decision_note = note.strip() or None
    audit.record(
        session,
        actor,
        f"triage.downgrade_{request.status}",
        report=report,
        subject_type="level_change_request",
        subject_id=request.id,
        before=request.from_level,
        after=request.to_level,
        reason=request.decision_note,
    )
    if approve and report.urgency == request.from_level:
        _override(session, report, Urgency(request.to_level), actor, "supervisor-approved-downgrade", request.reason)
        start = report.triaged_at or report.received_at
        _reschedule(
            session,
            report,
            *_deadlines(policy, Urgency(request.to_level), start, timezone),
            actor,
            sooner_only=False,
        )
    session.flush()


def reroute(
    session: Session,
    report: Report,
    assignment: Assignment,
    agency: Agency,
    actor: Actor,
    reason: str,
    links: LinkSigner,
) -> Assignment:
    """Move an assignment to another agency: the old one is cancelled, the new one notified."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("re-routing needs a reason")
    if assignment.report_id != report.id or assignment.status not in (
        *OPEN_ASSIGNMENTS,
        AssignmentStatus.DECLINED,
    ):
        raise ReviewError("this assignment cannot be re-routed")
    if any(a.agency_id == agency.id for a in report.assignments):
        raise ReviewError("that agency already has this report")
    cancel_assignment(session, assignment, actor, reason)
    replacement = Assignment(
        report_id=report.id,
        agency_id=agency.id,
        agency_type=agency.agency_type,
        role=assignment.role,
        routing_note=f"re-routed from agency {assignment.agency_id}: {reason}",
        created_at=utcnow(),
        reply_code=new_reply_code(),
    )
    replacement.set_deadlines(assignment.acknowledge_due_at, assignment.feedback_due_at)
    report.assignments.append(replacement)
    session.flush()
    audit.record(
        session,
        actor,
        "assignment.rerouted",
        report=report,
        subject_type="assignment",
        subject_id=replacement.id,
        after=replacement.status,
        reason=reason,
        details={"from_agency_id": assignment.agency_id, "to_agency_id": agency.id},
    )
    notify_assignment(session, report, replacement, links, cause="reroute")
    return replacement


def _notify_open_assignments(session: Session, report: Report, decision: TriageDecision, links: LinkSigner) -> None:
    for assignment in report.assignments:
        if assignment.status in OPEN_ASSIGNMENTS:
            notify_assignment(session, report, assignment, links, cause=f"level{decision.id}")
