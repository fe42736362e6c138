"""Dashboard snapshots: a supervisor dashboard that is slow to compute is served from its last result.

The dashboard's exact medians and 90th percentiles need every duration of the period: at a million
reports a 28-day city dashboard sorts about 160,000 assignments' times four ways and takes seconds
on PostgreSQL. Figures a few minutes old are fine to read trends and compare agencies from; a
supervisor waiting seconds for every page is not. The overdue and escalation lists, the ones a
supervisor acts on, always stay live. So, per dashboard (scope, drill-down area and period):

- while computing it takes less than ``DASHBOARD_LIVE_MS``, it is computed on every view and no
  snapshot is kept (small and medium deployments never see anything but live figures);
- once it takes longer, the result is stored with the time it was computed, which the page shows,
  and served for up to ``DASHBOARD_MAX_AGE`` seconds. When a served snapshot is half that old a
  refresh job is queued, so a dashboard in use is recomputed in the background, never while someone
  waits; an expired or missing snapshot is computed on the spot; "refresh now" recomputes at once.

The key holds the scope, so a supervisor is only ever served a snapshot computed for their own
jurisdiction. Snapshots are derived data: the sweeper deletes those not refreshed for a day.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hotline import analytics
from hotline.analytics import Dashboard, GroupStats, Period, Scope
from hotline.db import get_db
from hotline.models import DashboardSnapshot, utcnow
from hotline.queue import app_job, enqueue_after_commit

REFRESH_QUEUE = "analytics"
REFRESH_JOB = "hotline.snapshots.refresh"
PRUNE_AFTER = timedelta(days=1)
TABLES = ("by_agency", "by_agency_type", "by_level", "by_area", "trend")


@dataclass(frozen=True)
class DashboardView:
    """A dashboard and where its figures come from: computed for this view, or a snapshot."""

    board: Dashboard
    computed_at: datetime
    live: bool
    compute_ms: float


def snapshot_key(scope: Scope, period: Period, area: str | None) -> str:
    return (
        f"{scope.kind}:{scope.jurisdiction_code or ''}:{scope.agency_id or ''}"
        f"|{area or ''}|{period.first_day.isoformat()}|{period.last_day.isoformat()}"
    )


def dashboard_view(
    session: Session,
    scope: Scope,
    period: Period,
    now: datetime,
    area: str | None,
    *,
    live_ms: float,
    max_age: float,
) -> DashboardView:
    """The dashboard for this view: its snapshot while one is fresh and the dashboard is slow to
    compute, else computed now. The caller commits (a snapshot may have been stored or a refresh
    queued)."""
    snapshot = session.get(DashboardSnapshot, snapshot_key(scope, period, area))
    if snapshot is not None and snapshot.compute_ms >= live_ms:
        age = (now - snapshot.computed_at).total_seconds()
        if age < max_age:
            if age >= max_age / 2 and (
                snapshot.refresh_queued_at is None or snapshot.refresh_queued_at <= snapshot.computed_at
            ):
                snapshot.refresh_queued_at = now
                enqueue_after_commit(
                    session,
                    REFRESH_QUEUE,
                    REFRESH_JOB,
                    scope.kind,
                    scope.jurisdiction_code,
                    scope.agency_id,
                    area,
                    period.first_day.isoformat(),
                    period.last_day.isoformat(),
                )
            return DashboardView(decode(snapshot.payload, period), snapshot.computed_at, False, snapshot.compute_ms)
    return compute(session, scope, period, now, area, live_ms=live_ms)


def compute(
    session: Session, scope: Scope, period: Period, now: datetime, area: str | None, *, live_ms: float
) -> DashboardView:
    """Compute the dashboard now; keep it as the snapshot if that took ``live_ms`` or more, else drop
    any snapshot (the next view computes live again). The caller commits."""
    started = time.perf_counter()
    board = analytics.dashboard(session, scope, period, now, area)
    elapsed_ms = (time.perf_counter() - started) * 1000
    key = snapshot_key(scope, period, area)
    if elapsed_ms >= live_ms:
        values = {"key": key, "payload": encode(board), "computed_at": now, "compute_ms": elapsed_ms}
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(DashboardSnapshot).values(**values)
        replaced = {name: statement.excluded[name] for name in values if name != "key"}
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[DashboardSnapshot.key], set_={**replaced, "refresh_queued_at": None}
            )
        )
    else:
        session.execute(delete(DashboardSnapshot).where(DashboardSnapshot.key == key))
    session.expire_all()  # the ORM's copy of a snapshot row is stale after the Core statements
    return DashboardView(board, now, True, elapsed_ms)


def prune(session: Session, now: datetime) -> int:
    """Delete snapshots nobody has looked at for a day (a viewed one is refreshed well before)."""
    result = session.execute(delete(DashboardSnapshot).where(DashboardSnapshot.computed_at < now - PRUNE_AFTER))
    return result.rowcount or 0


@app_job
def refresh(
    kind: str,
    jurisdiction_code: str | None,
    agency_id: int | None,
    area: str | None,
    first_day: str,
    last_day: str,
) -> str:
    """Recompute one dashboard's snapshot (queued by a view of a half-expired one). Idempotent: a
    duplicate job finds the snapshot fresh and does nothing."""
    config = current_app.config
    scope = Scope(kind, jurisdiction_code=jurisdiction_code, agency_id=agency_id)
    period = Period.days(date.fromisoformat(first_day), date.fromisoformat(last_day), config["TIMEZONE"])
    with get_db().session() as session:
        snapshot = session.get(DashboardSnapshot, snapshot_key(scope, period, area))
        now = utcnow()
        if snapshot is not None and (now - snapshot.computed_at).total_seconds() < config["DASHBOARD_MAX_AGE"] / 2:
            return "fresh already"
        view = compute(session, scope, period, now, area, live_ms=config["DASHBOARD_LIVE_MS"])
        session.commit()
    return f"computed in {view.compute_ms:.0f} ms"


# --- Serialisation -------------------------------------------------------------------------------


def encode(board: Dashboard) -> str:
    """The dashboard as JSON (its period is part of the key, so only the figures are stored)."""
    data: dict[str, Any] = {"area": board.area, "totals": asdict(board.totals)}
    for table in TABLES:
        data[table] = [asdict(stats) for stats in getattr(board, table)]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(payload: str, period: Period) -> Dashboard:
    data = json.loads(payload)
    tables = {table: [GroupStats(**stats) for stats in data[table]] for table in TABLES}
    return Dashboard(period=period, area=data["area"], totals=GroupStats(**data["totals"]), **tables)
