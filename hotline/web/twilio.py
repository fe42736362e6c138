"""Twilio webhooks: delivery status, SMS replies, voice keypresses.

Every request must carry a valid ``X-Twilio-Signature`` over the public URL (``BASE_URL`` plus
the path, so it also validates behind a proxy that rewrites the host) and the form parameters;
anything else gets 403. These are the only CSRF-exempt forms of the application.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.db import request_session
from hotline.extensions import csrf
from notifications import webhooks
from notifications.jobs import permanent_failure

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)


def public_url() -> str:
    """The URL Twilio called, as it saw it (scheme and host from BASE_URL, not from the proxy)."""
    query = request.query_string.decode()
    return current_app.config["BASE_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request whose Twilio signature does not match."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature:
            abort(403)
        if not RequestValidator(token).validate(public_url(), request.form.to_dict(), signature):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _twiml(document: object) -> Response:
    return Response(str(document), mimetype="application/xml")


@bp.post("/status")
@signed
def status():
    """Message and call status callbacks (idempotent, forward-only)."""
    sid = request.form.get("MessageSid") or request.form.get("CallSid") or ""
    state = request.form.get("MessageStatus") or request.form.get("CallStatus") or ""
    db_session = request_session()
    outcome = webhooks.apply_status(db_session, sid, state, request.form.get("ErrorCode"))
    if outcome.notification is not None and outcome.permanent_failure:
        n = outcome.notification
        permanent_failure(db_session, n, n.error_code or "", f"status {state}", current_app.config["HOME_JURISDICTION"])
    elif outcome.notification is not None and outcome.retry:
        webhooks.retry_as_new_attempt(db_session, outcome.notification)
    db_session.commit()
    return Response(status=204)


@bp.post("/sms")
@signed
def sms():
    """An SMS sent to our number: an agency's acknowledgement, or something we answer with help."""
    db_session = request_session()
    outcome = webhooks.handle_sms_reply(db_session, request.form.get("From", ""), request.form.get("Body", ""))
    db_session.commit()
    reply = MessagingResponse()
    reply.message(outcome.answer)
    return _twiml(reply)


@bp.post("/notify/gather")
@signed
def voice_gather():
    """The key pressed during the dispatch call of a red report."""
    notification_id = request.args.get("n", type=int)
    db_session = request_session()
    acknowledged = notification_id is not None and webhooks.handle_keypress(
        db_session, notification_id, request.form.get("Digits", "")
    )
    db_session.commit()
    response = VoiceResponse()
    text = "已签收,谢谢。" if acknowledged else "未签收。请按 1 签收,或回复短信签收。"
    response.say(text, language="cmn-CN")
    return _twiml(response)
