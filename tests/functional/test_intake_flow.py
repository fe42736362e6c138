"""The public form and the whole path on the embedded queue: submit → receipt → triaged →
dispatched → notifications in the console outbox; bad input; Redis down; idempotent jobs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from hotline.models import Assignment, AuditEvent, Notification, Report
from hotline.queue import get_queue
from notifications.jobs import deliver
from tests import factories
from tests.conftest import csrf_token
from triage.jobs import triage_report
from triage.sweeper import sweep

FORM = {
    "immediate_danger": "no",
    "perpetrator_access_24h": "yes",
    "needs_medical_care_now": "no",
    "missing": "no",
    "self_harm_risk": "no",
    "observed": ["multiple_injuries"],
    "narrative": "孩子背部和手臂有多处淤青,说是爸爸用皮带打的,今天下午爸爸来接,孩子不敢回家。",
    "child_name": "小明",
    "child_age": "9",
    "child_sex": "male",
    "child_location_now": "school",
    "perpetrator_relationship": "parent",
    "jurisdiction_code": "330102001",
    "reporter_role": "teacher",
    "reporter_name": "李老师",
    "reporter_phone": "13800000101",
}


@pytest.fixture
def demo(app, db_session):
    factories.demo_area(db_session, app.instance_path)
    db_session.commit()


def submit(client, data: dict):
    return client.post("/report", data={**data, "csrf_token": csrf_token(client, "/report")})


def test_form_shows_danger_notice_and_screening_questions(client) -> None:
    page = client.get("/report").get_data(as_text=True)
    assert "110" in page and "120" in page
    for question in ("孩子现在是否处于危险之中", "24 小时内", "就医", "失踪", "自杀"):
        assert question in page


def test_form_in_english(client) -> None:
    page = client.get("/report?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page


def test_submit_to_dispatch_end_to_end(app, client, demo, drain, db_session) -> None:
    response = submit(client, FORM)
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'id="reference">(HX-\d{4}-\d{6})<', receipt).group(1)
    code = re.search(r'id="status-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', receipt).group(1)

    report = db_session.scalar(select(Report).where(Report.reference == reference))
    assert report.status == "received"  # committed before the answer, triage not yet run

    drain()
    db_session.expire_all()
    report = db_session.scalar(select(Report).where(Report.reference == reference))
    assert report.status == "dispatched"
    assert report.urgency == "red"
    assert "MR4" in report.mandatory_report_codes
    assert report.decisions[0].reasons
    lead = [a for a in report.assignments if a.role == "lead"]
    assert [a.agency.name for a in lead] == ["湖滨派出所(演示)"]  # the township station
    sent = db_session.scalars(select(Notification).where(Notification.report_id == report.id)).all()
    purposes = sorted((n.purpose, n.channel, n.status) for n in sent)
    assert ("dispatch", "voice", "sent") in purposes  # red: the lead is also called
    assert ("reporter_receipt", "sms", "sent") in purposes
    assert all(n.provider == "console" for n in sent)
    for n in sent:
        assert "小明" not in n.body and "李老师" not in n.body and "皮带" not in n.body

    status_page = client.post(
        "/status", data={"reference": reference, "code": code, "csrf_token": csrf_token(client, "/status")}
    ).get_data(as_text=True)
    assert "已转办" in status_page and "皮带" not in status_page


def test_status_with_wrong_code_reveals_nothing(app, client, demo, db_session) -> None:
    report, _code = factories.report(db_session)
    db_session.commit()
    page = client.post(
        "/status",
        data={
            "reference": report.reference,
            "code": "AAAA-BBBB",
            "csrf_token": csrf_token(client, "/status"),
        },
    ).get_data(as_text=True)
    assert "编号或查询码不正确" in page and 'id="status"' not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"narrative": ""}, "请描述发生了什么"),
        ({"child_age": "19"}, "0 到 17"),
        ({"reporter_phone": "12"}, "电话号码"),
        ({"jurisdiction_code": "33-01"}, "行政区划代码"),
    ],
)
def test_bad_input_is_explained_and_keeps_what_was_typed(client, db_session, change: dict, message: str) -> None:
    response = submit(client, {**FORM, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "小明" in page  # nothing typed is lost
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0


def test_form_without_csrf_token_is_refused(client, db_session) -> None:
    response = client.post("/report", data=FORM)
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0


def test_redis_down_loses_nothing(app, client, demo, drain, db_session, monkeypatch) -> None:
    """With the queue unreachable the report is still accepted; the sweeper triages it later."""
    job_queue = get_queue(app)

    def refuse(*_args, **_kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(job_queue.queues["triage"], "enqueue", refuse)
    response = submit(client, FORM)
    assert response.status_code == 302
    drain()
    report = db_session.scalar(select(Report))
    assert report.status == "received"

    monkeypatch.undo()
    app.config["STALE_AFTER"] = 0
    result = sweep(app)
    assert result.reports_requeued == 1
    drain()
    db_session.expire_all()
    assert db_session.scalar(select(Report)).status == "dispatched"


def test_jobs_are_idempotent(app, demo, drain, db_session) -> None:
    report, _code = factories.report(db_session)
    db_session.commit()
    drain()
    with app.app_context():
        assert triage_report(report.id) == "already triaged or gone"
        for notification in db_session.scalars(select(Notification)).all():
            assert deliver(notification.id) == "not claimed"
    assert db_session.scalar(select(func.count()).select_from(Assignment)) == len(
        {a.agency_id for a in db_session.scalars(select(Assignment))}
    )
    statuses = db_session.scalars(
        select(AuditEvent.after).where(AuditEvent.report_id == report.id, AuditEvent.action == "report.status")
    ).all()
    assert statuses == ["triaged", "dispatched"]


def test_sweeper_resends_a_lost_notification(app, demo, drain, db_session) -> None:
    report, _code = factories.report(db_session)
    db_session.commit()
    drain()
    notification = db_session.scalars(select(Notification).where(Notification.purpose == "dispatch")).first()
    notification.status = "pending"  # as if its job was lost before it ran
    db_session.commit()
    app.config["STALE_AFTER"] = 0
    assert sweep(app).notifications_requeued == 1
    drain()
    db_session.expire_all()
    assert db_session.get(Notification, notification.id).status == "sent"


def test_sweeper_with_nothing_to_do_beats_its_heartbeat(app) -> None:
    result = sweep(app, process_name="test-sweeper")
    assert (result.reports_requeued, result.notifications_requeued) == (0, 0)
