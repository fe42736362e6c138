"""Supervision metrics and the role scoping every supervision query goes through.

Scoping is SQL: ``Scope`` turns a user into WHERE clauses (a jurisdiction's code range, an
agency id), so no row outside a user's reach is ever loaded. Division codes nest by prefix
(GB/T 2260: ``33`` province → ``3301`` city → ``330102`` county → 9-digit township → 12-digit
village), so "inside an area" is a range on the indexed code column.

Response times are calendar durations computed in SQL (``elapsed_seconds``). Whether a step met its
deadline is judged against the stored due time, which already follows the level's clock (calendar
or working days), so a yellow report acknowledged on Monday morning after a Friday-evening dispatch
is within its one-working-day deadline although more than 24 hours passed.

Counts and deadline shares are SQL aggregates over the finest grain needed (agency × level × area
× week) and are only summed up in Python to each table. Medians and 90th percentiles are
``percentile_cont`` on PostgreSQL; SQLite has no such aggregate, so there the durations (and only
them, already selected and computed in SQL) are fetched and interpolated the same way.
Cancelled (re-routed) and declined assignments are left out of response-time figures: the agency
that took over carries the deadline.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from hotline.lifecycle import OPEN_STATUSES
from hotline.models import Agency, Assignment, Escalation, Jurisdiction, Report, User, UTCDateTime
from hotline.taxonomy import AssignmentStatus, UserRole

ACTIVE_ASSIGNMENT = (AssignmentStatus.NOTIFIED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)
# Not IN (…): a negative test keeps the planner on the period's index instead of the status index.
UNMEASURED_ASSIGNMENT = (AssignmentStatus.CANCELLED, AssignmentStatus.DECLINED)
WEEK_SECONDS = 7 * 86400
UNKNOWN_AREA = ""
PENDING_LEVEL = "pending"
MANUAL_STEP = "manual"  # a supervisor's 督办 (repeated ones are manual_2, manual_3…)


def manual_step(ordinal: int) -> str:
    """The escalation step of a supervisor's ``ordinal``-th 督办 on one assignment (from 1)."""
    return MANUAL_STEP if ordinal == 1 else f"{MANUAL_STEP}_{ordinal}"


def manual_ordinal(step: str) -> int | None:
    """Which 督办 ``step`` is (1 for ``manual``, 3 for ``manual_3``), or None for the sweeper's steps."""
    if step == MANUAL_STEP:
        return 1
    base, _sep, ordinal = step.partition("_")
    return int(ordinal) if base == MANUAL_STEP and ordinal.isdigit() else None


def is_manual_step(column: Any) -> ColumnElement[bool]:
    """SQL: ``column`` names a supervisor's 督办, first or repeated."""
    return or_(column == MANUAL_STEP, column.like(f"{MANUAL_STEP}\\_%", escape="\\"))


# --- Elapsed time in SQL, portable between SQLite and PostgreSQL ---------------------------------


class elapsed_seconds(FunctionElement[float]):  # noqa: N801 - reads as an SQL function
    """Seconds from the first argument to the second (NULL if either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "elapsed_seconds"


@compiles(elapsed_seconds, "sqlite")
def _elapsed_sqlite(element: elapsed_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(elapsed_seconds, "postgresql")
def _elapsed_postgresql(element: elapsed_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


def sql_time(value: datetime) -> ColumnElement[datetime]:
    """A timestamp literal bound with the column type, so SQLite compares like with like."""
    return literal(value, UTCDateTime())


# --- Areas and scopes --------------------------------------------------------------------------


def area_prefix(code: str) -> str:
    """The code prefix every division inside ``code`` shares: ``330000`` → ``33``, ``330100`` → ``3301``."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def in_area(column: Any, code: str) -> ColumnElement[bool]:
    """``column`` holds a division inside ``code`` (itself included): an index-friendly range."""
    prefix = area_prefix(code)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def child_key_length(code: str | None) -> int:
    """How many leading digits name the divisions one level below ``code`` (None: the provinces)."""
    if code is None:
        return 2
    return {2: 4, 4: 6, 6: 9}.get(len(area_prefix(code)), 12)


