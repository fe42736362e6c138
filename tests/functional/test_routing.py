"""Routing to real agencies: most specific jurisdiction first, fallback up the hierarchy, and the
minor-protection office when the location is unusable."""

from __future__ import annotations

import pytest

from hotline.seed import DEMO_JURISDICTIONS
from hotline.taxonomy import AssignmentRole
from tests import factories
from triage.routing import jurisdiction_chain, route

HOME = "330102"


@pytest.mark.parametrize(
    ("code", "chain"),
    [
        ("330102001203", ["330102001203", "330102001", "330102", "330100", "330000"]),
        ("330102001", ["330102001", "330102", "330100", "330000"]),
        ("330102", ["330102", "330100", "330000"]),
        ("330100", ["330100", "330000"]),
        ("110000", ["110000"]),
        ("", []),
        (None, []),
        ("abc", []),
        ("1234567", []),
    ],
)
def test_jurisdiction_chain(code: str | None, chain: list[str]) -> None:
    assert jurisdiction_chain(code) == chain


@pytest.fixture
def directory(db_session):
    for code, name, parent, level in DEMO_JURISDICTIONS:
        factories.jurisdiction(db_session, code, name, parent, level)
    return {
        "station": factories.agency(db_session, name="湖滨派出所", agency_type="police", jurisdiction_code="330102001"),
        "bureau": factories.agency(db_session, name="上城区公安分局", agency_type="police", jurisdiction_code="330102"),
        "civil": factories.agency(
            db_session, name="上城区民政局", agency_type="civil_affairs", jurisdiction_code="330102"
        ),
        "city_edu": factories.agency(
            db_session, name="杭州市教育局", agency_type="education", jurisdiction_code="330100"
        ),
        "office": factories.agency(
            db_session, name="上城区未保办", agency_type="minor_protection_office", jurisdiction_code="330102"
        ),
        "closed": factories.agency(
            db_session,
            name="已撤销",
            agency_type="civil_affairs",
            jurisdiction_code="330102001",
            active=False,
        ),
    }


def names(routed) -> list[tuple[str, str]]:
    return [(r.agency.name, r.role) for r in routed]


def test_township_station_before_county_bureau(db_session, directory) -> None:
    routed = route(db_session, "police", ["civil_affairs"], "330102001", HOME)
    assert names(routed) == [("湖滨派出所", AssignmentRole.LEAD), ("上城区民政局", AssignmentRole.ASSISTING)]


def test_village_code_falls_back_to_its_township(db_session, directory) -> None:
    routed = route(db_session, "police", [], "330102001203", HOME)
    assert names(routed) == [("湖滨派出所", AssignmentRole.LEAD)]


def test_other_township_gets_the_county_bureau(db_session, directory) -> None:
    routed = route(db_session, "police", [], "330102002", HOME)
    assert names(routed) == [("上城区公安分局", AssignmentRole.LEAD)]


def test_falls_back_to_the_city(db_session, directory) -> None:
    routed = route(db_session, "education", [], "330102", HOME)
    assert names(routed) == [("杭州市教育局", AssignmentRole.LEAD)]


def test_inactive_agencies_are_skipped(db_session, directory) -> None:
    routed = route(db_session, "civil_affairs", [], "330102001", HOME)
    assert names(routed) == [("上城区民政局", AssignmentRole.LEAD)]


@pytest.mark.parametrize("code", [None, "999999", "abc"])
def test_no_usable_location_goes_to_home_area_with_the_office(db_session, directory, code) -> None:
    routed = route(db_session, "police", ["civil_affairs"], code, HOME)
    assert names(routed) == [
        ("上城区公安分局", AssignmentRole.LEAD),
        ("上城区民政局", AssignmentRole.ASSISTING),
        ("上城区未保办", AssignmentRole.ASSISTING),
    ]
    assert "no usable location" in routed[-1].note


def test_lead_type_missing_everywhere_makes_the_office_lead(db_session, directory) -> None:
    routed = route(db_session, "cyberspace", ["police"], "330102001", HOME)
    assert names(routed) == [("湖滨派出所", AssignmentRole.ASSISTING), ("上城区未保办", AssignmentRole.LEAD)]


def test_duplicate_types_routed_once(db_session, directory) -> None:
    routed = route(db_session, "police", ["police", "civil_affairs", "civil_affairs"], "330102001", HOME)
    assert len(routed) == 2
