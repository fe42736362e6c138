"""The Alembic migrations build exactly the schema the models describe (SQLite here; the
integration tier checks PostgreSQL the same way)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from hotline.migrate import upgrade
from hotline.models import Base


def test_upgrade_from_empty_matches_the_models(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        # compare_metadata ignores partial indexes' predicates: the ones correctness rests on
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%WHERE%'"
        partial = {name: sql for name, sql in connection.exec_driver_sql(query)}
    engine.dispose()
    assert "WHERE superseded_at IS NULL" in partial["uq_escalations_assignment_step_current"]
    assert "UNIQUE" in partial["uq_escalations_assignment_step_current"].upper()
    assert "WHERE notices_enqueued_at IS NOT NULL" in partial["ix_escalations_notices_pending"]
