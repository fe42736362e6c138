"""Supervision (督导): the response-time dashboard, the overdue and escalation lists with one-click
督办, CSV/XLSX exports of every table, and the monthly analysis report (HTML and PDF).

Supervisors and admins only. Every query is scoped in SQL by ``analytics.Scope`` (a supervisor
sees the jurisdiction, an admin everything); a drill-down into an area outside the scope is a 403
and an assignment outside it a 404, so nothing hints that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import analytics, audit, charts, exports, monthly, snapshots, taxonomy
from hotline.analytics import MANUAL_STEP, Dashboard, GroupStats, Period, Scope
from hotline.audit import Actor
from hotline.db import request_session
from hotline.extensions import limiter
from hotline.links import LinkSigner, signer_for
from hotline.models import Assignment, Escalation, Jurisdiction, utcnow
from hotline.security import roles_required
from hotline.taxonomy import AssignmentStatus, Urgency, UserRole
from hotline.web import language, local_time, user_actor
from notifications import messages, outbox
from triage.escalation import claim_step

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

SUPERVISORS = (UserRole.SUPERVISOR, UserRole.ADMIN)
DEFAULT_DAYS = 28
MAX_DAYS = 366
LIST_LIMIT = 500
DASHBOARD_TABLES = ("agency", "agency_type", "level", "area", "trend")
LISTS = ("overdue", "escalations")
FORMATS = ("csv", "xlsx")
REPEAT_NOTICE_AFTER = timedelta(hours=1)


# --- Helpers -------------------------------------------------------------------------------------


def _scope() -> Scope:
    return Scope.for_user(current_user)


def _timezone() -> str:
    return current_app.config["TIMEZONE"]


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(_timezone())).date()


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _period() -> Period:
    """The period of ``?start=&end=`` (local dates, inclusive); the last 28 days by default, a year at most."""
    end = _date_arg("end") or _today()
    start = _date_arg("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    return Period.days(start, end, _timezone())


def _area(scope: Scope) -> str | None:
    """The drill-down area of ``?area=``; 403 if it lies outside the user's scope."""
    code = request.args.get("area", "").strip()
    if not code:
        return None
    if not code.isdigit() or len(code) not in (6, 9, 12) or not scope.covers_area(code):
        abort(403)
    return code


def label(kind: str, code: str | None) -> str:
    """A code's label in the reader's language (``pending`` and unknown areas included)."""
    if code is None:
        return "—"
    if kind == "urgency" and code == analytics.PENDING_LEVEL:
        return _("待分级")
    return taxonomy.label(getattr(taxonomy, f"{kind.upper()}_LABELS"), code, language())


def step_label(step: str) -> str:
    """An escalation step for people: ``manual_3`` reads "人工督办(第 3 次)"."""
    ordinal = analytics.manual_ordinal(step)
    if ordinal is not None and ordinal > 1:
        return _("%(step)s(第 %(n)s 次)", step=label("escalation_step", MANUAL_STEP), n=ordinal)
    return label("escalation_step", step)


def escalation_note(row: analytics.EscalationRow) -> str:
    """The step's note, and when a later deadline superseded it (it fires again if that passes)."""
    parts = [row.note] if row.note else []
    if row.superseded_at is not None:
        parts.append(_("%(time)s 时限延后,本环节按新时限重新计时", time=local_time(row.superseded_at)))
    return ";".join(parts)


