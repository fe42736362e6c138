"""The escalation ladder by time travel: each step fires when due, exactly once, even with
several sweepers; acknowledged or answered assignments do not escalate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.db import get_db
from hotline.links import LinkSigner
from hotline.models import Assignment, AuditEvent, Escalation, Notification, Report, utcnow
from hotline.operations import acknowledge, record_feedback
from hotline.queue import get_queue
from hotline.taxonomy import Urgency
from tests import factories
from triage.escalation import escalate_due, write_notices
from triage.policy import default_policy
from triage.review import change_level
from triage.sweeper import sweep

LINKS = LinkSigner("http://localhost", "test-secret-key")
HOME = "330102"
TZ = "Asia/Shanghai"
AGENCY = Actor("agency", "1", "test agency")


@pytest.fixture
def red(red_report: Report) -> Report:
    return red_report


lead_of = factories.lead_of


def escalate(session, moment) -> dict[str, int]:
    """The sweeper's escalation step at ``moment``, then what its jobs do: write the messages."""
    fired = escalate_due(session, moment)
    pending = session.scalars(select(Escalation.id).where(Escalation.notices_enqueued_at.is_not(None))).all()
    write_notices(session, list(pending), moment, LINKS, HOME)
    session.expire_all()  # the sweeper's updates are set-based: reload what the test holds
    return fired


def steps(db_session) -> list[tuple[int, str]]:
    return sorted(db_session.execute(select(Escalation.assignment_id, Escalation.step)).all())


def purposes(db_session, assignment_id: int) -> list[str]:
    return sorted(
        db_session.scalars(select(Notification.purpose).where(Notification.assignment_id == assignment_id)).all()
    )


def test_nothing_before_the_deadline(db_session, red) -> None:
    assert escalate(db_session, utcnow()) == {
        "ack_overdue": 0,
        "ack_overdue_twice": 0,
        "feedback_overdue": 0,
    }


def test_ack_overdue_renotifies_agency_backup_and_calls(db_session, red) -> None:
    lead = lead_of(red)
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    fired = escalate(db_session, moment)
    assert fired["ack_overdue"] == len(red.assignments)
    assert fired["ack_overdue_twice"] == 0
    sent = purposes(db_session, lead.id)
    assert sent.count("escalation_ack_overdue") == 3  # duty SMS, backup SMS, voice (red)
    recipients = set(
        db_session.scalars(
            select(Notification.recipient).where(
                Notification.assignment_id == lead.id, Notification.purpose == "escalation_ack_overdue"
            )
        )
    )
    assert {lead.agency.duty_phone, lead.agency.backup_phone} <= recipients
    assert escalate(db_session, moment + timedelta(minutes=1))["ack_overdue"] == 0  # once only


def test_twice_the_deadline_tells_the_minor_protection_office(db_session, red) -> None:
    lead = lead_of(red)
    window = lead.acknowledge_due_at - lead.created_at
    escalate(db_session, lead.acknowledge_due_at + window - timedelta(seconds=5))
    assert (lead.id, "ack_overdue_twice") not in steps(db_session)
    fired = escalate(db_session, lead.acknowledge_due_at + window + timedelta(seconds=1))
    assert fired["ack_overdue_twice"] == len(red.assignments)
    alert = db_session.scalar(
        select(Notification).where(
            Notification.assignment_id == lead.id, Notification.purpose == "supervision_ack_overdue_twice"
        )
    )
    assert alert is not None and "未保办" not in alert.body and red.reference in alert.body


def test_acknowledged_assignments_do_not_escalate(db_session, red) -> None:
    for assignment in red.assignments:
        acknowledge(db_session, assignment, AGENCY, "test")
    fired = escalate(db_session, utcnow() + timedelta(hours=1))
    assert fired["ack_overdue"] == 0 and fired["ack_overdue_twice"] == 0


def test_feedback_overdue_tells_agency_and_supervisor(db_session, red) -> None:
    lead = lead_of(red)
    for assignment in red.assignments:
        acknowledge(db_session, assignment, AGENCY, "test")
    record_feedback(db_session, red.assignments[-1], AGENCY, "referred_on", "转介")
    fired = escalate(db_session, lead.feedback_due_at + timedelta(seconds=1))
    assert fired["feedback_overdue"] == len(red.assignments) - 1  # the one that answered is spared
    assert "supervision_feedback_overdue" in purposes(db_session, lead.id)
    assert "escalation_feedback_overdue" in purposes(db_session, lead.id)


