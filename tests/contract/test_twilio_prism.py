"""What ``TwilioChannel`` sends, checked by Prism against Twilio's OpenAPI description.

Prism answers a request that breaks the spec with 422, which the channel turns into a permanent
failure, so a "sent" notification carrying the example's SID proves the request had the right
shape. The negative tests prove Prism really validates (a mock that accepts anything proves
nothing). Twilio's error codes (21211, 30003…) cannot be simulated by Prism; those paths are
tested with an in-process fake elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Notification, utcnow
from hotline.queue import get_queue
from hotline.taxonomy import AssignmentRole, NotificationChannel
from notifications.channels import Callbacks, PermanentFailure
from notifications.channels.twilio import VALIDITY_SECONDS, TwilioChannel
from notifications.jobs import channel_for
from tests import factories
from tests.contract.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    EXAMPLE_CALL_SID,
    EXAMPLE_MESSAGE_SID,
    FROM_NUMBER,
    PrismServer,
)

# A red report needs one triage job and about five deliveries; far more means failures cascading.
MAX_JOBS = 40
CALLBACKS = Callbacks(
    status_url="http://localhost/twilio/status", voice_gather_url="http://localhost/twilio/notify/gather?n=1"
)


@dataclass
class SentRequest:
    """One request the twilio client handed to its HTTP client, and the status Prism answered."""

    method: str
    url: str
    data: dict[str, Any]
    status: int = 0

    @property
    def resource(self) -> str:
        """The last path segment: ``Messages.json``, ``Calls.json``…"""
        return self.url.rsplit("/", 1)[-1].partition("?")[0]


def record_requests(
    channel: TwilioChannel, monkeypatch: pytest.MonkeyPatch, prefer_example: str = ""
) -> list[SentRequest]:
    """Wrap the channel's HTTP client so every request it sends is also appended to the list returned.

    ``prefer_example`` asks Prism for one of the spec's named examples (``Prefer: example=…``).
    """
    http_client = channel.client.http_client
    send: Callable[..., Any] = http_client.request
    sent: list[SentRequest] = []

    def recording(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if prefer_example:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Prefer": f"example={prefer_example}"}
        request = SentRequest(method.upper(), url, dict(kwargs.get("data") or {}))
        sent.append(request)
        response = send(method, url, *args, **kwargs)
        request.status = response.status_code
        return response

    monkeypatch.setattr(http_client, "request", recording)
    return sent


def run_jobs(app: Flask, max_jobs: int = MAX_JOBS) -> int:
    """Run queued jobs through rq in this thread, at most ``max_jobs``; return how many are left.

    Like the ``drain`` fixture, but bounded: if requests are refused, each permanent failure
    queues more messages (backup number, supervisor alert), which must fail the test, not hang it.
    """
    job_queue = get_queue(app)
    with app.app_context():
        worker = SimpleWorker(list(job_queue.queues.values()), connection=job_queue.connection)
        worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")
    return sum(job_queue.lengths().values())


def direct_channel(prism: PrismServer) -> TwilioChannel:
    """A channel built as ``channel_for`` builds it, without an app, pointed at Prism."""
    return TwilioChannel(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, api_base=prism.url, timeout=5.0)


def test_red_report_dispatch_goes_through_the_delivery_job_to_prism(
    app: Flask, db_session: Session, prism: PrismServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intake → triage → dispatch → ``notifications.jobs.deliver`` → TwilioChannel → Prism, for real."""
    channel = channel_for(app)
    assert isinstance(channel, TwilioChannel)
    sent = record_requests(channel, monkeypatch)
    report, _code = factories.report(db_session, factories.RED_INTAKE)
    db_session.commit()
    left = run_jobs(app)
    db_session.expire_all()

    notifications = db_session.scalars(select(Notification).where(Notification.report_id == report.id)).all()
    assert report.urgency == "red"
    failed = [(n.id, n.channel, n.status, n.error_code, n.error_message) for n in notifications if n.status != "sent"]
    assert not failed, f"not accepted by Prism: {failed}\n{prism.log_tail()}"
    assert left == 0, f"{left} jobs still queued after {MAX_JOBS}"
    for notification in notifications:
        expected_sid = EXAMPLE_CALL_SID if notification.channel == NotificationChannel.VOICE else EXAMPLE_MESSAGE_SID
        assert (notification.provider, notification.provider_id) == ("twilio", expected_sid)

    lead = next(a for a in report.assignments if a.role == AssignmentRole.LEAD)
    lead_sms = next(n for n in notifications if n.assignment_id == lead.id and n.channel == NotificationChannel.SMS)
    lead_call = next(n for n in notifications if n.assignment_id == lead.id and n.channel == NotificationChannel.VOICE)
    messages = [r for r in sent if r.method == "POST" and r.resource == "Messages.json"]
    calls = [r for r in sent if r.method == "POST" and r.resource == "Calls.json"]
    assert len(messages) == sum(n.channel == NotificationChannel.SMS for n in notifications)
    assert len(calls) == 1
    # URLs as the client built them, before the redirecting HTTP client sent them to Prism.
    assert all(r.url.startswith(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/") for r in sent)
    assert {r.status for r in sent} == {201}

    sms = next(r for r in messages if r.data["To"] == lead_sms.recipient)
    assert sms.data["Body"] == lead_sms.body and report.reference in sms.data["Body"]
    assert sms.data["From"] == FROM_NUMBER
    assert sms.data["ValidityPeriod"] == VALIDITY_SECONDS["red"]
    assert sms.data["StatusCallback"] == "http://localhost/twilio/status"
    assert all("ValidityPeriod" in r.data and "StatusCallback" in r.data for r in messages)

    call = calls[0]
    assert call.data["To"] == lead_call.recipient
    assert "<Gather" in call.data["Twiml"] and f"n={lead_call.id}" in call.data["Twiml"]
    assert call.data["StatusCallback"] == "http://localhost/twilio/status"
    assert call.data["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]


@pytest.mark.parametrize(
    ("channel_name", "expected_sid"),
    [(NotificationChannel.SMS, EXAMPLE_MESSAGE_SID), (NotificationChannel.VOICE, EXAMPLE_CALL_SID)],
)
def test_channel_sends_sms_and_voice_to_prism(prism: PrismServer, channel_name: str, expected_sid: str) -> None:
    """A notification with no report (no urgency: the default validity) is accepted too."""
    notification = Notification(
        id=1, channel=channel_name, recipient="+8613900000001", body="【未保热线】测试消息", language="zh"
    )
    result = direct_channel(prism).send(notification, CALLBACKS)
    assert (result.provider_id, result.status) == (expected_sid, "sent")


@pytest.mark.parametrize(
    ("channel_name", "empty_example"),
    [(NotificationChannel.SMS, "readEmptySentdateGreater"), (NotificationChannel.VOICE, "readEmptyDatesGreater")],
)
def test_reconciliation_lookup_lists_with_a_valid_query(
    prism: PrismServer, monkeypatch: pytest.MonkeyPatch, channel_name: str, empty_example: str
) -> None:
    """``lookup`` lists messages / calls to the recipient since a time; Prism must accept the query.

    Prism is asked for the spec's empty-page example: its full-page examples carry a
    ``next_page_uri`` with made-up filters that the client would follow.
    """
    channel = direct_channel(prism)
    sent = record_requests(channel, monkeypatch, prefer_example=empty_example)
    notification = Notification(id=1, channel=channel_name, recipient="+8613900000001", body="no such body")
    assert channel.lookup(notification, since=utcnow()) is None
    assert [(r.method, r.status) for r in sent] == [("GET", 200)]


def test_prism_rejects_a_message_without_to(prism: PrismServer) -> None:
    """Prism validates: the same create without the required ``To`` is refused with 422."""
    response = requests.post(
        f"{prism.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"From": FROM_NUMBER, "Body": "hello", "ValidityPeriod": 900},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )
    assert response.status_code == 422
    assert "Request body must have required property 'To'" in [v["message"] for v in response.json()["validation"]]


def test_prism_rejects_a_validity_period_that_is_not_an_integer(prism: PrismServer) -> None:
    """Prism checks types too, so a ``ValidityPeriod`` of the wrong kind could not slip through."""
    response = requests.post(
        f"{prism.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": "+8613900000001", "From": FROM_NUMBER, "Body": "hello", "ValidityPeriod": "15 minutes"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )
    assert response.status_code == 422
    assert [v["location"] for v in response.json()["validation"]] == [["body", "ValidityPeriod"]]


def test_a_request_prism_refuses_is_a_permanent_failure_of_the_channel(prism: PrismServer) -> None:
    """A malformed request (an account SID off the spec's pattern) fails the send, not silently passes."""
    channel = TwilioChannel("AC-not-a-valid-sid", AUTH_TOKEN, FROM_NUMBER, api_base=prism.url, timeout=5.0)
    notification = Notification(id=1, channel=NotificationChannel.SMS, recipient="+8613900000001", body="hello")
    with pytest.raises(PermanentFailure) as failure:
        channel.send(notification, CALLBACKS)
    assert failure.value.code == "422"
