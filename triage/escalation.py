"""The escalation ladder (督办, TRIAGE_POLICY §6), applied by the sweeper, each step exactly once.

- ack_overdue: the acknowledgement deadline passed → the agency again and its backup contact
  (plus a voice call for red and orange);
- ack_overdue_twice: twice the acknowledgement deadline → the minor-protection office of that
  jurisdiction (supervisor);
- feedback_overdue: the feedback deadline passed → the agency (督办 notice) and the supervisor;
- delivery_failed: a message failed permanently → the supervisor at once (and the backup number).

"Exactly once" is the database's job: an ``escalations`` row per (assignment, step) in force, under
a unique key over the rows not superseded, inserted with ON CONFLICT DO NOTHING; only the sweeper
whose insert won sends anything. A step whose deadline a lowered level moved later is superseded
(``rearm``) and may fire again at the new deadline. Rows are also the supervisor's list of what
fired.

The sweeper only decides: it claims the due steps, sets the assignments' fired flags and audits
them in its commit, then enqueues jobs (``triage.jobs.write_escalation_notices``) that write each
step's messages. The sweeper is one process and must stay quick however much falls due at once
(30,000 steps in a few seconds); composing and storing their messages is spread over the workers.
A step whose job Redis lost keeps ``notices_enqueued_at`` set and is enqueued again by a later sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from hotline import audit
from hotline.audit import Actor
from hotline.bulk import insert_many
from hotline.links import LinkSigner
from hotline.models import Agency, Assignment, AuditEvent, Escalation, Notification, Report, utcnow
from hotline.models.report import CURRENT_ESCALATION
from hotline.queue import enqueue_many_after_commit
from hotline.taxonomy import AgencyType, AssignmentStatus, NotificationChannel, NotificationStatus, Urgency
from notifications import messages, outbox
from triage.routing import jurisdiction_chain

ACTOR = Actor.system("sweeper")
BATCH = 20000
NOTICE_JOB = "triage.jobs.write_escalation_notices"
NOTICE_JOB_BATCH = 200  # fired steps whose messages one job writes (~40 ms of work)
DELIVERY_BATCH = 25  # messages per delivery job
OPEN_FOR_FEEDBACK = (AssignmentStatus.NOTIFIED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class _Step:
    """One step of the sweeper's ladder: the assignment statuses it waits on, when it falls due,
    and the assignment's flag that records it has fired."""

    waiting_statuses: tuple[str, ...]
    due_at: InstrumentedAttribute[datetime]
    fired: InstrumentedAttribute[bool]

    @property
    def waiting(self) -> ColumnElement[bool]:
        return Assignment.status.in_(self.waiting_statuses)


STEPS = {
    "ack_overdue": _Step((AssignmentStatus.NOTIFIED,), Assignment.acknowledge_due_at, Assignment.ack_overdue_fired),
    "ack_overdue_twice": _Step(
        (AssignmentStatus.NOTIFIED,), Assignment.acknowledge_twice_due_at, Assignment.ack_overdue_twice_fired
    ),
    "feedback_overdue": _Step(OPEN_FOR_FEEDBACK, Assignment.feedback_due_at, Assignment.feedback_overdue_fired),
}


def insert_steps(connection: Connection, rows: list[dict[str, Any]], returning: Any) -> list[Any]:
    """Record escalation steps; a row whose step is already in force for its assignment is skipped
    (the unique key over steps not superseded), so only the insert that created a step acts on it."""
    return insert_many(
        connection,
        Escalation.__table__,
        rows,
        skip_conflicts_on=["assignment_id", "step"],
        conflict_where=CURRENT_ESCALATION,
        returning=returning,
    )


def claim_step(
    session: Session,
    assignment: Assignment,
    step: str,
    now: datetime,
    actor_label: str = ACTOR.label,
    note: str | None = None,
) -> bool:
    """Record one (assignment, step); True only for the caller whose insert created it."""
    row = {
        "assignment_id": assignment.id,
        "report_id": assignment.report_id,
        "step": step,
        "fired_at": now,
        "actor_label": actor_label,
        "note": note,
    }
    return bool(insert_steps(session.connection(), [row], Escalation.__table__.c.id))


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


