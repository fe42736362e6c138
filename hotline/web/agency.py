"""The agency portal: staff of an agency (logged in) see only their agency's assignments; a signed
link from the SMS opens one assignment without a password. Both can acknowledge, add progress
notes, decline with a reason (派单异议) and record feedback (反馈). Every view and action audited."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from hotline import operations, queries
from hotline.audit import Actor
from hotline.db import request_session
from hotline.links import signer_for
from hotline.models import Assignment
from hotline.security import roles_required
from hotline.taxonomy import UserRole
from hotline.web import client_ip, user_actor

bp = Blueprint("agency", __name__)


@bp.get("/agency/")
@roles_required(UserRole.AGENCY_STAFF)
def index():
    if current_user.agency_id is None:
        abort(403)
    items = queries.agency_assignments(request_session(), current_user.agency_id)
    return render_template("agency/index.html", assignments=items)


def _own_assignment(assignment_id: int) -> Assignment:
    """The assignment, if it belongs to the logged-in user's agency (404 otherwise: no hint it exists)."""
    assignment = request_session().get(
        Assignment, assignment_id, options=[joinedload(Assignment.report), joinedload(Assignment.agency)]
    )
    if assignment is None or assignment.agency_id != current_user.agency_id:
        abort(404)
    return assignment


def _linked_assignment(token: str) -> tuple[Assignment, Actor]:
    assignment_id = signer_for(current_app.config).assignment_id(token)
    assignment = request_session().get(Assignment, assignment_id) if assignment_id else None
    if assignment is None:
        abort(404)
    actor = Actor("agency", str(assignment.agency_id), f"{assignment.agency.name} (link)", client_ip())
    return assignment, actor


def _show(assignment: Assignment, actor: Actor, action_base: str):
    db_session = request_session()
    operations.record_view(db_session, assignment.report, actor, "agency")
    db_session.commit()
    return render_template(
        "agency/assignment.html",
        assignment=assignment,
        report=assignment.report,
        outcomes=operations.FEEDBACK_OUTCOMES,
        action_base=action_base,
    )


@bp.get("/agency/assignments/<int:assignment_id>")
@roles_required(UserRole.AGENCY_STAFF)
def assignment(assignment_id: int):
    found = _own_assignment(assignment_id)
    return _show(found, user_actor(), url_for("agency.act", assignment_id=assignment_id, action=""))


@bp.get("/a/<token>")
def link(token: str):
    found, actor = _linked_assignment(token)
    return _show(found, actor, url_for("agency.link_act", token=token, action=""))


def _apply(assignment: Assignment, actor: Actor, action: str) -> str:
    db_session = request_session()
    form = request.form
    if action == "acknowledge":
        operations.acknowledge(db_session, assignment, actor, via="portal")
        return _("已签收")
    if action == "note":
        operations.add_progress_note(db_session, assignment, actor, form.get("text", ""))
        return _("已添加进展")
    if action == "decline":
        operations.decline(db_session, assignment, actor, form.get("reason", ""))
        return _("已退回热线重新派单")
    if action == "feedback":
        operations.record_feedback(db_session, assignment, actor, form.get("outcome", ""), form.get("note", ""))
        return _("已提交反馈")
    abort(404)


def _act(assignment: Assignment, actor: Actor, action: str, back: str):
    try:
        message = _apply(assignment, actor, action)
    except operations.AgencyActionError as exc:
        request_session().rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
    else:
        request_session().commit()
        flash(message, "info")
    return redirect(back)


@bp.post("/agency/assignments/<int:assignment_id>/<action>")
@roles_required(UserRole.AGENCY_STAFF)
def act(assignment_id: int, action: str):
    found = _own_assignment(assignment_id)
    return _act(found, user_actor(), action, url_for("agency.assignment", assignment_id=assignment_id))


@bp.post("/a/<token>/<action>")
def link_act(token: str, action: str):
    found, actor = _linked_assignment(token)
    return _act(found, actor, action, url_for("agency.link", token=token))
