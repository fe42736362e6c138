"""Twilio SMS and voice through the official ``twilio`` client.

Every request has an explicit HTTP timeout (a job timeout cannot interrupt a blocking socket).
Urgent SMS carry a ``ValidityPeriod`` so a message stuck in a queue is dropped rather than
delivered hours late. ``api_base`` points the client at a mock server (Prism, generated from
Twilio's OpenAPI description) in tests and benchmarks; empty means the real Twilio.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.models import Notification
from hotline.taxonomy import NotificationChannel
from notifications.channels import (
    Callbacks,
    PermanentFailure,
    SendResult,
    TransientFailure,
    UnknownOutcome,
)

# Twilio error codes (https://www.twilio.com/docs/api/errors) that no retry can fix.
PERMANENT_CODES = frozenset({21211, 21214, 21217, 21610, 21612, 21614, 30004, 30005, 30006, 13223, 13224})
# Delivery errors worth another attempt later: unreachable handset, unknown error.
TRANSIENT_DELIVERY_CODES = frozenset({30003, 30008})
# Seconds an urgent SMS may wait in Twilio's queue before it is dropped (then escalation acts).
VALIDITY_SECONDS = {"red": 900, "orange": 3600}
VOICE_LANGUAGE = {"zh": "cmn-CN", "en": "en-US"}


class _RedirectingHttpClient(TwilioHttpClient):
    """Sends what the client builds for ``https://*.twilio.com`` to ``api_base`` instead."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        scheme_host, _, path = url.partition(".twilio.com")
        if scheme_host.startswith("https://"):
            url = f"{self.api_base}{path}"
        return super().request(method, url, *args, **kwargs)


def twiml_say_and_gather(body: str, language: str, gather_url: str) -> str:
    """TwiML that reads ``body`` twice and waits for one keypress (1 = acknowledge)."""
    voice_language = VOICE_LANGUAGE.get(language, "cmn-CN")
    say = f"<Say language={quoteattr(voice_language)}>{escape(body)}</Say>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" timeout="8" action={quoteattr(gather_url)} method="POST">{say}{say}</Gather>'
        "</Response>"
    )


class TwilioChannel:
    """SMS and voice calls from one Twilio number."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, api_base: str = "", timeout: float = 10.0):
        if not (account_sid and auth_token and from_number):
            raise ValueError("HOTLINE_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER are required for Twilio")
        http_client = _RedirectingHttpClient(api_base, timeout) if api_base else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    def send(self, notification: Notification, callbacks: Callbacks) -> SendResult:
        try:
            if notification.channel == NotificationChannel.VOICE:
                call = self.client.calls.create(
                    to=notification.recipient,
                    from_=self.from_number,
                    twiml=twiml_say_and_gather(notification.body, notification.language, callbacks.voice_gather_url),
                    status_callback=callbacks.status_url,
                    status_callback_event=["initiated", "ringing", "answered", "completed"],
                    timeout=30,
                )
                return SendResult(provider_id=call.sid, status="sent")
            urgency = notification.report.urgency if notification.report is not None else None
            message = self.client.messages.create(
                to=notification.recipient,
                from_=self.from_number,
                body=notification.body,
                status_callback=callbacks.status_url,
                validity_period=VALIDITY_SECONDS.get(urgency or "", 14400),
            )
            return SendResult(provider_id=message.sid, status="sent")
        except TwilioRestException as exc:
            raise classify_error(exc) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise TransientFailure(f"could not reach Twilio: {exc}") from exc
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise TransientFailure(f"could not reach Twilio: {exc}") from exc
            raise UnknownOutcome(f"connection to Twilio broke: {exc}") from exc
        except requests.exceptions.Timeout as exc:
            raise UnknownOutcome(f"no answer from Twilio in time: {exc}") from exc

    def lookup(self, notification: Notification, since: datetime) -> SendResult | None:
        """Find an SMS or call to this recipient sent since ``since`` (after an unknown outcome)."""
        after = since - timedelta(minutes=1)
        try:
            if notification.channel == NotificationChannel.VOICE:
                calls = self.client.calls.list(to=notification.recipient, start_time_after=after, limit=20)
                return SendResult(calls[0].sid) if calls else None
            messages = self.client.messages.list(to=notification.recipient, date_sent_after=after, limit=50)
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise UnknownOutcome(f"reconciliation failed: {exc}") from exc
        for message in messages:
            if (message.body or "").strip() == notification.body.strip():
                return SendResult(message.sid)
        return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request cannot have left (refused, DNS failure), so resending is safe."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "Connection refused", "NameResolutionError"))


def classify_error(exc: TwilioRestException) -> Exception:
    """Map a Twilio API error to the delivery outcome it means."""
    if exc.code in PERMANENT_CODES:
        return PermanentFailure(str(exc.code), exc.msg or "refused by Twilio")
    if exc.status == 429 or exc.code in TRANSIENT_DELIVERY_CODES:
        return TransientFailure(f"{exc.status}/{exc.code}: {exc.msg}")
    if exc.status >= 500:
        return UnknownOutcome(f"Twilio answered {exc.status}: {exc.msg}")
    return PermanentFailure(str(exc.code or exc.status), exc.msg or "refused by Twilio")
