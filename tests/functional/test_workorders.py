"""The 12345 work-order API: signatures (good, wrong, stale, replayed), idempotency on the number,
field-level errors, and the signed feedback pushed back to the partner's callback URL, retried
after a failure, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline import operations, workorders
from hotline.audit import Actor
from hotline.models import AuditEvent, FeedbackPush, Partner, Report, WorkOrder, utcnow
from hotline.queue import get_queue
from hotline.web import workorders as workorders_web
from tests import factories

TEXT = "王女士来电反映:邻居家孩子小明(约9岁)身上常有淤青,夜里常听到打骂声,孩子说爸爸用皮带打他。"


@pytest.fixture
def partner(db_session: Session) -> Partner:
    key_id, _secret = workorders.create_partner(db_session, "杭州市12345平台", None)
    db_session.commit()
    found = db_session.scalar(select(Partner).where(Partner.key_id == key_id))
    assert found is not None
    return found


def order(number: str = "2026112300123", **changes: Any) -> dict[str, Any]:
    received = (utcnow() - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Shanghai"))
    body: dict[str, Any] = {
        "number": number,
        "received_at": received.isoformat(timespec="seconds"),
        "category": "未成年人保护/家庭暴力",
        "caller": {"phone": "13800000101", "name": "王女士"},
        "area": {"division_code": "330102001", "address": "湖滨街道某小区"},
        "text": TEXT,
        "attachments": ["https://12345.example.gov.cn/rec/abc.mp3"],
    }
    body.update(changes)
    return body


def send(
    client: FlaskClient,
    partner: Partner,
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = {
        "X-Hotline-Key": partner.key_id,
        "X-Hotline-Timestamp": str(stamp),
        "X-Hotline-Signature": workorders.sign(secret or partner.secret, stamp, raw),
        "Content-Type": content_type,
    }
    signed.update(headers or {})
    return client.post("/api/v1/workorders", data=raw, headers=signed)


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- Receiving ---------------------------------------------------------------------------------


def test_signed_work_order_becomes_a_report(client, db_session, partner) -> None:
    body = order()
    response = send(client, partner, body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["reference"].startswith("HX-") and answer["work_order"] == "2026112300123"
    assert answer["status"] == "received" and answer["duplicate"] is False and answer["warnings"] == []
    assert len(answer["status_code"]) == 9
    report = db_session.scalar(select(Report).where(Report.reference == answer["reference"]))
    assert report.channel == "workorder_12345"
    assert report.external_id == f"{partner.id}:2026112300123"
    assert report.narrative == TEXT
    assert (report.reporter_name, report.reporter_phone) == ("王女士", "+8613800000101")
    assert (report.jurisdiction_code, report.address) == ("330102001", "湖滨街道某小区")
    assert report.received_at == datetime.fromisoformat(body["received_at"])
    work_order = db_session.scalar(select(WorkOrder).where(WorkOrder.report_id == report.id))
    assert work_order.partner_id == partner.id and work_order.category_label == "未成年人保护/家庭暴力"
    assert work_order.payload["attachments"] == ["https://12345.example.gov.cn/rec/abc.mp3"]


def test_the_same_order_twice_is_one_report(client, db_session, partner) -> None:
    now = int(time.time())
    first = send(client, partner, order(), timestamp=now)
    second = send(client, partner, order(text="再次推送"), timestamp=now - 1)  # signed again
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["reference"] == second.get_json()["reference"]
    assert second.get_json()["duplicate"] is True and "status_code" not in second.get_json()
    assert count(db_session, Report) == 1 and count(db_session, WorkOrder) == 1


def test_two_partners_may_use_the_same_number(client, db_session, partner) -> None:
    key_id, secret = workorders.create_partner(db_session, "宁波市12345平台", None)
    db_session.commit()
    other = db_session.scalar(select(Partner).where(Partner.key_id == key_id))
    assert other is not None and other.secret == secret
    assert send(client, partner, order("A1")).status_code == 201
    assert send(client, other, order("A1")).status_code == 201
    assert count(db_session, Report) == 2


def test_a_concurrent_duplicate_answers_with_the_first_report(client, db_session, partner, monkeypatch) -> None:
    """Two requests for one order at once: the loser's commit hits the unique key and it answers 200."""
    first = send(client, partner, order()).get_json()
    monkeypatch.setattr(workorders, "find_work_order", _not_found_once(workorders.find_work_order))
    second = send(client, partner, order(), timestamp=int(time.time()) - 2)
    assert second.status_code == 200 and second.get_json()["reference"] == first["reference"]
    assert count(db_session, Report) == 1


