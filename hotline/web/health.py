"""``GET /healthz``: database, queue and worker/sweeper heartbeats, as JSON (503 when degraded)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app
from rq import Worker
from sqlalchemy import select, text

from hotline.db import request_session
from hotline.models import Heartbeat, utcnow
from hotline.queue import get_queue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    now = utcnow()
    checks: dict = {}
    healthy = True
    db_session = request_session()
    try:
        db_session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        beats = db_session.scalars(select(Heartbeat)).all()
    except Exception as exc:  # noqa: BLE001 - health reports any failure instead of raising
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        beats = []
        healthy = False
    job_queue = get_queue()
    queue_ok = job_queue.ping()
    checks["queue"] = {"ok": queue_ok, "embedded": job_queue.embedded}
    if queue_ok:
        checks["queue"]["lengths"] = job_queue.lengths()
    healthy &= queue_ok

    sweep_limit = timedelta(seconds=3 * current_app.config["SWEEP_INTERVAL"] + 30)
    sweeper = max((b.seen_at for b in beats if b.kind == "sweeper"), default=None)
    sweeper_ok = sweeper is not None and now - sweeper < sweep_limit
    checks["sweeper"] = {"ok": sweeper_ok, "last_seen": sweeper.isoformat() if sweeper else None}

    runner = current_app.extensions.get("hotline.runner")
    if job_queue.embedded:
        alive = runner is not None and runner.is_alive()
        checks["worker"] = {
            "ok": alive,
            "kind": "embedded thread",
            "last_seen": runner.last_beat.isoformat() if runner is not None and runner.last_beat else None,
        }
    else:
        workers = Worker.all(connection=job_queue.connection) if queue_ok else []
        seen = [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
        checks["worker"] = {
            "ok": bool(workers),
            "count": len(workers),
            "last_seen": max(seen).isoformat() if seen else None,
        }
    healthy &= checks["worker"]["ok"] and sweeper_ok
    return {"status": "ok" if healthy else "degraded", "checks": checks, "time": now.isoformat()}, (
        200 if healthy else 503
    )
