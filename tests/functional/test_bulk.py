"""``hotline.bulk.insert_many``: rows inserted with their Python-side defaults, conflicting rows
skipped and left out of what is returned, JSON and timestamps intact, columns with one value for
every row and single rows too. The same checks run on PostgreSQL in the integration tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select

from hotline.bulk import insert_many
from hotline.models import AuditEvent, Notification

T0 = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)


def notice(key: str, **changes: object) -> dict:
    row = {
        "dedupe_key": key,
        "purpose": "escalation_ack_overdue",
        "channel": "sms",
        "provider": "",
        "recipient": "+8613900000001",
        "language": "zh",
        "body": "督办提醒:案件 HX-2026-000001",
        "status": "pending",
        "attempts": 0,
        "created_at": T0,
        "next_attempt_at": T0,
        "enqueued_at": T0,
    }
    row.update(changes)
    return row


def check_insert_many(connection: Connection) -> None:
    table = Notification.__table__
    first = insert_many(connection, table, [notice("a"), notice("b", recipient="+8613900000002")], returning=table.c.id)
    assert len(first) == 2
    again = insert_many(
        connection,
        table,
        [notice("b"), notice("c", next_attempt_at=T0 + timedelta(hours=1))],
        skip_conflicts_on=["dedupe_key"],
        returning=table.c.id,
    )
    assert len(again) == 1 and not set(again) & set(first)  # "b" was skipped, not returned
    single = insert_many(
        connection, table, [notice("d")], skip_conflicts_on=["dedupe_key"], returning=(table.c.id, table.c.dedupe_key)
    )
    assert len(single) == 1 and single[0][1] == "d" and single[0][0] not in set(first) | set(again)
    identical = insert_many(connection, AuditEvent.__table__, [_event(), _event()])
    assert identical == []
    rows = {r.dedupe_key: r for r in connection.execute(select(table)).all()}
    assert set(rows) == {"a", "b", "c", "d"}
    assert rows["b"].recipient == "+8613900000002" and rows["b"].body.startswith("督办提醒")
    assert _aware(rows["c"].next_attempt_at) == T0 + timedelta(hours=1) and _aware(rows["a"].created_at) == T0
    events = connection.execute(select(AuditEvent.__table__)).all()
    assert len(events) == 2 and events[0].details == {"agency_id": 7, "名称": "上城区"}
    assert events[0].occurred_at is not None  # a Python-side default the rows left out


def _event() -> dict:
    return {"actor_type": "system", "action": "escalation.ack_overdue", "details": {"agency_id": 7, "名称": "上城区"}}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_insert_many_on_sqlite(db_session) -> None:
    check_insert_many(db_session.connection())
