"""The triage policy as data: levels and deadlines, the dispatch catalogue, the working-day
calendar and the narrative lexicon (TRIAGE_POLICY.md).

An administrator edits the policy as one plain JSON document (later in a web UI, with every change
audited); ``load_policy`` validates it, failing with a ``ValueError`` that names the bad key, and
compiles it once (matchers, rule tables) so that classifying a report is cheap. The version is a
hash of the canonical document, so any edit gives a new version and every triage result records
the exact policy it used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from hotline.taxonomy import AgencyType, Category, Observation, Urgency
from triage.text import Matcher

DATA_DIR = Path(__file__).parent / "data"

Unit = Literal["minutes", "hours", "days", "working_days"]

#: Facts the engine establishes for each report; catalogue rules may refer to these names only.
FACTS = frozenset(
    {
        "immediate_danger",
        "perpetrator_access_24h",
        "harm_happening_now",
        "afraid_to_go_home",
        "confined_now",
        "young_child_alone_now",
        "suicide_risk_now",
        "begging_now",
        "threat_within_24h",
        "online_meeting_soon",
        "medical_care_now",
        "mandatory_report",
        "injury",
        "sexual_online",
        "pregnancy",
        "pregnancy_under_14",
        "school_staff_involved",
        "student",
        "self_harm_injury",
    }
)

#: Signals the engine reads; a lexicon must define each (as a signal or a combo).
REQUIRED_SIGNALS = frozenset(
    {
        "sexual_act",
        "sexual_contact",
        "genital_injury",
        "pregnancy",
        "abortion",
        "injury",
        "multiple_injuries",
        "malnutrition",
        "unconscious",
        "drugged",
        "violence_context",
        "beating",
        "bullying",
        "bullying_weak",
        "peer_violence",
        "threat",
        "exploitation",
        "online_harm",
        "sexual_online",
        "suicide_ideation",
        "self_harm_act",
        "death",
        "disability",
        "poisoning",
        "accidental",
        "missing",
        "trafficked",
        "begging",
        "alone_long",
        "abandoned",
        "guardianship",
        "hardship",
        "education_rights",
        "entertainment_venue",
        "retail_sale",
        "child_labour",
        "work_injury",
        "early_marriage",
        "counselling",
        "legal_aid",
        "inquiry",
        "perpetrator_present",
        "protective",
        "afraid_home",
        "harm_now",
        "alone_now",
        "confined_now",
        "suicide_now",
        "begging_now",
        "threat_soon",
        "soon_with_adult",
        "medical_now",
        "student",
        "school_staff_involved",
        "person_adult",
        "household_member",
        "unconscious_now",
        "serious_accident",
        "sexual_online_ctx",
        "sexual_demand",
        "no_specific_case",
        "request",
        "serious_assault",
    }
)

DOCUMENT_SECTIONS = ("levels", "catalogue", "calendar", "lexicon")


@dataclass(frozen=True)
class Deadline:
    """A time limit; calendar units run 24×7, ``working_days`` follow the policy's calendar."""

    amount: int
    unit: Unit


