"""The 12345 work-order API: ``POST /api/v1/workorders`` and its OpenAPI description.

Partners sign each request with HMAC-SHA256 (``hotline.workorders``): no cookies, so CSRF does
not apply. Answers are JSON; errors name the field at fault, as the rest of the API does. The
same work order sent twice gives the same report (201 the first time, 200 after).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError

from hotline import operations, workorders
from hotline.audit import Actor
from hotline.db import request_session
from hotline.extensions import csrf
from hotline.models import Report, utcnow
from hotline.queue import get_queue
from hotline.web import client_ip

bp = Blueprint("workorders", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

OPENAPI_FILE = "openapi/workorders.json"


def _error(status: int, error: str, message: str, **extra: Any) -> tuple[dict[str, Any], int]:
    return {"error": error, "message": message, **extra}, status


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API (the file kept in the repository, as is)."""
    return current_app.send_static_file(OPENAPI_FILE)


@bp.post("/workorders")
def receive_work_order() -> tuple[dict[str, Any], int]:
    """Accept one signed work order and submit it as a report (or find the one it already became)."""
    raw = request.get_data(cache=True)
    db_session = request_session()
    now = utcnow()
    try:
        partner = workorders.authenticate(db_session, get_queue().connection, request.headers, raw, now)
    except workorders.AuthError as exc:
        return _error(401, exc.code, exc.message)
    if request.mimetype != "application/json":
        return _error(415, "unsupported_media_type", "请求体应为 application/json / send application/json")
    try:
        data = workorders.clean_json(json.loads(raw))
    except (ValueError, RecursionError):
        return _error(
            400, "invalid_json", "请求体不是有效的 JSON / the body is not valid JSON", fields={"": "invalid JSON"}
        )
    try:
        order = workorders.parse_work_order(data, partner.id, now)
    except workorders.WorkOrderError as exc:
        return _error(422, "invalid_work_order", "工单内容有误 / the work order has invalid fields", fields=exc.errors)

    existing = workorders.find_work_order(db_session, partner.id, order.number)
    if existing is not None:
        return _accepted(existing.report, order, duplicate=True), 200
    try:
        report, code = operations.submit_report(
            db_session,
            order.intake,
            Actor("api", f"partner:{partner.id}", partner.name, client_ip()),
            timezone=current_app.config["TIMEZONE"],
            base_url=current_app.config["BASE_URL"],
            language="zh",
        )
        workorders.record_work_order(db_session, partner, order, report)
        db_session.commit()
    except IntegrityError:  # the same order arrived twice at once and the other request stored it first
        db_session.rollback()
        existing = workorders.find_work_order(db_session, partner.id, order.number)
        if existing is None:
            raise
        return _accepted(existing.report, order, duplicate=True), 200
    return {**_accepted(report, order, duplicate=False), "status_code": code}, 201


def _accepted(report: Report, order: workorders.ParsedWorkOrder, *, duplicate: bool) -> dict[str, Any]:
    return {
        "reference": report.reference,
        "work_order": order.number,
        "status": report.status,
        "duplicate": duplicate,
        "warnings": [] if duplicate else [{"field": k, "message": v} for k, v in order.warnings.items()],
    }