def test_two_sweepers_fire_each_step_once(app, db_session, red) -> None:
    lead = lead_of(red)
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    database = get_db(app)
    with database.session() as first, database.session() as second:
        a = escalate_due(first, moment)
        first.commit()
        b = escalate_due(second, moment)
        second.commit()
    assert a["ack_overdue"] == len(red.assignments) and b["ack_overdue"] == 0
    count = db_session.scalar(select(func.count()).select_from(Escalation).where(Escalation.step == "ack_overdue"))
    assert count == len(red.assignments)


def test_sweeper_escalates_on_schedule_and_sends(app, db_session, drain, red) -> None:
    """Time travel through the real sweeper: move the deadlines into the past, sweep, deliver."""
    for assignment in red.assignments:  # created 3 h ago, due 2 h ago: past twice the deadline
        assignment.created_at = utcnow() - timedelta(hours=3)
        assignment.set_deadlines(utcnow() - timedelta(hours=2), assignment.feedback_due_at)
    db_session.commit()
    result = sweep(app)
    assert result.escalations["ack_overdue"] == len(red.assignments)
    assert result.escalations["ack_overdue_twice"] == len(red.assignments)
    drain()
    sent = db_session.scalars(select(Notification).where(Notification.purpose.like("escalation_%"))).all()
    assert sent and all(n.status == "sent" for n in sent)
    assert sweep(app).escalations["ack_overdue"] == 0


@pytest.mark.parametrize("step", ["ack_overdue", "feedback_overdue"])
def test_working_day_deadlines(app, db_session, drain, step) -> None:
    """A yellow report's deadlines are on the working-day clock; escalation follows them."""
    factories.demo_area(db_session, app.instance_path)
    db_session.commit()
    data = dict(
        factories.BLUE_INTAKE,
        narrative="父母离异后孩子跟着爷爷生活,爷爷年纪大管不了孩子,孩子经常逃学,希望有关部门帮助。",
    )
    report, _code = factories.report(db_session, data)
    db_session.commit()
    drain()
    db_session.expire_all()
    report = db_session.get(Report, report.id)
    lead = lead_of(report)
    due = lead.acknowledge_due_at if step == "ack_overdue" else lead.feedback_due_at
    assert due - report.triaged_at >= timedelta(hours=23)  # at least one working day away
    assert escalate(db_session, due - timedelta(seconds=1))[step] == 0
    assert escalate(db_session, due + timedelta(seconds=1))[step] >= 1


def test_a_step_recorded_without_its_flag_sends_nothing_and_sets_the_flag(db_session, red) -> None:
    """Older data (or another path) may hold an escalation whose assignment flag is unset: the
    escalation row, not the flag, decides; the sweep sends nothing for it and sets the flag."""
    lead = lead_of(red)
    db_session.add(Escalation(assignment_id=lead.id, report_id=red.id, step="ack_overdue", fired_at=utcnow()))
    db_session.commit()
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    fired = escalate(db_session, moment)
    db_session.commit()
    assert fired["ack_overdue"] == len(red.assignments) - 1
    assert "escalation_ack_overdue" not in purposes(db_session, lead.id)
    db_session.expire_all()
    assert all(a.ack_overdue_fired for a in red.assignments)
    assert not any(a.ack_overdue_twice_fired or a.feedback_overdue_fired for a in red.assignments)


def test_fired_flags_follow_the_steps_that_fired(db_session, red) -> None:
    moment = lead_of(red).feedback_due_at + timedelta(seconds=1)
    escalate(db_session, moment)
    db_session.commit()
    db_session.expire_all()
    flags = {(a.ack_overdue_fired, a.ack_overdue_twice_fired, a.feedback_overdue_fired) for a in red.assignments}
    assert flags == {(True, True, True)}
    assert len(steps(db_session)) == 3 * len(red.assignments)


def pending_steps(db_session) -> list[int]:
    return list(db_session.scalars(select(Escalation.id).where(Escalation.notices_enqueued_at.is_not(None))))


