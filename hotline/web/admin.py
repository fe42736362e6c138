"""Administration: the triage policy (levels and deadlines, catalogue, calendar, lexicon) edited
as versioned JSON sections, and the agency directory with its CSV export. Every change audited."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from hotline.db import request_session
from hotline.directory import export_agencies
from hotline.models import Agency
from hotline.security import roles_required
from hotline.taxonomy import UserRole
from hotline.web import user_actor
from triage.policy import DOCUMENT_SECTIONS
from triage.policy_store import active_policy, history, save_policy

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _sections(document: dict) -> dict[str, str]:
    return {name: json.dumps(document.get(name), ensure_ascii=False, indent=2) for name in DOCUMENT_SECTIONS}


@bp.route("/policy", methods=["GET", "POST"])
@roles_required(UserRole.ADMIN)
def policy():
    db_session = request_session()
    current = active_policy(db_session)
    sections = _sections(current.document)
    error = None
    if request.method == "POST":
        section = request.form.get("section", "")
        text = request.form.get("document", "")
        note = request.form.get("note", "").strip()
        if section not in DOCUMENT_SECTIONS:
            error = _("未知的策略部分")
        elif not note:
            error = _("请说明修改原因")
        else:
            try:
                document = dict(current.document)
                document[section] = json.loads(text)
                saved = save_policy(db_session, document, user_actor(), note)
            except json.JSONDecodeError as exc:
                error = _("JSON 格式错误:第 %(line)s 行,第 %(col)s 列", line=exc.lineno, col=exc.colno)
            except ValueError as exc:
                error = _("策略无效:%(message)s", message=str(exc))
            else:
                db_session.commit()
                flash(_("已保存,新版本 %(version)s", version=saved.version), "info")
                return redirect(url_for("admin.policy"))
        sections[section if section in sections else DOCUMENT_SECTIONS[0]] = text
    return (
        render_template(
            "admin/policy.html",
            version=current.version,
            sections=sections,
            history=history(db_session),
            error=error,
        ),
        422 if error else 200,
    )


@bp.get("/agencies")
@roles_required(UserRole.ADMIN, UserRole.SUPERVISOR)
def agencies():
    rows = request_session().scalars(select(Agency).order_by(Agency.jurisdiction_code, Agency.agency_type)).all()
    return render_template("admin/agencies.html", agencies=rows)


@bp.get("/agencies.csv")
@roles_required(UserRole.ADMIN, UserRole.SUPERVISOR)
def agencies_csv():
    return Response(
        "\ufeff" + export_agencies(request_session()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=agencies.csv"},
    )
