"""The job queue: rq on Redis (real deployment) or on an in-process Redis stand-in (embedded).

Jobs are named by dotted path and take ids only. ``enqueue_after_commit`` holds a job until the
session's transaction commits (a worker must never run before the row it needs exists) and drops
it on rollback. Enqueueing never raises: if Redis is down the row stays pending in the database
and the sweeper enqueues it again later, so losing Redis loses nothing.

In embedded mode a daemon thread (``EmbeddedRunner``) runs rq's ``SimpleWorker`` in burst mode
whenever a job is enqueued, and the sweeper every ``SWEEP_INTERVAL`` seconds.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, SimpleWorker, Worker
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.models import utcnow

log = logging.getLogger(__name__)

# Workers take queues in this order: triage first, agencies' messages before reporters' receipts,
# and refreshing supervisors' dashboard snapshots last.
QUEUE_NAMES = ("triage", "notify", "notify_low", "analytics")
JOB_TIMEOUTS = {"triage": 120, "notify": 60, "notify_low": 60, "analytics": 600}

P = ParamSpec("P")
R = TypeVar("R")


class JobQueue:
    """The rq queues of one application, and how to reach its Redis."""

    def __init__(self, redis_url: str) -> None:
        self.embedded = not redis_url
        if self.embedded:
            import fakeredis

            self.connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        else:
            self.connection = redis.Redis.from_url(
                redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
            )
        self.queues = {name: Queue(name, connection=self.connection) for name in QUEUE_NAMES}
        self.wakeup = threading.Event()

    def enqueue(self, queue_name: str, func_path: str, *args: Any) -> bool:
        """Put a job on a queue; False (and a log line) if Redis cannot be reached."""
        try:
            self.queues[queue_name].enqueue(
                func_path, *args, job_timeout=JOB_TIMEOUTS[queue_name], result_ttl=300, failure_ttl=7 * 86400
            )
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("queue unavailable, %s(%s) left to the sweeper: %s", func_path, args, exc)
            return False
        self.wakeup.set()
        return True

    def enqueue_many(self, queue_name: str, func_path: str, ids: list[Any], chunk: int = 1000) -> int:
        """Many jobs, one per item of ``ids``, through Redis pipelines; how many were enqueued."""
        queue = self.queues[queue_name]
        done = 0
        try:
            for start in range(0, len(ids), chunk):
                datas = [
                    Queue.prepare_data(
                        func_path,
                        args=(job_id,),
                        timeout=JOB_TIMEOUTS[queue_name],
                        result_ttl=300,
                        failure_ttl=7 * 86400,
                    )
                    for job_id in ids[start : start + chunk]
                ]
                with self.connection.pipeline() as pipe:
                    queue.enqueue_many(datas, pipeline=pipe)
                    pipe.execute()
                done += len(datas)
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("queue unavailable, %d %s jobs left to the sweeper: %s", len(ids) - done, func_path, exc)
        if done:
            self.wakeup.set()
        return done

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except (redis.exceptions.RedisError, OSError):
            return False

    def lengths(self) -> dict[str, int]:
        return {name: queue.count for name, queue in self.queues.items()}

    def drain(self, app: Flask) -> bool:
        """Run every queued job in this thread until the queues are empty (embedded runner, tests)."""
        with app.app_context():
            worker = _ThreadWorker(
                list(self.queues.values()),
                connection=self.connection,
                name=f"embedded-{os.getpid()}-{time.monotonic_ns()}",
            )
            return worker.work(burst=True, logging_level="WARNING")


class _ThreadWorker(SimpleWorker):
    """rq's in-process worker, usable off the main thread: no signal handlers, and job timeouts
    enforced by a timer instead of SIGALRM (signals only reach the main thread)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def init_app(app: Flask) -> JobQueue:
    from hotline.db import get_db

    job_queue = JobQueue(app.config["REDIS_URL"])
    app.extensions["hotline.queue"] = job_queue
    # Every session of this app knows its queue, so operations need no Flask context to enqueue.
    get_db(app).session_factory.configure(info={"job_queue": job_queue})
    return job_queue


def get_queue(app: Flask | None = None) -> JobQueue:
    return (app or current_app).extensions["hotline.queue"]


def enqueue_after_commit(session: Session, queue_name: str, func_path: str, *args: Any) -> None:
    """Enqueue a job once ``session`` commits; forget it if the session rolls back."""
    pending: list[tuple[str, str, tuple]] = session.info.setdefault("after_commit_jobs", [])
    pending.append((queue_name, func_path, args))
    _hook(session)


