"""PostgreSQL's own code paths, checked against SQLite: the dashboard (``percentile_cont`` over
grouping sets, the scope's agency subquery) gives the same figures as SQLite (durations interpolated
in Python, checked exactly by the functional tests) for every scope, table and drill-down on one
varied timeline; snapshots round-trip; bulk inserts go through ``unnest``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from hotline import analytics, snapshots
from hotline.analytics import Dashboard, Scope
from hotline.bulk import insert_many
from hotline.db import get_db
from hotline.models import DashboardSnapshot, Notification, utcnow
from tests import factories
from tests.conftest import make_app
from tests.functional.test_analytics import MARCH, NOW, Timeline, local
from tests.functional.test_bulk import check_insert_many, notice
from tests.integration.conftest import wait_for

SCOPES = (
    (Scope("all"), None),
    (Scope("jurisdiction", jurisdiction_code="330100"), None),
    (Scope("jurisdiction", jurisdiction_code="330100"), "330102"),
    (Scope("jurisdiction", jurisdiction_code="330102"), None),
    (Scope("jurisdiction", jurisdiction_code="330105"), None),
)


def build(timeline: Timeline) -> None:
    """Reports of every level in two districts, answered on time, late, never; a reopened one; one
    outside the county handled by a county agency; a cancelled assignment (not measured)."""
    start = local(2026, 3, 2, 9)
    levels = ("red", "orange", "yellow", "blue", "orange", "yellow", "red", "blue", "orange")
    for index, level in enumerate(levels):
        received = start + timedelta(hours=7 * index, minutes=index)
        code = "330102001" if index % 3 else "330105"
        report = timeline.report(received, level=level, code=code, triage_seconds=5 + 7 * index, dispatch_seconds=3)
        created = report.dispatched_at
        agency = (timeline.other, timeline.station, timeline.police)[index % 3]  # 330105's own police there
        timeline.assign(
            report,
            agency,
            created=created,
            acked=created + timedelta(minutes=13 * (index + 1)) if index != 4 else None,
            feedback=created + timedelta(hours=20 * (index + 1)) if index % 2 else None,
        )
        if index in (2, 5):
            timeline.assign(
                report, timeline.civil, created=created, role="assisting", acked=created + timedelta(hours=3)
            )
    reopened = timeline.report(local(2026, 3, 12, 8), level="yellow", status="reopened")
    timeline.assign(reopened, timeline.police, acked=local(2026, 3, 12, 9), feedback=local(2026, 3, 13, 8))
    elsewhere = timeline.report(local(2026, 3, 14, 8), level="orange", code="330105")
    timeline.assign(elsewhere, timeline.civil, acked=local(2026, 3, 14, 10))
    timeline.assign(elsewhere, timeline.other, status="cancelled")
    timeline.report(local(2026, 3, 19, 20), triage_seconds=None)  # still waiting for triage


def figures(board: Dashboard) -> dict[str, Any]:
    """Every number of a dashboard, percentiles rounded to the millisecond."""

    def row(stats: analytics.GroupStats, keyed: bool = True) -> tuple:
        rounded = {f"{k}{m}": round(v, 3) for k, d in (("p50", stats.p50), ("p90", stats.p90)) for m, v in d.items()}
        counts = (stats.reports, stats.assignments, stats.open_reports, stats.open_assignments, stats.overdue)
        shares = (stats.ack_measured, stats.ack_within, stats.feedback_measured, stats.feedback_within)
        return (stats.key if keyed else "", stats.label, counts, shares, sorted(rounded.items()), stats.drill)

    tables = ("by_agency", "by_agency_type", "by_level", "by_area", "trend")
    # Agencies are compared by name: their ids differ between the two databases.
    return {"totals": row(board.totals), **{t: [row(s, t != "by_agency") for s in getattr(board, t)] for t in tables}}


@pytest.fixture
def boards(app, tmp_path) -> list[tuple[Dashboard, Dashboard]]:
    sqlite_app = make_app(tmp_path / "sqlite")
    get_db(sqlite_app).create_all()
    pairs = []
    with get_db(app).session() as pg, get_db(sqlite_app).session() as lite:
        factories.demo_area(lite, sqlite_app.instance_path)  # as the integration app has
        build(Timeline(pg))
        build(Timeline(lite))
        pg.commit()
        lite.commit()
        for scope, area in SCOPES:
            pairs.append(
                (analytics.dashboard(pg, scope, MARCH, NOW, area), analytics.dashboard(lite, scope, MARCH, NOW, area))
            )
    get_db(sqlite_app).engine.dispose()
    return pairs


def test_postgres_and_sqlite_agree_on_every_figure(boards) -> None:
    for on_postgres, on_sqlite in boards:
        assert figures(on_postgres) == figures(on_sqlite)


def test_the_figures_compared_are_the_expected_ones(boards) -> None:
    everything, _city, drill, county, other = (pg for pg, _lite in boards)
    assert everything.totals.reports == 12 and everything.totals.assignments == 13  # the cancelled one is left out
    assert county.totals.reports == 9  # eight located in the county, one in 330105 answered by its civil affairs
    assert other.totals.reports == 4 and drill.totals.reports == 8
    red = next(s for s in everything.by_level if s.key == "red")
    assert red.p50["triage"] == pytest.approx((5 + 47) / 2, abs=0.01)  # reports 0 and 6
    assert red.p90["triage"] == pytest.approx(5 + 0.9 * 42, abs=0.01)
    assert everything.totals.p50["ack"] is not None and everything.totals.p90["feedback"] is not None


def test_a_snapshot_round_trips_on_postgres(app) -> None:
    with get_db(app).session() as session:
        build(Timeline(session))
        session.commit()
        view = snapshots.compute(session, Scope("all"), MARCH, NOW, None, live_ms=0)
        session.commit()
        served = snapshots.dashboard_view(session, Scope("all"), MARCH, NOW, None, live_ms=0, max_age=300)
        assert not served.live and figures(served.board) == figures(view.board)


def test_insert_many_on_postgres(app) -> None:
    """The ``unnest`` path of ``hotline.bulk.insert_many``, by the same checks as on SQLite."""
    with get_db(app).engine.begin() as connection:
        check_insert_many(connection)
    table = Notification.__table__
    too_long = [notice("x", recipient="+86" + "1" * 40), notice("y", recipient="+8613900000003")]
    with pytest.raises(DBAPIError), get_db(app).engine.begin() as connection:  # refused, not truncated
        insert_many(connection, table, too_long, returning=table.c.id)


def test_a_snapshot_refresh_runs_in_the_real_worker(app, worker_process) -> None:
    """A view of a half-expired snapshot queues its refresh on Redis; the ``hotline worker``
    process recomputes it (here fast, so it drops the snapshot: the next view is live)."""
    scope = Scope("jurisdiction", jurisdiction_code="330102")
    with get_db(app).session() as session:
        build(Timeline(session))
        session.commit()
        snapshots.compute(session, scope, MARCH, NOW, None, live_ms=0)
        key = snapshots.snapshot_key(scope, MARCH, None)
        snapshot = session.get(DashboardSnapshot, key)
        snapshot.computed_at = utcnow() - timedelta(seconds=200)  # past half of the default 300 s
        session.commit()
        served = snapshots.dashboard_view(session, scope, MARCH, utcnow(), None, live_ms=0, max_age=300)
        session.commit()
        assert not served.live

    def dropped() -> bool:
        with get_db(app).session() as session:
            return session.get(DashboardSnapshot, key) is None

    wait_for(dropped, what="the worker's refresh of the dashboard snapshot")