def duration(seconds: float | None) -> str:
    """A response time for people: minutes, hours or days."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return _("%(n)s 秒", n=f"{seconds:.0f}")
    if seconds < 7200:
        return _("%(n)s 分钟", n=f"{seconds / 60:.0f}")
    if seconds < 2 * 86400:
        return _("%(n)s 小时", n=f"{seconds / 3600:.1f}")
    return _("%(n)s 天", n=f"{seconds / 86400:.1f}")


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@bp.context_processor
def _helpers() -> dict[str, Callable]:
    return {
        "duration": duration,
        "share": share,
        "slabel": label,
        "step_label": step_label,
        "escalation_note": escalation_note,
    }


def _group_label(dimension: str, stats: GroupStats) -> str:
    if dimension == "agency_type":
        return label("agency_type", stats.key)
    if dimension == "level":
        return label("urgency", stats.key)
    if dimension == "area":
        return stats.label or _("未知地区")
    return stats.label


# --- Tables (what pages show and exports write) --------------------------------------------------


def _hours(seconds: float | None, unit: float) -> float | None:
    return None if seconds is None else round(seconds / unit, 2)


def stats_table(title: str, dimension: str, rows: list[GroupStats]) -> exports.Table:
    headers = [
        _("名称"),
        _("报告数"),
        _("转办数"),
        _("分级用时中位数(分钟)"),
        _("分级用时P90(分钟)"),
        _("转办用时中位数(分钟)"),
        _("转办用时P90(分钟)"),
        _("签收用时中位数(小时)"),
        _("签收用时P90(小时)"),
        _("反馈用时中位数(小时)"),
        _("反馈用时P90(小时)"),
        _("签收按时率(%)"),
        _("反馈按时率(%)"),
        _("未办结"),
        _("超期"),
    ]
    body = []
    for s in rows:
        body.append(
            [
                _group_label(dimension, s),
                s.reports,
                s.assignments,
                _hours(s.p50.get("triage"), 60),
                _hours(s.p90.get("triage"), 60),
                _hours(s.p50.get("dispatch"), 60),
                _hours(s.p90.get("dispatch"), 60),
                _hours(s.p50.get("ack"), 3600),
                _hours(s.p90.get("ack"), 3600),
                _hours(s.p50.get("feedback"), 3600),
                _hours(s.p90.get("feedback"), 3600),
                None if s.ack_share is None else round(s.ack_share * 100, 1),
                None if s.feedback_share is None else round(s.feedback_share * 100, 1),
                s.open_assignments if dimension in ("agency", "agency_type") else s.open_reports,
                s.overdue,
            ]
        )
    return exports.Table(title, headers, body)


def dashboard_tables(board: Dashboard) -> dict[str, exports.Table]:
    return {
        "agency": stats_table(_("按承办单位"), "agency", board.by_agency),
        "agency_type": stats_table(_("按单位类型"), "agency_type", board.by_agency_type),
        "level": stats_table(_("按等级"), "level", board.by_level),
        "area": stats_table(_("按地区"), "area", board.by_area),
        "trend": stats_table(_("按周趋势"), "week", board.trend),
    }


def overdue_table(rows: list[analytics.OverdueRow]) -> exports.Table:
    return exports.Table(
        _("超期未办"),
        [
            _("编号"),
            _("等级"),
            _("承办单位"),
            _("主办/协办"),
            _("状态"),
            _("超期环节"),
            _("时限"),
            _("已超期(小时)"),
            _("已触发督办"),
        ],
        [
            [
                r.reference,
                label("urgency", r.urgency),
                r.agency_name,
                label("assignment_role", r.role),
                label("assignment_status", r.status),
                _("签收") if r.deadline == "ack" else _("反馈"),
                r.due_at,
                round(r.overdue_seconds / 3600, 1),
                "、".join(step_label(step) for step in r.steps),
            ]
            for r in rows
        ],
    )


def escalations_table(rows: list[analytics.EscalationRow]) -> exports.Table:
    return exports.Table(
        _("督办记录"),
        [_("编号"), _("等级"), _("承办单位"), _("督办环节"), _("触发时间"), _("发起"), _("备注"), _("转办状态")],
        [
            [
                r.reference,
                label("urgency", r.urgency),
                r.agency_name,
                step_label(r.step),
                r.fired_at,
                r.actor_label,
                escalation_note(r),
                label("assignment_status", r.assignment_status),
            ]
            for r in rows
        ],
    )


def _charts(board: Dashboard) -> dict[str, str]:
    points = [charts.TrendPoint(s.label, s.reports, s.ack_share, s.feedback_share) for s in board.trend]
    top = sorted(board.by_agency, key=lambda s: -s.assignments)[:15]
    bars = [charts.ComplianceBar(s.label, s.ack_share, s.feedback_share, s.assignments) for s in top]
    return {
        "trend": charts.trend_chart(
            points,
            title=_("按周趋势:报告量与时限达标率"),
            reports_label=_("报告数"),
            ack_label=_("签收按时率"),
            feedback_label=_("反馈按时率"),
        ),
        "compliance": charts.compliance_chart(
            bars, title=_("各承办单位时限达标率"), ack_label=_("签收按时率"), feedback_label=_("反馈按时率")
        ),
    }


def _download(table_or_tables: exports.Table | list[exports.Table], name: str, fmt: str) -> Response:
    if fmt == "csv":
        table = table_or_tables if isinstance(table_or_tables, exports.Table) else table_or_tables[0]
        data, mimetype = exports.to_csv(table, _timezone()), "text/csv"
    else:
        tables = [table_or_tables] if isinstance(table_or_tables, exports.Table) else table_or_tables
        data = exports.to_xlsx(tables, _timezone())
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})


# --- Pages ---------------------------------------------------------------------------------------


def _dashboard_view(scope: Scope, area: str | None) -> snapshots.DashboardView:
    """This view's dashboard, live or from its snapshot (see ``hotline.snapshots``), committed."""
    db_session = request_session()
    view = snapshots.dashboard_view(
        db_session,
        scope,
        _period(),
        utcnow(),
        area,
        live_ms=current_app.config["DASHBOARD_LIVE_MS"],
        max_age=current_app.config["DASHBOARD_MAX_AGE"],
    )
    db_session.commit()
    return view


