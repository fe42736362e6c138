"""The JSON API (v1): submit an INTAKE_SCHEMA object, read a report's progress.

Bearer tokens from ``hotline token create``; each call is checked against the token's scopes.
Errors are JSON with the fields at fault. CSRF does not apply (no cookies are used here).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy import select

from hotline import operations, queries
from hotline.audit import Actor
from hotline.db import request_session
from hotline.extensions import csrf
from hotline.models import ApiToken, Report, utcnow
from hotline.notifications_view import notification_json
from hotline.web import client_ip
from intake_forms.schema import IntakeError, parse_intake

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _error(status: int, error: str, message: str, **extra: Any):
    return {"error": error, "message": message, **extra}, status


def _authenticate(scope: str):
    """The token's actor, or an error response (401 without a valid token, 403 without the scope)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None, _error(401, "unauthorized", "需要 Bearer 令牌 / a bearer token is required")
    db_session = request_session()
    token = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip())))
    if token is None or token.revoked_at is not None:
        return None, _error(401, "unauthorized", "令牌无效或已撤销 / invalid or revoked token")
    if scope not in token.scopes.split():
        return None, _error(403, "forbidden", f"令牌没有 {scope} 权限 / token lacks scope {scope}")
    token.last_used_at = utcnow()
    g.api_token = token
    return Actor("api", str(token.id), token.name, client_ip()), None


@bp.post("/reports")
def create_report():
    actor, failure = _authenticate("reports:write")
    if failure:
        return failure
    data = request.get_json(silent=True)
    if data is None:
        return _error(400, "invalid_json", "请求体应为 JSON 对象 / the body must be a JSON object")
    try:
        intake = parse_intake(data)
    except IntakeError as exc:
        return _error(422, "invalid_intake", "报告内容有误 / the report has invalid fields", fields=exc.errors)
    db_session = request_session()
    channel = intake.channel or "api"
    if intake.id:
        existing = db_session.scalar(select(Report).where(Report.channel == channel, Report.external_id == intake.id))
        if existing is not None:
            db_session.commit()  # keeps the token's last use
            return {"reference": existing.reference, "url": _report_url(existing), "duplicate": True}, 200
    if intake.channel is None:
        from dataclasses import replace

        intake = replace(intake, channel="api")
    report, code = operations.submit_report(
        db_session,
        intake,
        actor,
        timezone=current_app.config["TIMEZONE"],
        base_url=current_app.config["BASE_URL"],
        language="zh",
    )
    db_session.commit()
    body = {"reference": report.reference, "url": _report_url(report), "status_code": code}
    return body, 201, {"Location": body["url"]}


def _report_url(report: Report) -> str:
    return url_for("api.get_report", reference=report.reference, _external=True)


@bp.get("/reports/<reference>")
def get_report(reference: str):
    actor, failure = _authenticate("reports:read")
    if failure:
        return failure
    db_session = request_session()
    report = queries.report_by_reference(db_session, reference)
    if report is None:
        db_session.commit()
        return _error(404, "not_found", "没有这个编号的报告 / no report with this reference")
    operations.record_view(db_session, report, actor, "api")
    db_session.commit()
    return {
        "reference": report.reference,
        "status": report.status,
        "channel": report.channel,
        "received_at": report.received_at.isoformat(),
        "urgency": report.urgency,
        "categories": report.categories,
        "mandatory_report_codes": report.mandatory_report_codes,
        "acknowledge_due_at": _iso(report.acknowledge_due_at),
        "feedback_due_at": _iso(report.feedback_due_at),
        "assignments": [
            {
                "agency": a.agency.name,
                "agency_type": a.agency_type,
                "role": a.role,
                "status": a.status,
                "acknowledge_due_at": _iso(a.acknowledge_due_at),
                "feedback_due_at": _iso(a.feedback_due_at),
                "acknowledged_at": _iso(a.acknowledged_at),
                "feedback_at": _iso(a.feedback_at),
            }
            for a in report.assignments
        ],
        "notifications": [notification_json(n) for n in queries.notifications_for(db_session, report.id)],
        "timeline": [
            {
                "at": e.occurred_at.isoformat(),
                "action": e.action,
                "actor_type": e.actor_type,
                "before": e.before,
                "after": e.after,
            }
            for e in queries.timeline(db_session, report.id)
        ],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
