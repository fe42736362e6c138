"""The integration tier: real PostgreSQL, real Redis and a real ``hotline worker`` (rq) process.

Servers come from HOTLINE_TEST_DATABASE_URL and HOTLINE_TEST_REDIS_URL (``scripts/test-services
start`` prints them; ``.ci/run`` exports them). Without them the tier is skipped on a developer's
machine and FAILS in CI (CI set), so a green CI always means these tests ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, text

from hotline.db import get_db
from hotline.migrate import upgrade
from hotline.models import Base
from hotline.queue import QUEUE_NAMES
from tests import factories
from tests.conftest import REPO, make_app

DATABASE_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def servers() -> tuple[str, str]:
    if not (DATABASE_URL and REDIS_URL):
        message = (
            "the integration tier needs HOTLINE_TEST_DATABASE_URL and HOTLINE_TEST_REDIS_URL "
            '(run: eval "$(scripts/test-services start)")'
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    engine = create_engine(DATABASE_URL)
    with engine.begin() as connection:  # a fresh schema, built by the migrations themselves
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(DATABASE_URL)
    redis.Redis.from_url(REDIS_URL).ping()
    return DATABASE_URL, REDIS_URL


@pytest.fixture(scope="session")
def worker_process(servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen]:
    """A real rq worker (``hotline worker``), forking a work horse per job, for the whole session."""
    database_url, redis_url = servers
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_SECRET_KEY": "integration-secret",
        "HOTLINE_BASE_URL": "http://localhost",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "worker"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    print(Path(log).read_text()[-3000:])


@pytest.fixture
def app(servers: tuple[str, str], tmp_path: Path) -> Iterator[Flask]:
    database_url, redis_url = servers
    application = make_app(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY="integration-secret")
    database = get_db(application)
    wait_for_idle_worker(redis_url)  # a job left from the previous test would deadlock with TRUNCATE
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    redis.Redis.from_url(redis_url).flushdb()
    with database.session() as session:
        factories.demo_area(session, application.instance_path)
        session.commit()
    yield application
    database.engine.dispose()


def wait_for_idle_worker(redis_url: str) -> None:
    """Wait until every queue is empty and no job is running (the session's worker has finished)."""
    connection = redis.Redis.from_url(redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    wait_for(
        lambda: all(queue.count == 0 and StartedJobRegistry(queue=queue).count == 0 for queue in queues),
        what="the worker to finish the previous test's jobs",
    )


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Poll until ``condition()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")
