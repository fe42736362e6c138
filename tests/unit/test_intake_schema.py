"""The INTAKE_SCHEMA v1 parser: what it accepts, and the field it blames for what it rejects."""

from __future__ import annotations

import json

import pytest

from intake_forms.schema import IntakeError, normalise_phone, parse_intake
from tests.conftest import SHARED


def test_every_dev_item_parses() -> None:
    lines = (SHARED / "eval" / "triage_dev_inputs.jsonl").read_text(encoding="utf-8").splitlines()
    parsed = [parse_intake(json.loads(line)) for line in lines if line.strip()]
    assert len(parsed) == 90


def test_minimal_object_is_only_a_narrative() -> None:
    intake = parse_intake({"narrative": "  有孩子被打  "})
    assert intake.narrative == "有孩子被打"
    assert intake.screening.immediate_danger == "unknown"
    assert intake.child.age is None


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({}, "narrative"),
        ({"narrative": "   "}, "narrative"),
        ({"narrative": "x", "colour": "red"}, "colour"),
        ({"narrative": "x", "child": {"age": 18}}, "child.age"),
        ({"narrative": "x", "child": {"age": "ten"}}, "child.age"),
        ({"narrative": "x", "child": {"age": True}}, "child.age"),
        ({"narrative": "x", "child": {"sex": "f"}}, "child.sex"),
        ({"narrative": "x", "child": {"eyes": "brown"}}, "child.eyes"),
        ({"narrative": "x", "screening": {"immediate_danger": "maybe"}}, "screening.immediate_danger"),
        ({"narrative": "x", "screening": {"observed": ["bruise"]}}, "screening.observed[0]"),
        ({"narrative": "x", "screening": {"observed": "missing"}}, "screening.observed"),
        ({"narrative": "x", "reporter": {"phone": "12"}}, "reporter.phone"),
        ({"narrative": "x", "reporter": {"anonymous": "yes"}}, "reporter.anonymous"),
        ({"narrative": "x", "jurisdiction": {"code": "33-01"}}, "jurisdiction.code"),
        ({"narrative": "x", "received_at": "yesterday"}, "received_at"),
        ({"narrative": "x", "received_at": "2026-11-23T08:00:00"}, "received_at"),
        ({"narrative": "x", "channel": "fax"}, "channel"),
        ({"narrative": "x", "reporter": "teacher"}, "reporter"),
    ],
)
def test_bad_field_is_named(data: dict, path: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse_intake(data)
    assert path in caught.value.errors


def test_all_errors_reported_at_once() -> None:
    with pytest.raises(IntakeError) as caught:
        parse_intake({"narrative": "", "child": {"age": 40}, "channel": "fax"})
    assert set(caught.value.errors) == {"narrative", "child.age", "channel"}


def test_not_an_object() -> None:
    with pytest.raises(IntakeError):
        parse_intake(["narrative"])


def test_unknown_is_accepted_everywhere() -> None:
    intake = parse_intake(
        {
            "narrative": "x",
            "child": {"age": "unknown", "sex": "unknown"},
            "screening": {"observed": "unknown"},
        }
    )
    assert intake.child.age is None
    assert intake.screening.observed == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000101", "+8613800000101"),
        ("+86 138-0000-0101", "+8613800000101"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_phone_normalised_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_round_trip_through_json() -> None:
    data = json.loads((SHARED / "eval" / "triage_dev_inputs.jsonl").read_text(encoding="utf-8").splitlines()[0])
    intake = parse_intake(data)
    assert parse_intake(intake.to_json()) == intake