def _not_found_once(real):
    calls = []

    def find(session, partner_id, number):
        calls.append(number)
        return None if len(calls) == 1 else real(session, partner_id, number)

    return find


def test_caller_number_that_is_not_a_phone_number_is_kept_on_the_work_order_only(client, db_session, partner) -> None:
    response = send(client, partner, order(caller={"phone": "138****0101"}, received_at="1970-01-01T00:00:00Z"))
    assert response.status_code == 201
    assert {w["field"] for w in response.get_json()["warnings"]} == {"caller.phone", "received_at"}
    report = db_session.scalar(select(Report))
    assert report.reporter_phone is None
    assert report.received_at > datetime(2000, 1, 1, tzinfo=UTC)  # our receipt time instead
    assert db_session.scalar(select(WorkOrder)).payload["caller"]["phone"] == "138****0101"


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        ({"headers": {"X-Hotline-Signature": ""}}, "missing_signature"),
        ({"headers": {"X-Hotline-Key": "wo_0000000000000000"}}, "unknown_key"),
        ({"secret": "not-the-partners-secret"}, "bad_signature"),
        ({"headers": {"X-Hotline-Signature": "0" * 64}}, "bad_signature"),
        ({"headers": {"X-Hotline-Signature": "签名"}}, "bad_signature"),
        ({"headers": {"X-Hotline-Timestamp": "1e9"}}, "bad_timestamp"),
        ({"timestamp": int(time.time()) - 301}, "stale_timestamp"),
        ({"timestamp": int(time.time()) + 3600}, "stale_timestamp"),
    ],
)
def test_bad_signatures_are_refused(client, db_session, partner, tamper, error) -> None:
    response = send(client, partner, order(), **tamper)
    assert response.status_code == 401
    assert response.get_json()["error"] == error
    assert count(db_session, Report) == 0


def test_a_signature_over_another_body_is_refused(client, db_session, partner) -> None:
    stamp = int(time.time())
    signature = workorders.sign(partner.secret, stamp, json.dumps(order("X1")).encode())
    response = send(client, partner, order("X2"), timestamp=stamp, headers={"X-Hotline-Signature": signature})
    assert response.get_json()["error"] == "bad_signature"
    assert count(db_session, Report) == 0


def test_a_disabled_partner_is_refused(client, db_session, partner) -> None:
    partner.active = False
    db_session.commit()
    assert send(client, partner, order()).get_json()["error"] == "unknown_key"


def test_a_replayed_request_is_refused(client, db_session, partner) -> None:
    stamp = int(time.time())
    body, invalid = order(), order("Y1", text="")
    assert send(client, partner, body, timestamp=stamp).status_code == 201
    replay = send(client, partner, body, timestamp=stamp)
    assert replay.status_code == 401 and replay.get_json()["error"] == "replayed"
    # A replay is refused even when the first request was itself refused for its content.
    assert send(client, partner, invalid, timestamp=stamp).status_code == 422
    assert send(client, partner, invalid, timestamp=stamp).get_json()["error"] == "replayed"
    assert count(db_session, Report) == 1


# --- Malformed bodies --------------------------------------------------------------------------


def test_not_json(client, partner) -> None:
    response = send(client, partner, b"{not json")
    assert response.status_code == 400 and response.get_json()["fields"] == {"": "invalid JSON"}
    assert send(client, partner, b'{"text": "\\ud800"}').status_code == 400  # a lone surrogate
    assert send(client, partner, b"[" * 100_000).status_code == 400


