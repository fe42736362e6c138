"""The operator's side of a phone call: live and recent calls, callback tasks, and the call intake
form — prefilled from the call, with the screening script to read aloud, a live triage preview
(a red preview says "transfer to 110/120 now"), autosaved drafts, and linking a call to an
existing report instead of filing a new one. Works without JavaScript; with it, preview and
autosave happen as the operator types."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hotline import calls, intake_drafts, operations, queries
from hotline.db import request_session
from hotline.models import Call, CallbackTask, IntakeDraft
from hotline.security import roles_required
from hotline.taxonomy import Channel, Urgency, UserRole
from hotline.web import language, user_actor
from intake_forms.forms import SCREENING_QUESTIONS, OperatorReportForm
from intake_forms.schema import IntakeError, parse_intake
from triage.engine import classify
from triage.policy_store import active_policy

bp = Blueprint("intake", __name__, url_prefix="/console")
OPERATORS = (UserRole.OPERATOR, UserRole.SUPERVISOR)
CHANNEL_BY_LINE = {"12345": Channel.PHONE_12345, "12355": Channel.PHONE_12355, "direct": Channel.OPERATOR}


@bp.get("/calls")
@roles_required(*OPERATORS)
def calls_page():
    db_session = request_session()
    recent = db_session.scalars(select(Call).order_by(Call.started_at.desc()).limit(50)).all()
    tasks = db_session.scalars(
        select(CallbackTask)
        .where(CallbackTask.status == "open")
        .order_by(CallbackTask.urgent.desc(), CallbackTask.created_at)
    ).all()
    drafts = intake_drafts.open_drafts(db_session, current_user.id)
    return render_template("intake/calls.html", calls=recent, tasks=tasks, drafts=drafts)


@bp.post("/calls/<int:call_id>/link")
@roles_required(*OPERATORS)
def link_call(call_id: int):
    db_session = request_session()
    call = db_session.get(Call, call_id) or abort(404)
    report = queries.report_by_reference(db_session, request.form.get("reference", ""))
    if report is None:
        flash(_("没有这个编号的报告"), "error")
        return redirect(url_for("intake.calls_page"))
    calls.link_to_report(db_session, call, report, user_actor())
    db_session.commit()
    flash(_("来电已关联到 %(ref)s", ref=report.reference), "info")
    return redirect(url_for("console.report", reference=report.reference))


@bp.post("/callbacks/<int:task_id>/done")
@roles_required(*OPERATORS)
def callback_done(task_id: int):
    db_session = request_session()
    task = db_session.get(CallbackTask, task_id) or abort(404)
    calls.finish_callback(db_session, task, user_actor(), request.form.get("note", ""))
    db_session.commit()
    return redirect(url_for("intake.calls_page"))


def _form_for(call: Call | None, draft: IntakeDraft | None) -> OperatorReportForm:
    form = OperatorReportForm()
    if request.method == "GET":
        if draft is not None:
            form.load(draft.data)
            form.draft_id.data = str(draft.id)
        if call is not None:
            form.call_id.data = str(call.id)
            if not form.reporter_phone.data and call.from_number:
                form.reporter_phone.data = call.from_number
    return form


def _channel(form: OperatorReportForm) -> str:
    call = request_session().get(Call, int(form.call_id.data)) if (form.call_id.data or "").isdigit() else None
    return CHANNEL_BY_LINE.get(call.line, Channel.OPERATOR) if call is not None else Channel.OPERATOR


def preview_of(form: OperatorReportForm) -> dict:
    """The triage engine's reading of what has been typed so far (nothing is stored)."""
    try:
        intake = parse_intake(form.to_intake_object(_channel(form)))
    except IntakeError as exc:
        return {"ok": False, "errors": exc.errors}
    result = classify(intake, active_policy(request_session()))
    return {
        "ok": True,
        "urgency": result.urgency,
        "transfer_now": result.urgency == Urgency.RED,
        "categories": [str(c) for c in result.categories],
        "mandatory_report_codes": [str(c) for c in result.mandatory_report_codes],
        "lead_agency_type": str(result.lead_agency_type),
        "reasons": [{"rule": r.rule, "evidence": r.evidence} for r in result.reasons],
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/intake", methods=["GET", "POST"])
@roles_required(*OPERATORS)
def intake():
    db_session = request_session()
    call = db_session.get(Call, request.args.get("call", type=int) or 0) if request.args.get("call") else None
    draft = db_session.get(IntakeDraft, request.args.get("draft", type=int) or 0) if request.args.get("draft") else None
    if draft is not None and draft.operator_id != current_user.id:
        abort(404)
    form = _form_for(call, draft)
    preview = None
    if request.method == "POST":
        action = request.form.get("action", "submit")
        if not form.validate_on_submit() and action == "submit":
            return render_template("intake/form.html", form=form, questions=SCREENING_QUESTIONS, preview=None), 422
        saved = intake_drafts.save(
            db_session, current_user.id, form.draft_data(), _int(form.draft_id.data), _int(form.call_id.data)
        )
        form.draft_id.data = str(saved.id)
        if action == "submit":
            report_intake = form.to_intake(_channel(form))
            if report_intake is None:
                db_session.commit()  # the draft keeps what was typed
                return render_template("intake/form.html", form=form, questions=SCREENING_QUESTIONS, preview=None), 422
            report, _code = operations.submit_report(
                db_session,
                report_intake,
                user_actor(),
                timezone=current_app.config["TIMEZONE"],
                base_url=current_app.config["BASE_URL"],
                language=language(),
            )
            saved.report_id = report.id
            linked = db_session.get(Call, _int(form.call_id.data) or 0)
            if linked is not None:
                calls.link_to_report(db_session, linked, report, user_actor())
            db_session.commit()
            flash(_("已受理 %(ref)s,正在分级转办", ref=report.reference), "info")
            return redirect(url_for("console.report", reference=report.reference))
        db_session.commit()
        preview = preview_of(form) if action == "preview" else None
        if action == "save":
            flash(_("草稿已保存"), "info")
    return render_template("intake/form.html", form=form, questions=SCREENING_QUESTIONS, preview=preview, call=call)


@bp.post("/intake/autosave")
@roles_required(*OPERATORS)
def autosave():
    """Called by the page as the operator types: saves the draft, answers with the live preview."""
    form = OperatorReportForm()  # CSRFProtect has already checked the X-CSRFToken header
    db_session = request_session()
    saved = intake_drafts.save(
        db_session, current_user.id, form.draft_data(), _int(form.draft_id.data), _int(form.call_id.data)
    )
    db_session.commit()
    return jsonify({"draft_id": saved.id, "saved_at": saved.updated_at.isoformat(), "preview": preview_of(form)})