def test_the_sweeper_decides_and_a_job_writes_the_messages_once(db_session, red) -> None:
    lead = lead_of(red)
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    fired = escalate_due(db_session, moment)
    assert fired["ack_overdue"] == len(red.assignments)
    assert purposes(db_session, lead.id).count("escalation_ack_overdue") == 0  # not yet: the job's work
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.action == "escalation.ack_overdue"))
    assert len(actions.all()) == len(red.assignments)  # audited in the sweeper's own commit
    pending = pending_steps(db_session)
    assert len(pending) == len(red.assignments)
    written = write_notices(db_session, pending, moment, LINKS, HOME)
    assert purposes(db_session, lead.id).count("escalation_ack_overdue") == 3  # duty SMS, backup SMS, voice
    assert written >= 3 and pending_steps(db_session) == []
    assert write_notices(db_session, pending, moment, LINKS, HOME) == 0  # a duplicate job writes nothing
    assert purposes(db_session, lead.id).count("escalation_ack_overdue") == 3


def test_no_reminder_for_an_assignment_acknowledged_before_its_job_ran(db_session, red) -> None:
    lead = lead_of(red)
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    escalate_due(db_session, moment)
    acknowledge(db_session, lead, AGENCY, "test")
    write_notices(db_session, pending_steps(db_session), moment, LINKS, HOME)
    assert "escalation_ack_overdue" not in purposes(db_session, lead.id)
    assert (lead.id, "ack_overdue") in steps(db_session)  # the step still fired, and stays listed
    others = [a for a in red.assignments if a.id != lead.id]
    assert others and all("escalation_ack_overdue" in purposes(db_session, a.id) for a in others)


def test_the_sweeper_enqueues_a_lost_message_job_again(app, db_session, drain, red, monkeypatch) -> None:
    """Redis down when the step fired: the step keeps its pending mark, a later sweep (once the
    job is stale) enqueues it again, and the messages go out."""
    for assignment in red.assignments:
        assignment.set_deadlines(utcnow() - timedelta(minutes=1), assignment.feedback_due_at)
    db_session.commit()
    job_queue = get_queue(app)

    def refuse(*_args, **_kwargs):
        raise ConnectionError("redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(job_queue.queues["notify"], "enqueue_many", refuse)
        fired = sweep(app).escalations
    assert fired["ack_overdue"] == len(red.assignments)
    drain()
    assert len(pending_steps(db_session)) == sum(fired.values())
    assert not db_session.scalars(select(Notification).where(Notification.purpose == "escalation_ack_overdue")).all()
    assert sweep(app).escalation_notices_requeued == 0  # not stale yet: its job may still be queued
    app.config["STALE_AFTER"] = 0
    assert sweep(app).escalation_notices_requeued == sum(fired.values())
    drain()
    db_session.expire_all()
    sent = db_session.scalars(select(Notification).where(Notification.purpose == "escalation_ack_overdue")).all()
    assert sent and all(n.status == "sent" for n in sent)
    assert pending_steps(db_session) == [] and sweep(app).escalation_notices_requeued == 0


OPERATOR = Actor("user", "1", "op", role="operator")


def raised_to_yellow(app, db_session, drain) -> Report:
    """A blue report, dispatched, then raised to yellow (its deadlines sooner)."""
    factories.demo_area(db_session, app.instance_path)
    db_session.commit()
    report, _code = factories.report(db_session, factories.BLUE_INTAKE)
    db_session.commit()
    drain()
    db_session.expire_all()
    report = db_session.get(Report, report.id)
    change_level(db_session, report, Urgency.YELLOW, OPERATOR, "", default_policy(), TZ, LINKS)
    return report


def lower_to_blue(db_session, report: Report) -> None:
    change_level(db_session, report, Urgency.BLUE, OPERATOR, "咨询类,无具体儿童", default_policy(), TZ, LINKS)


def test_a_superseded_step_whose_messages_were_not_written_yet_sends_nothing(app, db_session, drain) -> None:
    report = raised_to_yellow(app, db_session, drain)
    lead = lead_of(report)
    moment = lead.acknowledge_due_at + timedelta(seconds=1)
    assert escalate_due(db_session, moment)["ack_overdue"] >= 1
    db_session.expire_all()
    lower_to_blue(db_session, report)
    write_notices(db_session, pending_steps(db_session), moment, LINKS, HOME)
    assert "escalation_ack_overdue" not in purposes(db_session, lead.id)
    assert pending_steps(db_session) == []


def test_a_step_superseded_by_a_later_deadline_fires_again_at_it(app, db_session, drain) -> None:
    """Raised to yellow, late to acknowledge (the step fires), then lowered to blue: the deadlines
    move later, the fired step is superseded (kept, marked) and fires again at the new deadline,
    with new messages; the supervisor's list shows both firings."""
    report = raised_to_yellow(app, db_session, drain)
    lead = lead_of(report)
    yellow_due = lead.acknowledge_due_at
    assert escalate(db_session, yellow_due + timedelta(seconds=1))["ack_overdue"] >= 1
    first_reminders = purposes(db_session, lead.id).count("escalation_ack_overdue")
    assert first_reminders >= 1 and lead.ack_overdue_fired

    lower_to_blue(db_session, report)
    blue_due = lead.acknowledge_due_at
    assert blue_due > yellow_due and fired_flag(db_session, lead.id) is False
    history = db_session.scalars(select(Escalation).where(Escalation.assignment_id == lead.id)).all()
    assert [(e.step, e.superseded_at is not None) for e in history] == [("ack_overdue", True)]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "escalation.superseded"))
    assert event is not None and event.details["steps"] == ["ack_overdue"]

    assert escalate(db_session, blue_due - timedelta(seconds=1))["ack_overdue"] == 0
    assert escalate(db_session, blue_due + timedelta(seconds=1))["ack_overdue"] >= 1
    assert escalate(db_session, blue_due + timedelta(minutes=5))["ack_overdue"] == 0  # once per deadline
    firings = db_session.scalars(
        select(Escalation.superseded_at).where(Escalation.assignment_id == lead.id, Escalation.step == "ack_overdue")
    ).all()
    assert len(firings) == 2 and sum(at is None for at in firings) == 1
    assert purposes(db_session, lead.id).count("escalation_ack_overdue") == 2 * first_reminders


