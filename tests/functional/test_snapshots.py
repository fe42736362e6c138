"""Dashboard snapshots: live while the dashboard is fast to compute; once it is slow, served from a
snapshot that shows its time, refreshed in the background at half its age (once), recomputed on the
spot when expired or on "refresh now", never shared between scopes, and pruned by the sweeper."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hotline import snapshots
from hotline.analytics import Period, Scope
from hotline.models import DashboardSnapshot, utcnow
from hotline.queue import get_queue
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_analytics import Timeline
from tests.functional.test_console_and_security import login
from triage.sweeper import sweep

MAX_AGE = 300


@pytest.fixture
def timeline(db_session) -> Timeline:
    return Timeline(db_session)


@pytest.fixture
def period(app) -> Period:
    zone = app.config["TIMEZONE"]
    today = utcnow().astimezone(ZoneInfo(zone)).date()  # the hotline's date, as the pages take it
    return Period.days(today - timedelta(days=27), today, zone)


def view(session, scope, period, now, live_ms: float = 0, area: str | None = None) -> snapshots.DashboardView:
    result = snapshots.dashboard_view(session, scope, period, now, area, live_ms=live_ms, max_age=MAX_AGE)
    session.commit()
    return result


def snapshot_count(session) -> int:
    return session.scalar(select(func.count()).select_from(DashboardSnapshot)) or 0


def test_fast_dashboards_are_computed_live_and_keep_no_snapshot(db_session, timeline, period) -> None:
    timeline.report(utcnow() - timedelta(hours=3))
    db_session.commit()
    first = view(db_session, Scope("all"), period, utcnow(), live_ms=60_000)
    assert first.live and first.board.totals.reports == 1
    assert snapshot_count(db_session) == 0
    timeline.report(utcnow() - timedelta(hours=2))
    db_session.commit()
    assert view(db_session, Scope("all"), period, utcnow(), live_ms=60_000).board.totals.reports == 2


def test_a_slow_dashboard_is_served_from_its_snapshot_and_refreshed_once_at_half_age(
    app, db_session, timeline, period
) -> None:
    app.config["DASHBOARD_LIVE_MS"] = 0  # every computation counts as slow, the background one too
    now = utcnow() - timedelta(seconds=MAX_AGE / 2 + 30)  # so the refresh job, on the real clock, finds it due
    timeline.report(now - timedelta(hours=3))
    db_session.commit()
    scope = Scope("all")
    computed = view(db_session, scope, period, now)
    assert computed.live and snapshot_count(db_session) == 1

    timeline.report(now - timedelta(hours=2))  # arrives after the snapshot
    db_session.commit()
    served = view(db_session, scope, period, now + timedelta(seconds=10))
    assert not served.live and served.computed_at == now and served.board.totals.reports == 1
    assert served.board == computed.board  # the snapshot is the whole dashboard, table by table
    assert get_queue(app).lengths()["analytics"] == 0  # young: no refresh yet

    half = now + timedelta(seconds=MAX_AGE / 2 + 1)
    assert not view(db_session, scope, period, half).live
    assert not view(db_session, scope, period, half + timedelta(seconds=1)).live
    assert get_queue(app).lengths()["analytics"] == 1  # queued once, not once per view

    get_queue(app).drain(app)
    db_session.expire_all()
    refreshed = view(db_session, scope, period, utcnow())
    assert not refreshed.live and refreshed.board.totals.reports == 2 and refreshed.computed_at > now


def test_an_expired_snapshot_is_recomputed_on_the_spot(db_session, timeline, period) -> None:
    now = utcnow()
    timeline.report(now - timedelta(hours=3))
    db_session.commit()
    view(db_session, Scope("all"), period, now)
    timeline.report(now - timedelta(hours=2))
    db_session.commit()
    later = now + timedelta(seconds=MAX_AGE)
    result = view(db_session, Scope("all"), period, later)
    assert result.live and result.computed_at == later and result.board.totals.reports == 2


def test_the_refresh_job_is_idempotent(app, db_session, timeline, period) -> None:
    view(db_session, Scope("all"), period, utcnow() - timedelta(seconds=MAX_AGE / 2 + 5))
    args = ("all", None, None, None, period.first_day.isoformat(), period.last_day.isoformat())
    with app.app_context():
        app.config["DASHBOARD_LIVE_MS"] = 0
        assert snapshots.refresh(*args).startswith("computed")
        assert snapshots.refresh(*args) == "fresh already"


def test_snapshots_are_keyed_by_scope_area_and_period(db_session, timeline, period) -> None:
    now = utcnow()
    timeline.report(now - timedelta(hours=3), code="330102001")
    timeline.report(now - timedelta(hours=3), code="330105")
    db_session.commit()
    assert view(db_session, Scope("jurisdiction", "330100"), period, now).board.totals.reports == 2
    county = view(db_session, Scope("jurisdiction", "330102"), period, now + timedelta(seconds=1))
    assert county.live and county.board.totals.reports == 1
    drill = view(db_session, Scope("jurisdiction", "330100"), period, now, area="330105")
    assert drill.live and drill.board.totals.reports == 1
    shorter = Period.days(period.last_day, period.last_day, "Asia/Shanghai")
    assert view(db_session, Scope("jurisdiction", "330100"), shorter, now).live
    assert snapshot_count(db_session) == 4


def test_the_page_shows_the_snapshot_time_and_refresh_now_recomputes(app, client, db_session, timeline) -> None:
    app.config["DASHBOARD_LIVE_MS"] = 0
    timeline.report(utcnow() - timedelta(hours=3))
    factories.user(db_session, "supervisor", username="sup", jurisdiction_code="330102")
    db_session.commit()
    login(client, "sup")
    page = client.get("/supervision/").get_data(as_text=True)
    assert '<dd id="total-reports">1</dd>' in page and "(实时)" in page  # first view: computed
    timeline.report(utcnow() - timedelta(hours=2))
    db_session.commit()
    page = client.get("/supervision/").get_data(as_text=True)
    assert '<dd id="total-reports">1</dd>' in page and "后台自动更新" in page and "立即刷新" in page
    assert client.post("/supervision/refresh").status_code == 400  # CSRF
    token = csrf_token(client, "/supervision/")
    response = client.post("/supervision/refresh", data={"csrf_token": token})
    assert response.status_code == 302 and "/supervision/" in response.headers["Location"]
    page = client.get("/supervision/").get_data(as_text=True)
    assert '<dd id="total-reports">2</dd>' in page


def test_refresh_now_respects_the_scope(app, client, db_session, timeline) -> None:
    factories.user(db_session, "supervisor", username="sup", jurisdiction_code="330102")
    db_session.commit()
    login(client, "sup")
    token = csrf_token(client, "/supervision/")
    assert client.post("/supervision/refresh?area=330105", data={"csrf_token": token}).status_code == 403
    assert snapshot_count(db_session) == 0


def test_the_sweeper_prunes_snapshots_nobody_looked_at_for_a_day(app, db_session, period) -> None:
    view(db_session, Scope("all"), period, utcnow() - timedelta(days=2))
    view(db_session, Scope("jurisdiction", "330102"), period, utcnow())
    assert sweep(app).snapshots_pruned == 1
    assert snapshot_count(db_session) == 1


def test_a_worker_is_refused_an_unknown_queue(tmp_path) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    result = CliRunner().invoke(
        main,
        ["worker", "--queues", "triage,dashboards"],
        env={"HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/w.db"},
    )
    assert result.exit_code != 0 and "unknown queue(s) dashboards" in result.output
