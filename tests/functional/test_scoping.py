"""Each role sees and changes only what its scope allows: the SQL scopes themselves, then every
supervision surface (dashboard, drill-down, lists, exports, 督办, monthly report) and the agency
portal, for a county supervisor, a city supervisor, an admin, an operator and agency staff."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline import analytics, monthly
from hotline.analytics import Scope
from hotline.models import Escalation, utcnow
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_analytics import Timeline
from tests.functional.test_console_and_security import login


@pytest.fixture
def world(app, db_session):
    """Two districts with an overdue assignment each, and one account of every kind."""
    timeline = Timeline(db_session)
    now = utcnow()
    received = now - timedelta(days=2)
    mine = timeline.report(received, code="330102001")
    theirs = timeline.report(received, code="330105")
    homeless = timeline.report(received, code=None)  # no location: routed to the home area's agency
    made = {
        "mine": timeline.assign(mine, timeline.station, ack_due=received + timedelta(hours=1)),
        "theirs": timeline.assign(theirs, timeline.other, ack_due=received + timedelta(hours=1)),
        "homeless": timeline.assign(homeless, timeline.police, ack_due=received + timedelta(hours=1)),
    }
    users = {
        "county": factories.user(db_session, "supervisor", username="county", jurisdiction_code="330102"),
        "city": factories.user(db_session, "supervisor", username="city", jurisdiction_code="330100"),
        "nowhere": factories.user(db_session, "supervisor", username="nowhere"),
        "admin": factories.user(db_session, "admin", username="adm"),
        "operator": factories.user(db_session, "operator", username="op"),
        "station": factories.user(db_session, "agency_staff", username="station", agency_id=timeline.station.id),
    }
    db_session.commit()
    return {"timeline": timeline, "assignments": made, "reports": (mine, theirs, homeless), "users": users}


def _references(rows) -> set[str]:
    return {r.reference for r in rows}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", {"mine", "theirs", "homeless"}),
        ("operator", {"mine", "theirs", "homeless"}),
        ("city", {"mine", "theirs", "homeless"}),  # the homeless one went to a city agency
        ("county", {"mine", "homeless"}),
        ("station", {"mine"}),
        ("nowhere", set()),
    ],
)
def test_sql_scopes_per_role(world, db_session, who, expected) -> None:
    scope = Scope.for_user(world["users"][who])
    mine, theirs, homeless = world["reports"]
    names = {mine.reference: "mine", theirs.reference: "theirs", homeless.reference: "homeless"}
    overdue = analytics.overdue(db_session, scope, utcnow())
    assert {names[r] for r in _references(overdue)} == expected
    visible = db_session.scalars(select(type(mine).reference).where(scope.reports())).all()
    assert {names[r] for r in visible} == expected
    assert analytics.assignment_in_scope(db_session, scope, world["assignments"]["theirs"].id) is (
        world["assignments"]["theirs"] if "theirs" in expected else None
    )
    period = analytics.Period.days(utcnow().date() - timedelta(days=7), utcnow().date() + timedelta(days=1), "UTC")
    board = analytics.dashboard(db_session, scope, period, utcnow())
    assert board.totals.reports == len(expected)
    opened = monthly.longest_open(db_session, scope, utcnow())
    assert {names[r.reference] for r in opened} == expected


def test_scope_is_a_where_clause_not_a_python_filter(world) -> None:
    county = Scope.for_user(world["users"]["county"])
    sql = str(county.reports().compile(compile_kwargs={"literal_binds": True}))
    assert "reports.jurisdiction_code >= '330102'" in sql and "agencies.jurisdiction_code" in sql
    station = Scope.for_user(world["users"]["station"])
    assert "assignments.agency_id = " in str(station.assignments().compile(compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("who", ["operator", "station"])
@pytest.mark.parametrize(
    "path",
    [
        "/supervision/",
        "/supervision/overdue",
        "/supervision/escalations",
        "/supervision/export/agency.csv",
        "/supervision/export/overdue.xlsx",
        "/supervision/monthly",
        "/supervision/monthly.pdf",
    ],
)
def test_supervision_is_for_supervisors_and_admins_only(client, world, who, path) -> None:
    login(client, world["users"][who].username)
    assert client.get(path).status_code == 403


def test_county_supervisor_sees_only_the_county_on_every_page(client, world) -> None:
    login(client, "county")
    mine, theirs, homeless = world["reports"]
    pages = [
        client.get("/supervision/").get_data(as_text=True),
        client.get("/supervision/overdue").get_data(as_text=True),
        client.get("/supervision/monthly").get_data(as_text=True),
        client.get("/supervision/export/agency.csv").get_data(as_text=True),
        client.get("/supervision/export/overdue.csv").get_data(as_text=True),
    ]
    for page in pages:
        assert "拱墅区公安" not in page and theirs.reference not in page
    assert mine.reference in pages[1] and homeless.reference in pages[1]
    assert "湖滨派出所" in pages[0]
    workbook = load_workbook(io.BytesIO(client.get("/supervision/export/all.xlsx").data))
    cells = {str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row}
    assert "湖滨派出所" in cells and "拱墅区公安" not in cells


def test_drill_down_is_limited_to_the_scope(client, world) -> None:
    login(client, "county")
    assert client.get("/supervision/?area=330102001").status_code == 200
    assert client.get("/supervision/?area=330105").status_code == 403
    assert client.get("/supervision/?area=330100").status_code == 403  # the city is above the county
    assert client.get("/supervision/export/agency.csv?area=330105").status_code == 403
    login(client, "city")
    page = client.get("/supervision/?area=330105").get_data(as_text=True)
    assert "拱墅区公安" in page and "湖滨派出所" not in page


def test_admin_and_city_see_both_districts(client, world) -> None:
    for who in ("admin", "city"):
        login(client, world["users"][who].username)
        page = client.get("/supervision/overdue").get_data(as_text=True)
        assert world["reports"][0].reference in page and world["reports"][1].reference in page


def test_supervise_outside_the_scope_is_404_and_changes_nothing(client, world, db_session) -> None:
    login(client, "county")
    token = csrf_token(client, "/supervision/overdue")
    theirs = world["assignments"]["theirs"]
    response = client.post(f"/supervision/assignments/{theirs.id}/supervise", data={"csrf_token": token})
    assert response.status_code == 404
    assert db_session.scalar(select(func.count()).select_from(Escalation)) == 0
    mine = world["assignments"]["mine"]
    response = client.post(f"/supervision/assignments/{mine.id}/supervise", data={"csrf_token": token})
    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Escalation)) == 1


def test_supervisor_without_jurisdiction_sees_nothing(client, world) -> None:
    login(client, "nowhere")
    page = client.get("/supervision/overdue").get_data(as_text=True)
    assert all(r.reference not in page for r in world["reports"])


def test_agency_staff_cannot_open_another_agencys_assignment(client, world) -> None:
    login(client, "station")
    assert client.get(f"/agency/assignments/{world['assignments']['mine'].id}").status_code == 200
    assert client.get(f"/agency/assignments/{world['assignments']['theirs'].id}").status_code == 404


def test_county_supervisor_cannot_open_another_countys_report_in_the_console(client, world) -> None:
    login(client, "county")
    assert client.get(f"/console/reports/{world['reports'][1].reference}").status_code == 404