def fired_flag(db_session, assignment_id: int) -> bool:
    return db_session.scalar(select(Assignment.ack_overdue_fired).where(Assignment.id == assignment_id))


def test_a_review_holding_an_older_copy_still_rearms_the_step(app, db_session, drain) -> None:
    """The review loaded the assignment before a sweeper fired its step and committed: clearing
    the flag must not depend on that stale copy, or the step would never fire again."""
    report = raised_to_yellow(app, db_session, drain)
    db_session.commit()
    lead = lead_of(report)
    assert lead.ack_overdue_fired is False  # loaded before the sweeper below
    with get_db(app).session() as sweeper:
        assert escalate_due(sweeper, lead.acknowledge_due_at + timedelta(seconds=1))["ack_overdue"] >= 1
        sweeper.commit()
    lower_to_blue(db_session, report)
    db_session.commit()
    assert fired_flag(db_session, lead.id) is False
    assert escalate(db_session, lead.acknowledge_due_at + timedelta(seconds=1))["ack_overdue"] >= 1


def test_a_deadline_moved_while_the_sweeper_fires_sends_no_stale_reminder(app, db_session, drain, monkeypatch) -> None:
    """The sweeper read the old deadline; the review moved it and committed before the sweeper's
    claim (SQLite has no row locks to make it wait): the message job sends nothing for the moved
    deadline, supersedes the step, and the step fires at the new deadline."""
    import triage.escalation as escalation

    report = raised_to_yellow(app, db_session, drain)
    db_session.commit()
    lead = lead_of(report)
    lead_id, yellow_due = lead.id, lead.acknowledge_due_at
    real_insert = escalation.insert_steps

    def review_commits_first(connection, rows, returning):
        if rows and rows[0]["step"] == "ack_overdue":
            lower_to_blue(db_session, db_session.get(Report, report.id))
            db_session.commit()
        return real_insert(connection, rows, returning)

    monkeypatch.setattr(escalation, "insert_steps", review_commits_first)
    with get_db(app).session() as sweeper:
        escalation.escalate_due(sweeper, yellow_due + timedelta(seconds=1))
        sweeper.commit()
    monkeypatch.setattr(escalation, "insert_steps", real_insert)
    write_notices(db_session, pending_steps(db_session), yellow_due + timedelta(seconds=2), LINKS, HOME)
    assert "escalation_ack_overdue" not in purposes(db_session, lead_id)
    db_session.expire_all()
    blue_due = db_session.get(Assignment, lead_id).acknowledge_due_at
    assert blue_due > yellow_due and fired_flag(db_session, lead_id) is False
    assert escalate(db_session, blue_due + timedelta(seconds=1))["ack_overdue"] >= 1
    assert "escalation_ack_overdue" in purposes(db_session, lead_id)
