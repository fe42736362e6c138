"""Delivery outcomes through the real Twilio channel on an in-process fake transport: each error
code, rate limits, 5xx and timeouts (unknown → reconciled, never blindly resent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import get_db
from hotline.models import Agency, Escalation, Notification, utcnow
from notifications.jobs import channel_for, deliver, reconcile
from tests import factories
from tests.conftest import make_app
from tests.fakes import FakeTwilio, connection_refused, error, read_timeout

TWILIO = {
    "SMS_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "SMS_RATE_PER_SECOND": 100,
}


@pytest.fixture
def twilio_app(tmp_path) -> Flask:
    app = make_app(tmp_path, **TWILIO)
    get_db(app).create_all()
    return app


@pytest.fixture
def fake(twilio_app) -> FakeTwilio:
    transport = FakeTwilio()
    channel_for(twilio_app).client.http_client = transport
    return transport


def triage_a_red_report(app: Flask) -> None:
    """The demo area and a red report, triaged and dispatched by the triage job itself."""
    from triage.jobs import triage_report

    with get_db(app).session() as session:
        factories.demo_area(session, app.instance_path)
        report, _code = factories.report(session)
        session.commit()
        report_id = report.id
    with app.app_context():
        triage_report(report_id)


@pytest.fixture
def dispatched(twilio_app, fake):
    """A red report triaged and dispatched, its notifications pending (no job run yet)."""
    triage_a_red_report(twilio_app)
    with get_db(twilio_app).session() as session:
        lead_sms = session.scalar(
            select(Notification)
            .where(Notification.purpose == "dispatch", Notification.channel == "sms")
            .order_by(Notification.id)
        )
        return lead_sms.id


def run(app: Flask, job, notification_id: int) -> Notification:
    with app.app_context():
        job(notification_id)
    with get_db(app).session() as session:
        return session.get(Notification, notification_id)


def test_sent(twilio_app, fake, dispatched) -> None:
    notification = run(twilio_app, deliver, dispatched)
    assert notification.status == "sent" and notification.provider_id.startswith("SM")
    method, url, data = fake.requests[-1]
    assert method == "POST" and url.endswith("/Messages.json")
    assert data["ValidityPeriod"] == 900 and data["StatusCallback"] == "http://localhost/twilio/status"
    assert "小明" not in data["Body"] and "李老师" not in data["Body"]


@pytest.mark.parametrize("code", [21211, 21610, 21614])
def test_permanent_errors_mark_the_number_bad_and_alert_the_supervisor(twilio_app, fake, dispatched, code) -> None:
    fake.script.append(error(400, code, "The 'To' number is not valid"))
    notification = run(twilio_app, deliver, dispatched)
    assert notification.status == "failed" and notification.error_code == str(code)
    assert fake.creates == 1
    with get_db(twilio_app).session() as session:
        agency = session.scalar(select(Agency).where(Agency.duty_phone == notification.recipient))
        assert notification.recipient in agency.bad_numbers
        assert session.scalar(select(Escalation).where(Escalation.step == "delivery_failed"))
        purposes = set(session.scalars(select(Notification.purpose)))
        assert "supervision_delivery_failed" in purposes
        backup = session.scalar(select(Notification).where(Notification.dedupe_key == f"backup:{notification.id}"))
        assert backup is not None and backup.recipient == agency.backup_phone


@pytest.mark.parametrize("outcome", [error(429, 20429, "Too many requests"), connection_refused()])
def test_transient_errors_retry_later(twilio_app, fake, dispatched, outcome) -> None:
    fake.script.append(outcome)
    notification = run(twilio_app, deliver, dispatched)
    assert notification.status == "pending"
    assert notification.next_attempt_at > utcnow() + timedelta(seconds=5)
    assert run(twilio_app, deliver, dispatched).status == "pending"  # not due yet: nothing sent
    assert fake.creates == 1


@pytest.mark.parametrize("outcome", [error(500, None, "Internal"), error(503, None, "Unavailable"), read_timeout()])
def test_unknown_outcome_is_reconciled_not_resent(twilio_app, fake, dispatched, outcome) -> None:
    # Twilio accepted the message but our request failed on the way back.
    def accepted_then_failed(method, url, params=None, data=None, **kwargs):  # type: ignore[no-untyped-def]
        fake.sent.append({"sid": "SMaccepted", "to": data["To"], "body": data["Body"], "status": "queued"})
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    original = fake.request
    fake.request = accepted_then_failed  # type: ignore[method-assign]
    notification = run(twilio_app, deliver, dispatched)
    fake.request = original  # type: ignore[method-assign]
    assert notification.status == "unknown"
    with get_db(twilio_app).session() as session:
        session.get(Notification, dispatched).next_attempt_at = utcnow()
        session.commit()
    notification = run(twilio_app, reconcile, dispatched)
    assert notification.status == "sent" and notification.provider_id == "SMaccepted"
    assert fake.creates == 0  # no second send


def test_unknown_outcome_not_found_is_sent_again(twilio_app, fake, dispatched) -> None:
    fake.script.append(read_timeout())
    assert run(twilio_app, deliver, dispatched).status == "unknown"
    with get_db(twilio_app).session() as session:
        session.get(Notification, dispatched).next_attempt_at = utcnow()
        session.commit()
    with twilio_app.app_context():
        reconcile(dispatched)
        from hotline.queue import get_queue

        get_queue(twilio_app).drain(twilio_app)
    with get_db(twilio_app).session() as session:
        notification = session.get(Notification, dispatched)
        assert notification.status == "sent"
    sends = [d for method, _url, d in fake.requests if method == "POST" and d.get("Body") == notification.body]
    assert len(sends) == 2  # the first attempt never reached Twilio, so it was sent once more


def test_voice_call_carries_the_keypress_callback(twilio_app, fake, dispatched) -> None:
    with get_db(twilio_app).session() as session:
        voice = session.scalar(select(Notification).where(Notification.channel == "voice"))
    notification = run(twilio_app, deliver, voice.id)
    assert notification.status == "sent"
    _method, url, data = fake.requests[-1]
    assert url.endswith("/Calls.json")
    assert f"/twilio/notify/gather?n={voice.id}" in data["Twiml"] and "<Gather" in data["Twiml"]


def test_sender_rate_limit_defers_the_excess(tmp_path, monkeypatch) -> None:
    """One message a second from the sender: the second message in the same second waits its turn."""
    import notifications.jobs as jobs

    app = make_app(tmp_path, **{**TWILIO, "SMS_RATE_PER_SECOND": 1})
    get_db(app).create_all()
    channel_for(app).client.http_client = FakeTwilio()
    monkeypatch.setattr(jobs, "RATE_WAIT_LIMIT", 0.0)
    triage_a_red_report(app)
    with get_db(app).session() as session:
        ids = list(
            session.scalars(select(Notification.id).where(Notification.purpose == "dispatch").order_by(Notification.id))
        )
    first, second = run(app, deliver, ids[0]), run(app, deliver, ids[1])
    assert first.status == "sent"
    assert second.status == "pending" and second.error_message == "sender rate limit"


def test_a_provider_refusing_everything_does_not_loop(twilio_app, fake, dispatched) -> None:
    """Every send fails permanently: one supervisor alert per assignment, then silence."""
    from hotline.queue import get_queue

    fake.script.extend([error(400, 21211, "invalid")] * 200)
    with twilio_app.app_context():
        for _ in range(5):
            with get_db(twilio_app).session() as session:
                pending = list(session.scalars(select(Notification.id).where(Notification.status == "pending")))
            for notification_id in pending:
                get_queue(twilio_app).enqueue("notify", "notifications.jobs.deliver", notification_id)
            get_queue(twilio_app).drain(twilio_app)
    with get_db(twilio_app).session() as session:
        rows = session.scalars(select(Notification)).all()
        assert all(n.status == "failed" for n in rows)
        alerts = [n for n in rows if n.purpose == "supervision_delivery_failed"]
        assignments = {n.assignment_id for n in rows if n.assignment_id}
        assert len(alerts) == len(assignments)
        office = session.scalar(
            select(Agency).where(Agency.agency_type == "minor_protection_office", Agency.jurisdiction_code == "330102")
        )
        assert office.duty_phone in office.bad_numbers
        police = session.scalar(select(Agency).where(Agency.name == "湖滨派出所(演示)"))
        assert office.duty_phone not in police.bad_numbers
    assert fake.creates < 40
