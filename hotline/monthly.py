"""The monthly analysis report: volumes, prominent problems, compliance, longest-open reports.

Figures are SQL aggregates over the reports received in the month within the reader's scope
(merged duplicates left out), set against the previous month. No query here selects a child's or
a reporter's name, contact or the narrative: the report is meant to be printed and circulated.

The PDF is drawn with ReportLab using the CID font ``STSong-Light`` (Adobe-GB1): the font's
metrics ship with ReportLab and PDF readers supply the glyphs, so Chinese renders without any
font file or system library on the server.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hotline.analytics import (
    GroupStats,
    Period,
    Scope,
    area_code,
    child_key_length,
    dashboard,
    sql_time,
)
from hotline.lifecycle import OPEN_STATUSES
from hotline.models import Agency, Assignment, Jurisdiction, Report
from hotline.taxonomy import ReportStatus

TOP = 5
LONGEST_OPEN = 20


@dataclass
class Count:
    """How many reports had ``key`` this month and the month before."""

    key: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_share(self) -> float | None:
        return self.change / self.previous if self.previous else None


@dataclass
class OpenReport:
    """A report still open, without anything that identifies a child or a reporter."""

    reference: str
    urgency: str | None
    categories: list[str]
    status: str
    jurisdiction_code: str | None
    received_at: datetime
    days_open: float
    agencies: list[str]


@dataclass
class MonthlyReport:
    period: Period
    previous: Period
    total: int
    previous_total: int
    by_category: list[Count]
    by_mr: list[Count]
    by_level: list[Count]
    by_channel: list[Count]
    by_area: list[Count]
    area_names: dict[str, str]
    compliance: list[GroupStats]
    longest_open: list[OpenReport]

    @property
    def top_categories(self) -> list[Count]:
        return self.by_category[:TOP]

    @property
    def top_areas(self) -> list[Count]:
        return [c for c in self.by_area if c.key][:TOP]


def _where(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [
        Report.received_at >= sql_time(period.start),
        Report.received_at < sql_time(period.end),
        Report.status != ReportStatus.MERGED,
        scope.reports(),
    ]


def _grouped(session: Session, key: Any, where: list[ColumnElement[bool]]) -> dict[str, int]:
    rows = session.execute(select(key, func.count()).where(*where).group_by(key))
    return {("" if k is None else str(k)): n for k, n in rows}


def _elements(session: Session, column: Any, where: list[ColumnElement[bool]]) -> dict[str, int]:
    """Counts of each element of a JSON list column (a report with two categories counts in both)."""
    if session.get_bind().dialect.name == "postgresql":
        element = func.jsonb_array_elements_text(column).table_valued("value")
    else:
        element = func.json_each(column).table_valued("value")
    rows = session.execute(
        select(element.c.value, func.count())
        .select_from(Report)
        .join(element, true())
        .where(*where)
        .group_by(element.c.value)
    )
    return {str(k): n for k, n in rows}


def _compare(current: dict[str, int], previous: dict[str, int]) -> list[Count]:
    keys = set(current) | set(previous)
    counts = [Count(k, current.get(k, 0), previous.get(k, 0)) for k in keys]
    return sorted(counts, key=lambda c: (-c.count, -c.previous, c.key))


def build(session: Session, scope: Scope, year: int, month: int, now: datetime, timezone: str) -> MonthlyReport:
    """Every figure of the monthly report for ``scope``."""
    period = Period.month(year, month, timezone)
    previous = period.previous_month(timezone)
    area_key = func.substr(Report.jurisdiction_code, 1, child_key_length(scope.root))
    figures: dict[str, list[dict[str, int]]] = {}
    for span in (period, previous):
        where = _where(scope, span)
        for name, counted in (
            ("total", {"": session.scalar(select(func.count()).select_from(Report).where(*where)) or 0}),
            ("category", _elements(session, Report.categories, where)),
            ("mr", _elements(session, Report.mandatory_report_codes, where)),
            ("level", _grouped(session, Report.urgency, where)),
            ("channel", _grouped(session, Report.channel, where)),
            ("area", _grouped(session, area_key, where)),
        ):
            figures.setdefault(name, []).append(counted)
    by_area = _compare(*figures["area"])
    codes = [area_code(c.key) for c in by_area if c.key]
    area_names = dict(
        session.execute(select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))).all()
    )
    return MonthlyReport(
        period=period,
        previous=previous,
        total=figures["total"][0][""],
        previous_total=figures["total"][1][""],
        by_category=_compare(*figures["category"]),
        by_mr=sorted(_compare(*figures["mr"]), key=lambda c: c.key),
        by_level=_compare(*figures["level"]),
        by_channel=_compare(*figures["channel"]),
        by_area=by_area,
        area_names={c.key: area_names.get(area_code(c.key), area_code(c.key)) for c in by_area if c.key},
        compliance=dashboard(session, scope, period, now).by_agency,
        longest_open=longest_open(session, scope, now),
    )


def longest_open(session: Session, scope: Scope, now: datetime, limit: int = LONGEST_OPEN) -> list[OpenReport]:
    """The reports open the longest (reopened ones included), oldest first, with their agencies."""
    rows = session.execute(
        select(
            Report.id,
            Report.reference,
            Report.urgency,
            Report.categories,
            Report.status,
            Report.jurisdiction_code,
            Report.received_at,
        )
        .where(Report.status.in_(OPEN_STATUSES), scope.reports())
        .order_by(Report.received_at, Report.id)
        .limit(limit)
    ).all()
    agencies: dict[int, list[str]] = {}
    if rows:
        assigned = session.execute(
            select(Assignment.report_id, Agency.name)
            .join(Report, Report.id == Assignment.report_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .where(Assignment.report_id.in_([r.id for r in rows]), scope.assignments())
            .order_by(Assignment.id)
        )
        for report_id, name in assigned:
            agencies.setdefault(report_id, []).append(name)
    return [
        OpenReport(
            reference=r.reference or "",
            urgency=r.urgency,
            categories=list(r.categories or []),
            status=r.status,
            jurisdiction_code=r.jurisdiction_code,
            received_at=r.received_at,
            days_open=(now - r.received_at).total_seconds() / 86400,
            agencies=agencies.get(r.id, []),
        )
        for r in rows
    ]


# --- PDF -----------------------------------------------------------------------------------------

FONT = "STSong-Light"


def render_pdf(
    report: MonthlyReport,
    *,
    title: str,
    gettext: Callable[[str], str],
    label: Callable[[str, str | None], str],
    local_time: Callable[[datetime], str],
) -> bytes:
    """The monthly report as an A4 PDF; ``gettext`` and ``label`` translate headings and codes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    heading = ParagraphStyle("h", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
    subheading = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("b", fontName=FONT, fontSize=9, leading=13)
    _ = gettext

    def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None) -> Table:
        data = [[Paragraph(str(h), body) for h in headers]]
        data += [[Paragraph("" if v is None else str(v), body) for v in row] for row in rows]
        result = Table(data, colWidths=widths, repeatRows=1)
        result.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 9),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eaf2f8")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#aab7b8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return result

    def counts(rows: Sequence[Count], kind: str | None, names: dict[str, str] | None = None) -> Table:
        def name(key: str) -> str:
            if names is not None:
                return names.get(key, key) if key else _("未知地区")
            return label(kind, key) if kind else key

        return table(
            [_("项目"), _("本月"), _("上月"), _("变化")],
            [[name(c.key), c.count, c.previous, f"{c.change:+d}"] for c in rows],
            [90 * mm, 25 * mm, 25 * mm, 25 * mm],
        )

    story: list[Any] = [
        Paragraph(title, heading),
        Paragraph(
            _("统计期间:%(start)s 至 %(end)s;受理报告 %(total)s 件(上月 %(previous)s 件)。")
            % {
                "start": report.period.first_day.isoformat(),
                "end": report.period.last_day.isoformat(),
                "total": report.total,
                "previous": report.previous_total,
            },
            body,
        ),
        Paragraph(_("突出问题"), subheading),
        counts(report.top_categories, "category"),
        Spacer(1, 4),
        counts(report.top_areas, None, report.area_names),
        Paragraph(_("按类别(一案多类别分别计数)"), subheading),
        counts(report.by_category, "category"),
        Paragraph(_("按强制报告情形"), subheading),
        counts(report.by_mr, None),
        Paragraph(_("按等级"), subheading),
        counts(report.by_level, "urgency"),
        Paragraph(_("按渠道"), subheading),
        counts(report.by_channel, "channel"),
        Paragraph(_("按地区"), subheading),
        counts(report.by_area, None, report.area_names),
        Paragraph(_("各承办单位时限达标情况"), subheading),
        table(
            [_("承办单位"), _("转办数"), _("签收按时率"), _("反馈按时率"), _("超期未办")],
            [
                [s.label, s.assignments, _share(s.ack_share), _share(s.feedback_share), s.overdue]
                for s in report.compliance
            ],
            [70 * mm, 20 * mm, 25 * mm, 25 * mm, 25 * mm],
        ),
        Paragraph(_("办理时间最长的未结报告"), subheading),
        table(
            [_("编号"), _("等级"), _("类别"), _("状态"), _("受理时间"), _("已历时(天)"), _("承办单位")],
            [
                [
                    r.reference,
                    label("urgency", r.urgency),
                    "、".join(label("category", c) for c in r.categories),
                    label("report_status", r.status),
                    local_time(r.received_at),
                    f"{r.days_open:.1f}",
                    "、".join(r.agencies),
                ]
                for r in report.longest_open
            ],
            [28 * mm, 18 * mm, 32 * mm, 18 * mm, 26 * mm, 16 * mm, 42 * mm],
        ),
    ]
    buffer = io.BytesIO()
    margins = {"leftMargin": 12 * mm, "rightMargin": 12 * mm, "topMargin": 14 * mm, "bottomMargin": 14 * mm}
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="hotline", **margins)
    document.build(story)
    return buffer.getvalue()


def _share(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"
