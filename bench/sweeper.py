"""Benchmark of the escalation sweeper (``triage.escalation.escalate_due``).

Measurements, printed as one JSON object:

1. ``escalate_30k``: 30,000 assignments past their acknowledgement deadline (not yet twice past it,
   feedback not due), each of its own dispatched report; the sweeper is called as the sweeper
   process calls it (batches of ``BATCH``, one commit per call, message jobs enqueued after it)
   until nothing more fires. Target ≤ 5 s. Then ``messages_written_by_one_worker``: the jobs that
   write those steps' 60,000 messages, run one after another in this process as one worker would
   (real deployments spread them over several workers).
2. ``nothing_due``: the escalation step of a sweep on the same database once everything has
   fired, plus ``--reports`` seeded reports whose due steps have all fired already (``bulk_seed``
   writes them); ``full_sweep_nothing_due``: the sweeper's whole pass on it. Target ≤ 50 ms.

The top functions of a profile of (1) and the query plans of (2) are included, to show what is
slow. Usage::

    .venv/bin/python bench/sweeper.py [--overdue 30000] [--reports 20000] [--database URL] [--redis URL]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402
from sqlalchemy import text as sql_text  # noqa: E402

from bench.queue_and_dashboard import plans  # noqa: E402
from hotline import create_app  # noqa: E402
from hotline.bulk_seed import STATUS_CODE_HASH, ensure_area, seed_reports  # noqa: E402
from hotline.db import get_db  # noqa: E402
from hotline.models import Assignment, AuditEvent, Escalation, Notification, Report, utcnow  # noqa: E402
from hotline.taxonomy import NotificationStatus  # noqa: E402
from triage.escalation import NOTICE_JOB_BATCH, escalate_due  # noqa: E402
from triage.jobs import write_escalation_notices  # noqa: E402
from triage.sweeper import SweepResult, sweep  # noqa: E402


def overdue_rows(session: Any, count: int, now: Any) -> None:
    """``count`` dispatched orange reports, each with one lead assignment 10 minutes past its
    one-hour acknowledgement deadline."""
    agencies = ensure_area(session)
    police = [a for (kind, _code), a in agencies.items() if kind == "police"]
    first_report = (session.scalar(select(func.max(Report.id))) or 0) + 1
    first_assignment = (session.scalar(select(func.max(Assignment.id))) or 0) + 1
    created = now - timedelta(minutes=70)
    reports, assignments = [], []
    for index in range(count):
        report_id, agency = first_report + index, police[index % len(police)]
        reports.append(
            {
                "id": report_id,
                "reference": f"HX-BENCH-{report_id:07d}",
                "status": "dispatched",
                "channel": "web",
                "received_at": created,
                "created_at": created,
                "language": "zh",
                "status_code_hash": STATUS_CODE_HASH,
                "narrative": "(基准测试)",
                "jurisdiction_code": agency.jurisdiction_code,
                "urgency": "orange",
                "urgency_rank": 2,
                "categories": ["physical_abuse"],
                "mandatory_report_codes": ["MR4"],
                "triaged_at": created,
                "dispatched_at": created,
                "acknowledge_due_at": created + timedelta(hours=1),
                "feedback_due_at": created + timedelta(days=3),
                "screening": {},
                "intake": {},
                "reporter_anonymous": False,
                "triage_attempts": 1,
            }
        )
        assignments.append(
            {
                "id": first_assignment + index,
                "report_id": report_id,
                "agency_id": agency.id,
                "agency_type": "police",
                "role": "lead",
                "status": "notified",
                "created_at": created,
                "acknowledge_due_at": created + timedelta(hours=1),
                "acknowledge_twice_due_at": created + timedelta(hours=2),
                "feedback_due_at": created + timedelta(days=3),
                "reply_code": f"{index % 10**6:06d}",
            }
        )
    for table, rows in ((Report.__table__, reports), (Assignment.__table__, assignments)):
        for start in range(0, len(rows), 5000):
            session.execute(table.insert(), rows[start : start + 5000])
    session.commit()


def write_messages(app: Flask) -> dict[str, Any]:
    """Run the message jobs of every fired step, as one worker would take them from the queue."""
    with get_db(app).session() as session:
        pending = list(
            session.scalars(
                select(Escalation.id).where(Escalation.notices_enqueued_at.is_not(None)).order_by(Escalation.id)
            )
        )
    jobs = [pending[start : start + NOTICE_JOB_BATCH] for start in range(0, len(pending), NOTICE_JOB_BATCH)]
    started = time.perf_counter()
    with app.app_context():
        written = sum(write_escalation_notices(job) for job in jobs)
    elapsed = time.perf_counter() - started
    return {
        "jobs": len(jobs),
        "messages": written,
        "seconds": round(elapsed, 2),
        "per_job_ms": round(elapsed * 1000 / max(1, len(jobs)), 2),
    }


def full_sweep(app: Flask, repeat: int) -> dict[str, Any]:
    """The whole sweeper pass (``triage.sweeper.sweep``: lost work re-enqueued, stuck messages,
    feedback pushes, escalation, audit sealing, snapshot pruning, heartbeat) with nothing to do:
    the escalation's notices are marked sent and its audit events sealed first."""
    with get_db(app).session() as session:
        session.execute(update(Notification).values(status=NotificationStatus.SENT))
        session.commit()
    while sweep(app).audit_sealed:
        pass
    samples = []
    for _ in range(repeat):
        begun = time.perf_counter()
        done = sweep(app)
        samples.append((time.perf_counter() - begun) * 1000)
        assert done == SweepResult(escalations=done.escalations) and not any(done.escalations.values()), done
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "max_ms": round(samples[-1], 2), "runs": repeat}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overdue", type=int, default=30_000)
    parser.add_argument("--reports", type=int, default=20_000, help="background reports (all steps fired)")
    parser.add_argument("--database", default="")
    parser.add_argument("--redis", default="", help="a Redis URL (default: the embedded in-process queue)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="time under cProfile and add its top entries")
    parser.add_argument("--sort", default="tottime", help="profile order: tottime or cumulative")
    args = parser.parse_args()
    url = args.database or "sqlite:////tmp/hotline-bench-sweeper.db"
    if url.startswith("sqlite:////"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app(
        {"DATABASE_URL": url, "REDIS_URL": args.redis, "SECRET_KEY": "bench"},
        instance_path="/tmp/hotline-bench-instance",
    )
    database = get_db(app)
    database.create_all()
    result: dict[str, Any] = {"database": database.engine.dialect.name, "queue": "redis" if args.redis else "embedded"}
    with database.session() as session:
        seed_reports(session, args.reports, seed=3, history=False)
        session.commit()
        now = utcnow()
        overdue_rows(session, args.overdue, now)
        session.execute(sql_text("ANALYZE"))  # as on any database that has lived a little (autovacuum)
        session.commit()

    profile = cProfile.Profile()
    calls, fired_total = 0, 0
    started = time.perf_counter()
    if args.profile:
        profile.enable()
    with database.session() as session:
        while True:
            fired = escalate_due(session, now)
            session.commit()
            calls += 1
            if not any(fired.values()):
                break
            fired_total += sum(fired.values())
    elapsed = time.perf_counter() - started
    if args.profile:
        profile.disable()
    with database.session() as session:
        result["escalate_30k"] = {
            "overdue_assignments": args.overdue,
            "steps_fired": fired_total,
            "escalate_due_calls": calls,
            "seconds": round(elapsed, 2),
            "per_assignment_ms": round(elapsed * 1000 / max(fired_total, 1), 3),
            "escalation_rows": session.scalar(select(func.count()).select_from(Escalation)),
            "steps_awaiting_their_message_job": session.scalar(
                select(func.count()).where(Escalation.notices_enqueued_at.is_not(None))
            ),
            "audit_events": session.scalar(select(func.count()).select_from(AuditEvent)),
        }
    result["messages_written_by_one_worker"] = write_messages(app)
    text = io.StringIO()
    if args.profile:
        pstats.Stats(profile, stream=text).sort_stats(args.sort).print_stats(25)
    result["escalate_30k"]["profile_top_tottime"] = [
        line.strip() for line in text.getvalue().splitlines() if line.strip()[:1].isdigit()
    ][:25]

    samples = []
    with database.session() as session:
        escalate_due(session, utcnow())  # warm
        session.rollback()
        for _ in range(args.repeat):
            begun = time.perf_counter()
            fired = escalate_due(session, utcnow())
            session.commit()
            samples.append((time.perf_counter() - begun) * 1000)
            assert not any(fired.values()), fired
        samples.sort()
        result["nothing_due"] = {
            "p50_ms": round(statistics.median(samples), 2),
            "max_ms": round(samples[-1], 2),
            "runs": args.repeat,
            "reports_in_database": session.scalar(select(func.count()).select_from(Report)),
            "plans": plans(session, lambda: escalate_due(session, utcnow())),
        }
        session.rollback()
    result["full_sweep_nothing_due"] = full_sweep(app, args.repeat)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