def test_wrong_content_type(client, partner) -> None:
    assert send(client, partner, order(), content_type="text/plain").status_code == 415


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], ""),
        (order(number=None), "number"),
        (order(number="含中文"), "number"),
        (order(number=" 2026"), "number"),
        (order(text=""), "text"),
        (order(text="   "), "text"),
        (order(text=7), "text"),
        (order(text="x" * 20_001), "text"),
        (order(category=None), "category"),
        (order(received_at="2026-11-23 08:15:00"), "received_at"),
        (order(received_at="2026-02-30T08:15:00+08:00"), "received_at"),
        (order(received_at="2026-11-23T08:15:00+24:00"), "received_at"),
        (order(extra=1), "extra"),
        (order(caller="王女士"), "caller"),
        (order(caller={"email": "a@b.c"}), "caller.email"),
        (order(caller={"name": "x" * 101}), "caller.name"),
        (order(area={"division_code": "3301"}), "area.division_code"),
        (order(area={"division_code": 330102}), "area.division_code"),
        (order(area={"address": "x" * 201}), "area.address"),
        (order(attachments="https://a.example/1"), "attachments"),
        (order(attachments=["https://a.example/1", "javascript:alert(1)"]), "attachments[1]"),
        (order(attachments=[f"https://a.example/{i}" for i in range(21)]), "attachments"),
    ],
)
def test_invalid_fields_are_named(client, db_session, partner, body, field) -> None:
    response = send(client, partner, body)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_work_order" and field in answer["fields"]
    assert count(db_session, Report) == 0


def test_nul_characters_are_dropped(client, db_session, partner) -> None:
    assert send(client, partner, order(text="孩子\x00被打")).status_code == 201
    assert db_session.scalar(select(Report)).narrative == "孩子被打"


def test_openapi_description_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    kept = json.loads((Path(workorders_web.__file__).parents[1] / "static/openapi/workorders.json").read_text())
    assert served == kept and "/workorders" in served["paths"]


# --- Partners ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url", "ok"),
    [
        ("平台", "https://12345.example.gov.cn/hotline/feedback", True),
        ("平台", "http://127.0.0.1:8080/feedback", True),
        ("平台", None, True),
        ("平台", "http://12345.example.gov.cn/feedback", False),
        ("平台", "ftp://12345.example.gov.cn/", False),
        ("平台", "/relative", False),
        ("  ", "https://12345.example.gov.cn/", False),
    ],
)
def test_create_partner(db_session, name, url, ok) -> None:
    if not ok:
        with pytest.raises(ValueError):
            workorders.create_partner(db_session, name, url)
        return
    key_id, secret = workorders.create_partner(db_session, name, url)
    assert key_id.startswith("wo_") and len(secret) >= 40
    assert (
        db_session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.created")).details["key_id"] == key_id
    )
    assert secret not in json.dumps(db_session.scalar(select(AuditEvent)).details)


# --- Feedback pushed back ----------------------------------------------------------------------


class CallbackServer:
    """The partner's callback endpoint: answers with the given statuses in turn (the last one
    repeats) and records what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.received.append((dict(self.headers), body))
                status = server.statuses[min(len(server.received), len(server.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hotline/feedback"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def demo(app: Flask, db_session: Session) -> None:
    """The demo area's agencies, so that reports are dispatched (and can be answered and closed)."""
    factories.demo_area(db_session, app.instance_path)
    db_session.commit()


