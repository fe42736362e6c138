"""The public side: the mandated reporter's form, the receipt, and the status check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from hotline import operations
from hotline.audit import Actor
from hotline.db import request_session
from hotline.extensions import limiter
from hotline.models import Report
from hotline.web import client_ip, language
from intake_forms.forms import SCREENING_QUESTIONS, ReportForm

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def report_form():
    """File a report. On success the reference and status code are shown once, then forgotten."""
    form = ReportForm()
    if form.validate_on_submit():
        intake = form.to_intake(channel="web")
        if intake is not None:
            db_session = request_session()
            report, code = operations.submit_report(
                db_session,
                intake,
                Actor("reporter", None, "web form", client_ip()),
                timezone=current_app.config["TIMEZONE"],
                base_url=current_app.config["BASE_URL"],
                language=language(),
            )
            db_session.commit()
            session["receipt"] = {"reference": report.reference, "code": code}
            return redirect(url_for("public.receipt"))
    status = 422 if form.is_submitted() else 200
    return render_template("public/report.html", form=form, questions=SCREENING_QUESTIONS), status


@bp.get("/report/receipt")
def receipt():
    data = session.pop("receipt", None)
    if data is None:
        return redirect(url_for("public.status"))
    return render_template("public/receipt.html", reference=data["reference"], code=data["code"])


class StatusForm(FlaskForm):
    reference = StringField("reference", validators=[DataRequired(), Length(max=20)])
    code = StringField("code", validators=[DataRequired(), Length(max=12)])


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def status():
    """A reporter checks progress with the reference and secret code: status only, no details."""
    form = StatusForm()
    found = None
    if form.validate_on_submit():
        db_session = request_session()
        report = db_session.scalar(select(Report).where(Report.reference == form.reference.data.strip().upper()))
        if report is not None and operations.check_status_code(report, form.code.data):
            operations.record_view(db_session, report, Actor("reporter", None, "status check", client_ip()), "status")
            db_session.commit()
            found = report
        else:
            form.code.errors = [_("编号或查询码不正确")]
    return render_template("public/status.html", form=form, report=found)
