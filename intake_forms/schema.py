"""The intake interchange format v1 (INTAKE_SCHEMA.md) as plain dataclasses, and its parser.

Every channel (web form, operator form, API, 12345 work orders, evaluation files) produces an
``IntakeData``. ``parse_intake`` turns a JSON object into one and rejects unknown fields and bad
values with an ``IntakeError`` naming the field at fault, so a caller can answer 422 precisely.
Pure: no Flask, no database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import phonenumbers

from hotline.taxonomy import (
    AgeRange,
    Answer,
    Channel,
    LocationNow,
    Observation,
    Relationship,
    ReporterRole,
    Sex,
)

EnumT = TypeVar("EnumT")

MAX_NARRATIVE_CHARS = 20_000
MAX_TEXT_CHARS = 200


class IntakeError(ValueError):
    """A field of an intake object is invalid; ``errors`` maps each field path to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Reporter:
    role: ReporterRole | None = None
    institution: str | None = None
    name: str | None = None
    phone: str | None = None
    anonymous: bool = False


@dataclass(frozen=True)
class Child:
    name: str | None = None
    age: int | None = None
    age_range: AgeRange | None = None
    sex: Sex | None = None
    school_or_institution: str | None = None
    location_now: LocationNow | None = None


@dataclass(frozen=True)
class Jurisdiction:
    code: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Screening:
    immediate_danger: Answer = Answer.UNKNOWN
    perpetrator_access_24h: Answer = Answer.UNKNOWN
    needs_medical_care_now: Answer = Answer.UNKNOWN
    missing: Answer = Answer.UNKNOWN
    self_harm_risk: Answer = Answer.UNKNOWN
    observed: tuple[Observation, ...] = ()


@dataclass(frozen=True)
class AllegedPerpetrator:
    relationship: Relationship | None = None


