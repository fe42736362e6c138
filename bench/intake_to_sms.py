"""Benchmark: time from a red report's intake commit to its lead agency's SMS reaching (mock) Twilio.

Prints one JSON object with p50/p99 milliseconds per mode. Usage::

    .venv/bin/python bench/intake_to_sms.py [--reports N] [--mode auto|embedded|real|both] [--interval S]

- ``embedded``: SQLite in a temporary directory, the in-process queue and the app's own
  ``EmbeddedRunner`` thread (what ``hotline serve`` runs).
- ``real``: PostgreSQL and Redis from HOTLINE_TEST_DATABASE_URL / HOTLINE_TEST_REDIS_URL
  (``eval "$(scripts/test-services start)"``) and a real ``hotline worker`` subprocess. The test
  database's schema is dropped and rebuilt, as the integration tier does.
- ``auto`` (default) runs both when those variables are set, else embedded only.

Twilio is Prism (``tools/prism``, ``npm ci --prefix tools/prism``) on Twilio's OpenAPI description,
reached through the channel's ``TWILIO_API_BASE``. Between them sits a timing proxy in this process:
it stamps each ``POST …/Messages.json`` on arrival and forwards it to Prism, so a request Prism
refuses (422) shows up as a failed notification in the result. The start of each sample is taken
right after ``db_session.commit()`` of ``operations.submit_report``, in this same process, so both
ends use one monotonic clock even when the worker is another process.

Reports are submitted one at a time, ``--interval`` seconds apart (and never before the previous
report's messages are all through): this measures latency, not throughput, and keeps the sender
under its rate limit (SMS_RATE_PER_SECOND, 10 by default), which would otherwise dominate. One
untimed warm-up report first learns the lead's number and how many requests a red report makes.
The target is p99 < 1 s; p99 is nearest-rank, so with 50 reports (or fewer) it is the slowest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
import requests  # noqa: E402
from flask import Flask  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from hotline import create_app  # noqa: E402
from hotline.db import get_db  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.models import Notification, Report  # noqa: E402
from hotline.queue import get_queue, start_embedded_runner  # noqa: E402
from hotline.taxonomy import AssignmentRole, NotificationChannel, NotificationStatus  # noqa: E402
from tests import factories  # noqa: E402
from tests.contract.conftest import PRISM_BIN, PrismServer, start_prism, stop_prism, twilio_config  # noqa: E402

TARGET_P99_MS = 1000.0
SECRET_KEY = "bench-intake-to-sms"
BASE_URL = "http://localhost"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$")
CREATE_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/(Messages|Calls)\.json$")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "te", "upgrade"}
)
SETTLE_TIMEOUT = 30.0  # seconds for the warm-up report's messages, and for the worker to register
REPORT_TIMEOUT = 10.0  # seconds a timed report's lead SMS may take before it counts as missed


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of an ascending list (nearest rank)."""
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass(frozen=True)
class Arrival:
    """One ``Messages.json`` create as it reached the proxy: when, to whom, what."""

    at: float
    to: str
    body: str


