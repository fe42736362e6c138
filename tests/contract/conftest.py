"""Prism, a mock server generated from Twilio's OpenAPI description, for the contract tier.

Prism validates every request against the spec (path, auth, required fields, types) and answers
an invalid one with HTTP 422, a valid one with the spec's example. Tests and ``bench/intake_to_sms.py``
point ``TwilioChannel`` at it through ``TWILIO_API_BASE``, so a request of the wrong shape fails them.

One known Prism limitation needs a narrow relaxation of the spec: Prism keeps only the last value of
a repeated form key (stoplightio/prism#2473; PR #2654 unmerged), so ``StatusCallbackEvent=initiated&
StatusCallbackEvent=ringing…`` (how Twilio wants arrays, and how the twilio client sends them) reaches
its validator as one string and fails "must be array". ``relaxed_spec`` lets every array property of
a form body also be a single item; the item is still validated, and the tests check the full list
from the request actually sent.

Prism comes from ``tools/prism`` (``npm ci --prefix tools/prism``). When it is not installed the
tier is skipped on a developer's machine and FAILS in CI (``CI`` set), like the integration tier.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from hotline.db import get_db
from tests import factories
from tests.conftest import make_app

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "vendor" / "twilio" / "twilio_api_v2010.json"
PRISM_BIN = REPO / "tools" / "prism" / "node_modules" / ".bin" / "prism"
STARTUP_TIMEOUT = 60.0

# Credentials of the right shape: the spec requires AccountSid to match ^AC[0-9a-fA-F]{32}$ and
# Prism rejects a request without HTTP basic auth (401).
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "contract-test-auth-token"
FROM_NUMBER = "+15005550006"
# The SIDs of the examples Prism answers with (Messages and Calls "create" in the spec).
EXAMPLE_MESSAGE_SID = "SM" + "a" * 32
EXAMPLE_CALL_SID = "CA" + "a" * 32


@dataclass
class PrismServer:
    """A running Prism process, where it listens and how long it took to start answering."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_seconds: float

    def log_tail(self, chars: int = 4000) -> str:
        """The end of Prism's log: its validation errors explain a 422."""
        return self.log_path.read_text(errors="replace")[-chars:]


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def twilio_config(api_base: str) -> dict[str, object]:
    """The app settings that send notifications through Twilio at ``api_base``."""
    return {
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": api_base,
        "TWILIO_TIMEOUT": 5,
    }


def relaxed_spec(destination: Path) -> Path:
    """Write the shared spec to ``destination`` with form-body arrays also accepting one item.

    The only change to Twilio's description: each ``type: array`` property of an
    ``application/x-www-form-urlencoded`` request body becomes ``anyOf: [item, array]``, because
    Prism cannot read repeated form keys as an array (see the module docstring).
    """
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    for operations in spec["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            form = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
            properties = form.get("schema", {}).get("properties", {}) if form else {}
            for name, schema in properties.items():
                if schema.get("type") == "array":
                    properties[name] = {"anyOf": [schema["items"], schema]}
    destination.write_text(json.dumps(spec), encoding="utf-8")
    return destination


def start_prism(workdir: Path, timeout: float = STARTUP_TIMEOUT) -> PrismServer:
    """Start ``prism mock`` on the (relaxed) shared spec on a free port; wait until it answers HTTP.

    ``workdir`` receives the relaxed spec and Prism's log. Loading the 1.9 MB spec takes a second
    or two; the port opens only once it is loaded, so the first HTTP answer (401 for an
    unauthenticated probe) means ready. Raises ``RuntimeError`` with the log's end if Prism exits
    or does not answer within ``timeout`` seconds.
    """
    spec = relaxed_spec(workdir / "twilio_api_v2010.prism.json")
    log_path = workdir / "prism.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = PrismServer(url, process, log_path, 0.0)
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"prism exited with {process.returncode}:\n{server.log_tail()}")
        try:
            requests.get(f"{url}/2010-04-01/Accounts.json", timeout=1)
        except requests.exceptions.ConnectionError:
            time.sleep(0.1)
            continue
        server.startup_seconds = time.monotonic() - started
        return server
    stop_prism(server)
    raise RuntimeError(f"prism did not answer within {timeout}s:\n{server.log_tail()}")


def stop_prism(server: PrismServer) -> None:
    """Terminate the Prism process (kill it if it lingers)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    """Prism on the shared Twilio spec for the whole session; skipped (or failed in CI) if missing."""
    if not PRISM_BIN.exists():
        message = f"the contract tier needs Prism at {PRISM_BIN} (run: npm ci --prefix tools/prism)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not SPEC.exists():
        pytest.fail(f"Twilio's OpenAPI description is missing: {SPEC}")
    server = start_prism(tmp_path_factory.mktemp("prism"))
    yield server
    stop_prism(server)


@pytest.fixture
def app(prism: PrismServer, tmp_path: Path) -> Iterator[Flask]:
    """An app whose notifications go through ``TwilioChannel`` to Prism, with the demo area seeded."""
    application = make_app(tmp_path, **twilio_config(prism.url))
    database = get_db(application)
    database.create_all()
    with database.session() as session:
        factories.demo_area(session, application.instance_path)
        session.commit()
    yield application
    database.engine.dispose()
