"""Staff pages: login (argon2, throttling, lockout), role checks on every page, the reporter's
identity hidden from those who may not see it, views audited, security headers, /healthz."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.models import AuditEvent, User
from hotline.queue import start_embedded_runner
from tests import factories
from tests.conftest import csrf_token, make_app

PASSWORD = "correct horse battery"


def login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


@pytest.fixture
def people(app, db_session):
    factories.demo_area(db_session, app.instance_path)
    from hotline.models import Agency

    police = db_session.scalar(
        select(Agency).where(Agency.agency_type == "police", Agency.jurisdiction_code == "330102")
    )
    made = {
        "operator": factories.user(db_session, "operator", username="op"),
        "supervisor": factories.user(db_session, "supervisor", username="sup", jurisdiction_code="330102"),
        "admin": factories.user(db_session, "admin", username="adm"),
        "agency_staff": factories.user(db_session, "agency_staff", username="cop", agency_id=police.id),
    }
    db_session.commit()
    return made


@pytest.fixture
def triaged_report(app, db_session, people, drain):
    report, _code = factories.report(db_session)
    db_session.commit()
    drain()
    return report


def test_passwords_are_argon2(people) -> None:
    assert people["operator"].password_hash.startswith("$argon2")


def test_console_needs_login(client) -> None:
    response = client.get("/console/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("operator", "/console/", 200),
        ("supervisor", "/console/", 200),
        ("admin", "/console/", 200),
        ("agency_staff", "/console/", 403),
        ("agency_staff", "/console/outbox", 403),
        ("agency_staff", "/agency/", 200),
        ("operator", "/agency/", 403),
    ],
)
def test_pages_checked_against_role(client, people, role, path, status) -> None:
    login(client, people[role].username)
    assert client.get(path).status_code == status


def test_agency_staff_cannot_open_a_report_page(client, people, triaged_report) -> None:
    login(client, "cop")
    assert client.get(f"/console/reports/{triaged_report.reference}").status_code == 403


@pytest.mark.parametrize(("role", "sees"), [("operator", True), ("supervisor", True), ("admin", False)])
def test_reporter_identity_only_for_operators_and_supervisors(client, people, triaged_report, role, sees) -> None:
    login(client, people[role].username)
    page = client.get(f"/console/reports/{triaged_report.reference}").get_data(as_text=True)
    assert ("李老师" in page) is sees
    assert "多处淤青" in page  # the narrative is there for all staff roles


def test_report_page_shows_reasons_assignments_timeline_and_audits_the_view(
    client, people, triaged_report, db_session
) -> None:
    login(client, "op")
    page = client.get(f"/console/reports/{triaged_report.reference}").get_data(as_text=True)
    assert "MR4" in page and "湖滨派出所" in page and "report.status" in page
    views = db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.viewed.details")
    )
    assert views == 1


def test_queue_orders_by_level_then_deadline(client, people, db_session, drain) -> None:
    blue, _ = factories.report(db_session, factories.BLUE_INTAKE)
    red, _ = factories.report(db_session)
    db_session.commit()
    drain()
    untriaged, _ = factories.report(db_session, factories.BLUE_INTAKE)
    db_session.commit()
    login(client, "op")
    page = client.get("/console/").get_data(as_text=True)
    assert page.index(untriaged.reference) < page.index(red.reference) < page.index(blue.reference)


def test_agency_staff_see_only_their_agency(client, people, triaged_report, db_session) -> None:
    login(client, "cop")
    page = client.get("/agency/").get_data(as_text=True)
    assert "暂无转办" in page  # the report went to the township station, not the county bureau


def test_outbox_shows_console_messages(client, people, triaged_report) -> None:
    login(client, "op")
    page = client.get("/console/outbox").get_data(as_text=True)
    assert triaged_report.reference in page and "签收" in page


def test_wrong_password_then_lockout(client, app, people, db_session) -> None:
    for _ in range(app.config["LOGIN_LOCKOUT_FAILURES"]):
        assert login(client, "op", "wrong password").status_code == 401
    assert login(client, "op").status_code == 429  # locked even with the right password
    db_session.expire_all()
    assert db_session.scalar(select(User).where(User.username == "op")).locked_until is not None


def test_login_throttled_per_address(tmp_path) -> None:
    app = make_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    from hotline.db import get_db

    get_db(app).create_all()
    client = app.test_client()
    codes = [login(client, "nobody", "x").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_logout_needs_post_with_csrf(client, people) -> None:
    login(client, "op")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400


def test_security_headers(client) -> None:
    response = client.get("/report")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(tmp_path) -> None:
    app = make_app(tmp_path, SECURE_COOKIES=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    response = app.test_client().get("/report")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_healthz_degraded_without_worker(client) -> None:
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"]
    assert body["checks"]["worker"]["ok"] is False


def test_healthz_ok_with_embedded_runner(app, client) -> None:
    import time

    runner = start_embedded_runner(app)
    try:
        for _ in range(50):
            if runner.last_beat is not None:
                break
            time.sleep(0.1)
        body = client.get("/healthz").get_json()
        assert body["status"] == "ok", body
        assert body["checks"]["sweeper"]["ok"] and body["checks"]["worker"]["ok"]
    finally:
        runner.stop()
        runner.join(timeout=5)


def test_embedded_runner_triages_a_report_within_two_seconds(app, client, people, db_session) -> None:
    """The embedded default's worker thread (not the test thread) runs the jobs."""
    import time

    from hotline.models import Report

    runner = start_embedded_runner(app)
    try:
        started = time.monotonic()
        created = client.post("/api/v1/reports", json=factories.RED_INTAKE, headers=_token_header(db_session))
        assert created.status_code == 201
        status = None
        while time.monotonic() - started < 2.0:
            db_session.expire_all()
            status = db_session.scalar(select(Report.status))
            if status == "dispatched":
                break
            time.sleep(0.05)
        assert status == "dispatched"
    finally:
        runner.stop()
        runner.join(timeout=5)


def _token_header(db_session) -> dict[str, str]:
    token = factories.api_token(db_session, "runner-token")
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}
