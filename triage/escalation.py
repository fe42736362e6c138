"""The escalation ladder (督办, TRIAGE_POLICY §6), applied by the sweeper, each step exactly once.

- ack_overdue: the acknowledgement deadline passed → the agency again and its backup contact
  (plus a voice call for red and orange);
- ack_overdue_twice: twice the acknowledgement deadline → the minor-protection office of that
  jurisdiction (supervisor);
- feedback_overdue: the feedback deadline passed → the agency (督办 notice) and the supervisor;
- delivery_failed: a message failed permanently → the supervisor at once (and the backup number).

"Exactly once" is the database's job: an ``escalations`` row per (assignment, step) with a unique
key, inserted with ON CONFLICT DO NOTHING; only the sweeper whose insert won sends anything. Rows
are also the supervisor's list of what fired.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from hotline import audit
from hotline.audit import Actor
from hotline.links import LinkSigner
from hotline.models import Agency, Assignment, Escalation, Notification, Report, utcnow
from hotline.taxonomy import AgencyType, AssignmentStatus, NotificationChannel, Urgency
from notifications import messages, outbox
from triage.routing import jurisdiction_chain

ACTOR = Actor.system("sweeper")
BATCH = 2000
OPEN_FOR_FEEDBACK = (AssignmentStatus.NOTIFIED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)


def _claim(session: Session, assignment: Assignment, step: str, now: datetime, note: str | None = None) -> bool:
    """Insert the (assignment, step) row; True only for the caller whose insert created it."""
    values = {
        "assignment_id": assignment.id,
        "report_id": assignment.report_id,
        "step": step,
        "fired_at": now,
        "actor_label": ACTOR.label,
        "note": note,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Escalation).values(**values).on_conflict_do_nothing(index_elements=["assignment_id", "step"])
    return bool(session.execute(statement.returning(Escalation.id)).first())


def supervisor_office(session: Session, agency: Agency, home_code: str) -> Agency | None:
    """The minor-protection office over ``agency``: the nearest up its jurisdiction, else the hotline's."""
    chain = jurisdiction_chain(agency.jurisdiction_code) + jurisdiction_chain(home_code)
    offices = session.scalars(
        select(Agency).where(
            Agency.agency_type == AgencyType.MINOR_PROTECTION_OFFICE,
            Agency.active.is_(True),
            Agency.jurisdiction_code.in_(chain),
        )
    ).all()
    by_code = {o.jurisdiction_code: o for o in offices}
    return next((by_code[c] for c in chain if c in by_code), None)


def _usable(agency: Agency, number: str | None) -> bool:
    return bool(number) and number not in (agency.bad_numbers or [])


def _tell_agency(
    session: Session, assignment: Assignment, step: str, links: LinkSigner, *, backup: bool, voice: bool
) -> None:
    report, agency = assignment.report, assignment.agency
    due = assignment.acknowledge_due_at if step.startswith("ack") else assignment.feedback_due_at
    body = messages.reminder_sms(
        reference=report.reference or "",
        urgency=report.urgency or Urgency.YELLOW,
        step=step,
        due_at=due,
        reply_code=assignment.reply_code or "",
        link=links.url(assignment.id),
        language=agency.language,
    )
    numbers = [agency.duty_phone] + ([agency.backup_phone] if backup else [])
    for index, number in enumerate(dict.fromkeys(n for n in numbers if _usable(agency, n))):
        outbox.queue(
            session,
            dedupe_key=f"{step}:{assignment.id}:sms:{index}",
            report=report,
            assignment=assignment,
            purpose=f"escalation_{step}",
            recipient=number,
            language=agency.language,
            body=body,
        )
    if voice and _usable(agency, agency.voice_phone or agency.duty_phone):
        outbox.queue(
            session,
            dedupe_key=f"{step}:{assignment.id}:voice",
            report=report,
            assignment=assignment,
            purpose=f"escalation_{step}",
            channel=NotificationChannel.VOICE,
            recipient=agency.voice_phone or agency.duty_phone,
            language=agency.language,
            body=messages.dispatch_voice(report.reference or "", agency.language),
        )


def _tell_supervisor(session: Session, assignment: Assignment, step: str, home_code: str, suffix: str = "") -> None:
    office = supervisor_office(session, assignment.agency, home_code)
    if office is None or (office.id == assignment.agency_id and step != "delivery_failed"):
        return
    number = office.duty_phone
    if not _usable(office, number):
        return
    outbox.queue(
        session,
        dedupe_key=f"{step}:{assignment.id}:supervisor{suffix}",
        report=assignment.report,
        assignment=assignment,
        purpose=f"supervision_{step}",
        recipient=number,
        language=office.language,
        body=messages.supervisor_alert(
            reference=assignment.report.reference or "",
            urgency=assignment.report.urgency or Urgency.YELLOW,
            step=step,
            agency_name=assignment.agency.name,
            language=office.language,
        ),
    )