@bp.get("/")
@roles_required(*SUPERVISORS)
def dashboard():
    scope = _scope()
    area = _area(scope)
    view = _dashboard_view(scope, area)
    return render_template(
        "supervision/dashboard.html",
        board=view.board,
        view=view,
        tables=dashboard_tables(view.board),
        charts=_charts(view.board),
        area=area,
        area_name=_area_name(area),
    )


@bp.post("/refresh")
@roles_required(*SUPERVISORS)
@limiter.limit("12 per minute")
def refresh():
    """Recompute the dashboard now instead of waiting for its snapshot's background refresh."""
    scope = _scope()
    area = _area(scope)
    period = _period()
    db_session = request_session()
    snapshots.compute(db_session, scope, period, utcnow(), area, live_ms=current_app.config["DASHBOARD_LIVE_MS"])
    db_session.commit()
    return redirect(
        url_for("supervision.dashboard", start=period.first_day.isoformat(), end=period.last_day.isoformat(), area=area)
    )


def _area_name(code: str | None) -> str | None:
    if code is None:
        return None
    found = request_session().get(Jurisdiction, code)
    return found.name if found is not None else code


@bp.get("/export/<name>.<fmt>")
@roles_required(*SUPERVISORS)
def export(name: str, fmt: str):
    """Any dashboard table or list, as CSV or XLSX (``all.xlsx``: every dashboard table, one sheet each)."""
    if fmt not in FORMATS or name not in (*DASHBOARD_TABLES, *LISTS, "all"):
        abort(404)
    scope = _scope()
    db_session = request_session()
    if name == "overdue":
        return _download(overdue_table(analytics.overdue(db_session, scope, utcnow())), name, fmt)
    if name == "escalations":
        return _download(escalations_table(analytics.escalations(db_session, scope, _period())), name, fmt)
    tables = dashboard_tables(_dashboard_view(scope, _area(scope)).board)
    if name == "all":
        if fmt == "csv":
            abort(404)
        return _download(list(tables.values()), "dashboard", fmt)
    return _download(tables[name], name, fmt)


@bp.get("/overdue")
@roles_required(*SUPERVISORS)
def overdue():
    rows = analytics.overdue(request_session(), _scope(), utcnow(), limit=LIST_LIMIT + 1)
    return render_template(
        "supervision/overdue.html",
        rows=rows[:LIST_LIMIT],
        more=len(rows) > LIST_LIMIT,
        limit=LIST_LIMIT,
        repeat_from=utcnow() - REPEAT_NOTICE_AFTER,
    )


@bp.get("/escalations")
@roles_required(*SUPERVISORS)
def escalations():
    period = _period()
    rows = analytics.escalations(request_session(), _scope(), period, limit=LIST_LIMIT + 1)
    return render_template(
        "supervision/escalations.html",
        rows=rows[:LIST_LIMIT],
        more=len(rows) > LIST_LIMIT,
        limit=LIST_LIMIT,
        period=period,
    )


@bp.post("/assignments/<int:assignment_id>/supervise")
@roles_required(*SUPERVISORS)
def supervise(assignment_id: int):
    """One-click 督办 on an overdue assignment: an escalation row, an SMS to the agency, an audit event."""
    db_session = request_session()
    assignment = analytics.assignment_in_scope(db_session, _scope(), assignment_id)
    if assignment is None:
        abort(404)
    try:
        created = issue_notice(
            db_session,
            assignment,
            user_actor(),
            request.form.get("note", ""),
            signer_for(current_app.config),
            utcnow(),
        )
    except NoticeError as exc:
        db_session.rollback()
        flash(_("未执行:%(reason)s", reason=str(exc)), "error")
        return redirect(url_for("supervision.overdue"))
    db_session.commit()
    if created:
        flash(
            _("已督办 %(reference)s(%(agency)s)", reference=assignment.report.reference, agency=assignment.agency.name)
        )
    else:
        flash(_("该转办刚刚已督办,未重复发送"), "error")
    return redirect(url_for("supervision.overdue"))


