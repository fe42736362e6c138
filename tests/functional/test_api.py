"""The JSON API: tokens and scopes, 201 with a reference, field-level 422s, the progress view."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.models import AuditEvent, Report
from tests import factories


@pytest.fixture
def token(app, db_session) -> str:
    factories.demo_area(db_session, app.instance_path)
    value = factories.api_token(db_session)
    db_session.commit()
    return value


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_create_and_read(client, token, drain) -> None:
    response = client.post("/api/v1/reports", json=factories.RED_INTAKE, headers=auth(token))
    assert response.status_code == 201
    body = response.get_json()
    assert body["reference"].startswith("HX-")
    assert body["url"].endswith(f"/api/v1/reports/{body['reference']}")
    assert len(body["status_code"]) == 9
    drain()
    view = client.get(f"/api/v1/reports/{body['reference']}", headers=auth(token)).get_json()
    assert view["status"] == "dispatched"
    assert view["urgency"] == "red"
    assert "MR4" in view["mandatory_report_codes"]
    lead = [a for a in view["assignments"] if a["role"] == "lead"][0]
    assert lead["agency_type"] == "police" and lead["acknowledge_due_at"]
    assert view["notifications"] and all("****" in n["recipient"] for n in view["notifications"])
    assert [e["after"] for e in view["timeline"] if e["action"] == "report.status"] == [
        "triaged",
        "dispatched",
    ]
    assert "narrative" not in view and "reporter" not in str(view.keys())


def test_reading_is_audited(client, token, db_session) -> None:
    reference = client.post("/api/v1/reports", json=factories.BLUE_INTAKE, headers=auth(token)).get_json()["reference"]
    client.get(f"/api/v1/reports/{reference}", headers=auth(token))
    assert (
        db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.viewed.api"))
        == 1
    )


def test_same_external_id_twice_gives_the_same_report(client, token, db_session) -> None:
    data = {**factories.BLUE_INTAKE, "id": "WO-1", "channel": "workorder_12345"}
    first = client.post("/api/v1/reports", json=data, headers=auth(token))
    second = client.post("/api/v1/reports", json=data, headers=auth(token))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["reference"] == second.get_json()["reference"]
    assert db_session.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"narrative": ""}, 422, "narrative"),
        ({"narrative": "x", "child": {"age": 30}}, 422, "child.age"),
        ({"narrative": "x", "extra": 1}, 422, "extra"),
        ({"narrative": "x", "screening": {"observed": ["nonsense"]}}, 422, "screening.observed[0]"),
    ],
)
def test_invalid_intake(client, token, db_session, body, status, field) -> None:
    response = client.post("/api/v1/reports", json=body, headers=auth(token))
    assert response.status_code == status
    assert field in response.get_json()["fields"]
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0


def test_not_json(client, token) -> None:
    response = client.post("/api/v1/reports", data="narrative=x", headers=auth(token), content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
def test_bad_or_missing_token(client, token, header) -> None:
    headers = {"Authorization": header} if header else {}
    assert client.post("/api/v1/reports", json=factories.BLUE_INTAKE, headers=headers).status_code == 401
    assert client.get("/api/v1/reports/HX-2026-000001", headers=headers).status_code == 401


def test_scopes_are_enforced(client, app, db_session) -> None:
    read_only = factories.api_token(db_session, "reader", scopes="reports:read")
    db_session.commit()
    assert client.post("/api/v1/reports", json=factories.BLUE_INTAKE, headers=auth(read_only)).status_code == 403


def test_revoked_token(client, token, db_session) -> None:
    from hotline.models import ApiToken, utcnow

    db_session.scalar(select(ApiToken)).revoked_at = utcnow()
    db_session.commit()
    assert client.post("/api/v1/reports", json=factories.BLUE_INTAKE, headers=auth(token)).status_code == 401


def test_unknown_reference(client, token) -> None:
    response = client.get("/api/v1/reports/HX-2026-999999", headers=auth(token))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
