"""The same product on PostgreSQL + Redis + a real rq worker process: migrations, the end-to-end
path through the form and the API, Redis down at intake, and duplicate jobs."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from hotline.db import get_db
from hotline.models import Base, Notification, Report, TriageDecision
from hotline.queue import get_queue
from tests import factories
from tests.conftest import csrf_token, make_app
from tests.functional.test_intake_flow import FORM
from tests.integration.conftest import wait_for, wait_for_idle_worker
from triage.sweeper import sweep


def report_status(app, reference: str) -> str | None:
    with get_db(app).session() as session:
        return session.scalar(select(Report.status).where(Report.reference == reference))


def test_migrations_match_the_models(app) -> None:
    with get_db(app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_form_to_dispatch_through_a_real_worker(app, worker_process) -> None:
    client = app.test_client()
    response = client.post("/report", data={**FORM, "csrf_token": csrf_token(client, "/report")})
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'id="reference">(HX-\d{4}-\d{6})<', receipt).group(1)
    wait_for(lambda: report_status(app, reference) == "dispatched", what="triage and dispatch")

    def all_sent() -> bool:
        with get_db(app).session() as session:
            rows = session.scalars(select(Notification)).all()
            return bool(rows) and all(n.status == "sent" for n in rows)

    wait_for(all_sent, what="notifications sent")
    with get_db(app).session() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        assert report.urgency == "red" and "MR4" in report.mandatory_report_codes
        assert {a.agency.name for a in report.assignments if a.role == "lead"} == {"湖滨派出所(演示)"}
        assert report.received_at.tzinfo is not None


def test_api_to_dispatch_through_a_real_worker(app, worker_process) -> None:
    with get_db(app).session() as session:
        token = factories.api_token(session)
        session.commit()
    client = app.test_client()
    created = client.post("/api/v1/reports", json=factories.BLUE_INTAKE, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    reference = created.get_json()["reference"]
    wait_for(lambda: report_status(app, reference) == "dispatched", what="triage and dispatch")
    view = client.get(f"/api/v1/reports/{reference}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert view["urgency"] == "blue" and view["assignments"]


def test_redis_down_at_intake_then_swept(app, worker_process, tmp_path) -> None:
    """Redis unreachable when the report arrives: it is accepted, and triaged once the sweeper runs."""
    broken = make_app(
        tmp_path / "broken",
        DATABASE_URL=app.config["DATABASE_URL"],
        REDIS_URL="redis://127.0.0.1:1/0",
        SECRET_KEY="integration-secret",
    )
    client = broken.test_client()
    response = client.post("/report", data={**FORM, "csrf_token": csrf_token(client, "/report")})
    assert response.status_code == 302
    with get_db(app).session() as session:
        report = session.scalar(select(Report))
        assert report.status == "received"
    app.config["STALE_AFTER"] = 0
    assert sweep(app).reports_requeued == 1
    wait_for(lambda: report_status(app, report.reference) == "dispatched", what="the swept report to be dispatched")
    get_db(broken).engine.dispose()


def test_duplicate_jobs_create_nothing_twice(app, worker_process) -> None:
    with get_db(app).session() as session:
        report, _code = factories.report(session, factories.BLUE_INTAKE)
        report.triage_enqueued_at = None
        session.commit()
        report_id = report.id
    job_queue = get_queue(app)
    for _ in range(3):
        job_queue.enqueue("triage", "triage.jobs.triage_report", report_id)
    wait_for(
        lambda: job_queue.lengths()["triage"] == 0 and report_status(app, report.reference) == "dispatched",
        what="all triage jobs",
    )
    wait_for(lambda: job_queue.lengths()["notify"] == 0, what="deliveries")
    with get_db(app).session() as session:
        decisions = session.scalar(
            select(func.count()).select_from(TriageDecision).where(TriageDecision.report_id == report_id)
        )
        assert decisions == 1


def test_full_agency_loop_on_postgres_and_redis(servers, worker_process, tmp_path) -> None:
    """Red report → real worker dispatches → SMS reply acknowledges → feedback by link → closed →
    the worker sends the reporter's closure SMS; then escalation steps fire once on PostgreSQL."""
    from datetime import timedelta

    from twilio.request_validator import RequestValidator

    from hotline.links import signer_for
    from hotline.models import Assignment, Escalation, utcnow
    from tests.functional.test_console_and_security import login
    from triage.escalation import escalate_due

    database_url, redis_url = servers
    base = "https://hotline.example.gov.cn"
    app = make_app(
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="integration-secret",
        TWILIO_AUTH_TOKEN="integration-token",
        BASE_URL=base,
    )
    from sqlalchemy import text

    from hotline.models import Base as ModelBase

    tables = ", ".join(t.name for t in ModelBase.metadata.sorted_tables)
    wait_for_idle_worker(redis_url)
    with get_db(app).engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with get_db(app).session() as session:
        factories.demo_area(session, app.instance_path)
        report, _code = factories.report(session)
        factories.user(session, "operator", username="op-int")
        session.commit()
        reference, report_id = report.reference, report.id
    wait_for(lambda: report_status(app, reference) == "dispatched", what="dispatch")
    with get_db(app).session() as session:
        lead = session.scalar(select(Assignment).where(Assignment.report_id == report_id, Assignment.role == "lead"))
        duty_phone, lead_id = lead.agency.duty_phone, lead.id
        assignment_ids = list(session.scalars(select(Assignment.id).where(Assignment.report_id == report_id)))

    client = app.test_client()
    params = {"From": duty_phone, "Body": f"1 {reference}"}
    signature = RequestValidator("integration-token").compute_signature(f"{base}/twilio/sms", params)
    assert client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}).status_code == 200
    assert report_status(app, reference) == "acknowledged"

    with get_db(app).session() as session:  # escalation steps fire once, even with two sweepers
        moment = utcnow() + timedelta(days=30)
        first = escalate_due(session, moment)
        session.commit()
    with get_db(app).session() as session:
        second = escalate_due(session, moment)
        session.commit()
        assert first["feedback_overdue"] == len(assignment_ids) and second["feedback_overdue"] == 0
        assert session.scalar(select(func.count()).select_from(Escalation).where(Escalation.step == "ack_overdue")) == 2

    def reminders_sent() -> bool:  # written by the worker's message jobs, then delivered by it
        with get_db(app).session() as session:
            pending = session.scalar(select(func.count()).where(Escalation.notices_enqueued_at.is_not(None)))
            reminders = session.scalars(
                select(Notification.status).where(Notification.purpose == "escalation_feedback_overdue")
            ).all()
            return pending == 0 and len(reminders) >= len(assignment_ids) and set(reminders) == {"sent"}

    wait_for(reminders_sent, what="escalation messages written and sent by the worker")

    signer = signer_for(app.config)
    for assignment_id in assignment_ids:
        path = signer.url(assignment_id).removeprefix(base)
        token = csrf_token(client, path)
        client.post(f"{path}/feedback", data={"outcome": "case_opened", "note": "已立案", "csrf_token": token})
    assert report_status(app, reference) == "feedback_received"
    login(client, "op-int")
    page = f"/console/reports/{reference}"
    client.post(f"{page}/close", data={"csrf_token": csrf_token(client, page)})
    assert report_status(app, reference) == "closed"

    def closure_sent() -> bool:
        with get_db(app).session() as session:
            n = session.scalar(select(Notification).where(Notification.purpose == "reporter_closure"))
            return n is not None and n.status == "sent"

    wait_for(closure_sent, what="the reporter's closure SMS")
    assert lead_id in assignment_ids
    get_db(app).engine.dispose()