@dataclass(frozen=True)
class _Due:
    """What the messages of one fired step need, read in one query (no ORM objects per row)."""

    escalation_id: int
    step: str
    fired_at: datetime
    status: str
    assignment_id: int
    report_id: int
    agency_id: int
    reply_code: str | None
    acknowledge_due_at: datetime
    acknowledge_twice_due_at: datetime
    feedback_due_at: datetime
    reference: str | None
    urgency: str | None

    def moved_later(self) -> bool:
        """The step's deadline now lies after the moment it fired: a lowered level moved it
        while the sweeper was firing it (the review could not yet see the step to supersede it)."""
        due = {
            "ack_overdue": self.acknowledge_due_at,
            "ack_overdue_twice": self.acknowledge_twice_due_at,
            "feedback_overdue": self.feedback_due_at,
        }.get(self.step)
        return due is not None and due > self.fired_at

    @property
    def key(self) -> str:
        """Its messages' dedupe keys start with this: one set per firing (a superseded step that
        fires again gets new messages)."""
        return f"{self.step}:{self.assignment_id}:{self.escalation_id}"


class _Offices:
    """The minor-protection office over each agency, looked up once per job."""

    def __init__(self, session: Session, home_code: str) -> None:
        offices = session.scalars(
            select(Agency).where(Agency.agency_type == AgencyType.MINOR_PROTECTION_OFFICE, Agency.active.is_(True))
        ).all()
        self.by_code = {o.jurisdiction_code: o for o in offices}
        self.home_chain = jurisdiction_chain(home_code)

    def over(self, agency: Agency) -> Agency | None:
        chain = jurisdiction_chain(agency.jurisdiction_code) + self.home_chain
        return next((self.by_code[c] for c in chain if c in self.by_code), None)


def _fire(session: Session, step: str, now: datetime, limit: int) -> int:
    """Claim every due (assignment, step) not yet fired, audit it and enqueue the jobs that write
    its messages, in bulk.

    Candidates are the due assignments whose flag for the step is still unset (an index range that
    is empty when nothing is due). The claim is the escalation row itself: only the rows this call
    inserted are its to audit and notify; a row that existed already (another sweeper's, or older
    data whose flag was never set) sends nothing. Every due assignment whose step is then recorded
    gets its flag set, so no sweep reads it again.
    """
    ladder = STEPS[step]
    due = session.execute(
        select(Assignment.id, Assignment.report_id, Assignment.agency_id)
        .where(ladder.waiting, ladder.due_at <= now, ladder.fired.is_(False))
        .order_by(ladder.due_at, Assignment.id)  # a total order: racing sweepers claim alike
        .limit(limit)
        # PostgreSQL: held until the sweeper commits, so a review moving these deadlines waits
        # for it (and then supersedes what fired); one already moving them is skipped till later.
        .with_for_update(of=Assignment, skip_locked=True)
    ).all()
    if not due:
        return 0
    connection = session.connection()
    table = Escalation.__table__
    claimed = insert_steps(
        connection,
        [
            {
                "assignment_id": assignment_id,
                "report_id": report_id,
                "step": step,
                "fired_at": now,
                "actor_label": ACTOR.label,
                "notices_enqueued_at": now,
            }
            for assignment_id, report_id, _agency_id in due
        ],
        (table.c.id, table.c.assignment_id),
    )
    recorded = exists().where(
        Escalation.assignment_id == Assignment.id, Escalation.step == step, Escalation.superseded_at.is_(None)
    )
    session.execute(  # set-based, no id list: every due assignment whose step is now recorded
        update(Assignment)
        .where(ladder.waiting, ladder.due_at <= now, ladder.fired.is_(False), recorded)
        .values({ladder.fired: True})
        .execution_options(synchronize_session=False)
    )
    mine = {assignment_id for _escalation_id, assignment_id in claimed}
    insert_many(
        connection,
        AuditEvent.__table__,
        [
            {
                "occurred_at": now,
                "actor_type": ACTOR.type,
                "actor_label": ACTOR.label,
                "action": f"escalation.{step}",
                "report_id": report_id,
                "subject_type": "assignment",
                "subject_id": str(assignment_id),
                "details": {"agency_id": agency_id},
            }
            for assignment_id, report_id, agency_id in due
            if assignment_id in mine
        ],
    )
    _enqueue_notice_jobs(session, [escalation_id for escalation_id, _assignment_id in claimed])
    return len(claimed)


def _enqueue_notice_jobs(session: Session, escalation_ids: list[int]) -> None:
    enqueue_many_after_commit(session, "notify", NOTICE_JOB, _batches(escalation_ids, NOTICE_JOB_BATCH))


