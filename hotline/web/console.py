"""The operator console: the queue of open reports, a report's page, the console SMS outbox,
and (for agency staff) their own agency's assignments."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hotline import duplicates, operations, queries, workorders
from hotline.analytics import Scope
from hotline.db import request_session
from hotline.lifecycle import TransitionError
from hotline.links import signer_for
from hotline.models import Agency, Assignment, Call, LevelChangeRequest, Report
from hotline.security import roles_required
from hotline.taxonomy import AssignmentStatus, ReportStatus, Urgency, UserRole
from hotline.web import user_actor
from notifications import webhooks
from triage import review
from triage.policy_store import active_policy

bp = Blueprint("console", __name__, url_prefix="/console")

STAFF = (UserRole.OPERATOR, UserRole.SUPERVISOR, UserRole.ADMIN)
# The reporter's identity is confidential (Opinion; Anti-Domestic Violence Law art. 14).
SEES_REPORTER = (UserRole.OPERATOR, UserRole.SUPERVISOR)


@bp.get("/")
@roles_required(*STAFF)
def queue():
    reports = queries.open_queue(request_session(), scope=Scope.for_user(current_user).reports())
    return render_template("console/queue.html", reports=reports)


@bp.get("/reports/<reference>")
@roles_required(*STAFF)
def report(reference: str):
    db_session = request_session()
    found = queries.report_by_reference(db_session, reference, scope=Scope.for_user(current_user).reports())
    if found is None:
        abort(404)
    operations.record_view(db_session, found, user_actor())
    db_session.commit()
    return render_template(
        "console/report.html",
        report=found,
        show_reporter=current_user.role in SEES_REPORTER,
        can_review=current_user.role in REVIEWERS,
        can_approve=current_user.role in review.APPROVERS,
        levels=list(Urgency),
        requests=queries.level_change_requests(db_session, found.id),
        agencies=db_session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)).all(),
        open_assignments=[a for a in found.assignments if a.status != AssignmentStatus.CANCELLED],
        events=queries.timeline(db_session, found.id),
        notifications=queries.notifications_for(db_session, found.id),
        duplicates=duplicates.find_duplicates(db_session, found) if found.status != ReportStatus.MERGED else [],
        merged_reports=duplicates.merged_into(db_session, found),
        merged_timelines={r.id: queries.timeline(db_session, r.id) for r in duplicates.merged_into(db_session, found)},
        primary=db_session.get(Report, found.merged_into_id) if found.merged_into_id else None,
        calls=db_session.scalars(select(Call).where(Call.report_id == found.id).order_by(Call.started_at)).all(),
        work_order_view=workorders.work_order_view(db_session, found.id),
    )


REVIEWERS = (UserRole.OPERATOR, UserRole.SUPERVISOR)


def _report_or_404(reference: str) -> Report:
    found = queries.report_by_reference(request_session(), reference, scope=Scope.for_user(current_user).reports())
    if found is None:
        abort(404)
    return found


def _finish(reference: str, error: review.ReviewError | None, done: str):
    db_session = request_session()
    if error is not None:
        db_session.commit()  # keeps an "expired" mark and its audit event
        flash(_("未执行:%(reason)s", reason=str(error)), "error")
    else:
        db_session.commit()
        flash(done, "info")
    return redirect(url_for("console.report", reference=reference))


@bp.post("/reports/<reference>/level")
@roles_required(*REVIEWERS)
def change_level(reference: str):
    """Raise a level at once; ask to lower it (a supervisor approves red/orange downgrades)."""
    report = _report_or_404(reference)
    try:
        level = Urgency(request.form.get("level", ""))
    except ValueError:
        abort(400)
    try:
        result = review.change_level(
            request_session(),
            report,
            level,
            user_actor(),
            request.form.get("reason", ""),
            active_policy(request_session()),
            current_app.config["TIMEZONE"],
            signer_for(current_app.config),
        )
    except review.ReviewError as exc:
        return _finish(reference, exc, "")
    pending = isinstance(result, LevelChangeRequest)
    return _finish(reference, None, _("已提交降级申请,等待督导审批") if pending else _("等级已调整"))


@bp.post("/reports/<reference>/level-requests/<int:request_id>")
@roles_required(*review.APPROVERS)
def decide_level_request(reference: str, request_id: int):
    report = _report_or_404(reference)
    level_request = request_session().get(LevelChangeRequest, request_id)
    if level_request is None or level_request.report_id != report.id:
        abort(404)
    approve = request.form.get("decision") == "approve"
    try:
        review.decide_level_change(
            request_session(),
            level_request,
            approve,
            user_actor(),
            request.form.get("note", ""),
            active_policy(request_session()),
            current_app.config["TIMEZONE"],
        )
    except review.ReviewError as exc:
        return _finish(reference, exc, "")
    return _finish(reference, None, _("已批准降级") if approve else _("已驳回降级申请"))


@bp.post("/reports/<reference>/reroute")
@roles_required(*REVIEWERS)
def reroute(reference: str):
    report = _report_or_404(reference)
    db_session = request_session()
    assignment = db_session.get(Assignment, request.form.get("assignment_id", type=int) or 0)
    agency = db_session.get(Agency, request.form.get("agency_id", type=int) or 0)
    if assignment is None or agency is None or assignment.report_id != report.id:
        abort(400)
    try:
        review.reroute(
            db_session,
            report,
            assignment,
            agency,
            user_actor(),
            request.form.get("reason", ""),
            signer_for(current_app.config),
        )
    except review.ReviewError as exc:
        return _finish(reference, exc, "")
    return _finish(reference, None, _("已改派至 %(agency)s", agency=agency.name))


@bp.get("/outbox")
@roles_required(*STAFF)
def outbox():
    return render_template("console/outbox.html", notifications=queries.console_outbox(request_session()))


@bp.post("/reports/<reference>/close")
@roles_required(*REVIEWERS)
def close(reference: str):
    """办结: every assignment has given feedback; the reporter is told by SMS, without details."""
    report = _report_or_404(reference)
    try:
        operations.close_report(
            request_session(),
            report,
            user_actor(),
            base_url=current_app.config["BASE_URL"],
            note=request.form.get("note", ""),
        )
    except (operations.AgencyActionError, TransitionError) as exc:
        request_session().rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.report", reference=reference))
    return _finish(reference, None, _("已办结,已通知报告人"))


@bp.post("/reports/<reference>/reopen")
@roles_required(*REVIEWERS)
def reopen(reference: str):
    report = _report_or_404(reference)
    try:
        operations.reopen_report(request_session(), report, user_actor(), request.form.get("reason", ""))
    except TransitionError as exc:
        request_session().rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.report", reference=reference))
    return _finish(reference, None, _("已重新打开"))


@bp.post("/outbox/reply")
@roles_required(*STAFF)
def simulate_reply():
    """Embedded default only: play an agency's SMS reply, as Twilio would deliver it to /twilio/sms."""
    if current_app.config["SMS_PROVIDER"] != "console":
        abort(404)
    db_session = request_session()
    outcome = webhooks.handle_sms_reply(
        db_session, request.form.get("sender", "").strip(), request.form.get("body", "")
    )
    db_session.commit()
    flash(_("模拟回复的应答:%(answer)s", answer=outcome.answer), "info")
    return redirect(url_for("console.outbox"))


@bp.post("/reports/<reference>/merge")
@roles_required(*REVIEWERS)
def merge(reference: str):
    """并单: fold the named duplicate into this report."""
    primary = _report_or_404(reference)
    duplicate = queries.report_by_reference(request_session(), request.form.get("duplicate", ""))
    if duplicate is None:
        abort(404)
    try:
        duplicates.merge(request_session(), primary, duplicate, user_actor())
    except (duplicates.MergeError, TransitionError) as exc:
        request_session().rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.report", reference=reference))
    return _finish(reference, None, _("已将 %(dup)s 并入本报告", dup=duplicate.reference))


@bp.post("/reports/<reference>/unmerge")
@roles_required(*REVIEWERS)
def unmerge(reference: str):
    duplicate = _report_or_404(reference)
    try:
        duplicates.unmerge(request_session(), duplicate, user_actor(), request.form.get("reason", ""))
    except (duplicates.MergeError, TransitionError) as exc:
        request_session().rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.report", reference=reference))
    return _finish(reference, None, _("已撤销并单"))
