"""Operator review: upgrades are free, downgrades need a reason, red/orange downgrades need a
supervisor before the acknowledgement deadline; re-routing needs a reason. All audited, and the
engine's original decision stays on record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.audit import Actor
from hotline.links import LinkSigner
from hotline.models import AuditEvent, LevelChangeRequest, Notification, Report, TriageDecision, utcnow
from hotline.taxonomy import Urgency, UserRole
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_console_and_security import login
from triage.policy import default_policy
from triage.review import ReviewError, change_level, decide_level_change, reroute

OPERATOR = Actor("user", "1", "op", role=UserRole.OPERATOR)
SUPERVISOR = Actor("user", "2", "sup", role=UserRole.SUPERVISOR)
TZ = "Asia/Shanghai"
LINKS = LinkSigner("http://localhost", "test-secret-key")


@pytest.fixture
def dispatched(app, db_session, drain):
    factories.demo_area(db_session, app.instance_path)
    db_session.commit()

    def make(data=None) -> Report:
        report, _code = factories.report(db_session, data)
        db_session.commit()
        drain()
        db_session.expire_all()
        return db_session.get(Report, report.id)

    return make


def test_upgrade_is_immediate_and_shortens_deadlines(db_session, dispatched, drain) -> None:
    report = dispatched(factories.BLUE_INTAKE)
    before_due = report.acknowledge_due_at
    decision = change_level(db_session, report, Urgency.RED, OPERATOR, "", default_policy(), TZ, LINKS)
    db_session.commit()
    drain()
    assert isinstance(decision, TriageDecision) and decision.source == "override"
    assert report.urgency == "red" and report.acknowledge_due_at < before_due
    assert [d.source for d in report.decisions] == ["engine", "override"]  # the original stays
    calls = db_session.scalars(select(Notification).where(Notification.channel == "voice")).all()
    assert calls and all(n.status == "sent" for n in calls)  # red now: the lead is called


def test_lowering_needs_a_reason(db_session, dispatched) -> None:
    report = dispatched(factories.BLUE_INTAKE)
    change_level(db_session, report, Urgency.YELLOW, OPERATOR, "", default_policy(), TZ, LINKS)
    with pytest.raises(ReviewError, match="reason"):
        change_level(db_session, report, Urgency.BLUE, OPERATOR, " ", default_policy(), TZ, LINKS)
    decision = change_level(
        db_session, report, Urgency.BLUE, OPERATOR, "咨询类,无具体儿童", default_policy(), TZ, LINKS
    )
    assert isinstance(decision, TriageDecision) and report.urgency == "blue"


def test_red_downgrade_waits_for_a_supervisor(db_session, dispatched) -> None:
    report = dispatched()
    assert report.urgency == "red"
    request = change_level(db_session, report, Urgency.ORANGE, OPERATOR, "施暴者已被控制", default_policy(), TZ, LINKS)
    assert isinstance(request, LevelChangeRequest) and report.urgency == "red"
    assert request.expires_at == report.acknowledge_due_at
    with pytest.raises(ReviewError, match="already waiting"):
        change_level(db_session, report, Urgency.YELLOW, OPERATOR, "again", default_policy(), TZ, LINKS)
    with pytest.raises(ReviewError, match="supervisor"):
        decide_level_change(db_session, request, True, OPERATOR, "", default_policy(), TZ)
    decide_level_change(db_session, request, True, SUPERVISOR, "核实", default_policy(), TZ)
    assert request.status == "approved" and report.urgency == "orange"
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.report_id == report.id)).all()
    assert "triage.downgrade_requested" in actions and "triage.downgrade_approved" in actions


def test_rejected_downgrade_keeps_the_level(db_session, dispatched) -> None:
    report = dispatched()
    request = change_level(db_session, report, Urgency.BLUE, OPERATOR, "误报", default_policy(), TZ, LINKS)
    decide_level_change(db_session, request, False, SUPERVISOR, "证据不足", default_policy(), TZ)
    assert request.status == "rejected" and report.urgency == "red"


def test_downgrade_cannot_be_approved_after_the_deadline(db_session, dispatched) -> None:
    report = dispatched()
    request = change_level(db_session, report, Urgency.YELLOW, OPERATOR, "误报", default_policy(), TZ, LINKS)
    request.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ReviewError, match="deadline"):
        decide_level_change(db_session, request, True, SUPERVISOR, "", default_policy(), TZ)
    assert request.status == "expired" and report.urgency == "red"


def test_reroute(db_session, dispatched, drain) -> None:
    report = dispatched()
    lead = next(a for a in report.assignments if a.role == "lead")
    other = factories.agency(db_session, name="湖滨派出所二中队", agency_type="police", jurisdiction_code="330102001")
    with pytest.raises(ReviewError, match="reason"):
        reroute(db_session, report, lead, other, OPERATOR, "", LINKS)
    replacement = reroute(db_session, report, lead, other, OPERATOR, "辖区调整", LINKS)
    db_session.commit()
    drain()
    assert lead.status == "cancelled" and replacement.role == "lead" and replacement.agency_id == other.id
    assert db_session.scalars(select(Notification).where(Notification.assignment_id == replacement.id)).first()
    with pytest.raises(ReviewError, match="already has"):
        reroute(db_session, report, replacement, other, OPERATOR, "again", LINKS)


def test_review_through_the_console(app, client, db_session, dispatched) -> None:
    report = dispatched()
    op = factories.user(db_session, "operator", username="op2")
    sup = factories.user(db_session, "supervisor", username="sup2", jurisdiction_code="330102")
    db_session.commit()
    login(client, op.username)
    page = f"/console/reports/{report.reference}"
    token = csrf_token(client, page)
    client.post(f"{page}/level", data={"level": "yellow", "reason": "已送医,施暴者被刑拘", "csrf_token": token})
    request = db_session.scalar(select(LevelChangeRequest))
    assert request.status == "pending"
    assert (
        client.post(
            f"{page}/level-requests/{request.id}", data={"decision": "approve", "csrf_token": token}
        ).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})
    login(client, sup.username)
    token = csrf_token(client, page)
    response = client.post(f"{page}/level-requests/{request.id}", data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Report, report.id).urgency == "yellow"