def _batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def requeue_lost_notices(session: Session, now: datetime, stale: timedelta) -> int:
    """Enqueue again the message jobs of steps fired more than ``stale`` ago whose messages are
    still unwritten (Redis lost the job, or a worker died in it); how many steps."""
    escalation_ids = list(
        session.scalars(
            select(Escalation.id)
            .where(Escalation.notices_enqueued_at < now - stale)
            .order_by(Escalation.id)  # locked in id order, as the jobs lock them: no deadlock
            .limit(BATCH)
            .with_for_update(skip_locked=True)  # a job writing them now keeps them
        )
    )
    if escalation_ids:
        session.execute(
            update(Escalation)
            .where(Escalation.id.in_(escalation_ids))
            .values(notices_enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    _enqueue_notice_jobs(session, escalation_ids)
    return len(escalation_ids)


def write_notices(session: Session, escalation_ids: list[int], now: datetime, links: LinkSigner, home_code: str) -> int:
    """Write the messages of fired steps and enqueue their delivery (after the caller's commit);
    returns how many messages.

    Each step's messages are written once: the step is claimed by clearing its
    ``notices_enqueued_at`` under a row lock (on PostgreSQL a duplicate job waits, then finds
    nothing to claim; on SQLite, which has one writer at a time, the messages' dedupe keys make
    its inserts write nothing). Nothing is sent for an assignment that has meanwhile
    moved on (acknowledged, answered or cancelled) or for a step a later deadline has superseded:
    the step stays recorded, the message would only mislead.
    """
    # Locked and read by primary key alone: a condition on notices_enqueued_at would tempt the
    # planner into the partial index, which statistics from before a burst think empty while it
    # holds the whole burst (measured: 44 ms instead of 1 ms a job after 30,000 steps fired).
    claimed = [
        escalation_id
        for escalation_id, enqueued_at in session.execute(
            select(Escalation.id, Escalation.notices_enqueued_at)
            .where(Escalation.id.in_(escalation_ids))
            .order_by(Escalation.id)
            .with_for_update()
        )
        if enqueued_at is not None
    ]
    if not claimed:
        return 0
    session.execute(
        update(Escalation)
        .where(Escalation.id.in_(claimed))
        .values(notices_enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    fired = [
        _Due(*row)
        for row in session.execute(
            select(
                Escalation.id,
                Escalation.step,
                Escalation.fired_at,
                Assignment.status,
                Assignment.id,
                Assignment.report_id,
                Assignment.agency_id,
                Assignment.reply_code,
                Assignment.acknowledge_due_at,
                Assignment.acknowledge_twice_due_at,
                Assignment.feedback_due_at,
                Report.reference,
                Report.urgency,
            )
            .join(Assignment, Assignment.id == Escalation.assignment_id)
            .join(Report, Report.id == Assignment.report_id)
            .where(Escalation.id.in_(claimed), Escalation.superseded_at.is_(None))
            .order_by(Escalation.id)
        )
    ]
    moved = [d for d in fired if d.moved_later()]
    for d in moved:  # it fires again only if the new deadline passes (as after ``rearm``)
        _supersede(session, d.assignment_id, [d.step], now, ACTOR, session.get(Report, d.report_id), d.agency_id)
    still_waiting = [
        d for d in fired if d.step in STEPS and d.status in STEPS[d.step].waiting_statuses and d not in moved
    ]
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_({d.agency_id for d in still_waiting})))
    }
    offices = _Offices(session, home_code)
    notices: list[dict] = []
    for d in still_waiting:
        agency = agencies[d.agency_id]
        if d.step in ("ack_overdue", "feedback_overdue"):
            notices.extend(_agency_notices(d, agency, links, now))
        if d.step in ("ack_overdue_twice", "feedback_overdue"):
            notices.extend(_supervisor_notices(d, agency, offices, now))
    notification_ids = insert_many(
        session.connection(),
        Notification.__table__,
        notices,
        skip_conflicts_on=["dedupe_key"],
        returning=Notification.__table__.c.id,
    )
    enqueue_many_after_commit(
        session, "notify", "notifications.jobs.deliver_batch", _batches(notification_ids, DELIVERY_BATCH)
    )
    return len(notification_ids)


def _notice(
    d: _Due, key: str, purpose: str, recipient: str, body: str, language: str, now: datetime, channel: str = "sms"
) -> dict:
    return {
        "dedupe_key": key,
        "report_id": d.report_id,
        "assignment_id": d.assignment_id,
        "purpose": purpose,
        "channel": channel,
        "provider": "",
        "recipient": recipient,
        "language": language,
        "body": body,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "enqueued_at": now,
    }


def _agency_notices(d: _Due, agency: Agency, links: LinkSigner, now: datetime) -> list[dict]:
    """The reminder to the agency's duty number (and backup, and a call for red/orange, when late to acknowledge)."""
    step = d.step
    body = messages.reminder_sms(
        reference=d.reference or "",
        urgency=d.urgency or Urgency.YELLOW,
        step=step,
        due_at=d.acknowledge_due_at if step.startswith("ack") else d.feedback_due_at,
        reply_code=d.reply_code or "",
        link=links.url(d.assignment_id),
        language=agency.language,
    )
    late_to_acknowledge = step == "ack_overdue"
    numbers = [agency.duty_phone] + ([agency.backup_phone] if late_to_acknowledge else [])
    notices = [
        _notice(d, f"{d.key}:sms:{index}", f"escalation_{step}", number, body, agency.language, now)
        for index, number in enumerate(dict.fromkeys(n for n in numbers if _usable(agency, n)))
    ]
    voice_number = agency.voice_phone or agency.duty_phone
    if late_to_acknowledge and d.urgency in (Urgency.RED, Urgency.ORANGE) and _usable(agency, voice_number):
        notices.append(
            _notice(
                d,
                f"{d.key}:voice",
                f"escalation_{step}",
                voice_number,
                messages.dispatch_voice(d.reference or "", agency.language),
                agency.language,
                now,
                channel=NotificationChannel.VOICE,
            )
        )
    return notices


def _supervisor_notices(d: _Due, agency: Agency, offices: _Offices, now: datetime) -> list[dict]:
    step = d.step
    office = offices.over(agency)
    if office is None or office.id == agency.id or not _usable(office, office.duty_phone):
        return []
    body = messages.supervisor_alert(
        reference=d.reference or "",
        urgency=d.urgency or Urgency.YELLOW,
        step=step,
        agency_name=agency.name,
        language=office.language,
    )
    return [
        _notice(
            d,
            f"{d.key}:supervisor",
            f"supervision_{step}",
            office.duty_phone,
            body,
            office.language,
            now,
        )
    ]


def _supersede(
    session: Session,
    assignment_id: int,
    steps: list[str],
    now: datetime,
    actor: Actor,
    report: Report | None,
    agency_id: int,
) -> list[str]:
    """Clear the assignment's fired flags for ``steps`` (in the database, whatever a loaded object
    says) and mark those of them in force superseded, so each fires again only if its new
    deadline passes; audited when any was. Returns the steps superseded."""
    session.execute(
        update(Assignment)
        .where(Assignment.id == assignment_id)
        .values({STEPS[name].fired: False for name in steps})
        .execution_options(synchronize_session=False)
    )
    superseded = sorted(
        session.scalars(
            update(Escalation)
            .where(
                Escalation.assignment_id == assignment_id,
                Escalation.step.in_(steps),
                Escalation.superseded_at.is_(None),
            )
            .values(superseded_at=now)
            .returning(Escalation.step)
            .execution_options(synchronize_session=False)
        )
    )
    if superseded:
        audit.record(
            session,
            actor,
            "escalation.superseded",
            report=report,
            subject_type="assignment",
            subject_id=assignment_id,
            details={"agency_id": agency_id, "steps": superseded},
        )
    return superseded


def rearm(session: Session, assignment: Assignment, now: datetime, actor: Actor) -> list[str]:
    """After ``assignment``'s deadlines moved later (a lowered level): each ladder step that
    fired for a deadline now in the future is superseded (kept in the history, no longer in
    force) and its flag cleared, so it fires again if the new deadline passes too. Returns the
    steps superseded; audited when there are any.

    The new deadlines are flushed first: that takes the assignment's row lock, so a sweeper that
    locked it to fire a step has committed before the steps are read here. Flags are cleared in
    the database, not through the loaded object, which may predate that sweeper's commit.
    """
    future = [name for name, step in STEPS.items() if getattr(assignment, step.due_at.key) > now]
    if not future:
        return []
    session.flush()
    superseded = _supersede(session, assignment.id, future, now, actor, assignment.report, assignment.agency_id)
    for name in future:
        set_committed_value(assignment, STEPS[name].fired.key, False)
    return superseded


def escalate_due(session: Session, now: datetime, limit: int = BATCH) -> dict[str, int]:
    """Fire every escalation step that is due and has not fired yet; returns counts per step.

    Set-based: each step is one select of what is due, one insert that claims it (only the rows
    this sweeper inserted are its to notify), one update of the fired flags and one insert of
    audit events; the messages are written by jobs enqueued once the caller commits.
    """
    fired = {step: _fire(session, step, now, limit) for step in STEPS}
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
    if claim_step(session, assignment, "delivery_failed", utcnow(), note=notification.error_code):
        _record(session, assignment, "delivery_failed")
        _tell_supervisor(session, assignment, "delivery_failed", home_code)
