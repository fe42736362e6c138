"""The audit trail: append-only in the database, sealed into a hash chain, verified — and a
tampered row is found; the viewer's filters and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from hotline.audit_chain import seal, verify
from hotline.cli import main
from hotline.models import AuditEvent
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_console_and_security import login

NOW = timedelta(0)


@pytest.fixture
def events(red_report):
    """A dispatched report: its intake, triage, dispatch and deliveries are the events to seal."""
    return red_report


def test_seal_and_verify(db_session, events) -> None:
    sealed = seal(db_session, delay=NOW)
    db_session.commit()
    assert sealed > 5
    result = verify(db_session)
    assert result.ok and result.sealed == sealed and result.unsealed == 0
    assert seal(db_session, delay=NOW) == 0  # nothing left to seal


def test_recent_events_wait_for_the_seal_delay(db_session, events) -> None:
    assert seal(db_session) == 0  # all events are younger than the 30 s delay
    assert verify(db_session).unsealed > 0


def test_sealed_rows_cannot_be_updated_or_deleted(db_session, events) -> None:
    seal(db_session, delay=NOW)
    db_session.commit()
    with pytest.raises(DatabaseError, match="cannot change"):
        db_session.execute(text("UPDATE audit_events SET reason = 'edited' WHERE id = 1"))
    db_session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    db_session.rollback()


def tamper(db_session, sql: str) -> None:
    """What someone with direct database access could do: drop the guard and edit."""
    db_session.execute(text("DROP TRIGGER audit_events_no_update"))
    db_session.execute(text("DROP TRIGGER audit_events_no_delete"))
    db_session.execute(text(sql))
    db_session.commit()


def test_an_edited_row_breaks_the_chain_there(db_session, events) -> None:
    seal(db_session, delay=NOW)
    db_session.commit()
    tamper(db_session, "UPDATE audit_events SET after = 'withdrawn' WHERE chain_seq = 3")
    result = verify(db_session)
    assert not result.ok and result.broken_at_seq == 3 and "hash" in result.problem


def test_a_deleted_row_breaks_the_chain(db_session, events) -> None:
    seal(db_session, delay=NOW)
    db_session.commit()
    tamper(db_session, "DELETE FROM audit_events WHERE chain_seq = 4")
    result = verify(db_session)
    assert not result.ok and result.broken_at_seq == 4 and "missing" in result.problem


def test_cli_verify(app, db_session, events, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "x")
    seal(db_session, delay=NOW)
    db_session.commit()
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    tamper(db_session, "UPDATE audit_events SET actor_label = 'someone else' WHERE chain_seq = 2")
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at sequence 2" in broken.output


def test_viewer_filters_and_scope(app, client, db_session, events) -> None:
    factories.jurisdiction(db_session, "110000", "北京市", None, "province")
    factories.jurisdiction(db_session, "110101", "东城区", "110000", "county")
    supervisor = factories.user(db_session, "supervisor", username="sup-a", jurisdiction_code="330102")
    elsewhere = factories.user(db_session, "supervisor", username="sup-b", jurisdiction_code="110101")
    operator = factories.user(db_session, "operator", username="op-a")
    db_session.commit()
    login(client, operator.username)
    assert client.get("/audit/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})
    login(client, operator.username)
    client.get(f"/console/reports/{events.reference}")  # a view to find in the trail
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})

    login(client, supervisor.username)
    page = client.get(f"/audit/?reference={events.reference}&action=report.viewed").get_data(as_text=True)
    assert "<code>report.viewed.details</code>" in page and "op-a" in page and "<code>report.status</code>" not in page
    assert "<code>report.status</code>" in client.get(f"/audit/?reference={events.reference}").get_data(as_text=True)
    exported = client.get(f"/audit/events.csv?reference={events.reference}").get_data(as_text=True)
    assert "report.viewed.details" in exported
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})

    login(client, elsewhere.username)
    page = client.get(f"/audit/?reference={events.reference}").get_data(as_text=True)
    assert "<code>report.status</code>" not in page  # a report outside this supervisor's area
    assert db_session.query(AuditEvent).filter(AuditEvent.action == "audit.viewed.list").count() >= 2
