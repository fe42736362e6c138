"""Database engine and sessions, without Flask-SQLAlchemy so the models depend on SQLAlchemy only.

A web request gets one session (``request_session``), committed once by the view; a job opens
its own with ``Database.session()``. Both PostgreSQL and SQLite are supported: SQLite gets WAL,
a busy timeout and foreign keys, so the embedded web thread and worker thread can share a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

import hotline.audit_chain  # noqa: F401 - registers the audit table's append-only triggers
from hotline.models import Base


class Database:
    """Engine plus session factory for one application."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict = {}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        elif self.is_sqlite:
            kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        else:
            kwargs = {"pool_pre_ping": True}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        os.register_at_fork(after_in_child=self._forget_inherited_connections)

    def _forget_inherited_connections(self) -> None:
        """rq forks a work horse per job: it must not reuse the parent's sockets."""
        self.engine.dispose(close=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for a job or command: the caller commits; anything uncommitted is rolled back."""
        session = self.session_factory()
        try:
            yield session
        finally:
            session.close()

    def create_all(self) -> None:
        """Create every table directly (tests); real databases use ``hotline db upgrade``."""
        Base.metadata.create_all(self.engine)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling is kept on purpose: it begins a transaction only at the
    # first INSERT/UPDATE/DELETE, so a transaction takes the write lock (waiting for it) before it
    # reads anything, and plain reads hold no lock at all. With WAL this means the web thread and
    # the worker thread never deadlock on a read lock upgraded to a write lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases answer "memory": harmless
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"])
    app.extensions["hotline.db"] = database
    app.teardown_appcontext(_close_request_session)
    return database


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["hotline.db"]


def request_session() -> Session:
    """The session of the current request (or app context), created on first use."""
    if "db_session" not in g:
        g.db_session = get_db().session_factory()
    return g.db_session


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