def area_code(key: str) -> str:
    """The full division code of a grouping key (``33`` → ``330000``, ``3301`` → ``330100``)."""
    return key.ljust(6, "0") if len(key) < 6 else key


@dataclass(frozen=True)
class Scope:
    """What one user may see: everything, one jurisdiction (and its agencies), one agency, or nothing.

    Operators see every report of the hotline (they work its queue), supervisors their
    jurisdiction, agency staff their agency's assignments, admins everything. A supervisor without
    a jurisdiction, or agency staff without an agency, sees nothing.
    """

    kind: str  # all, jurisdiction, agency, none
    jurisdiction_code: str | None = None
    agency_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Scope:
        if user.role in (UserRole.ADMIN, UserRole.OPERATOR):
            return cls("all")
        if user.role == UserRole.SUPERVISOR and user.jurisdiction_code:
            return cls("jurisdiction", jurisdiction_code=user.jurisdiction_code)
        if user.role == UserRole.AGENCY_STAFF and user.agency_id is not None:
            return cls("agency", agency_id=user.agency_id)
        return cls("none")

    @property
    def root(self) -> str | None:
        """The area a dashboard starts from (None: every area)."""
        return self.jurisdiction_code if self.kind == "jurisdiction" else None

    def covers_area(self, code: str) -> bool:
        """May this scope drill down into division ``code``?"""
        if self.kind == "all":
            return True
        if self.kind == "jurisdiction" and self.jurisdiction_code:
            return code.startswith(area_prefix(self.jurisdiction_code)) and code.isdigit()
        return False

    def reports(self) -> ColumnElement[bool]:
        """WHERE clause on ``Report``: located in the jurisdiction, or assigned to one of its agencies
        (a report with no usable location is routed to the home area's agencies, whose supervisor
        must see it); for agency staff, assigned to their agency."""
        if self.kind == "all":
            return true()
        if self.kind == "jurisdiction" and self.jurisdiction_code:
            # The area's agencies are a small set, looked up once: ``OFFSET 0`` keeps PostgreSQL from
            # pulling the subquery up into a join that scans the agencies again for every report
            # (1.0 s instead of 0.16 s for the reports of 28 days at 1M).
            area_agencies = select(Agency.id).where(in_area(Agency.jurisdiction_code, self.jurisdiction_code)).offset(0)
            by_agency = exists().where(Assignment.report_id == Report.id, Assignment.agency_id.in_(area_agencies))
            return or_(in_area(Report.jurisdiction_code, self.jurisdiction_code), by_agency)
        if self.kind == "agency" and self.agency_id is not None:
            return exists().where(Assignment.report_id == Report.id, Assignment.agency_id == self.agency_id)
        return false()

    def assignments(self) -> ColumnElement[bool]:
        """WHERE clause on ``Assignment`` joined with its ``Report`` and ``Agency``."""
        if self.kind == "all":
            return true()
        if self.kind == "jurisdiction" and self.jurisdiction_code:
            code = self.jurisdiction_code
            return or_(in_area(Report.jurisdiction_code, code), in_area(Agency.jurisdiction_code, code))
        if self.kind == "agency" and self.agency_id is not None:
            return Assignment.agency_id == self.agency_id
        return false()


# --- Periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end) in UTC, chosen as whole local days."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @classmethod
    def days(cls, first_day: date, last_day: date, timezone: str) -> Period:
        tz = ZoneInfo(timezone)
        start = datetime.combine(first_day, time(0), tzinfo=tz)
        end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
        return cls(start, end, first_day, last_day)

    @classmethod
    def month(cls, year: int, month: int, timezone: str) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls.days(first, following - timedelta(days=1), timezone)

    def previous_month(self, timezone: str) -> Period:
        before = self.first_day - timedelta(days=1)
        return Period.month(before.year, before.month, timezone)

    @property
    def weeks(self) -> int:
        return max(1, math.ceil((self.end - self.start).total_seconds() / WEEK_SECONDS))


