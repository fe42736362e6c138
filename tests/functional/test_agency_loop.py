"""The loop the law asks for, on the embedded default: a red report reaches the police's on-duty
number, the reply "1 <reference>" acknowledges it, the agency records feedback through its signed
link, the operator closes it and the reporter's closure SMS appears. Plus the signed webhooks,
the portal's scoping, and each way a reply or link can be wrong."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.links import LinkSigner
from hotline.models import Agency, Assignment, AuditEvent, Notification, Report
from notifications.webhooks import parse_reply
from tests import factories
from tests.conftest import csrf_token, make_app
from tests.functional.test_console_and_security import login

TOKEN = "test-auth-token"
BASE = "https://hotline.example.gov.cn"


@pytest.fixture
def app(tmp_path):
    from hotline.db import get_db

    application = make_app(tmp_path, TWILIO_AUTH_TOKEN=TOKEN, BASE_URL=BASE)
    get_db(application).create_all()
    return application


def twilio_post(client, path: str, params: dict[str, str], token: str = TOKEN, url: str | None = None):
    signature = RequestValidator(token).compute_signature(url or f"{BASE}{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


lead_of = factories.lead_of


def test_full_loop(app, client, db_session, drain, red_report) -> None:
    lead = lead_of(red_report)
    police_sms = db_session.scalar(
        select(Notification).where(Notification.assignment_id == lead.id, Notification.channel == "sms")
    )
    assert police_sms.status == "sent" and police_sms.recipient == lead.agency.duty_phone
    assert red_report.reference in police_sms.body and lead.reply_code in police_sms.body
    link = re.search(r"(https://\S+/a/\S+)", police_sms.body).group(1)

    answer = twilio_post(client, "/twilio/sms", {"From": lead.agency.duty_phone, "Body": f"1 {red_report.reference}"})
    assert answer.status_code == 200 and "已签收" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "acknowledged"
    assert db_session.get(Report, red_report.id).status == "acknowledged"

    path = link.removeprefix(BASE)
    page = client.get(path).get_data(as_text=True)
    assert "多处淤青" in page and "李老师" not in page  # details yes, reporter no
    for assignment in db_session.get(Report, red_report.id).assignments:
        signed_path = LinkSigner(BASE, app.config["SECRET_KEY"]).url(assignment.id).removeprefix(BASE)
        token = csrf_token(client, signed_path)
        response = client.post(
            f"{signed_path}/feedback", data={"outcome": "case_opened", "note": "已立案侦查", "csrf_token": token}
        )
        assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Report, red_report.id).status == "feedback_received"

    operator = factories.user(db_session, "operator", username="op")
    db_session.commit()
    login(client, operator.username)
    page = f"/console/reports/{red_report.reference}"
    client.post(f"{page}/close", data={"note": "各单位均已反馈", "csrf_token": csrf_token(client, page)})
    drain()
    db_session.expire_all()
    report = db_session.get(Report, red_report.id)
    assert report.status == "closed" and report.closed_at is not None
    closure = db_session.scalar(select(Notification).where(Notification.purpose == "reporter_closure"))
    assert closure.status == "sent" and closure.recipient == report.reporter_phone
    assert "办结" in closure.body and "小明" not in closure.body and "淤青" not in closure.body


def test_close_refused_until_every_assignment_gave_feedback(app, client, db_session, red_report) -> None:
    operator = factories.user(db_session, "operator", username="op")
    db_session.commit()
    login(client, operator.username)
    page = f"/console/reports/{red_report.reference}"
    client.post(f"{page}/close", data={"csrf_token": csrf_token(client, page)})
    db_session.expire_all()
    assert db_session.get(Report, red_report.id).status == "dispatched"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("1 HX-2026-000001", "HX-2026-000001"),
        ("签收 hx-2026-000001", "HX-2026-000001"),
        ("１ ４８３９２０", "483920"),
        ("1,483920", "483920"),
        ("ok 483920", "483920"),
        ("1HX-2026-000001", "HX-2026-000001"),
        ("hello", None),
        ("1", None),
        ("2 HX-2026-000001", None),
        ("1 48392", None),
    ],
)
def test_parse_reply(body: str, key: str | None) -> None:
    assert parse_reply(body) == key


def test_reply_code_acknowledges_too(client, db_session, red_report) -> None:
    lead = lead_of(red_report)
    twilio_post(client, "/twilio/sms", {"From": lead.agency.backup_phone, "Body": f"签收 {lead.reply_code}"})
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "acknowledged"


def test_unknown_sender_gets_an_answer_and_nothing_else(client, db_session, red_report) -> None:
    answer = twilio_post(client, "/twilio/sms", {"From": "+8613712345678", "Body": f"1 {red_report.reference}"})
    assert "未登记" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert all(a.status == "notified" for a in db_session.get(Report, red_report.id).assignments)
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.reply_rejected"))


def test_malformed_reply_gets_help(client, db_session, red_report) -> None:
    answer = twilio_post(client, "/twilio/sms", {"From": lead_of(red_report).agency.duty_phone, "Body": "收到了吗"})
    assert "例如" in answer.get_data(as_text=True)
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.reply_malformed"))


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/status", "/twilio/notify/gather?n=1"])
def test_webhooks_refuse_bad_signatures(client, red_report, path) -> None:
    params = {"From": "+8613900000301", "Body": "1 HX-2026-000001", "MessageSid": "SM1", "MessageStatus": "delivered"}
    assert client.post(path, data=params).status_code == 403  # no signature
    assert twilio_post(client, path, params, token="wrong-token").status_code == 403
    assert twilio_post(client, path, params, url=f"http://localhost{path}").status_code == 403  # the proxy's URL
    tampered = dict(params, Body="1 HX-2026-999999")
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}{path}", params)
    assert client.post(path, data=tampered, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert twilio_post(client, path, params).status_code in (200, 204)  # validated against BASE_URL


def test_status_callbacks_forward_only_and_idempotent(client, db_session, red_report) -> None:
    notification = db_session.scalar(select(Notification).where(Notification.purpose == "dispatch"))
    notification.provider_id = "SMabc"
    db_session.commit()
    for status in ("delivered", "delivered", "sent", "queued"):
        assert (
            twilio_post(client, "/twilio/status", {"MessageSid": "SMabc", "MessageStatus": status}).status_code == 204
        )
    db_session.expire_all()
    notification = db_session.get(Notification, notification.id)
    assert notification.status == "delivered" and notification.delivered_at is not None
    changes = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "notification.status", AuditEvent.subject_id == str(notification.id)
        )
    ).all()
    assert len(changes) == 1


@pytest.mark.parametrize(
    ("code", "retried", "bad"), [("30003", True, False), ("30008", True, False), ("30005", False, True)]
)
def test_failed_delivery_callbacks(client, db_session, red_report, code, retried, bad) -> None:
    notification = db_session.scalar(select(Notification).where(Notification.purpose == "dispatch"))
    notification.provider_id = "SMfail"
    db_session.commit()
    twilio_post(client, "/twilio/status", {"MessageSid": "SMfail", "MessageStatus": "undelivered", "ErrorCode": code})
    db_session.expire_all()
    assert db_session.get(Notification, notification.id).status == "failed"
    retry = db_session.scalar(select(Notification).where(Notification.dedupe_key == f"retry:{notification.id}"))
    assert (retry is not None) is retried
    agency = db_session.scalar(select(Agency).where(Agency.duty_phone == notification.recipient))
    assert (notification.recipient in agency.bad_numbers) is bad


def test_voice_keypress_acknowledges(client, db_session, red_report) -> None:
    call = db_session.scalar(select(Notification).where(Notification.channel == "voice"))
    assert twilio_post(client, f"/twilio/notify/gather?n={call.id}", {"Digits": "2"}).status_code == 200
    db_session.expire_all()
    assert db_session.get(Assignment, call.assignment_id).status == "notified"
    response = twilio_post(client, f"/twilio/notify/gather?n={call.id}", {"Digits": "1"})
    assert "已签收" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Assignment, call.assignment_id).status == "acknowledged"


def test_portal_shows_only_the_agencys_own_assignments(app, client, db_session, red_report) -> None:
    lead = lead_of(red_report)
    other = next(a for a in red_report.assignments if a.agency_id != lead.agency_id)
    staff = factories.user(db_session, "agency_staff", username="station", agency_id=lead.agency_id)
    db_session.commit()
    login(client, staff.username)
    listing = client.get("/agency/").get_data(as_text=True)
    assert red_report.reference in listing
    assert client.get(f"/agency/assignments/{lead.id}").status_code == 200
    assert client.get(f"/agency/assignments/{other.id}").status_code == 404
    token = csrf_token(client, f"/agency/assignments/{lead.id}")
    assert client.post(f"/agency/assignments/{other.id}/acknowledge", data={"csrf_token": token}).status_code == 404
    client.post(f"/agency/assignments/{lead.id}/note", data={"text": "已出警", "csrf_token": token})
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "in_progress"
    assert db_session.get(Report, red_report.id).status == "in_progress"


def test_decline_sends_the_report_back_for_redispatch(client, db_session, app, red_report) -> None:
    lead = lead_of(red_report)
    path = LinkSigner(BASE, app.config["SECRET_KEY"]).url(lead.id).removeprefix(BASE)
    token = csrf_token(client, path)
    client.post(f"{path}/decline", data={"reason": "", "csrf_token": token})
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "notified"  # a reason is required
    client.post(f"{path}/decline", data={"reason": "不在本所辖区", "csrf_token": token})
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "declined"
    assert db_session.get(Report, red_report.id).status == "triaged"


@pytest.mark.parametrize("token", ["garbage", "MQ.aaaa.bbbb"])
def test_bad_links_open_nothing(client, red_report, token) -> None:
    assert client.get(f"/a/{token}").status_code == 404


def test_link_for_another_secret_opens_nothing(client, red_report) -> None:
    forged = LinkSigner(BASE, "someone-elses-secret").url(lead_of(red_report).id).removeprefix(BASE)
    assert client.get(forged).status_code == 404


def test_simulated_reply_on_the_console(app, client, db_session, red_report) -> None:
    operator = factories.user(db_session, "operator", username="op")
    db_session.commit()
    login(client, operator.username)
    lead = lead_of(red_report)
    token = csrf_token(client, "/console/outbox")
    client.post(
        "/console/outbox/reply",
        data={"sender": lead.agency.duty_phone, "body": f"1 {red_report.reference}", "csrf_token": token},
    )
    db_session.expire_all()
    assert db_session.get(Assignment, lead.id).status == "acknowledged"
