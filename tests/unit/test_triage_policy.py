"""The policy document: defaults of TRIAGE_POLICY, validation errors naming the key, versions."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from hotline.taxonomy import AgencyType, Category, Urgency
from triage.policy import (
    Deadline,
    Policy,
    default_policy,
    default_policy_document,
    load_policy,
    policy_version,
)


@pytest.fixture()
def document() -> dict[str, Any]:
    return default_policy_document()


def test_default_policy_loads_and_is_cached() -> None:
    policy = default_policy()
    assert isinstance(policy, Policy)
    assert default_policy() is policy
    assert policy.version.startswith("sha256:") and len(policy.version) == len("sha256:") + 12


def test_document_is_plain_json(document: dict[str, Any]) -> None:
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    ("level", "ack", "feedback"),
    [
        (Urgency.RED, Deadline(15, "minutes"), Deadline(24, "hours")),
        (Urgency.ORANGE, Deadline(1, "hours"), Deadline(3, "days")),
        (Urgency.YELLOW, Deadline(1, "working_days"), Deadline(5, "working_days")),
        (Urgency.BLUE, Deadline(2, "working_days"), Deadline(10, "working_days")),
    ],
)
def test_level_deadlines(level: Urgency, ack: Deadline, feedback: Deadline) -> None:
    policy = default_policy()
    assert policy.levels[level].code is level
    assert policy.levels[level].acknowledge_within == ack
    assert policy.levels[level].feedback_within == feedback


@pytest.mark.parametrize(
    ("category", "lead", "assisting", "level"),
    [
        (
            Category.SEXUAL_ABUSE,
            AgencyType.POLICE,
            (AgencyType.PROCURATORATE, AgencyType.CIVIL_AFFAIRS),
            Urgency.ORANGE,
        ),
        (
            Category.SERIOUS_INJURY_OR_DEATH,
            AgencyType.POLICE,
            (AgencyType.HEALTH, AgencyType.CIVIL_AFFAIRS),
            Urgency.RED,
        ),
        (Category.MISSING_TRAFFICKING, AgencyType.POLICE, (AgencyType.CIVIL_AFFAIRS,), Urgency.RED),
        (Category.SELF_HARM_RISK, AgencyType.HEALTH, (AgencyType.YOUTH_LEAGUE,), Urgency.ORANGE),
        (Category.BULLYING, AgencyType.EDUCATION, (), Urgency.YELLOW),
        (Category.ONLINE_HARM, AgencyType.CYBERSPACE, (AgencyType.POLICE,), Urgency.YELLOW),
        (Category.CHILD_LABOUR, AgencyType.HUMAN_RESOURCES, (AgencyType.POLICE,), Urgency.YELLOW),
        (Category.HARDSHIP, AgencyType.CIVIL_AFFAIRS, (AgencyType.EDUCATION,), Urgency.BLUE),
        (Category.INQUIRY, AgencyType.MINOR_PROTECTION_OFFICE, (), Urgency.BLUE),
    ],
)
def test_catalogue_rows(category: Category, lead: AgencyType, assisting: tuple, level: Urgency) -> None:
    entry = default_policy().catalogue[category]
    assert (entry.lead, entry.assisting, entry.default_level) == (lead, assisting, level)


def test_catalogue_covers_every_category_most_serious_first() -> None:
    catalogue = default_policy().catalogue
    assert set(catalogue) == set(Category)
    assert list(catalogue)[:2] == [Category.SEXUAL_ABUSE, Category.PHYSICAL_ABUSE]
    assert list(catalogue)[-1] is Category.INQUIRY


def test_calendar_2026() -> None:
    policy = default_policy()
    assert date(2026, 2, 15) in policy.holidays and date(2026, 10, 7) in policy.holidays
    assert {
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    } <= policy.makeup_workdays
    assert not policy.holidays & policy.makeup_workdays


def test_version_changes_on_any_edit(document: dict[str, Any]) -> None:
    before = load_policy(document).version
    edited = copy.deepcopy(document)
    edited["lexicon"]["signals"]["begging"]["terms"].append("沿街讨要")
    after = load_policy(edited)
    assert after.version != before
    assert policy_version(document) == before
    assert after.lexicon.matcher.analyze("孩子在沿街讨要").has("begging")


def test_edited_deadline_is_used(document: dict[str, Any]) -> None:
    document["levels"]["red"]["acknowledge_within"] = {"amount": 10, "unit": "minutes"}
    assert load_policy(document).levels[Urgency.RED].acknowledge_within == Deadline(10, "minutes")


def _set(doc: dict[str, Any], path: tuple, value: Any) -> None:
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(doc: dict[str, Any], path: tuple) -> None:
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("levels", "red", "acknowledge_within", "unit"), "weeks", "levels.red.acknowledge_within.unit"),
        (("levels", "orange", "feedback_within", "amount"), 0, "levels.orange.feedback_within.amount"),
        (("levels", "purple"), {}, "levels.purple"),
        (("catalogue", "entries", 0, "lead"), "army", "catalogue.sexual_abuse.lead"),
        (("catalogue", "entries", 0, "default_level"), "pink", "catalogue.sexual_abuse.default_level"),
        (("catalogue", "entries", 0, "assisting"), ["nobody"], "catalogue.sexual_abuse.assisting"),
        (
            ("catalogue", "entries", 0, "escalate"),
            [{"level": "red", "when_any": ["moon_is_full"]}],
            "catalogue.sexual_abuse.escalate[0].when_any",
        ),
        (("catalogue", "entries", 1, "colour"), "x", "catalogue.physical_abuse.colour"),
        (("calendar", "holidays"), ["2026-13-01"], "calendar.holidays[0]"),
        (("calendar", "makeup_workdays"), ["2026-01-01"], "calendar.makeup_workdays"),
        (("lexicon", "signals", "begging", "terms"), [""], "lexicon.signals.begging.terms"),
        (("lexicon", "signals", "begging", "negatable"), "yes", "lexicon.signals.begging.negatable"),
        (("lexicon", "settings", "gap_max_chars"), -1, "lexicon.settings.gap_max_chars"),
        (("lexicon", "combos", 0, "scope"), "page", "lexicon.combos[0].scope"),
        (("lexicon", "combos", 0, "all_of"), [["no_such_signal"]], "lexicon.combos[0].all_of"),
        (("lexicon", "observations", "bruises"), [], "lexicon.observations.bruises"),
        (("lexicon", "age_words", "初一"), [12], "lexicon.age_words.初一"),
        (("lexicon", "sparkle"), {}, "lexicon.sparkle"),
        (("extra_section",), {}, "extra_section"),
    ],
)
def test_validation_names_the_bad_key(document: dict[str, Any], path: tuple, value: Any, message: str) -> None:
    _set(document, path, value)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_policy(document)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("levels", "blue"), "levels.blue"),
        (("lexicon", "signals", "begging"), "unknown signal 'begging'"),
        (("calendar",), "calendar"),
    ],
)
def test_missing_parts_are_named(document: dict[str, Any], path: tuple, message: str) -> None:
    _delete(document, path)
    with pytest.raises(ValueError, match=message):
        load_policy(document)


def test_missing_catalogue_entry_is_named(document: dict[str, Any]) -> None:
    document["catalogue"]["entries"] = [e for e in document["catalogue"]["entries"] if e["category"] != "hardship"]
    with pytest.raises(ValueError, match="catalogue.hardship"):
        load_policy(document)


def test_not_an_object() -> None:
    with pytest.raises(ValueError, match="policy"):
        load_policy([])  # type: ignore[arg-type]
