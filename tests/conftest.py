"""Fixtures shared by every tier: a fresh app per test, its database session, the queue, and a
guard that fails any test trying to reach a host other than this machine."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.db import get_db
from hotline.queue import get_queue

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _is_local(address: object) -> bool:
    if isinstance(address, tuple):
        host = address[0]
    else:
        return True  # unix sockets
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail, loudly, any connection to a host that is not this machine (Twilio included)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


def make_app(tmp_path: Path, **overrides: object) -> Flask:
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "REDIS_URL": "",
        "SECRET_KEY": "test-secret-key",
        "SECURE_COOKIES": False,
        "TESTING": True,
        "RATELIMIT_ENABLED": True,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path)
    get_db(application).create_all()
    yield application
    get_db(application).engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    with get_db(app).session() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def drain(app: Flask, db_session: Session):
    """Run every queued job now, in this thread, through rq (embedded queue).

    The test's own session commits first: like a finished request, it must not hold SQLite's
    write lock while the worker runs.
    """

    def run() -> None:
        db_session.commit()
        get_queue(app).drain(app)

    return run


@pytest.fixture
def red_report(app: Flask, db_session: Session, drain):
    """The demo area, and a red report (multiple injuries, the father collects the child today)
    filed, triaged and dispatched through the embedded queue."""
    from hotline.models import Report
    from tests import factories

    factories.demo_area(db_session, app.instance_path)
    db_session.commit()
    report, _code = factories.report(db_session)
    db_session.commit()
    drain()
    db_session.expire_all()
    return db_session.get(Report, report.id)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch a page's form and return its CSRF token, as a browser would have it."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)
