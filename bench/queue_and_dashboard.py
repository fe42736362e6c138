"""Benchmark of the operator queue and the supervisor dashboard on a large database.

Prints one JSON object: how the data was made, then for each case the p50/p90/min/max in
milliseconds over repeated runs (warm), and the query plans of every statement the case ran
(SQLite ``EXPLAIN QUERY PLAN`` or PostgreSQL ``EXPLAIN``). Usage::

    .venv/bin/python bench/queue_and_dashboard.py [--reports 100000] [--database URL] [--repeat 30]

Without ``--database`` a SQLite file in ``/tmp`` is used (and kept, so a second run with the same
schema reuses it).
Reports are generated with ``hotline.bulk_seed.seed_reports`` up to ``--reports``; ``ANALYZE``
runs after seeding, as it would on any database that has lived a little. Targets: queue ≤ 50 ms
and dashboard ≤ 150 ms at 100,000 reports on SQLite; dashboard ≤ 300 ms at 1,000,000 on PostgreSQL.

Two kinds of dashboard figures are printed: the live computation itself (``analytics.dashboard``,
the cost of every figure fresh from the database) and the page as supervisors get it, which serves
a snapshot once computing takes longer than ``DASHBOARD_LIVE_MS`` (see ``hotline.snapshots``): for
each page case the first, cold view (computed while the user waits) and the repeated views, with
how many were served live and how many from the snapshot.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import delete, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from hotline import analytics, create_app, queries  # noqa: E402
from hotline.analytics import Period, Scope  # noqa: E402
from hotline.bulk_seed import seed_reports  # noqa: E402
from hotline.db import get_db  # noqa: E402
from hotline.migrate import alembic_config  # noqa: E402
from hotline.models import DashboardSnapshot, Report, User, utcnow  # noqa: E402
from hotline.security import hash_password  # noqa: E402
from hotline.web import supervision  # noqa: E402

PASSWORD = "bench password 1"
SLICE = 100_000
SNAPSHOT_MARK = "后台自动更新"  # the page's note when it serves a snapshot
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def timed(run: Callable[[], Any], repeat: int) -> dict[str, float]:
    run()  # warm: compiled statements cached, pages in memory
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p90_ms": round(samples[int(0.9 * (len(samples) - 1))], 2),
        "min_ms": round(samples[0], 2),
        "max_ms": round(samples[-1], 2),
        "runs": repeat,
    }


def plans(session: Session, run: Callable[[], Any]) -> list[dict[str, Any]]:
    """Run once, capturing statements, then EXPLAIN each with its parameters."""
    captured: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("EXPLAIN", "SAVEPOINT", "RELEASE")):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    out = []
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        for statement, parameters in captured:
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            plan = [r[3] for r in rows] if engine.dialect.name == "sqlite" else [r[0] for r in rows]
            out.append({"sql": " ".join(statement.split())[:400], "plan": plan})
    return out


def ensure_users(session: Session) -> None:
    wanted = [("bench-county", "330102"), ("bench-city", "330100"), ("bench-admin", None)]
    for username, code in wanted:
        if session.scalar(select(User).where(User.username == username)) is None:
            session.add(
                User(
                    username=username,
                    display_name=username,
                    password_hash=hash_password(PASSWORD),
                    role="admin" if code is None else "supervisor",
                    jurisdiction_code=code,
                )
            )
    session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--database", default="")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-history", action="store_true", help="seed without notifications and audit events")
    args = parser.parse_args()
    # The file is named after the schema's migration head, so a schema change starts a fresh one.
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    url = args.database or f"sqlite:////tmp/hotline-bench-{args.reports}-{head}.db"
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "SECURE_COOKIES": False, "RATELIMIT_ENABLED": False},
        instance_path="/tmp/hotline-bench-instance",
    )
    database = get_db(app)
    database.create_all()
    result: dict[str, Any] = {"database": database.engine.dialect.name, "target_reports": args.reports}
    with database.session() as session:
        have = session.scalar(select(func.count()).select_from(Report)) or 0
        if have < args.reports:
            started = time.perf_counter()
            while have < args.reports:  # committed in slices: a lost connection loses one slice only
                seed_reports(session, min(SLICE, args.reports - have), seed=have + 1, history=not args.no_history)
                session.commit()
                have = session.scalar(select(func.count()).select_from(Report)) or 0
            result["seed_seconds"] = round(time.perf_counter() - started, 1)
            session.execute(text("ANALYZE"))
            session.commit()
        ensure_users(session)
        result["rows"] = {
            table: session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
            for table in ("reports", "assignments", "escalations", "notifications", "audit_events")
        }
        result["open_reports"] = session.scalar(
            select(func.count()).select_from(Report).where(Report.status.in_(analytics.OPEN_STATUSES))
        )

    now = utcnow()
    today = now.date()
    period = Period.days(today - timedelta(days=supervision.DEFAULT_DAYS - 1), today, app.config["TIMEZONE"])
    cases: dict[str, dict[str, Any]] = {}
    with database.session() as session:

        def queue() -> None:
            session.expunge_all()
            queries.open_queue(session)

        cases["operator_queue(open_queue, 200 rows)"] = {**timed(queue, args.repeat), "plans": plans(session, queue)}
        for name, scope in (
            ("county supervisor 330102", Scope("jurisdiction", jurisdiction_code="330102")),
            ("city supervisor 330100", Scope("jurisdiction", jurisdiction_code="330100")),
            ("admin (everything)", Scope("all")),
        ):

            def board(scope: Scope = scope) -> None:
                analytics.dashboard(session, scope, period, now)

            entry: dict[str, Any] = timed(board, args.repeat)
            if name.startswith("county"):
                entry["plans"] = plans(session, board)
            cases[f"dashboard function (live computation), 28 days, {name}"] = entry

    with database.session() as session:  # page cases start cold: the first view computes
        session.execute(delete(DashboardSnapshot))
        session.commit()
    client = app.test_client()
    for username in ("bench-county", "bench-city", "bench-admin"):
        match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
        token = (match.group(1) or match.group(2)) if match else ""
        client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        sources: list[str] = []

        def request(sources: list[str] = sources) -> None:
            response = client.get("/supervision/")
            assert response.status_code == 200, response.status_code
            sources.append("snapshot" if SNAPSHOT_MARK in response.get_data(as_text=True) else "live")

        started = time.perf_counter()
        request()
        first_view_ms = round((time.perf_counter() - started) * 1000, 2)
        entry = {"first_view_ms": first_view_ms, **timed(request, args.repeat)}
        entry["served_from"] = {source: sources.count(source) for source in sorted(set(sources))}
        cases[f"dashboard page GET /supervision/ as {username} (HTML + SVG)"] = entry
        client.post("/logout", data={"csrf_token": token})
    result["period"] = {"first_day": period.first_day.isoformat(), "last_day": period.last_day.isoformat()}
    result["cases"] = cases
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