def _record(session: Session, assignment: Assignment, step: str) -> None:
    audit.record(
        session,
        ACTOR,
        f"escalation.{step}",
        report=assignment.report,
        subject_type="assignment",
        subject_id=assignment.id,
        details={"agency_id": assignment.agency_id},
    )


def _due(session: Session, condition, step: str, limit: int) -> Sequence[Assignment]:  # type: ignore[no-untyped-def]
    already = exists().where(and_(Escalation.assignment_id == Assignment.id, Escalation.step == step))
    return session.scalars(
        select(Assignment)
        .join(Report, Report.id == Assignment.report_id)
        .where(condition, ~already)
        .options(joinedload(Assignment.report), joinedload(Assignment.agency))
        .order_by(Assignment.acknowledge_due_at)
        .limit(limit)
    ).all()


def escalate_due(
    session: Session, now: datetime, links: LinkSigner, home_code: str, limit: int = BATCH
) -> dict[str, int]:
    """Fire every escalation step that is due and has not fired yet; returns counts per step."""
    fired = {"ack_overdue": 0, "ack_overdue_twice": 0, "feedback_overdue": 0}
    waiting = Assignment.status == AssignmentStatus.NOTIFIED
    for assignment in _due(session, and_(waiting, Assignment.acknowledge_due_at <= now), "ack_overdue", limit):
        if _claim(session, assignment, "ack_overdue", now):
            urgent = assignment.report.urgency in (Urgency.RED, Urgency.ORANGE)
            _tell_agency(session, assignment, "ack_overdue", links, backup=True, voice=urgent)
            _record(session, assignment, "ack_overdue")
            fired["ack_overdue"] += 1
    candidates = _due(session, and_(waiting, Assignment.acknowledge_due_at <= now), "ack_overdue_twice", limit)
    for assignment in candidates:
        if assignment.acknowledge_due_at + (assignment.acknowledge_due_at - assignment.created_at) > now:
            continue
        if _claim(session, assignment, "ack_overdue_twice", now):
            _tell_supervisor(session, assignment, "ack_overdue_twice", home_code)
            _record(session, assignment, "ack_overdue_twice")
            fired["ack_overdue_twice"] += 1
    overdue = and_(Assignment.status.in_(OPEN_FOR_FEEDBACK), Assignment.feedback_due_at <= now)
    for assignment in _due(session, overdue, "feedback_overdue", limit):
        if _claim(session, assignment, "feedback_overdue", now):
            _tell_agency(session, assignment, "feedback_overdue", links, backup=False, voice=False)
            _tell_supervisor(session, assignment, "feedback_overdue", home_code)
            _record(session, assignment, "feedback_overdue")
            fired["feedback_overdue"] += 1
    session.flush()
    return fired


def _mark_bad(session: Session, agency: Agency, notification: Notification, report: Report | None) -> None:
    if notification.recipient in (agency.bad_numbers or []):
        return
    agency.bad_numbers = [*(agency.bad_numbers or []), notification.recipient]
    audit.record(
        session,
        ACTOR,
        "agency.number_failed",
        report=report,
        subject_type="agency",
        subject_id=agency.id,
        reason=f"{notification.error_code}: {notification.error_message}",
        details={"number": outbox.mask_phone(notification.recipient)},
    )


def on_delivery_failed(session: Session, notification: Notification, home_code: str) -> None:
    """A message failed for good: mark the number bad, try the backup, alert the supervisor now.

    The number is marked bad on the agency it belongs to (an alert to the supervisor that fails
    marks the office's number, not the assigned agency's). Alerts about failures are never
    themselves escalated, and the supervisor is alerted once per assignment, so a provider that
    refuses everything cannot start an endless chain of alerts.
    """
    assignment = notification.assignment
    if assignment is None:
        return
    report = assignment.report
    if notification.purpose.startswith("supervision_"):
        office = session.scalar(
            select(Agency).where(
                Agency.agency_type == AgencyType.MINOR_PROTECTION_OFFICE, Agency.duty_phone == notification.recipient
            )
        )
        if office is not None:
            _mark_bad(session, office, notification, report)
        return
    agency = assignment.agency
    _mark_bad(session, agency, notification, report)
    is_backup_attempt = notification.dedupe_key.startswith("backup:")
    if (
        not is_backup_attempt
        and _usable(agency, agency.backup_phone)
        and notification.channel == NotificationChannel.SMS
    ):
        outbox.queue(
            session,
            dedupe_key=f"backup:{notification.id}",
            report=report,
            assignment=assignment,
            purpose=notification.purpose,
            recipient=agency.backup_phone or "",
            language=notification.language,
            body=notification.body,
        )
    if _claim(session, assignment, "delivery_failed", utcnow(), note=notification.error_code):
        _record(session, assignment, "delivery_failed")
        _tell_supervisor(session, assignment, "delivery_failed", home_code)