@dataclass(frozen=True)
class LevelPolicy:
    """Deadlines of one urgency level (TRIAGE_POLICY §1)."""

    code: Urgency
    acknowledge_within: Deadline
    feedback_within: Deadline


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the dispatch catalogue (TRIAGE_POLICY §4)."""

    category: Category
    lead: AgencyType
    assisting: tuple[AgencyType, ...]
    default_level: Urgency


@dataclass(frozen=True)
class Escalation:
    """Raise to ``level`` when any of ``when_any`` facts holds."""

    level: Urgency
    when_any: frozenset[str]


@dataclass(frozen=True)
class ConditionalAgency:
    """Add ``agency`` as assisting when any of ``when_any`` facts holds."""

    agency: AgencyType
    when_any: frozenset[str]


@dataclass(frozen=True)
class LeadOverride:
    """Use ``lead`` instead of the catalogue lead when a narrative signal is (and another is not) found."""

    lead: AgencyType
    when_signal: str
    unless_signal: str | None


@dataclass(frozen=True)
class CategoryRules:
    """The conditional parts of a catalogue row, compiled."""

    escalate: tuple[Escalation, ...] = ()
    conditional_assisting: tuple[ConditionalAgency, ...] = ()
    lead_overrides: tuple[LeadOverride, ...] = ()
    subsumed_by: frozenset[Category] = frozenset()
    residual: bool = False


@dataclass(frozen=True)
class Lexicon:
    """Everything compiled for the engine besides levels, catalogue and calendar.

    ``matcher`` analyses narratives; ``observations`` maps the form's checkboxes to the same
    signals; ``rules`` holds each category's conditional escalations and agencies, and ``global_*``
    the ones that apply whatever the category.
    """

    matcher: Matcher
    observations: Mapping[Observation, tuple[str, ...]]
    rules: Mapping[Category, CategoryRules]
    global_escalate: tuple[Escalation, ...]
    global_assisting: tuple[ConditionalAgency, ...]


@dataclass(frozen=True)
class Policy:
    """A validated, compiled policy document."""

    version: str
    levels: dict[Urgency, LevelPolicy]
    catalogue: dict[Category, CatalogueEntry]
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    lexicon: Lexicon
    document: dict


def default_policy_document() -> dict:
    """The shipped default: ``triage/data/<section>.json`` files combined into one JSON document."""
    return {
        section: json.loads((DATA_DIR / f"{section}.json").read_text(encoding="utf-8")) for section in DOCUMENT_SECTIONS
    }


def policy_version(document: Mapping[str, Any]) -> str:
    """``sha256:<first 12 hex>`` of the canonical JSON form of ``document``."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def load_policy(document: dict) -> Policy:
    """Validate ``document`` and compile it; ``ValueError`` names the first bad key."""
    if not isinstance(document, Mapping):
        raise ValueError("policy: must be a JSON object")
    for section in DOCUMENT_SECTIONS:
        if not isinstance(document.get(section), Mapping):
            raise ValueError(f"{section}: missing or not an object")
    unknown = [key for key in document if key not in DOCUMENT_SECTIONS and not key.startswith("_")]
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown section")
    try:
        version = policy_version(document)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"policy: not plain JSON ({exc})") from exc
    levels = _levels(document["levels"])
    catalogue, rules = _catalogue(document["catalogue"])
    holidays, makeup = _calendar(document["calendar"])
    matcher = Matcher(document["lexicon"])
    missing = sorted(REQUIRED_SIGNALS - matcher.known_signals)
    if missing:
        raise ValueError(f"lexicon.signals.{missing[0]}: required by the engine but not defined")
    observations = _observations(document["lexicon"].get("observations"), matcher.known_signals)
    for category, entry_rules in rules.items():
        for override in entry_rules.lead_overrides:
            for signal in (override.when_signal, override.unless_signal):
                if signal is not None and signal not in matcher.known_signals:
                    raise ValueError(f"catalogue.{category}.lead_overrides: unknown signal {signal!r}")
    cat_doc = document["catalogue"]
    lexicon = Lexicon(
        matcher=matcher,
        observations=observations,
        rules=rules,
        global_escalate=_escalations(cat_doc.get("global_escalate", []), "catalogue.global_escalate"),
        global_assisting=_conditional(
            cat_doc.get("global_conditional_assisting", []), "catalogue.global_conditional_assisting"
        ),
    )
    return Policy(
        version=version,
        levels=levels,
        catalogue=catalogue,
        holidays=holidays,
        makeup_workdays=makeup,
        lexicon=lexicon,
        document=document,
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The shipped policy, loaded once per process."""
    return load_policy(default_policy_document())


def _enum(enum: type, value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(member) for member in enum)
        raise ValueError(f"{where}: {value!r} is not one of {allowed}") from None


def _deadline(raw: Any, where: str) -> Deadline:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: must be an object with amount and unit")
    amount = raw.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"{where}.amount: must be a whole number above 0")
    unit = raw.get("unit")
    if unit not in get_args(Unit):
        raise ValueError(f"{where}.unit: must be one of {', '.join(get_args(Unit))}")
    return Deadline(amount, unit)


def _levels(raw: Mapping[str, Any]) -> dict[Urgency, LevelPolicy]:
    levels = {}
    for key in raw:
        if not key.startswith("_"):
            _enum(Urgency, key, f"levels.{key}")
    for level in Urgency:
        item = raw.get(level.value)
        where = f"levels.{level.value}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: missing")
        levels[level] = LevelPolicy(
            code=level,
            acknowledge_within=_deadline(item.get("acknowledge_within"), f"{where}.acknowledge_within"),
            feedback_within=_deadline(item.get("feedback_within"), f"{where}.feedback_within"),
        )
    return levels


def _facts(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: must be a non-empty list of facts")
    for fact in raw:
        if fact not in FACTS:
            raise ValueError(f"{where}: unknown fact {fact!r}")
    return frozenset(raw)


def _escalations(raw: Any, where: str) -> tuple[Escalation, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: must be a list")
    return tuple(
        Escalation(
            _enum(Urgency, item.get("level"), f"{where}[{i}].level"),
            _facts(item.get("when_any"), f"{where}[{i}].when_any"),
        )
        for i, item in enumerate(_objects(raw, where))
    )


def _conditional(raw: Any, where: str) -> tuple[ConditionalAgency, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: must be a list")
    return tuple(
        ConditionalAgency(
            _enum(AgencyType, item.get("agency"), f"{where}[{i}].agency"),
            _facts(item.get("when_any"), f"{where}[{i}].when_any"),
        )
        for i, item in enumerate(_objects(raw, where))
    )


def _objects(raw: list, where: str) -> list[Mapping[str, Any]]:
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}[{i}]: must be an object")
    return raw


_CATALOGUE_KEYS = {"entries", "global_escalate", "global_conditional_assisting"}
_ENTRY_KEYS = {
    "category",
    "lead",
    "assisting",
    "default_level",
    "escalate",
    "conditional_assisting",
    "lead_overrides",
    "subsumed_by",
    "residual",
}


def _catalogue(
    raw: Mapping[str, Any],
) -> tuple[dict[Category, CatalogueEntry], dict[Category, CategoryRules]]:
    unknown = sorted(k for k in raw if k not in _CATALOGUE_KEYS and not k.startswith("_"))
    if unknown:
        raise ValueError(f"catalogue.{unknown[0]}: unknown key")
    entries = raw.get("entries")
    if not isinstance(entries, list):
        raise ValueError("catalogue.entries: must be a list")
    catalogue: dict[Category, CatalogueEntry] = {}
    rules: dict[Category, CategoryRules] = {}
    for i, item in enumerate(_objects(entries, "catalogue.entries")):
        category = _enum(Category, item.get("category"), f"catalogue.entries[{i}].category")
        where = f"catalogue.{category.value}"
        if category in catalogue:
            raise ValueError(f"{where}: listed twice")
        extra = sorted(set(item) - _ENTRY_KEYS)
        if extra:
            raise ValueError(f"{where}.{extra[0]}: unknown key")
        assisting = item.get("assisting", [])
        if not isinstance(assisting, list):
            raise ValueError(f"{where}.assisting: must be a list")
        catalogue[category] = CatalogueEntry(
            category=category,
            lead=_enum(AgencyType, item.get("lead"), f"{where}.lead"),
            assisting=tuple(_enum(AgencyType, a, f"{where}.assisting") for a in assisting),
            default_level=_enum(Urgency, item.get("default_level"), f"{where}.default_level"),
        )
        overrides = item.get("lead_overrides", [])
        if not isinstance(overrides, list):
            raise ValueError(f"{where}.lead_overrides: must be a list")
        subsumed = item.get("subsumed_by", [])
        if not isinstance(subsumed, list):
            raise ValueError(f"{where}.subsumed_by: must be a list")
        residual = item.get("residual", False)
        if not isinstance(residual, bool):
            raise ValueError(f"{where}.residual: must be true or false")
        rules[category] = CategoryRules(
            escalate=_escalations(item.get("escalate", []), f"{where}.escalate"),
            conditional_assisting=_conditional(item.get("conditional_assisting", []), f"{where}.conditional_assisting"),
            lead_overrides=tuple(
                LeadOverride(
                    lead=_enum(AgencyType, o.get("lead"), f"{where}.lead_overrides[{j}].lead"),
                    when_signal=_signal_name(o.get("when_signal"), f"{where}.lead_overrides[{j}].when_signal"),
                    unless_signal=(
                        None
                        if o.get("unless_signal") is None
                        else _signal_name(o.get("unless_signal"), f"{where}.lead_overrides[{j}].unless_signal")
                    ),
                )
                for j, o in enumerate(_objects(overrides, f"{where}.lead_overrides"))
            ),
            subsumed_by=frozenset(_enum(Category, c, f"{where}.subsumed_by") for c in subsumed),
            residual=residual,
        )
    absent = [c.value for c in Category if c not in catalogue]
    if absent:
        raise ValueError(f"catalogue.{absent[0]}: every category needs a catalogue entry")
    return catalogue, rules


def _signal_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: must be a signal name")
    return value


def _dates(raw: Any, where: str) -> frozenset[date]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: must be a list of YYYY-MM-DD dates")
    out = set()
    for i, value in enumerate(raw):
        try:
            out.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ValueError(f"{where}[{i}]: {value!r} is not a YYYY-MM-DD date") from None
    return frozenset(out)


def _calendar(raw: Mapping[str, Any]) -> tuple[frozenset[date], frozenset[date]]:
    holidays = _dates(raw.get("holidays", []), "calendar.holidays")
    makeup = _dates(raw.get("makeup_workdays", []), "calendar.makeup_workdays")
    both = sorted(holidays & makeup)
    if both:
        raise ValueError(f"calendar.makeup_workdays: {both[0].isoformat()} is also a holiday")
    return holidays, makeup


def _observations(raw: Any, known: frozenset[str]) -> dict[Observation, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise ValueError("lexicon.observations: must be an object")
    out: dict[Observation, tuple[str, ...]] = {}
    for key, signals in raw.items():
        observation = _enum(Observation, key, f"lexicon.observations.{key}")
        if not isinstance(signals, list):
            raise ValueError(f"lexicon.observations.{key}: must be a list of signals")
        for signal in signals:
            if signal not in known:
                raise ValueError(f"lexicon.observations.{key}: unknown signal {signal!r}")
        out[observation] = tuple(signals)
    return out