@dataclass(frozen=True)
class IntakeData:
    """One report as it arrived: the INTAKE_SCHEMA v1 object."""

    narrative: str
    id: str | None = None
    channel: Channel | None = None
    received_at: datetime | None = None
    reporter: Reporter = field(default_factory=Reporter)
    child: Child = field(default_factory=Child)
    jurisdiction: Jurisdiction = field(default_factory=Jurisdiction)
    screening: Screening = field(default_factory=Screening)
    alleged_perpetrator: AllegedPerpetrator = field(default_factory=AllegedPerpetrator)

    def to_json(self) -> dict[str, Any]:
        """The INTAKE_SCHEMA object for this intake (absent fields left out)."""
        return _to_json(self)


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        out = {}
        for f in dataclasses.fields(value):
            item = _to_json(getattr(value, f.name))
            if item not in (None, {}, ()):
                out[f.name] = item
        return out
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def normalise_phone(raw: str, default_region: str = "CN") -> str:
    """A phone number in E.164 form, or ``ValueError`` if it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("不是有效的电话号码 / not a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("不是有效的电话号码 / not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _Parser:
    """Collects every error of one object instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def section(self, data: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
        value = data.get(name)
        if value is None or value == "unknown":
            return {}
        if not isinstance(value, dict):
            self.errors[name] = "应为对象 / must be an object"
            return {}
        self.unknown_keys(value, allowed, prefix=f"{name}.")
        return value

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.errors[f"{prefix}{key}"] = "未知字段 / unknown field"

    def text(self, data: dict[str, Any], key: str, path: str, limit: int = MAX_TEXT_CHARS) -> str | None:
        value = data.get(key)
        if value is None or value == "unknown":
            return None
        if not isinstance(value, str):
            self.errors[path] = "应为文本 / must be a string"
            return None
        value = value.strip()
        if len(value) > limit:
            self.errors[path] = f"过长(最多 {limit} 字)/ too long (at most {limit} characters)"
            return None
        return value or None

    def choice(self, data: dict[str, Any], key: str, path: str, enum: type[EnumT]) -> EnumT | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return enum(value)  # type: ignore[call-arg]
        except ValueError:
            allowed = ", ".join(str(member) for member in enum)  # type: ignore[attr-defined]
            self.errors[path] = f"取值无效 / must be one of: {allowed}"
            return None

    def answer(self, data: dict[str, Any], key: str) -> Answer:
        return self.choice(data, key, f"screening.{key}", Answer) or Answer.UNKNOWN


def parse_intake(data: Any) -> IntakeData:
    """Validate one INTAKE_SCHEMA v1 object; raise ``IntakeError`` listing every bad field."""
    if not isinstance(data, dict):
        raise IntakeError({"": "应为 JSON 对象 / must be a JSON object"})
    p = _Parser()
    p.unknown_keys(data, {f.name for f in dataclasses.fields(IntakeData)})

    narrative = data.get("narrative")
    if not isinstance(narrative, str) or not narrative.strip():
        p.errors["narrative"] = "必填 / required: describe what happened"
        narrative = ""
    elif len(narrative) > MAX_NARRATIVE_CHARS:
        p.errors["narrative"] = f"过长 / too long (at most {MAX_NARRATIVE_CHARS} characters)"

    received_at = None
    raw_received = data.get("received_at")
    if raw_received is not None:
        try:
            received_at = datetime.fromisoformat(str(raw_received))
            if received_at.tzinfo is None:
                raise ValueError
        except ValueError:
            p.errors["received_at"] = "应为带时区的 ISO 8601 时间 / must be ISO 8601 with a UTC offset"
            received_at = None

    rep = p.section(data, "reporter", {f.name for f in dataclasses.fields(Reporter)})
    phone = p.text(rep, "phone", "reporter.phone", 40)
    if phone:
        try:
            phone = normalise_phone(phone)
        except ValueError as exc:
            p.errors["reporter.phone"] = str(exc)
    anonymous = rep.get("anonymous", False)
    if not isinstance(anonymous, bool):
        p.errors["reporter.anonymous"] = "应为 true 或 false / must be true or false"
        anonymous = False
    reporter = Reporter(
        role=p.choice(rep, "role", "reporter.role", ReporterRole),
        institution=p.text(rep, "institution", "reporter.institution"),
        name=p.text(rep, "name", "reporter.name", 100),
        phone=phone,
        anonymous=anonymous,
    )

    ch = p.section(data, "child", {f.name for f in dataclasses.fields(Child)})
    age = ch.get("age")
    if age == "unknown":
        age = None
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 17):
        p.errors["child.age"] = "应为 0 到 17 的整数 / must be a whole number from 0 to 17"
        age = None
    child = Child(
        name=p.text(ch, "name", "child.name", 100),
        age=age,
        age_range=p.choice(ch, "age_range", "child.age_range", AgeRange),
        sex=p.choice(ch, "sex", "child.sex", Sex),
        school_or_institution=p.text(ch, "school_or_institution", "child.school_or_institution"),
        location_now=p.choice(ch, "location_now", "child.location_now", LocationNow),
    )

    ju = p.section(data, "jurisdiction", {"code", "address"})
    code = p.text(ju, "code", "jurisdiction.code", 12)
    if code and not (code.isdigit() and len(code) in (6, 9, 12)):
        p.errors["jurisdiction.code"] = "应为 6、9 或 12 位行政区划代码 / must be a 6, 9 or 12 digit division code"
    jurisdiction = Jurisdiction(code=code, address=p.text(ju, "address", "jurisdiction.address"))

    sc = p.section(data, "screening", {f.name for f in dataclasses.fields(Screening)})
    observed_raw = sc.get("observed", [])
    observed: list[Observation] = []
    if observed_raw == "unknown" or observed_raw is None:
        observed_raw = []
    if not isinstance(observed_raw, list):
        p.errors["screening.observed"] = "应为列表 / must be a list"
    else:
        for index, item in enumerate(observed_raw):
            try:
                observation = Observation(item)
            except ValueError:
                p.errors[f"screening.observed[{index}]"] = "取值无效 / unknown observation"
                continue
            if observation not in observed:
                observed.append(observation)
    screening = Screening(
        immediate_danger=p.answer(sc, "immediate_danger"),
        perpetrator_access_24h=p.answer(sc, "perpetrator_access_24h"),
        needs_medical_care_now=p.answer(sc, "needs_medical_care_now"),
        missing=p.answer(sc, "missing"),
        self_harm_risk=p.answer(sc, "self_harm_risk"),
        observed=tuple(observed),
    )

    ap = p.section(data, "alleged_perpetrator", {"relationship"})
    perpetrator = AllegedPerpetrator(
        relationship=p.choice(ap, "relationship", "alleged_perpetrator.relationship", Relationship)
    )

    intake_id = p.text(data, "id", "id", 64)
    channel = p.choice(data, "channel", "channel", Channel)
    if p.errors:
        raise IntakeError(p.errors)
    return IntakeData(
        narrative=narrative.strip(),
        id=intake_id,
        channel=channel,
        received_at=received_at,
        reporter=reporter,
        child=child,
        jurisdiction=jurisdiction,
        screening=screening,
        alleged_perpetrator=perpetrator,
    )
