"""The audit trail's hash chain: sealing committed events, and verifying the chain.

Events are written without a hash, in the transaction of the change they record (no global lock
on the hot path). The sweeper then seals them in id order: each gets the next ``chain_seq`` and
``hash = sha256(previous hash + canonical JSON of the event)``. Only events older than
``SEAL_DELAY`` are sealed, so a transaction still in flight cannot be skipped; one that commits
even later is sealed at the chain's end (the chain's order is the sealing order, not ids).
``verify`` recomputes every hash; an edited, deleted or reordered sealed row breaks the chain at
that point. Database triggers (installed with the schema) refuse UPDATE of sealed rows and any
DELETE, so tampering needs deliberate privileged access — and is still detected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import DDL, event, func, select, text
from sqlalchemy.orm import Session

from hotline.models import AuditEvent, utcnow

SEAL_DELAY = timedelta(seconds=30)
SEAL_BATCH = 5000
GENESIS = "0" * 64


def canonical(event_row: AuditEvent) -> str:
    """The content a hash covers: every column but the chain's own."""
    return json.dumps(
        {
            "id": event_row.id,
            "occurred_at": event_row.occurred_at.isoformat(),
            "actor_type": event_row.actor_type,
            "actor_id": event_row.actor_id,
            "actor_label": event_row.actor_label,
            "action": event_row.action,
            "report_id": event_row.report_id,
            "subject_type": event_row.subject_type,
            "subject_id": event_row.subject_id,
            "before": event_row.before,
            "after": event_row.after,
            "reason": event_row.reason,
            "details": event_row.details,
            "ip_address": event_row.ip_address,
            "chain_seq": event_row.chain_seq,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def link_hash(previous: str, event_row: AuditEvent) -> str:
    return hashlib.sha256((previous + canonical(event_row)).encode("utf-8")).hexdigest()


def seal(session: Session, delay: timedelta = SEAL_DELAY, limit: int = SEAL_BATCH) -> int:
    """Seal unsealed events older than ``delay`` onto the chain; returns how many were sealed.

    On PostgreSQL a transaction-scoped advisory lock keeps two sweepers from sealing at once.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    last = session.execute(
        select(AuditEvent.chain_seq, AuditEvent.hash)
        .where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq.desc())
        .limit(1)
    ).first()
    seq, previous = (last[0], last[1]) if last else (0, GENESIS)
    pending = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain_seq.is_(None), AuditEvent.occurred_at <= utcnow() - delay)
        .order_by(AuditEvent.id)
        .limit(limit)
    ).all()
    for row in pending:
        seq += 1
        row.chain_seq = seq
        row.hash = previous = link_hash(previous, row)
    session.flush()
    return len(pending)


@dataclass(frozen=True)
class Verification:
    ok: bool
    sealed: int
    unsealed: int
    broken_at_seq: int | None = None
    broken_event_id: int | None = None
    problem: str | None = None


def verify(session: Session) -> Verification:
    """Walk the chain in order and recompute every hash; report the first break."""
    previous, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.chain_seq.is_not(None)).order_by(AuditEvent.chain_seq)
    ).scalars()
    for row in rows.yield_per(2000):
        if row.chain_seq != expected_seq:
            return Verification(False, count, 0, expected_seq, row.id, f"event with sequence {expected_seq} is missing")
        if row.hash != link_hash(previous, row):
            return Verification(False, count, 0, row.chain_seq, row.id, "content does not match its hash")
        previous, expected_seq, count = row.hash, expected_seq + 1, count + 1
    unsealed = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.chain_seq.is_(None))) or 0
    return Verification(True, count, unsealed)


# Append-only at the database level. UPDATE is allowed only to seal a row (chain columns from
# NULL); DELETE never. The same rules for PostgreSQL and SQLite.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       WHEN OLD.chain_seq IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'sealed audit events cannot change'); END""",
)
_POSTGRES_TRIGGER = (
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'audit events are append-only'; END IF;
      IF OLD.chain_seq IS NOT NULL THEN RAISE EXCEPTION 'sealed audit events cannot change'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
)


def trigger_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that makes audit_events append-only on ``dialect`` (used by migrations too)."""
    return _POSTGRES_TRIGGER if dialect == "postgresql" else _SQLITE_TRIGGERS


for _statement in _SQLITE_TRIGGERS:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in _POSTGRES_TRIGGER:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
