"""Configuration: defaults for the embedded mode, overridden by ``HOTLINE_*`` environment variables.

Nothing is read at import time: ``load_config`` is called by ``create_app``. Every variable is
listed in ``SETTINGS`` with its default and meaning, and the README's table is checked against
this list by a test, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions, CSRF tokens and agency links. Embedded: generated once into the instance folder.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL. Embedded: sqlite:///<instance>/hotline.db. Real: postgresql+psycopg://user:pass@host/db.",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis for the rq queues. Empty: an in-process Redis stand-in (fakeredis) with a worker thread.",
    ),
    Setting(
        "EMBEDDED_WORKER",
        True,
        "Run the rq worker and the sweeper in a background thread of the web process (embedded mode only).",
        bool,
    ),
    Setting("SMS_PROVIDER", "console", "console (messages stored and shown at /console/outbox) or twilio."),
    Setting("TWILIO_ACCOUNT_SID", "", "Twilio account SID (SMS_PROVIDER=twilio); also validates webhook signatures."),
    Setting("TWILIO_AUTH_TOKEN", "", "Twilio auth token: authenticates requests and checks X-Twilio-Signature."),
    Setting("TWILIO_FROM_NUMBER", "", "The Twilio number SMS and calls are sent from (E.164)."),
    Setting("TWILIO_API_BASE", "", "Send Twilio API requests here instead of https://api.twilio.com (a mock server)."),
    Setting("TWILIO_TIMEOUT", 10, "Seconds before a Twilio HTTP request times out.", int),
    Setting("OPERATOR_NUMBERS", "", "Comma-separated phone numbers of the on-duty operators that incoming calls ring."),
    Setting(
        "LINE_NUMBERS",
        "",
        "Dialled numbers mapped to lines, e.g. +8657112345=12345,+8657112355=12355 (else ForwardedFrom, or direct).",
    ),
    Setting(
        "RING_SECONDS", 20, "Seconds an incoming call rings the operators before the caller may leave a message.", int
    ),
    Setting(
        "SMS_RATE_PER_SECOND",
        10,
        "Messages per second sent from the sender number (a long code takes 1, a short code 100).",
        int,
    ),
    Setting("HOST", "127.0.0.1", "Address `hotline serve` listens on."),
    Setting("PORT", 5000, "Port `hotline serve` listens on.", int),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public address used in links sent to reporters and agencies."),
    Setting("TIMEZONE", "Asia/Shanghai", "Time zone of screens and working-day clocks (the database stores UTC)."),
    Setting(
        "HOME_JURISDICTION",
        "330102",
        "Division code of the hotline's own area: reports with no usable location are routed there.",
    ),
    Setting("SWEEP_INTERVAL", 30, "Seconds between sweeps (re-enqueue lost work, escalate).", int),
    Setting(
        "STALE_AFTER",
        60,
        "Seconds after which enqueued work not yet done is enqueued again by the sweeper.",
        int,
    ),
    Setting(
        "DASHBOARD_LIVE_MS",
        150,
        "A supervisor dashboard that computes faster than this (ms) is computed on every view; a slower one is "
        "served from its snapshot.",
        int,
    ),
    Setting(
        "DASHBOARD_MAX_AGE",
        300,
        "Seconds a dashboard snapshot may be served; a refresh is queued once it is half that old.",
        int,
    ),
    Setting(
        "SECURE_COOKIES",
        True,
        "Send session cookies only over HTTPS. `hotline serve` on loopback turns it off.",
        bool,
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10 per minute",
        "Login attempts allowed per client address (Flask-Limiter syntax).",
    ),
    Setting(
        "LOGIN_LOCKOUT_FAILURES",
        5,
        "Failed passwords in a row that lock an account for LOGIN_LOCKOUT_MINUTES.",
        int,
    ),
    Setting("LOGIN_LOCKOUT_MINUTES", 15, "How long an account stays locked after too many failures.", int),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where login throttling counts attempts (redis://… when several web processes run).",
    ),
    Setting(
        "DEMO_SEED",
        True,
        "`hotline serve` seeds the demo area, agencies and accounts into an empty database.",
        bool,
    ),
    Setting("LOG_LEVEL", "INFO", "Python logging level."),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(setting: Setting, raw: str) -> Any:
    if setting.kind is bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"HOTLINE_{setting.name} must be true or false, not {raw!r}")
    if setting.kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"HOTLINE_{setting.name} must be a whole number, not {raw!r}") from None
    return raw


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config: defaults, then ``HOTLINE_*`` variables from ``environ``."""
    environ = dict(os.environ if environ is None else environ)
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"HOTLINE_{setting.name}")
        config[setting.name] = setting.default if raw is None else _convert(setting, raw)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'hotline.db'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    return config


def _instance_secret(instance: Path) -> str:
    """A secret key kept in the instance folder, created on first use (embedded mode only)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
