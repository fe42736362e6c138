"""The audit trail viewer: every event for a report, a user or an agency, filterable — including
who viewed which report. Supervisors see the events of reports in their jurisdiction; admins see
everything. The list itself is a view of audit data, so looking at it is audited too."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from hotline import audit, queries
from hotline.audit_chain import verify
from hotline.db import request_session
from hotline.security import roles_required
from hotline.taxonomy import UserRole
from hotline.web import user_actor

bp = Blueprint("audit", __name__, url_prefix="/audit")

COLUMNS = (
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "report_id",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "reason",
    "ip_address",
    "chain_seq",
    "hash",
)


def _filtered():
    scope = None if current_user.role == UserRole.ADMIN else (current_user.jurisdiction_code or "-")
    args = request.args
    return queries.audit_events(
        request_session(),
        within=scope,
        reference=args.get("reference") or None,
        actor=args.get("actor") or None,
        agency_id=args.get("agency_id", type=int),
        action=args.get("action") or None,
    )


def _audit_the_view(kind: str) -> None:
    db_session = request_session()
    audit.record(db_session, user_actor(), f"audit.viewed.{kind}", details={"filters": request.args.to_dict()})
    db_session.commit()


@bp.get("/")
@roles_required(UserRole.SUPERVISOR, UserRole.ADMIN)
def index():
    events = _filtered()
    chain = verify(request_session()) if current_user.role == UserRole.ADMIN and request.args.get("verify") else None
    _audit_the_view("list")
    return render_template("audit/index.html", events=events, chain=chain, filters=request.args)


@bp.get("/events.csv")
@roles_required(UserRole.SUPERVISOR, UserRole.ADMIN)
def export_csv():
    events = _filtered()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow([getattr(event, column) for column in COLUMNS])
    _audit_the_view("export")
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-events.csv"},
    )