class NoticeError(ValueError):
    """督办 is not possible for this assignment (not active or not overdue)."""


def issue_notice(
    session: Session, assignment: Assignment, actor: Actor, note: str, links: LinkSigner, now: datetime
) -> bool:
    """Record a supervisor's 督办 and queue its SMS (flushed, not committed).

    A 督办 may be repeated, but not within ``REPEAT_NOTICE_AFTER`` of the previous one: the agency
    gets a reminder, not a volley. Each one is its own escalation step (``manual``, ``manual_2``…),
    so the ``escalations`` key (assignment, step) makes a double click or two supervisors racing
    create it once: the insert that creates it is the only one that sends; the other returns False.
    """
    if assignment.status not in analytics.ACTIVE_ASSIGNMENT:
        raise NoticeError(_("该转办已办结或已撤销"))
    ack_late = assignment.status == AssignmentStatus.NOTIFIED and assignment.acknowledge_due_at <= now
    if not ack_late and assignment.feedback_due_at > now:
        raise NoticeError(_("该转办尚未超期"))
    earlier = session.execute(
        select(func.count(), func.max(Escalation.fired_at)).where(
            Escalation.assignment_id == assignment.id,
            analytics.is_manual_step(Escalation.step),
        )
    ).one()
    count, last = earlier
    if last is not None and now - last < REPEAT_NOTICE_AFTER:
        raise NoticeError(
            _(
                "%(time)s 已督办过,%(minutes)s 分钟内不重复发送",
                time=local_time(last, "%H:%M"),
                minutes=int(REPEAT_NOTICE_AFTER.total_seconds() // 60),
            )
        )
    step = analytics.manual_step(count + 1)
    note = note.strip()[:1000] or None
    if not claim_step(session, assignment, step, now, actor.label, note):
        return False
    report, agency = assignment.report, assignment.agency
    late_step = "ack_overdue" if ack_late else "feedback_overdue"
    number = next(
        (n for n in (agency.duty_phone, agency.backup_phone) if n and n not in (agency.bad_numbers or [])), None
    )
    notification_id = None
    if number is not None:
        notification = outbox.queue(
            session,
            dedupe_key=f"{step}:{assignment.id}:sms",
            report=report,
            assignment=assignment,
            purpose=f"escalation_{MANUAL_STEP}",
            recipient=number,
            language=agency.language,
            body=messages.reminder_sms(
                reference=report.reference or "",
                urgency=report.urgency or Urgency.YELLOW,
                step=late_step,
                due_at=assignment.acknowledge_due_at if ack_late else assignment.feedback_due_at,
                reply_code=assignment.reply_code or "",
                link=links.url(assignment.id),
                language=agency.language,
            ),
        )
        notification_id = notification.id
    audit.record(
        session,
        actor,
        f"escalation.{MANUAL_STEP}",
        report=report,
        subject_type="assignment",
        subject_id=assignment.id,
        reason=note,
        details={"agency_id": agency.id, "step": step, "overdue": late_step, "notification_id": notification_id},
    )
    session.flush()
    return True


# --- Monthly report ------------------------------------------------------------------------------


def _month() -> tuple[int, int]:
    """``?month=YYYY-MM``; the previous month by default."""
    raw = request.args.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        date(year, month, 1)
    except ValueError:
        first = _today().replace(day=1) - timedelta(days=1)
        return first.year, first.month
    return year, month


def _monthly() -> monthly.MonthlyReport:
    year, month = _month()
    return monthly.build(request_session(), _scope(), year, month, utcnow(), _timezone())


@bp.get("/monthly")
@roles_required(*SUPERVISORS)
def monthly_report():
    report = _monthly()
    return render_template("supervision/monthly.html", report=report, month=report.period.first_day.strftime("%Y-%m"))


@bp.get("/monthly.pdf")
@roles_required(*SUPERVISORS)
def monthly_pdf():
    report = _monthly()
    month = report.period.first_day.strftime("%Y-%m")
    data = monthly.render_pdf(
        report,
        title=_("未成年人保护强制报告月度分析(%(month)s)", month=month),
        gettext=_,
        label=label,
        local_time=local_time,
    )
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename=monthly-{month}.pdf"}
    )