@pytest.fixture
def callback(demo: None, monkeypatch) -> Iterator[CallbackServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = CallbackServer([500, 200])
    yield server
    server.close()


OPERATOR = Actor("user", "1", "operator")


def close_from_work_order(client, db_session, drain, partner, outcome: str = "case_opened") -> Report:
    """A work order received, triaged, dispatched, answered by every agency and closed; the
    feedback push queued in the same commit, as close_report's caller does it."""
    reference = send(client, partner, order()).get_json()["reference"]
    drain()
    db_session.expire_all()
    report = db_session.scalar(select(Report).where(Report.reference == reference))
    for assignment in report.assignments:
        operations.record_feedback(db_session, assignment, OPERATOR, outcome, "已见到小明并联系王女士,已立案")
    operations.close_report(db_session, report, OPERATOR, base_url="http://localhost")
    workorders.queue_feedback_push(db_session, report)
    return report


def set_callback(db_session: Session, partner: Partner, url: str) -> None:
    partner.callback_url = url
    db_session.commit()


def make_due(app: Flask, db_session: Session) -> list[int]:
    """Let the backoff pass (by moving the due time back) and run the sweeper's part."""
    db_session.execute(update(FeedbackPush).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    ids = workorders.due_pushes(db_session, utcnow(), stale=timedelta(seconds=60))
    db_session.commit()
    for push_id in ids:
        get_queue(app).enqueue("notify", workorders.PUSH_JOB, push_id)
    return ids


def test_feedback_is_pushed_signed_and_retried_after_a_failure(
    app, client, db_session, drain, partner, callback
) -> None:
    set_callback(db_session, partner, callback.url)
    report = close_from_work_order(client, db_session, drain, partner)
    drain()

    db_session.expire_all()
    push = db_session.scalar(select(FeedbackPush))
    assert (push.status, push.attempts, len(callback.received)) == ("pending", 1, 1)
    assert push.attempt_log[0].status_code == 500 and "HTTP 500" in push.last_error
    assert push.next_attempt_at > push.attempt_log[0].at  # backed off, not retried at once
    not_yet = workorders.due_pushes(db_session, push.attempt_log[0].at, stale=timedelta(seconds=60))
    assert not_yet == []  # at the time of the failure the retry is not due: nothing to hand back
    ids = make_due(app, db_session)
    assert ids == [push.id]
    drain()

    db_session.expire_all()
    push = db_session.get(FeedbackPush, push.id)
    assert (push.status, push.attempts, push.last_error) == ("sent", 2, None)
    assert [a.status_code for a in push.attempt_log] == [500, 200]
    assert all(a.duration_ms is not None for a in push.attempt_log)
    assert len(callback.received) == 2
    lead = next(a for a in report.assignments if a.role == "lead")
    for headers, body in callback.received:
        assert headers["X-Hotline-Key"] == partner.key_id
        assert headers["X-Hotline-Signature"] == workorders.sign(partner.secret, headers["X-Hotline-Timestamp"], body)
        payload = json.loads(body)
        assert payload == {
            "event_id": f"{report.reference}/closed/1",
            "event": "report.closed",
            "work_order": "2026112300123",
            "reference": report.reference,
            "status": "closed",
            "outcome": "case_opened",
            "agency": lead.agency.name,
            "closed_at": payload["closed_at"],
            "reply": f"经{lead.agency.name}核查处置,已立案办理。本事项已办结(编号 {report.reference})。",
        }
        for secret_detail in ("小明", "王女士", "皮带", "13800000101", "已见到"):
            assert secret_detail not in body.decode()
    steps = db_session.scalars(
        select(AuditEvent.after).where(AuditEvent.action == "workorder.feedback_push").order_by(AuditEvent.id)
    ).all()
    assert steps == ["pending", "sent"]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(404, "failed"), (401, "failed"), (400, "failed"), (408, "pending"), (429, "pending"), (503, "pending")],
)
def test_client_errors_stop_the_retries(app, client, db_session, drain, partner, callback, status, outcome) -> None:
    callback.statuses = [status]
    set_callback(db_session, partner, callback.url)
    close_from_work_order(client, db_session, drain, partner)
    drain()
    db_session.expire_all()
    push = db_session.scalar(select(FeedbackPush))
    assert (push.status, push.attempts) == (outcome, 1)
    assert bool(make_due(app, db_session)) is (outcome == "pending")  # only a retried push comes back