# --- Statistics --------------------------------------------------------------------------------


def percentile(
    values: Sequence[float] | Mapping[int, float], fraction: float, count: int | None = None
) -> float | None:
    """Linear interpolation between closest ranks, what PostgreSQL's ``percentile_cont`` returns.

    ``values`` are ascending, indexed from 0; a mapping holding only the ranks next to the position
    (with ``count`` the size of the whole series) is enough.
    """
    n = len(values) if count is None else count
    if n == 0:
        return None
    position = fraction * (n - 1)
    low = math.floor(position)
    high = min(low + 1, n - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


DURATIONS = ("triage", "dispatch", "ack", "feedback")


@dataclass
class GroupStats:
    """One row of a dashboard table: counts, response-time percentiles (seconds) and deadline shares."""

    key: str
    label: str = ""
    reports: int = 0
    assignments: int = 0
    open_reports: int = 0
    open_assignments: int = 0
    overdue: int = 0
    ack_measured: int = 0
    ack_within: int = 0
    feedback_measured: int = 0
    feedback_within: int = 0
    p50: dict[str, float | None] = field(default_factory=dict)
    p90: dict[str, float | None] = field(default_factory=dict)
    drill: bool = False

    @property
    def ack_share(self) -> float | None:
        return self.ack_within / self.ack_measured if self.ack_measured else None

    @property
    def feedback_share(self) -> float | None:
        return self.feedback_within / self.feedback_measured if self.feedback_measured else None


@dataclass
class Dashboard:
    period: Period
    area: str | None
    totals: GroupStats
    by_agency: list[GroupStats]
    by_agency_type: list[GroupStats]
    by_level: list[GroupStats]
    by_area: list[GroupStats]
    trend: list[GroupStats]


LEVEL_ORDER = {"red": 0, "orange": 1, "yellow": 2, "blue": 3, PENDING_LEVEL: 4}


def _filters(period: Period, area: str | None) -> list[ColumnElement[bool]]:
    clauses = [Report.received_at >= sql_time(period.start), Report.received_at < sql_time(period.end)]
    if area is not None:
        clauses.append(in_area(Report.jurisdiction_code, area))
    return clauses


def _counted(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def dashboard(session: Session, scope: Scope, period: Period, now: datetime, area: str | None = None) -> Dashboard:
    """Every figure of the response-time dashboard for ``scope`` over reports received in ``period``.

    ``area`` narrows to one division inside the scope (drill-down); areas are grouped one level
    below it (or below the scope's own jurisdiction).
    """
    root = area if area is not None else scope.root
    # Grouping keys hold no bound parameters: PostgreSQL matches GROUP BY expressions by their text.
    level = func.coalesce(Report.urgency, literal_column(f"'{PENDING_LEVEL}'")).label("level")
    area_key = func.coalesce(
        func.substr(Report.jurisdiction_code, literal_column("1"), literal_column(str(child_key_length(root)))),
        literal_column("''"),
    ).label("area")
    start = period.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
    week = func.floor(
        elapsed_seconds(literal_column(f"'{start}'"), Report.received_at) / literal_column(str(WEEK_SECONDS))
    ).label("week")
    keys = Keys(level, area_key, week)
    report_where = [*_filters(period, area), scope.reports()]
    assignment_where = [*_filters(period, area), scope.assignments(), Assignment.status.not_in(UNMEASURED_ASSIGNMENT)]

    groups: dict[tuple[str, str], GroupStats] = {}
    _report_counts(session, groups, keys, report_where)
    _assignment_counts(session, groups, keys, assignment_where, sql_time(now))
    durations = {
        "triage": elapsed_seconds(Report.received_at, Report.triaged_at),
        "dispatch": elapsed_seconds(Report.received_at, Report.dispatched_at),
        "ack": elapsed_seconds(Assignment.created_at, Assignment.acknowledged_at),
        "feedback": elapsed_seconds(Assignment.created_at, Assignment.feedback_at),
    }
    if session.get_bind().dialect.name == "postgresql":
        _percentiles_sql(session, groups, durations, report_where, assignment_where, keys)
    else:
        _percentiles_fetched(session, groups, durations, report_where, assignment_where, keys)
    return _assemble(session, scope, period, area, root, groups)


@dataclass(frozen=True)
class Keys:
    """The SQL expressions reports are grouped by."""

    level: Any
    area: Any
    week: Any


def _report_counts(
    session: Session, groups: dict[tuple[str, str], GroupStats], keys: Keys, where: list[ColumnElement[bool]]
) -> None:
    """Reports and open reports per (level, area, week), summed up to each table and the totals."""
    statement = (
        select(keys.level, keys.area, keys.week, func.count().label("n"), _counted(Report.status.in_(OPEN_STATUSES)))
        .where(*where)
        .group_by(keys.level, keys.area, keys.week)
    )
    for level, area, week, n, open_ in session.execute(statement):
        for target in (("total", ""), ("level", level), ("area", area), ("week", _key(week))):
            stats = _group(groups, *target)
            stats.reports += n
            stats.open_reports += open_


def _assignment_counts(
    session: Session,
    groups: dict[tuple[str, str], GroupStats],
    keys: Keys,
    where: list[ColumnElement[bool]],
    now: ColumnElement[datetime],
) -> None:
    """Assignment counts (open, overdue, deadlines measured and met) per (agency, level, area, week),
    one pass over the period, summed up to each table."""
    active = Assignment.status.in_(ACTIVE_ASSIGNMENT)
    ack_late = and_(Assignment.status == AssignmentStatus.NOTIFIED, Assignment.acknowledge_due_at <= now)
    grain = (Assignment.agency_id, Assignment.agency_type, keys.level, keys.area, keys.week)
    statement = (
        select(
            *grain,
            func.count(),
            _counted(active),
            _counted(and_(active, or_(ack_late, Assignment.feedback_due_at <= now))),
            _counted(or_(Assignment.acknowledged_at.is_not(None), Assignment.acknowledge_due_at <= now)),
            _counted(Assignment.acknowledged_at <= Assignment.acknowledge_due_at),
            _counted(or_(Assignment.feedback_at.is_not(None), Assignment.feedback_due_at <= now)),
            _counted(Assignment.feedback_at <= Assignment.feedback_due_at),
        )
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(*where)
        .group_by(*grain)
    )
    for agency_id, agency_type, level, area, week, *counts in session.execute(statement):
        n, open_, overdue_, ack_measured, ack_within, feedback_measured, feedback_within = counts
        targets = (
            ("total", ""),
            ("agency", str(agency_id)),
            ("agency_type", agency_type),
            ("level", level),
            ("area", area),
            ("week", _key(week)),
        )
        for target in targets:
            stats = _group(groups, *target)
            stats.assignments += n
            stats.open_assignments += open_
            stats.overdue += overdue_
            stats.ack_measured += ack_measured
            stats.ack_within += ack_within
            stats.feedback_measured += feedback_measured
            stats.feedback_within += feedback_within
            if target[0] in ("agency", "agency_type"):
                stats.reports += n  # one assignment per agency and report


def _key(value: Any) -> str:
    """A grouping value as a dictionary key (weeks come back as floats or decimals)."""
    return str(int(value)) if isinstance(value, float | int) or hasattr(value, "as_integer_ratio") else str(value)


def _group(groups: dict[tuple[str, str], GroupStats], dimension: str, key: str) -> GroupStats:
    found = groups.get((dimension, key))
    if found is None:
        found = groups[(dimension, key)] = GroupStats(key)
    return found


def _assemble(
    session: Session,
    scope: Scope,
    period: Period,
    area: str | None,
    root: str | None,
    groups: dict[tuple[str, str], GroupStats],
) -> Dashboard:
    """Label the groups (agency and division names) and order each table."""

    def table(dimension: str) -> list[GroupStats]:
        return [stats for (dim, _key), stats in groups.items() if dim == dimension]

    by_agency = table("agency")
    agency_ids = [int(s.key) for s in by_agency]
    names = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    for stats in by_agency:
        stats.label = names.get(int(stats.key), stats.key)
    by_area = table("area")
    codes = [area_code(s.key) for s in by_area if s.key]
    area_names = dict(
        session.execute(select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))).all()
    )
    root_length = len(area_prefix(root)) if root else 0
    for stats in by_area:
        stats.label = area_names.get(area_code(stats.key), area_code(stats.key)) if stats.key else ""
        stats.drill = root_length < len(stats.key) < 12 and scope.covers_area(area_code(stats.key))
    trend = []
    for index in range(period.weeks):
        stats = groups.get(("week", str(index)), GroupStats(str(index)))
        stats.label = (period.first_day + timedelta(days=7 * index)).isoformat()
        trend.append(stats)
    return Dashboard(
        period=period,
        area=area,
        totals=groups.get(("total", ""), GroupStats("")),
        by_agency=sorted(by_agency, key=lambda s: (-s.assignments, s.label)),
        by_agency_type=sorted(table("agency_type"), key=lambda s: (-s.assignments, s.key)),
        by_level=sorted(table("level"), key=lambda s: LEVEL_ORDER.get(s.key, 9)),
        by_area=sorted(by_area, key=lambda s: (s.key == UNKNOWN_AREA, s.key)),
        trend=trend,
    )