def enqueue_many_after_commit(session: Session, queue_name: str, func_path: str, ids: list[Any]) -> None:
    """Enqueue one job per item of ``ids`` (an id, or a list of ids) once ``session`` commits,
    through Redis pipelines (bulk escalation)."""
    pending: list[tuple[str, str, list[int]]] = session.info.setdefault("after_commit_batches", [])
    pending.append((queue_name, func_path, list(ids)))
    _hook(session)


def _hook(session: Session) -> None:
    if not session.info.get("after_commit_hooked"):
        session.info["after_commit_hooked"] = True
        job_queue: JobQueue = session.info["job_queue"]
        event.listen(session, "after_commit", functools.partial(_flush_jobs, job_queue))
        event.listen(session, "after_rollback", _forget_jobs)


def _flush_jobs(job_queue: JobQueue, session: Session) -> None:
    jobs = session.info.pop("after_commit_jobs", [])
    for queue_name, func_path, args in jobs:
        job_queue.enqueue(queue_name, func_path, *args)
    for queue_name, func_path, ids in session.info.pop("after_commit_batches", []):
        job_queue.enqueue_many(queue_name, func_path, ids)


def _forget_jobs(session: Session) -> None:
    session.info.pop("after_commit_jobs", None)
    session.info.pop("after_commit_batches", None)


_worker_app: Flask | None = None
_worker_app_lock = threading.Lock()


def app_job(func: Callable[P, R]) -> Callable[P, R]:
    """Run a job function inside an application context, creating the app in a bare rq worker."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return func(*args, **kwargs)
        global _worker_app
        with _worker_app_lock:
            if _worker_app is None:
                from hotline import create_app

                _worker_app = create_app()
        with _worker_app.app_context():
            return func(*args, **kwargs)

    return wrapper


class EmbeddedRunner(threading.Thread):
    """The embedded worker and sweeper: one daemon thread of the web process."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="hotline-embedded-runner", daemon=True)
        self.app = app
        self.job_queue = get_queue(app)
        self.sweep_interval = app.config["SWEEP_INTERVAL"]
        self.last_beat: datetime | None = None
        self._stop_requested = threading.Event()

    def run(self) -> None:
        from triage.sweeper import sweep

        next_sweep = 0.0
        while not self._stop_requested.is_set():
            self.job_queue.wakeup.clear()
            try:
                self.job_queue.drain(self.app)
                if time.monotonic() >= next_sweep:
                    with self.app.app_context():
                        sweep(self.app, process_name=f"embedded@{socket.gethostname()}")
                    next_sweep = time.monotonic() + self.sweep_interval
            except Exception:  # noqa: BLE001 - the runner must outlive any one bad job or sweep
                log.exception("embedded runner iteration failed")
            self.last_beat = utcnow()
            self.job_queue.wakeup.wait(timeout=1.0)

    def stop(self) -> None:
        self._stop_requested.set()
        self.job_queue.wakeup.set()


def start_embedded_runner(app: Flask) -> EmbeddedRunner:
    runner = EmbeddedRunner(app)
    app.extensions["hotline.runner"] = runner
    runner.start()
    return runner


def _preload() -> None:
    """Import the job modules and compile the default policy before forking, so every work horse
    starts with them loaded (a fresh import of the triage engine costs about 0.3 s per job)."""
    import notifications.channels.twilio  # noqa: F401
    import notifications.jobs  # noqa: F401
    import triage.jobs  # noqa: F401
    from triage.policy import default_policy

    default_policy()


def run_worker(app: Flask, burst: bool = False, queue_names: list[str] | None = None) -> None:
    """``hotline worker``: rq's forking worker on the real Redis, inside the app context, taking
    ``queue_names`` (in that priority order) or every queue."""
    job_queue = get_queue(app)
    if job_queue.embedded:
        raise SystemExit("HOTLINE_REDIS_URL is not set: the embedded mode runs its worker inside `hotline serve`.")
    unknown = sorted(set(queue_names or ()) - set(QUEUE_NAMES))
    if unknown:
        raise SystemExit(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUE_NAMES)}")
    with app.app_context():
        _preload()
        queues = [job_queue.queues[name] for name in queue_names or QUEUE_NAMES]
        worker = Worker(queues, connection=job_queue.connection)
        worker.work(burst=burst, logging_level=app.config["LOG_LEVEL"], with_scheduler=False)
