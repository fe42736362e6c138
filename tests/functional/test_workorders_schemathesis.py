"""The work-order API against its own OpenAPI description, property-based (schemathesis).

Schemathesis reads the description the app serves at ``/api/v1/openapi.json``, generates bodies —
valid ones and deliberately broken ones — and checks every answer: no 5xx, status codes and
bodies as described, valid data accepted, invalid data refused, and the declared authentication
enforced. Requests go to the Flask app directly (WSGI); each one is signed here, over the exact
bytes sent, as a partner would sign it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.core import NotSet
from schemathesis.transport.wsgi import WSGI_TRANSPORT
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import workorders
from hotline.models import Partner
from hotline.web import workorders as workorders_web


@pytest.fixture
def app(app: Flask) -> Flask:
    """The shared fresh app, also handed to schemathesis' WSGI transport."""
    current_app.target = app
    return app


@pytest.fixture
def partner(db_session: Session) -> Partner:
    key_id, _secret = workorders.create_partner(db_session, "12345 平台", None)
    db_session.commit()
    found = db_session.scalar(select(Partner).where(Partner.key_id == key_id))
    assert found is not None
    return found


# Loaded from the file the app serves (test_workorders checks the two are the same): schemathesis'
# lazy fixture loader does not run on this pytest version.
SPEC = Path(workorders_web.__file__).parents[1] / "static" / workorders_web.OPENAPI_FILE


class CurrentApp:
    """The WSGI app schemathesis sends to (its own probes included): the running test's app."""

    target: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.target is not None, "the app fixture sets the target"
        return self.target(environ, start_response)


current_app = CurrentApp()
schema = schemathesis.openapi.from_path(SPEC)
schema.app = current_app
schema.config.update(base_url="http://localhost/api/v1")  # in process: only its path is used


@settings(
    max_examples=50,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@schema.parametrize()
def test_work_order_api_matches_its_description(case: schemathesis.Case, partner: Partner) -> None:
    raw = wire_body(case)
    stamp = int(time.time())
    headers = {
        "Content-Type": case.media_type or "application/json",
        workorders.KEY_HEADER: partner.key_id,
        workorders.TIMESTAMP_HEADER: str(stamp),
        workorders.SIGNATURE_HEADER: workorders.sign(partner.secret, stamp, raw),
    }
    case.call_and_validate(headers=headers, data=raw)


def wire_body(case: schemathesis.Case) -> bytes:
    """The body as schemathesis would send it (JSON or, for broken cases, raw bytes), to be signed
    and then sent as these very bytes."""
    if isinstance(case.body, NotSet):
        return b""
    serialized = WSGI_TRANSPORT.serialize_case(case)
    if "json" in serialized:
        return json.dumps(serialized["json"]).encode()
    data = serialized.get("data", b"")
    return data if isinstance(data, bytes) else str(data).encode()