def _percentiles_fetched(
    session: Session,
    groups: dict[tuple[str, str], GroupStats],
    durations: dict[str, Any],
    report_where: list[ColumnElement[bool]],
    assignment_where: list[ColumnElement[bool]],
    keys: Keys,
) -> None:
    """SQLite (no ``percentile_cont``): the durations, computed in SQL, are selected in one pass for
    reports and one for assignments (Core rows, no ORM loading), sorted and interpolated per group.

    Ranking in SQL with window functions instead was measured several times slower on SQLite.
    """
    connection = session.connection()
    series: dict[tuple[str, str], defaultdict[str, list[float]]] = {
        (dimension, metric): defaultdict(list)
        for dimension in ("total", "level", "area", "agency", "agency_type")
        for metric in DURATIONS
    }
    rows = connection.execute(
        select(keys.level, keys.area, durations["triage"], durations["dispatch"]).where(*report_where)
    )
    t_total, t_level, t_area = (series[(d, "triage")] for d in ("total", "level", "area"))
    d_total, d_level, d_area = (series[(d, "dispatch")] for d in ("total", "level", "area"))
    for level, area, triage, dispatch in rows:
        if triage is not None:
            t_total[""].append(triage)
            t_level[level].append(triage)
            t_area[area].append(triage)
        if dispatch is not None:
            d_total[""].append(dispatch)
            d_level[level].append(dispatch)
            d_area[area].append(dispatch)
    rows = connection.execute(
        select(Assignment.agency_id, Assignment.agency_type, keys.level, keys.area, *durations.values())
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(*assignment_where)
    )
    agency = {m: series[("agency", m)] for m in DURATIONS}
    kind = {m: series[("agency_type", m)] for m in DURATIONS}
    a_total, a_level, a_area = (series[(d, "ack")] for d in ("total", "level", "area"))
    f_total, f_level, f_area = (series[(d, "feedback")] for d in ("total", "level", "area"))
    for agency_id, agency_type, level, area, triage, dispatch, ack, feedback in rows:
        key = str(agency_id)
        for metric, value in (("triage", triage), ("dispatch", dispatch), ("ack", ack), ("feedback", feedback)):
            if value is not None:
                agency[metric][key].append(value)
                kind[metric][agency_type].append(value)
        if ack is not None:
            a_total[""].append(ack)
            a_level[level].append(ack)
            a_area[area].append(ack)
        if feedback is not None:
            f_total[""].append(feedback)
            f_level[level].append(feedback)
            f_area[area].append(feedback)
    for (dimension, metric), by_key in series.items():
        for key, values in by_key.items():
            stats = groups.get((dimension, key))
            if stats is not None:
                values.sort()
                stats.p50[metric] = percentile(values, 0.5)
                stats.p90[metric] = percentile(values, 0.9)


