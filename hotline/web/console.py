"""The operator console: the queue of open reports, a report's page, the console SMS outbox,
and (for agency staff) their own agency's assignments."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from hotline import operations, queries
from hotline.db import request_session
from hotline.security import roles_required
from hotline.taxonomy import UserRole
from hotline.web import user_actor

bp = Blueprint("console", __name__, url_prefix="/console")

STAFF = (UserRole.OPERATOR, UserRole.SUPERVISOR, UserRole.ADMIN)
# The reporter's identity is confidential (Opinion; Anti-Domestic Violence Law art. 14).
SEES_REPORTER = (UserRole.OPERATOR, UserRole.SUPERVISOR)


@bp.get("/")
@roles_required(*STAFF)
def queue():
    reports = queries.open_queue(request_session())
    return render_template("console/queue.html", reports=reports)


@bp.get("/reports/<reference>")
@roles_required(*STAFF)
def report(reference: str):
    db_session = request_session()
    found = queries.report_by_reference(db_session, reference)
    if found is None:
        abort(404)
    operations.record_view(db_session, found, user_actor())
    db_session.commit()
    return render_template(
        "console/report.html",
        report=found,
        show_reporter=current_user.role in SEES_REPORTER,
        events=queries.timeline(db_session, found.id),
        notifications=queries.notifications_for(db_session, found.id),
    )


@bp.get("/outbox")
@roles_required(*STAFF)
def outbox():
    return render_template("console/outbox.html", notifications=queries.console_outbox(request_session()))


@bp.get("/assignments")
@roles_required(UserRole.AGENCY_STAFF)
def my_assignments():
    if current_user.agency_id is None:
        abort(403)
    items = queries.agency_assignments(request_session(), current_user.agency_id)
    return render_template("console/assignments.html", assignments=items)
