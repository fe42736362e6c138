"""Hotline channels: a call forwarded from 12345 through the signed voice webhooks (answered, and
unanswered → message → callback task), the operator's call intake (prefill, preview, autosave,
submit, link to an existing report), and duplicates (detection, merge, un-merge)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.audit import Actor
from hotline.duplicates import find_duplicates, merge, unmerge
from hotline.models import Assignment, Call, CallbackTask, IntakeDraft, Notification, Report
from tests import factories
from tests.conftest import csrf_token, make_app
from tests.functional.test_console_and_security import login

TOKEN = "voice-token"
BASE = "https://hotline.example.gov.cn"
OPERATOR = Actor("user", "1", "op", role="operator")


@pytest.fixture
def app(tmp_path):
    from hotline.db import get_db

    application = make_app(
        tmp_path,
        TWILIO_AUTH_TOKEN=TOKEN,
        BASE_URL=BASE,
        OPERATOR_NUMBERS="+8613711110001,+8613711110002",
        LINE_NUMBERS="+8657100012355=12355",
    )
    get_db(application).create_all()
    return application


def voice(client, path: str, params: dict[str, str]):
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


CALL = {
    "CallSid": "CA0001",
    "From": "+8613800000999",
    "To": "+8657100000000",
    "ForwardedFrom": "12345",
    "CallStatus": "ringing",
}


def test_answered_call_from_12345(client, db_session) -> None:
    greeting = voice(client, "/twilio/voice/incoming", CALL).get_data(as_text=True)
    assert "<Gather" in greeting and "请按 1" in greeting and 'language="cmn-CN"' in greeting
    dial = voice(client, "/twilio/voice/menu", {**CALL, "Digits": "1"}).get_data(as_text=True)
    assert "<Dial" in dial and "+8613711110001" in dial and "110" in dial
    done = voice(client, "/twilio/voice/dial-done", {**CALL, "DialCallStatus": "completed"}).get_data(as_text=True)
    assert "<Record" not in done
    voice(client, "/twilio/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": "184"})
    call = db_session.scalar(select(Call))
    assert (call.line, call.urgent, call.status, call.duration_seconds) == ("12345", True, "completed", 184)
    assert [e.status for e in call.events] == ["incoming", "menu", "dial-completed", "completed"]
    assert db_session.scalar(select(CallbackTask)) is None


def test_unanswered_call_records_a_message_and_opens_a_callback_task(client, db_session) -> None:
    params = {**CALL, "CallSid": "CA0002", "ForwardedFrom": "", "To": "+8657100012355"}
    voice(client, "/twilio/voice/incoming", params)
    voice(client, "/twilio/voice/menu", {**params, "Digits": ""})
    recorded = voice(client, "/twilio/voice/dial-done", {**params, "DialCallStatus": "no-answer"}).get_data(
        as_text=True
    )
    assert "<Record" in recorded and "/twilio/voice/recording" in recorded
    voice(
        client,
        "/twilio/voice/recording",
        {
            **params,
            "RecordingSid": "RE1",
            "RecordingUrl": "https://api.twilio.com/rec/RE1",
            "RecordingDuration": "42",
            "RecordingStatus": "completed",
        },
    )
    call = db_session.scalar(select(Call))
    assert call.line == "12355" and not call.urgent and call.recording_seconds == 42
    task = db_session.scalar(select(CallbackTask))
    assert task is not None and task.call_id == call.id and task.urgent is False


def test_voice_webhooks_need_a_signature(client) -> None:
    for path in ("/twilio/voice/incoming", "/twilio/voice/menu", "/twilio/voice/dial-done", "/twilio/voice/status"):
        assert client.post(path, data=CALL).status_code == 403


def test_duplicate_incoming_webhook_records_one_call(client, db_session) -> None:
    voice(client, "/twilio/voice/incoming", CALL)
    voice(client, "/twilio/voice/incoming", CALL)
    assert len(db_session.scalars(select(Call)).all()) == 1


@pytest.fixture
def operator(app, db_session):
    factories.demo_area(db_session, app.instance_path)
    user = factories.user(db_session, "operator", username="op")
    db_session.commit()
    return user


FORM = {
    "immediate_danger": "yes",
    "perpetrator_access_24h": "unknown",
    "needs_medical_care_now": "unknown",
    "missing": "no",
    "self_harm_risk": "no",
    "narrative": "来电人说邻居家的孩子现在正在被继父用棍子打,孩子一直在哭喊。",
    "child_age": "8",
    "jurisdiction_code": "330102001",
}


def test_call_to_report_through_the_console(app, client, db_session, operator, drain) -> None:
    voice(client, "/twilio/voice/incoming", CALL)
    call = db_session.scalar(select(Call))
    login(client, "op")
    calls_page = client.get("/console/calls").get_data(as_text=True)
    assert "+8613800000999" in calls_page
    form_page = client.get(f"/console/intake?call={call.id}").get_data(as_text=True)
    assert 'value="+8613800000999"' in form_page  # the caller's number is prefilled
    assert "孩子现在是否处于危险之中" in form_page  # the script panel
    token = csrf_token(client, f"/console/intake?call={call.id}")
    data = {**FORM, "call_id": str(call.id), "csrf_token": token, "reporter_phone": "+8613800000999"}

    preview = client.post(f"/console/intake?call={call.id}", data={**data, "action": "preview"}).get_data(as_text=True)
    assert "请立即转接 110 / 120" in preview  # red: transfer now
    autosaved = client.post("/console/intake/autosave", data=data, headers={"X-CSRFToken": token}).get_json()
    assert autosaved["preview"]["urgency"] == "red" and autosaved["draft_id"]
    draft = db_session.get(IntakeDraft, autosaved["draft_id"])
    assert draft.data["narrative"].startswith("来电人说")

    response = client.post(
        f"/console/intake?call={call.id}", data={**data, "draft_id": str(draft.id), "action": "submit"}
    )
    assert response.status_code == 302
    drain()
    db_session.expire_all()
    report = db_session.scalar(select(Report))
    assert report.channel == "phone_12345" and report.status == "dispatched" and report.urgency == "red"
    assert db_session.get(Call, call.id).report_id == report.id
    assert db_session.get(IntakeDraft, draft.id).report_id == report.id


def test_a_draft_keeps_what_was_typed(app, client, db_session, operator) -> None:
    login(client, "op")
    token = csrf_token(client, "/console/intake")
    client.post(
        "/console/intake", data={"narrative": "还没说完", "child_age": "9", "action": "save", "csrf_token": token}
    )
    draft = db_session.scalar(select(IntakeDraft))
    page = client.get(f"/console/intake?draft={draft.id}").get_data(as_text=True)
    assert "还没说完" in page and 'value="9"' in page
    failed = client.post(
        "/console/intake", data={"narrative": "", "child_age": "40", "action": "submit", "csrf_token": token}
    )
    assert failed.status_code == 422 and db_session.scalar(select(Report)) is None


def test_autosave_needs_the_csrf_header(client, operator) -> None:
    login(client, "op")
    assert client.post("/console/intake/autosave", data=FORM).status_code == 400


def test_link_a_call_to_an_existing_report(client, db_session, operator) -> None:
    report, _code = factories.report(db_session)
    db_session.commit()
    voice(client, "/twilio/voice/incoming", CALL)
    call = db_session.scalar(select(Call))
    login(client, "op")
    token = csrf_token(client, "/console/calls")
    client.post(f"/console/calls/{call.id}/link", data={"reference": report.reference, "csrf_token": token})
    db_session.expire_all()
    assert db_session.get(Call, call.id).report_id == report.id


def test_agency_staff_cannot_use_the_call_console(client, db_session, operator) -> None:
    police = factories.agency(db_session, jurisdiction_code="330102")
    factories.user(db_session, "agency_staff", username="cop", agency_id=police.id)
    db_session.commit()
    login(client, "cop")
    assert client.get("/console/calls").status_code == 403
    assert client.get("/console/intake").status_code == 403


TEACHER = {**factories.RED_INTAKE}
DOCTOR = {
    **factories.RED_INTAKE,
    "reporter": {"role": "doctor", "institution": "某医院", "name": "王医生", "phone": "+8613800000202"},
    "child": {"name": "小明", "age": 9, "sex": "male", "location_now": "hospital"},
    "narrative": "9岁男孩小明来院就诊,背部、手臂多处淤青,疑似被父亲用皮带殴打。",
}


def test_duplicates_detected_merged_and_unmerged(app, db_session, drain, operator) -> None:
    first, _ = factories.report(db_session, TEACHER)
    second, _ = factories.report(db_session, DOCTOR)
    unrelated, _ = factories.report(db_session, factories.BLUE_INTAKE)
    db_session.commit()
    candidates = find_duplicates(db_session, second)
    assert [c.report.id for c in candidates] == [first.id]
    assert any("同一儿童" in reason for reason in candidates[0].reasons)

    merge(db_session, first, second, OPERATOR)  # before triage: the doctor's report is never dispatched
    db_session.commit()
    drain()
    db_session.expire_all()
    second = db_session.get(Report, second.id)
    assert second.status == "merged" and second.merged_into_id == first.id
    assert db_session.scalars(select(Assignment).where(Assignment.report_id == second.id)).all() == []
    assert not db_session.scalars(
        select(Notification).where(Notification.report_id == second.id, Notification.purpose == "dispatch")
    ).all()

    unmerge(db_session, second, OPERATOR, "不是同一个孩子")
    db_session.commit()
    assert second.status == "received" and second.merged_into_id is None
    assert unrelated.status != "merged"


def test_merging_a_dispatched_duplicate_cancels_its_assignments(db_session, drain, operator) -> None:
    first, _ = factories.report(db_session, TEACHER)
    second, _ = factories.report(db_session, DOCTOR)
    db_session.commit()
    drain()
    db_session.expire_all()
    first, second = db_session.get(Report, first.id), db_session.get(Report, second.id)
    merge(db_session, first, second, OPERATOR)
    db_session.commit()
    assert {a.status for a in second.assignments} == {"cancelled"}
    unmerge(db_session, second, OPERATOR, "误并")
    assert second.status == "reopened"


def test_merge_through_the_console_shows_all_sources(client, db_session, drain, operator) -> None:
    first, _ = factories.report(db_session, TEACHER)
    second, _ = factories.report(db_session, DOCTOR)
    db_session.commit()
    login(client, "op")
    page = f"/console/reports/{first.reference}"
    listing = client.get(page).get_data(as_text=True)
    assert "可能重复的报告" in listing and second.reference in listing
    client.post(f"{page}/merge", data={"duplicate": second.reference, "csrf_token": csrf_token(client, page)})
    merged_page = client.get(page).get_data(as_text=True)
    assert "已并入的报告" in merged_page and "王医生" in merged_page and "疑似被父亲用皮带殴打" in merged_page