def _percentiles_sql(
    session: Session,
    groups: dict[tuple[str, str], GroupStats],
    durations: dict[str, Any],
    report_where: list[ColumnElement[bool]],
    assignment_where: list[ColumnElement[bool]],
    keys: Keys,
) -> None:
    """PostgreSQL: ``percentile_cont`` over GROUPING SETS, one pass for reports, one for assignments."""

    def aggregates(metrics: Sequence[str]) -> list[Any]:
        # One aggregate returning both fractions sorts each group's values once instead of twice.
        fractions = postgresql.array([literal_column("0.5"), literal_column("0.9")])
        return [
            type_coerce(func.percentile_cont(fractions).within_group(durations[metric]), postgresql.ARRAY(Float)).label(
                metric
            )
            for metric in metrics
        ]

    def store(row: Any, dimension: str, key: str, metrics: Sequence[str]) -> None:
        stats = groups.get((dimension, key))
        if stats is None:
            return
        for metric in metrics:
            fractions = row._mapping[metric]
            if fractions is not None:  # like SQLite: a metric with no values in the group has no entry
                stats.p50[metric], stats.p90[metric] = fractions

    empty = literal_column("()")
    report_metrics = ("triage", "dispatch")
    rows = session.execute(
        select(func.grouping(keys.level, keys.area).label("g"), keys.level, keys.area, *aggregates(report_metrics))
        .where(*report_where)
        .group_by(func.grouping_sets(keys.level, keys.area, empty))
    ).all()
    for row in rows:
        dimension, key = {1: ("level", row[1]), 2: ("area", row[2]), 3: ("total", "")}[row.g]
        store(row, dimension, key, report_metrics)
    all_metrics = ("triage", "dispatch", "ack", "feedback")
    rows = session.execute(
        select(
            func.grouping(Assignment.agency_id, Assignment.agency_type, keys.level, keys.area).label("g"),
            Assignment.agency_id,
            Assignment.agency_type,
            keys.level,
            keys.area,
            *aggregates(all_metrics),
        )
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(*assignment_where)
        .group_by(func.grouping_sets(Assignment.agency_id, Assignment.agency_type, keys.level, keys.area, empty))
    ).all()
    for row in rows:
        dimension, key, metrics = {
            0b0111: ("agency", str(row[1]), all_metrics),
            0b1011: ("agency_type", row[2], all_metrics),
            0b1101: ("level", row[3], ("ack", "feedback")),
            0b1110: ("area", row[4], ("ack", "feedback")),
            0b1111: ("total", "", ("ack", "feedback")),
        }[row.g]
        store(row, dimension, key, metrics)


