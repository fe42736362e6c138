"""An in-process fake of Twilio's REST API at the HTTP layer, for error paths a mock server
cannot produce (21211, 21610, 429, 5xx, timeouts…). The real ``twilio`` client and our channel
code run unchanged on top of it; only the transport is scripted."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

Scripted = Callable[[str, str, dict[str, Any]], Response]


def ok_message(sid: str, to: str, body: str) -> Response:
    return Response(201, json.dumps({"sid": sid, "to": to, "body": body, "status": "queued"}))


def error(status: int, code: int | None, message: str = "error") -> Response:
    return Response(status, json.dumps({"code": code, "message": message, "status": status}))


@dataclass
class FakeTwilio(HttpClient):
    """Answers each request with the next scripted response; records every request."""

    script: list[Response | Exception] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.getLogger("fake-twilio"), is_async=False, timeout=10)

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):  # type: ignore[no-untyped-def]
        self.requests.append((method, url, dict(params or data or {})))
        if method == "GET" and url.endswith("/Messages.json"):
            return Response(200, json.dumps({"messages": self.sent, "end": 0, "start": 0, "page": 0, "page_size": 50}))
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is None:
            sid = f"SM{len(self.requests):032d}"
            outcome = ok_message(sid, (data or {}).get("To", ""), (data or {}).get("Body", ""))
        if outcome.status_code < 300:
            self.sent.append(json.loads(outcome.text))
        return outcome

    @property
    def creates(self) -> int:
        return sum(1 for method, _url, _data in self.requests if method == "POST")


def read_timeout() -> Exception:
    return requests.exceptions.ReadTimeout("read timed out")


def connection_refused() -> Exception:
    return requests.exceptions.ConnectionError("NewConnectionError: [Errno 111] Connection refused")
