"""Twilio Voice webhooks for incoming calls: greet in zh-CN, offer "press 1 if a child is in
danger now", ring the on-duty operators, and take a message (with a callback task) when nobody
answers. Signature-checked like every Twilio webhook."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline import calls
from hotline.db import request_session
from hotline.extensions import csrf
from hotline.web.twilio import signed

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
csrf.exempt(bp)

ZH = "cmn-CN"
GREETING = "您好,这里是未成年人保护热线。如果孩子现在有危险,请按 1。其他情况请稍候,我们马上为您转接接线员。"
DANGER = "如果孩子正面临危险,请同时拨打 110 报警。正在为您优先转接。"
VOICEMAIL = "接线员暂时无法接听。请在提示音后留下您的电话和孩子的情况,我们会尽快回电。紧急情况请拨打 110。"
THANKS = "谢谢您的报告,我们会尽快回电。"


def _xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


def _public(endpoint: str, **values: object) -> str:
    """An absolute URL on BASE_URL, so the signature Twilio computes matches behind a proxy."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _call():
    return calls.find(request_session(), request.form.get("CallSid", ""))


@bp.post("/incoming")
@signed
def incoming():
    db_session = request_session()
    line_numbers = calls.parse_line_numbers(current_app.config["LINE_NUMBERS"])
    calls.call_started(db_session, request.form.to_dict(), line_numbers)
    db_session.commit()
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=5, action=_public("voice.menu"), method="POST")
    gather.say(GREETING, language=ZH)
    response.append(gather)
    response.redirect(_public("voice.menu"), method="POST")
    return _xml(response)


@bp.post("/menu")
@signed
def menu():
    db_session = request_session()
    call = _call()
    response = VoiceResponse()
    if call is None:
        response.say("抱歉,系统繁忙,请直接拨打 110 或稍后再拨。", language=ZH)
        return _xml(response)
    calls.caller_choice(db_session, call, request.form.get("Digits", ""))
    db_session.commit()
    if call.urgent:
        response.say(DANGER, language=ZH)
    numbers = [n.strip() for n in current_app.config["OPERATOR_NUMBERS"].split(",") if n.strip()]
    if numbers:
        dial = Dial(timeout=current_app.config["RING_SECONDS"], action=_public("voice.dial_done"), method="POST")
        for number in numbers:
            dial.number(number)
        response.append(dial)
    else:
        response.redirect(_public("voice.dial_done"), method="POST")
    return _xml(response)


@bp.post("/dial-done")
@signed
def dial_done():
    db_session = request_session()
    call = _call()
    response = VoiceResponse()
    if call is None:
        response.hangup()
        return _xml(response)
    nobody = calls.dial_finished(db_session, call, request.form.get("DialCallStatus", "no-answer"))
    db_session.commit()
    if nobody:
        response.say(VOICEMAIL, language=ZH)
        response.record(
            max_length=180,
            play_beep=True,
            action=_public("voice.recorded"),
            recording_status_callback=_public("voice.recording"),
            recording_status_callback_method="POST",
        )
    response.hangup()
    return _xml(response)


@bp.post("/recorded")
@signed
def recorded():
    response = VoiceResponse()
    response.say(THANKS, language=ZH)
    response.hangup()
    return _xml(response)


@bp.post("/recording")
@signed
def recording():
    db_session = request_session()
    call = _call()
    if call is not None:
        calls.recording_ready(db_session, call, request.form.to_dict())
        db_session.commit()
    return Response(status=204)


@bp.post("/status")
@signed
def status():
    db_session = request_session()
    call = _call()
    if call is not None:
        calls.status_changed(db_session, call, request.form.to_dict())
        db_session.commit()
    return Response(status=204)