# --- Live lists: overdue assignments and fired escalation steps ---------------------------------


@dataclass
class OverdueRow:
    """An active assignment past its acknowledgement or feedback deadline."""

    assignment_id: int
    reference: str
    urgency: str | None
    jurisdiction_code: str | None
    agency_id: int
    agency_name: str
    role: str
    status: str
    deadline: str  # ack or feedback
    due_at: datetime
    overdue_seconds: float
    steps: list[str] = field(default_factory=list)
    last_notice_at: datetime | None = None  # the latest supervisor's 督办


def overdue(session: Session, scope: Scope, now: datetime, limit: int | None = None) -> list[OverdueRow]:
    """What is past its deadline now, most overdue first, with the escalation steps already fired."""
    now_ = sql_time(now)
    ack_late = and_(Assignment.status == AssignmentStatus.NOTIFIED, Assignment.acknowledge_due_at <= now_)
    due = case((ack_late, Assignment.acknowledge_due_at), else_=Assignment.feedback_due_at)
    statement = (
        select(
            Assignment.id,
            Report.reference,
            Report.urgency,
            Report.jurisdiction_code,
            Assignment.agency_id,
            Agency.name,
            Assignment.role,
            Assignment.status,
            ack_late.label("ack_late"),
            due.label("due"),
        )
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(
            Assignment.status.in_(ACTIVE_ASSIGNMENT),
            or_(ack_late, Assignment.feedback_due_at <= now_),
            scope.assignments(),
        )
        .order_by(due, Assignment.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = [
        OverdueRow(
            assignment_id=row.id,
            reference=row.reference or "",
            urgency=row.urgency,
            jurisdiction_code=row.jurisdiction_code,
            agency_id=row.agency_id,
            agency_name=row.name,
            role=row.role,
            status=row.status,
            deadline="ack" if row.ack_late else "feedback",
            due_at=_aware(row.due),
            overdue_seconds=(now - _aware(row.due)).total_seconds(),
        )
        for row in session.execute(statement)
    ]
    by_id = {row.assignment_id: row for row in rows}
    if by_id:
        fired = session.execute(
            select(Escalation.assignment_id, Escalation.step, Escalation.fired_at)
            .where(Escalation.assignment_id.in_(list(by_id)), Escalation.superseded_at.is_(None))
            .order_by(Escalation.fired_at, Escalation.id)
        )
        for assignment_id, step, fired_at in fired:
            row = by_id[assignment_id]
            row.steps.append(step)
            if manual_ordinal(step) is not None:
                row.last_notice_at = fired_at
    return rows


def _aware(value: datetime | str) -> datetime:
    """A ``CASE`` over two timestamp columns loses the column type on SQLite: parse it back as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class EscalationRow:
    """One fired escalation step (the sweeper's, or a supervisor's manual 督办)."""

    id: int
    assignment_id: int
    reference: str
    urgency: str | None
    agency_name: str
    step: str
    fired_at: datetime
    actor_label: str | None
    note: str | None
    superseded_at: datetime | None
    assignment_status: str


def escalations(session: Session, scope: Scope, period: Period, limit: int | None = None) -> list[EscalationRow]:
    """Escalation steps fired in ``period`` within ``scope``, newest first."""
    statement = (
        select(
            Escalation.id,
            Escalation.assignment_id,
            Report.reference,
            Report.urgency,
            Agency.name,
            Escalation.step,
            Escalation.fired_at,
            Escalation.actor_label,
            Escalation.note,
            Escalation.superseded_at,
            Assignment.status,
        )
        .join(Assignment, Assignment.id == Escalation.assignment_id)
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(
            Escalation.fired_at >= sql_time(period.start),
            Escalation.fired_at < sql_time(period.end),
            scope.assignments(),
        )
        .order_by(Escalation.fired_at.desc(), Escalation.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [
        EscalationRow(
            id=row[0],
            assignment_id=row[1],
            reference=row[2] or "",
            urgency=row[3],
            agency_name=row[4],
            step=row[5],
            fired_at=row[6],
            actor_label=row[7],
            note=row[8],
            superseded_at=row[9],
            assignment_status=row[10],
        )
        for row in session.execute(statement)
    ]


def assignment_in_scope(session: Session, scope: Scope, assignment_id: int) -> Assignment | None:
    """The assignment if ``scope`` reaches it (the check is part of the query), else None."""
    return session.scalar(
        select(Assignment)
        .join(Report, Report.id == Assignment.report_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.id == assignment_id, scope.assignments())
    )