class TimingProxy:
    """A local HTTP server between the app and Prism that stamps SMS creates on arrival.

    Every request is forwarded to Prism unchanged (one keep-alive connection per handler thread);
    ``POST …/Messages.json`` is recorded as an ``Arrival``, and every create (Messages or Calls)
    is counted, so callers can wait for a report's messages to be all through.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.arrivals: list[Arrival] = []
        self.creates = 0
        self.changed = threading.Condition()
        self._sessions = threading.local()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="timing-proxy", daemon=True)

    def __enter__(self) -> TimingProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session

    def _record(self, method: str, path: str, body: bytes, arrived: float) -> None:
        if method != "POST" or not CREATE_PATH.match(path):
            return
        with self.changed:
            self.creates += 1
            if MESSAGES_PATH.match(path):
                form = parse_qs(body.decode("utf-8"))
                self.arrivals.append(Arrival(arrived, form.get("To", [""])[0], form.get("Body", [""])[0]))
            self.changed.notify_all()

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.perf_counter()
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self._record(handler.command, handler.path.partition("?")[0], body, arrived)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = self._session().request(
            handler.command, self.upstream + handler.path, data=body or None, headers=headers, timeout=10
        )
        handler.send_response(upstream.status_code)
        for name, value in upstream.headers.items():
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(upstream.content)))
        handler.end_headers()
        handler.wfile.write(upstream.content)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        forward = self._forward

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                forward(self)

            do_POST = do_DELETE = do_GET  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                """Silence the per-request log line."""

        return Handler

    def wait(self, condition: Callable[[], object], timeout: float) -> bool:
        """Block until ``condition()`` (checked under the lock) is truthy; False on timeout."""
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def lead_sms(self, to: str, reference: str) -> Arrival | None:
        """The first SMS to ``to`` whose body names ``reference`` (call with ``changed`` held)."""
        return next((a for a in self.arrivals if a.to == to and reference in a.body), None)


@dataclass
class ModeResult:
    """The samples of one mode and what the database says about them afterwards."""

    latencies_ms: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    requests_per_report: int = 0

    def summary(self, app: Flask, proxy: TimingProxy) -> dict[str, Any]:
        """p50/p99 plus a cross-check: each timed lead SMS is ``sent`` in the database with
        exactly the recipient and body the proxy saw, and no notification failed."""
        with get_db(app).session() as session:
            reports = session.scalars(select(Report).where(Report.reference.in_(self.references))).all()
            failed = session.scalars(select(Notification).where(Notification.status != NotificationStatus.SENT)).all()
            seen = {(a.to, a.body) for a in proxy.arrivals}
            unverified = [
                r.reference
                for r in reports
                if not any(
                    n.status == NotificationStatus.SENT and (n.recipient, n.body) in seen
                    for n in _lead_sms_rows(session, r)
                )
            ]
        ordered = sorted(self.latencies_ms)
        result: dict[str, Any] = {
            "reports_timed": len(ordered),
            "reports_missed": len(self.missed),
            "requests_per_report": self.requests_per_report,
            "p50_ms": round(percentile(ordered, 0.50), 1) if ordered else None,
            "p90_ms": round(percentile(ordered, 0.90), 1) if ordered else None,
            "p99_ms": round(percentile(ordered, 0.99), 1) if ordered else None,
            "max_ms": round(ordered[-1], 1) if ordered else None,
            "mean_ms": round(sum(ordered) / len(ordered), 1) if ordered else None,
            "over_target": sum(value >= TARGET_P99_MS for value in ordered),
            "lead_sms_unverified": unverified,
            "notifications_not_sent": [(n.id, n.status, n.error_code, n.error_message) for n in failed],
        }
        result["meets_target"] = bool(
            ordered and not self.missed and not unverified and not failed and result["p99_ms"] < TARGET_P99_MS
        )
        return result


def _lead_sms_rows(session: Any, report: Report) -> list[Notification]:
    lead_ids = {a.id for a in report.assignments if a.role == AssignmentRole.LEAD}
    return [
        n
        for n in session.scalars(select(Notification).where(Notification.report_id == report.id))
        if n.assignment_id in lead_ids and n.channel == NotificationChannel.SMS
    ]


def submit_red_report(app: Flask) -> tuple[str, float]:
    """File a red report as the web form does; its reference and the instant right after the commit."""
    with get_db(app).session() as session:
        report, _code = factories.report(session, factories.RED_INTAKE)
        reference = report.reference or ""
        session.commit()
        return reference, time.perf_counter()


def wait_until_settled(app: Flask, reference: str) -> list[Notification]:
    """Poll the database until the report is dispatched and none of its notifications is still
    pending or sending; return them (``SystemExit`` after ``SETTLE_TIMEOUT`` seconds)."""
    in_flight = (NotificationStatus.PENDING, NotificationStatus.SENDING)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        with get_db(app).session() as session:
            report = session.scalar(select(Report).where(Report.reference == reference))
            rows = session.scalars(select(Notification).where(Notification.report_id == report.id)).all()
            if report.dispatched_at is not None and rows and all(n.status not in in_flight for n in rows):
                return list(rows)
        time.sleep(0.1)
    raise SystemExit(f"report {reference} was not dispatched and delivered within {SETTLE_TIMEOUT}s")


def settle_warm_up(app: Flask) -> tuple[str, int]:
    """Send one untimed report; return its lead's SMS number and how many requests it caused."""
    reference, _committed = submit_red_report(app)
    rows = wait_until_settled(app, reference)
    not_sent = [(n.id, n.status, n.error_code, n.error_message) for n in rows if n.status != NotificationStatus.SENT]
    if not_sent:
        raise SystemExit(f"warm-up report not accepted by Prism: {not_sent}")
    with get_db(app).session() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        return _lead_sms_rows(session, report)[0].recipient, len(rows)