def test_network_errors_are_retried_until_the_limit(app, client, db_session, drain, partner, callback) -> None:
    set_callback(db_session, partner, callback.url)
    callback.close()  # nothing listens there any more
    close_from_work_order(client, db_session, drain, partner)
    drain()
    for _ in range(workorders.PUSH_MAX_ATTEMPTS - 1):
        assert len(make_due(app, db_session)) == 1
        drain()
    db_session.expire_all()
    push = db_session.scalar(select(FeedbackPush))
    assert (push.status, push.attempts) == ("failed", workorders.PUSH_MAX_ATTEMPTS)
    assert all(a.status_code is None and a.error for a in push.attempt_log)
    assert "gave up" in push.last_error
    assert make_due(app, db_session) == []


def test_backoff_doubles_up_to_an_hour() -> None:
    delays = [workorders.backoff(n).total_seconds() for n in range(1, workorders.PUSH_MAX_ATTEMPTS)]
    assert delays[:4] == [30, 60, 120, 240] and max(delays) == 3600
    assert delays == sorted(delays)


def test_a_push_whose_worker_died_is_handed_back(app, client, db_session, drain, partner, callback) -> None:
    set_callback(db_session, partner, callback.url)
    close_from_work_order(client, db_session, drain, partner)
    db_session.commit()
    push = db_session.scalar(select(FeedbackPush))
    now = utcnow()
    push.status, push.next_attempt_at = "sending", now + timedelta(seconds=10)  # claimed, lease running
    assert workorders.due_pushes(db_session, now, stale=timedelta(seconds=60)) == []
    push.next_attempt_at = now - timedelta(seconds=1)  # lease over: the worker is gone
    assert workorders.due_pushes(db_session, now, stale=timedelta(seconds=60)) == [push.id]
    db_session.expire_all()
    assert db_session.get(FeedbackPush, push.id).status == "pending"


def test_a_duplicate_job_sends_nothing(app, client, db_session, drain, partner, callback) -> None:
    callback.statuses = [200]
    set_callback(db_session, partner, callback.url)
    close_from_work_order(client, db_session, drain, partner)
    drain()
    db_session.expire_all()
    push_id = db_session.scalar(select(FeedbackPush.id))
    with app.app_context():
        assert workorders.push_feedback(push_id) == "not claimed"
    assert len(callback.received) == 1


def test_one_push_per_closing(app, client, db_session, drain, partner, callback) -> None:
    callback.statuses = [200]
    set_callback(db_session, partner, callback.url)
    report = close_from_work_order(client, db_session, drain, partner)
    assert workorders.queue_feedback_push(db_session, report) is not None  # called twice: the same push
    drain()
    operations.reopen_report(db_session, report, OPERATOR, "家长再次施暴")
    operations.close_report(db_session, report, OPERATOR, base_url="http://localhost")
    workorders.queue_feedback_push(db_session, report)
    drain()
    keys = db_session.scalars(select(FeedbackPush.payload)).all()
    assert [p["event_id"] for p in keys] == [f"{report.reference}/closed/1", f"{report.reference}/closed/2"]
    assert len(callback.received) == 2


def test_no_push_without_a_callback_or_a_work_order(app, client, db_session, drain, demo, partner) -> None:
    report = close_from_work_order(client, db_session, drain, partner)
    assert workorders.queue_feedback_push(db_session, report) is None  # the partner has no callback URL
    web_report, _code = factories.report(db_session)
    assert workorders.queue_feedback_push(db_session, web_report) is None
    assert count(db_session, FeedbackPush) == 0


def test_the_report_page_partial_lists_the_attempts(app, client, db_session, drain, partner, callback) -> None:
    set_callback(db_session, partner, callback.url)
    report = close_from_work_order(client, db_session, drain, partner)
    drain()
    view = workorders.work_order_view(db_session, report.id)
    assert view is not None and len(view.pushes) == 1
    with app.test_request_context("/"):
        html = render_template("workorders/_pushes.html", work_order_view=view)
    assert "2026112300123" in html and "HTTP 500" in html and f"{report.reference}/closed/1" in html
    assert 'href="https://12345.example.gov.cn/rec/abc.mp3"' in html
    assert workorders.work_order_view(db_session, factories.report(db_session)[0].id) is None
