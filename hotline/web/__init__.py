"""Blueprints: public intake, auth, operator console, JSON API, health; and shared view helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale

from hotline import taxonomy
from hotline.audit import Actor
from notifications.outbox import mask_phone


def register_blueprints(app: Flask) -> None:
    from hotline.web import (
        admin,
        agency,
        api,
        audit,
        auth,
        console,
        health,
        intake,
        public,
        supervision,
        twilio,
        voice,
        workorders,
    )

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(agency.bp)
    app.register_blueprint(twilio.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(workorders.bp)
    app.register_blueprint(supervision.bp)
    app.context_processor(_template_helpers)
    app.add_template_filter(mask_phone, "mask_phone")
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)


def language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time from the database shown in the hotline's time zone."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def client_ip() -> str | None:
    return request.remote_addr


def user_actor() -> Actor:
    from flask_login import current_user

    return Actor.for_user(current_user, client_ip())


def _template_helpers() -> dict:
    lang = language()

    def lbl(kind: str, code: str | None) -> str:
        if code is None:
            return "—"
        return taxonomy.label(getattr(taxonomy, f"{kind.upper()}_LABELS"), code, lang)

    return {"lbl": lbl, "local_time": local_time, "lang": lang}


def _error_page(error):  # type: ignore[no-untyped-def]
    code = getattr(error, "code", 500) or 500
    # A 405 must name the methods that are allowed (RFC 9110): keep werkzeug's Allow header.
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
    if request.path.startswith("/api/") or request.path == "/healthz":
        return {"error": getattr(error, "name", "error"), "status": code}, code, headers
    return render_template("error.html", code=code), code, headers