def run_reports(app: Flask, proxy: TimingProxy, reports: int, interval: float) -> ModeResult:
    """Warm up, then submit ``reports`` red reports one at a time and time each lead SMS."""
    lead_number, per_report = settle_warm_up(app)
    result = ModeResult(requests_per_report=per_report)
    with proxy.changed:
        expected = proxy.creates
    for _ in range(reports):
        started = time.monotonic()
        reference, committed = submit_red_report(app)
        result.references.append(reference)
        if proxy.wait(lambda ref=reference: proxy.lead_sms(lead_number, ref), REPORT_TIMEOUT):
            with proxy.changed:
                arrival = proxy.lead_sms(lead_number, reference)
            assert arrival is not None
            result.latencies_ms.append((arrival.at - committed) * 1000)
        else:
            result.missed.append(reference)
        expected += per_report
        proxy.wait(lambda target=expected: proxy.creates >= target, REPORT_TIMEOUT)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    if result.references:
        wait_until_settled(app, result.references[-1])
    return result


@contextmanager
def embedded_app(proxy: TimingProxy) -> Iterator[Flask]:
    """The embedded default on SQLite in a temporary directory, its runner thread started."""
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "REDIS_URL": "",
                "SECRET_KEY": SECRET_KEY,
                "BASE_URL": BASE_URL,
                "LOG_LEVEL": "WARNING",
                **twilio_config(proxy.url),
            },
            instance_path=f"{tmp}/instance",
        )
        database = get_db(app)
        upgrade(app.config["DATABASE_URL"])
        with database.session() as session:
            factories.demo_area(session, app.instance_path)
            session.commit()
        runner = start_embedded_runner(app)
        try:
            yield app
        finally:
            runner.stop()
            runner.join(timeout=10)
            database.engine.dispose()


@contextmanager
def real_app(proxy: TimingProxy, database_url: str, redis_url: str) -> Iterator[Flask]:
    """PostgreSQL (fresh schema, migrated) + Redis, and a ``hotline worker`` subprocess sending
    through the proxy. The worker's log is printed to standard error if it dies."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        app = create_app(
            {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET_KEY, "BASE_URL": BASE_URL},
            instance_path=f"{tmp}/instance",
        )
        with get_db(app).session() as session:
            factories.demo_area(session, app.instance_path)
            session.commit()
        env = {
            **os.environ,
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_REDIS_URL": redis_url,
            "HOTLINE_SECRET_KEY": SECRET_KEY,
            "HOTLINE_BASE_URL": BASE_URL,
            "HOTLINE_LOG_LEVEL": "WARNING",
            **{f"HOTLINE_{name}": str(value) for name, value in twilio_config(proxy.url).items()},
        }
        log_path = Path(tmp) / "worker.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "worker"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            connection = get_queue(app).connection
            deadline = time.monotonic() + SETTLE_TIMEOUT
            while not Worker.all(connection=connection):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"hotline worker did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield app
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            get_db(app).engine.dispose()


def prism_version() -> str:
    package = REPO / "tools" / "prism" / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    return str(json.loads(package.read_text())["version"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50, help="timed red reports per mode")
    parser.add_argument("--mode", choices=("auto", "embedded", "real", "both"), default="auto")
    parser.add_argument("--interval", type=float, default=0.75, help="seconds between report submissions")
    args = parser.parse_args()
    if not PRISM_BIN.exists():
        raise SystemExit(f"Prism is not installed at {PRISM_BIN} (run: npm ci --prefix tools/prism)")

    database_url = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("HOTLINE_TEST_REDIS_URL", "")
    have_servers = bool(database_url and redis_url)
    modes = {"auto": ["embedded", "real"] if have_servers else ["embedded"], "both": ["embedded", "real"]}.get(
        args.mode, [args.mode]
    )
    if "real" in modes and not have_servers:
        raise SystemExit(
            "--mode real needs HOTLINE_TEST_DATABASE_URL and HOTLINE_TEST_REDIS_URL"
            ' (eval "$(scripts/test-services start)")'
        )

    output: dict[str, Any] = {
        "benchmark": "intake commit → lead SMS at mock Twilio (red reports)",
        "reports": args.reports,
        "interval_s": args.interval,
        "target_p99_ms": TARGET_P99_MS,
        "modes_run": modes,
        "results": {},
    }
    if "real" not in modes:
        output["real_skipped"] = "HOTLINE_TEST_DATABASE_URL / HOTLINE_TEST_REDIS_URL not set"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotline-prism-") as prism_dir:
        prism: PrismServer = start_prism(Path(prism_dir))
        output["prism"] = {"version": prism_version(), "startup_s": round(prism.startup_seconds, 2)}
        try:
            for mode in modes:
                with TimingProxy(prism.url) as proxy:
                    context = embedded_app(proxy) if mode == "embedded" else real_app(proxy, database_url, redis_url)
                    with context as app:
                        result = run_reports(app, proxy, args.reports, args.interval)
                        output["results"][mode] = {
                            "sms_rate_per_second": app.config["SMS_RATE_PER_SECOND"],
                            **result.summary(app, proxy),
                        }
        finally:
            stop_prism(prism)
    output["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(output, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
