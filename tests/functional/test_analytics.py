"""Supervision metrics on hand-built timelines: percentiles, deadline shares on working-day clocks,
reopened reports, open/overdue counts, periods in local time, areas; the monthly report's figures
(and that it never selects names); CSV/XLSX exports and SVG charts."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline import analytics, charts, exports, monthly
from hotline.analytics import Period, Scope
from hotline.db import get_db
from hotline.models import Agency, Assignment, Jurisdiction, Report
from triage.deadlines import due_at

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
_refs = itertools.count(1)


def local(*args: int) -> datetime:
    """A Beijing-time moment as UTC, as the database stores it."""
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


class Timeline:
    """Builds reports and assignments with exactly the times a test needs."""

    def __init__(self, session: Session) -> None:
        self.session = session
        for code, name, parent, level in (
            ("330000", "浙江省", None, "province"),
            ("330100", "杭州市", "330000", "city"),
            ("330102", "上城区", "330100", "county"),
            ("330102001", "湖滨街道", "330102", "township"),
            ("330105", "拱墅区", "330100", "county"),
        ):
            if session.get(Jurisdiction, code) is None:  # the integration tier seeds the demo area first
                session.add(Jurisdiction(code=code, name=name, parent_code=parent, level=level))
        session.flush()
        self.police = self.agency("上城区公安", "police", "330102")
        self.station = self.agency("湖滨派出所", "police", "330102001")
        self.civil = self.agency("上城区民政", "civil_affairs", "330102")
        self.other = self.agency("拱墅区公安", "police", "330105")

    def agency(self, name: str, agency_type: str, code: str) -> Agency:
        row = Agency(name=name, agency_type=agency_type, jurisdiction_code=code, duty_phone=f"+8613900{len(name):06d}")
        self.session.add(row)
        self.session.flush()
        return row

    def report(
        self,
        received: datetime,
        *,
        level: str | None = "orange",
        code: str | None = "330102001",
        triage_seconds: float | None = 10,
        dispatch_seconds: float = 2,
        status: str = "dispatched",
        categories: list[str] | None = None,
        mr: list[str] | None = None,
        channel: str = "web",
        closed: datetime | None = None,
    ) -> Report:
        n = next(_refs)
        triaged = received + timedelta(seconds=triage_seconds) if triage_seconds is not None else None
        row = Report(
            reference=f"HX-2026-{n:06d}",
            status=status if triaged else "received",
            channel=channel,
            received_at=received,
            created_at=received,
            status_code_hash="x",
            narrative="叙述",
            child_name="小红",
            reporter_name="王老师",
            reporter_phone="+8613800000000",
            jurisdiction_code=code,
            urgency=level if triaged else None,
            urgency_rank={"red": 3, "orange": 2, "yellow": 1, "blue": 0}.get(level or "") if triaged else None,
            categories=categories if categories is not None else (["physical_abuse"] if triaged else []),
            mandatory_report_codes=mr or [],
            triaged_at=triaged,
            dispatched_at=triaged + timedelta(seconds=dispatch_seconds) if triaged else None,
            closed_at=closed,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def assign(
        self,
        report: Report,
        agency: Agency,
        *,
        created: datetime | None = None,
        ack_due: datetime | None = None,
        feedback_due: datetime | None = None,
        acked: datetime | None = None,
        feedback: datetime | None = None,
        status: str | None = None,
        role: str = "lead",
    ) -> Assignment:
        created = created or report.dispatched_at or report.received_at
        status = status or ("feedback_received" if feedback else "acknowledged" if acked else "notified")
        row = Assignment(
            report_id=report.id,
            agency_id=agency.id,
            agency_type=agency.agency_type,
            role=role,
            status=status,
            created_at=created,
            acknowledge_due_at=ack_due or created + timedelta(hours=1),
            feedback_due_at=feedback_due or created + timedelta(days=3),
            acknowledged_at=acked,
            feedback_at=feedback,
            reply_code="123456",
        )
        self.session.add(row)
        self.session.flush()
        return row


@pytest.fixture
def timeline(db_session) -> Timeline:
    return Timeline(db_session)


MARCH = Period.days(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date(), "Asia/Shanghai")


def test_percentile_interpolates_like_percentile_cont() -> None:
    assert analytics.percentile([], 0.5) is None
    assert analytics.percentile([7.0], 0.9) == 7.0
    assert analytics.percentile([10.0, 20.0, 60.0], 0.5) == 20.0
    assert analytics.percentile([10.0, 20.0, 60.0], 0.9) == pytest.approx(52.0)
    assert analytics.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)


def test_durations_medians_and_p90_per_table(timeline, db_session) -> None:
    start = local(2026, 3, 2, 9)
    for index, (triage, ack_hours) in enumerate(((10, 1), (20, 2), (60, 4))):
        report = timeline.report(start + timedelta(hours=index), triage_seconds=triage, dispatch_seconds=5)
        created = report.dispatched_at
        timeline.assign(report, timeline.police, created=created, acked=created + timedelta(hours=ack_hours))
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    total = board.totals
    assert (total.reports, total.assignments) == (3, 3)
    assert total.p50["triage"] == pytest.approx(20, abs=0.01)
    assert total.p90["triage"] == pytest.approx(52, abs=0.01)
    assert total.p50["dispatch"] == pytest.approx(25, abs=0.01)  # received → dispatched
    assert total.p50["ack"] == pytest.approx(7200, abs=0.1)
    assert total.p90["ack"] == pytest.approx(3.6 * 3600, abs=0.1)
    police = next(s for s in board.by_agency if s.label == "上城区公安")
    assert police.p50["ack"] == pytest.approx(7200, abs=0.1) and police.p50["triage"] == pytest.approx(20, abs=0.01)
    assert [s.key for s in board.by_level] == ["orange"]
    assert board.by_agency_type[0].key == "police" and board.by_agency_type[0].assignments == 3


def test_deadline_shares_follow_the_working_day_clock(timeline, db_session) -> None:
    """Friday 17:00 + 1 working day = Monday 17:00: Monday 10:00 is on time although 65 hours passed."""
    friday = local(2026, 3, 6, 17)
    due = due_at(friday, 1, "working_days", frozenset(), frozenset(), TZ)
    assert due == local(2026, 3, 9, 17)
    on_time = timeline.report(friday - timedelta(seconds=12), level="yellow")
    late = timeline.report(friday - timedelta(seconds=12), level="yellow")
    waiting = timeline.report(local(2026, 3, 20, 19), level="yellow")  # not yet due at NOW
    missed = timeline.report(friday - timedelta(seconds=12), level="yellow")
    timeline.assign(on_time, timeline.police, created=friday, ack_due=due, acked=local(2026, 3, 9, 10))
    timeline.assign(late, timeline.police, created=friday, ack_due=due, acked=local(2026, 3, 10, 10))
    timeline.assign(waiting, timeline.police, ack_due=local(2026, 3, 23, 19), feedback_due=local(2026, 3, 27, 19))
    timeline.assign(missed, timeline.police, created=friday, ack_due=due)
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    yellow = board.by_level[0]
    assert (yellow.ack_measured, yellow.ack_within) == (3, 1)
    assert yellow.ack_share == pytest.approx(1 / 3)
    assert yellow.p50["ack"] == pytest.approx((65 + 89) / 2 * 3600)  # calendar hours, median of the two answers


def test_reopened_report_is_open_again_and_keeps_its_feedback_time(timeline, db_session) -> None:
    received = local(2026, 3, 3, 8)
    report = timeline.report(received, status="reopened", closed=None)
    created = report.dispatched_at
    timeline.assign(
        report,
        timeline.police,
        created=created,
        acked=created + timedelta(minutes=30),
        feedback=created + timedelta(days=2),
    )
    closed = timeline.report(received, status="closed", closed=received + timedelta(days=3))
    timeline.assign(closed, timeline.civil, acked=received + timedelta(hours=2), feedback=received + timedelta(days=4))
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    assert board.totals.open_reports == 1
    assert board.totals.open_assignments == 0  # its assignments have answered: nothing overdue
    assert board.totals.feedback_measured == 2 and board.totals.feedback_within == 1
    police = next(s for s in board.by_agency if s.label == "上城区公安")
    assert police.p50["feedback"] == pytest.approx(2 * 86400, abs=0.1)
    opened = monthly.longest_open(db_session, Scope("all"), NOW)
    assert [r.reference for r in opened] == [report.reference]
    assert opened[0].agencies == ["上城区公安"] and opened[0].days_open == pytest.approx(17.5)


def test_open_and_overdue_counts(timeline, db_session) -> None:
    base = local(2026, 3, 18, 9)
    ack_late = timeline.report(base)
    timeline.assign(ack_late, timeline.police, ack_due=base + timedelta(hours=1))
    feedback_late = timeline.report(base)
    timeline.assign(
        feedback_late,
        timeline.civil,
        acked=base + timedelta(minutes=5),
        ack_due=base + timedelta(hours=1),
        feedback_due=base + timedelta(days=1),
    )
    fine = timeline.report(base)
    timeline.assign(fine, timeline.station, acked=base + timedelta(minutes=5), feedback_due=NOW + timedelta(days=1))
    cancelled = timeline.report(base)
    timeline.assign(cancelled, timeline.other, status="cancelled")
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    assert board.totals.overdue == 2
    assert board.totals.open_assignments == 3  # the cancelled one is not counted at all
    assert board.totals.assignments == 3
    rows = analytics.overdue(db_session, Scope("all"), NOW)
    assert [(r.reference, r.deadline) for r in rows] == [
        (ack_late.reference, "ack"),
        (feedback_late.reference, "feedback"),
    ]
    assert rows[0].overdue_seconds == pytest.approx((NOW - base - timedelta(hours=1)).total_seconds())


def test_period_is_whole_local_days(timeline, db_session) -> None:
    """Midnight in Beijing is 16:00 UTC the day before: the boundaries are local."""
    timeline.report(local(2026, 3, 1, 0, 0))  # 16:00 UTC on 28 February: March in Beijing
    timeline.report(local(2026, 2, 28, 23, 59))
    timeline.report(local(2026, 4, 1, 0, 0))
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    assert board.totals.reports == 1
    assert MARCH.weeks == 5 and [s.label for s in board.trend][:2] == ["2026-03-01", "2026-03-08"]
    assert board.trend[0].reports == 1


def test_areas_one_level_below_the_root_with_drill_down(timeline, db_session) -> None:
    timeline.report(local(2026, 3, 2, 9), code="330102001")
    timeline.report(local(2026, 3, 2, 9), code="330102")
    timeline.report(local(2026, 3, 2, 9), code="330105")
    timeline.report(local(2026, 3, 2, 9), code=None)
    city = analytics.dashboard(db_session, Scope("jurisdiction", jurisdiction_code="330100"), MARCH, NOW)
    assert {(s.label, s.reports, s.drill) for s in city.by_area} == {("上城区", 2, True), ("拱墅区", 1, True)}
    county = analytics.dashboard(db_session, Scope("all"), MARCH, NOW, area="330102")
    assert {(s.label, s.reports, s.drill) for s in county.by_area} == {("湖滨街道", 1, True), ("上城区", 1, False)}
    everything = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    assert {(s.key, s.reports) for s in everything.by_area} == {("33", 3), ("", 1)}


def test_untriaged_reports_count_as_pending(timeline, db_session) -> None:
    timeline.report(local(2026, 3, 5, 9), triage_seconds=None)
    board = analytics.dashboard(db_session, Scope("all"), MARCH, NOW)
    assert [(s.key, s.reports, s.open_reports) for s in board.by_level] == [("pending", 1, 1)]
    assert "triage" not in board.totals.p50


# --- Monthly report ------------------------------------------------------------------------------


def test_monthly_figures_against_the_previous_month(timeline, db_session) -> None:
    feb, mar = local(2026, 2, 10, 9), local(2026, 3, 10, 9)
    timeline.report(feb, categories=["physical_abuse"], mr=["MR4"], level="orange")
    timeline.report(mar, categories=["physical_abuse", "bullying"], mr=["MR4"], level="orange", channel="api")
    timeline.report(mar, categories=["physical_abuse"], level="red", code="330105")
    timeline.report(mar, categories=["hardship"], level="blue", code=None)
    timeline.report(mar, categories=["hardship"], level="blue", status="merged")  # a duplicate: not counted
    built = monthly.build(db_session, Scope("all"), 2026, 3, NOW, "Asia/Shanghai")
    assert (built.total, built.previous_total) == (3, 1)
    categories = {c.key: (c.count, c.previous, c.change) for c in built.by_category}
    assert categories == {"physical_abuse": (2, 1, 1), "bullying": (1, 0, 1), "hardship": (1, 0, 1)}
    assert built.top_categories[0].key == "physical_abuse"
    assert {c.key: c.count for c in built.by_mr} == {"MR4": 1}
    assert {c.key: c.count for c in built.by_level} == {"orange": 1, "red": 1, "blue": 1}
    assert {c.key: c.count for c in built.by_channel} == {"web": 2, "api": 1}
    assert {c.key: (c.count, c.previous) for c in built.by_area} == {"33": (2, 1), "": (1, 0)}
    assert built.area_names == {"33": "浙江省"}
    county = monthly.build(db_session, Scope("jurisdiction", jurisdiction_code="330102"), 2026, 3, NOW, "Asia/Shanghai")
    assert county.total == 1 and county.by_area[0].key == "330102001"


def test_monthly_report_never_selects_names_or_contacts(app, timeline, db_session) -> None:
    report = timeline.report(local(2026, 3, 10, 9), status="in_progress")
    timeline.assign(report, timeline.police, acked=local(2026, 3, 10, 10))
    db_session.commit()
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        built = monthly.build(db_session, Scope("all"), 2026, 3, NOW, "Asia/Shanghai")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert built.longest_open[0].reference == report.reference
    joined = "\n".join(statements)
    assert "reports.id" in joined  # the capture works
    for column in ("child_name", "reporter_name", "reporter_phone", "narrative", "address", "reporter_institution"):
        assert column not in joined


def test_monthly_pdf_is_a_pdf_with_the_cjk_font(timeline, db_session) -> None:
    timeline.report(local(2026, 3, 10, 9))
    built = monthly.build(db_session, Scope("all"), 2026, 3, NOW, "Asia/Shanghai")
    data = monthly.render_pdf(
        built, title="月度分析", gettext=lambda s: s, label=lambda k, c: c or "—", local_time=lambda m: m.isoformat()
    )
    assert data.startswith(b"%PDF") and b"STSong-Light" in data


# --- Exports and charts --------------------------------------------------------------------------

TABLE = exports.Table(
    "按承办单位",
    ["名称", "转办数", "时间"],
    [["上城区公安", 3, datetime(2026, 3, 1, 1, 30, tzinfo=UTC)], ['=HYPERLINK("x")', None, None]],
)


def test_csv_has_bom_headers_local_times_and_no_formulas() -> None:
    data = exports.to_csv(TABLE, "Asia/Shanghai")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "转办数", "时间"]
    assert rows[1] == ["上城区公安", "3", "2026-03-01 09:30:00"]
    assert rows[2][0] == '\'=HYPERLINK("x")'


def test_xlsx_is_readable_with_openpyxl() -> None:
    other = exports.Table("按等级", ["名称"], [["红色"]])
    workbook = load_workbook(io.BytesIO(exports.to_xlsx([TABLE, other], "Asia/Shanghai")))
    assert workbook.sheetnames == ["按承办单位", "按等级"]
    rows = list(workbook["按承办单位"].iter_rows(values_only=True))
    assert rows[0] == ("名称", "转办数", "时间")
    assert rows[1] == ("上城区公安", 3, datetime(2026, 3, 1, 9, 30))
    assert rows[2][0] == '\'=HYPERLINK("x")'


def test_charts_are_plain_svg_without_scripts_or_style_attributes() -> None:
    trend = charts.trend_chart(
        [charts.TrendPoint("2026-03-01", 4, 0.75, None), charts.TrendPoint("2026-03-08", 0, None, None)],
        title="趋势<x>",
        reports_label="报告数",
        ack_label="签收",
        feedback_label="反馈",
    )
    bars = charts.compliance_chart(
        [charts.ComplianceBar("上城区公安 & 派出所", 0.5, 1.0, 2)],
        title="达标",
        ack_label="签收",
        feedback_label="反馈",
    )
    for svg in (str(trend), str(bars)):
        assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert "趋势&lt;x&gt;" in str(trend) and "75%" in str(trend)
    assert "上城区公安 &amp; 派出所" in str(bars) and "50%" in str(bars)
