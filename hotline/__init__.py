"""hotline: intake, triage and tracking of mandatory reports of harm to minors.

``create_app`` is the only way to build the application: config → extensions → blueprints → CLI.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the Flask app; ``config`` overrides what the environment sets (tests use it)."""
    from hotline import db, extensions, queue, security
    from hotline.config import load_config
    from hotline.web import register_blueprints

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        REMEMBER_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    db.init_app(app)
    queue.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    from hotline.cli import register_commands

    register_commands(app)
    return app
