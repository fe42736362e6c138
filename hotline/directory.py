"""The agency directory as CSV (``hotline agencies import/export``).

Import is all-or-nothing: every row is checked first (agency type, division code, phone numbers
in E.164), and a file with any bad row changes nothing and reports each bad line. A row with an
``id`` updates that agency; a row without creates one. Missing divisions are created with their
parents derived from the code (GB/T 2260 nesting). Every change is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.models import Agency, Jurisdiction
from hotline.taxonomy import AgencyType
from intake_forms.schema import normalise_phone

COLUMNS = (
    "id",
    "name",
    "agency_type",
    "jurisdiction_code",
    "jurisdiction_name",
    "duty_phone",
    "backup_phone",
    "voice_phone",
    "language",
    "active",
)
LEVEL_BY_LENGTH = {12: "village", 9: "township"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def export_agencies(session: Session) -> str:
    """Every agency as CSV text (UTF-8, header row), in id order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    names = dict(session.execute(select(Jurisdiction.code, Jurisdiction.name)).all())
    for agency in session.scalars(select(Agency).order_by(Agency.id)):
        writer.writerow(
            {
                "id": agency.id,
                "name": agency.name,
                "agency_type": agency.agency_type,
                "jurisdiction_code": agency.jurisdiction_code,
                "jurisdiction_name": names.get(agency.jurisdiction_code, ""),
                "duty_phone": agency.duty_phone,
                "backup_phone": agency.backup_phone or "",
                "voice_phone": agency.voice_phone or "",
                "language": agency.language,
                "active": "true" if agency.active else "false",
            }
        )
    return out.getvalue()


def _phone(value: str, column: str, line: int, errors: list[str], required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors.append(f"line {line}: {column} is required")
        return None
    try:
        return normalise_phone(value)
    except ValueError:
        errors.append(f"line {line}: {column} {value!r} is not a valid phone number")
        return None


def _parent_code(code: str) -> str | None:
    if len(code) == 12:
        return code[:9]
    if len(code) == 9:
        return code[:6]
    if code.endswith("0000"):
        return None
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


def _ensure_jurisdiction(session: Session, code: str, name: str | None) -> None:
    """Create the division (and any missing parent) if it does not exist; rename it if named."""
    existing = session.get(Jurisdiction, code)
    if existing is not None:
        if name and existing.name != name:
            existing.name = name
        return
    parent = _parent_code(code)
    if parent is not None:
        _ensure_jurisdiction(session, parent, None)
    level = LEVEL_BY_LENGTH.get(len(code)) or (
        "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
    )
    session.add(Jurisdiction(code=code, name=name or code, parent_code=parent, level=level))
    session.flush()


def import_agencies(session: Session, rows: Iterable[dict[str, str]], actor: Actor) -> ImportResult:
    """Validate every row, then create or update agencies; nothing changes if any row is bad."""
    result = ImportResult()
    valid: list[tuple[int, dict]] = []
    for line, row in enumerate(rows, start=2):
        errors: list[str] = []
        unknown = set(row) - set(COLUMNS)
        if unknown:
            errors.append(f"line {line}: unknown columns {sorted(c for c in unknown if c)}")
        name = (row.get("name") or "").strip()
        if not name:
            errors.append(f"line {line}: name is required")
        agency_type = (row.get("agency_type") or "").strip()
        if agency_type not in set(AgencyType):
            errors.append(f"line {line}: agency_type {agency_type!r} is not one of {', '.join(AgencyType)}")
        code = (row.get("jurisdiction_code") or "").strip()
        if not (code.isdigit() and len(code) in (6, 9, 12)):
            errors.append(f"line {line}: jurisdiction_code {code!r} must be a 6, 9 or 12 digit division code")
        active_raw = (row.get("active") or "true").strip().lower()
        if active_raw not in ("true", "false", "1", "0", "yes", "no"):
            errors.append(f"line {line}: active must be true or false")
        language = (row.get("language") or "zh").strip() or "zh"
        if language not in ("zh", "en"):
            errors.append(f"line {line}: language must be zh or en")
        agency_id = (row.get("id") or "").strip()
        if agency_id and not agency_id.isdigit():
            errors.append(f"line {line}: id must be a number")
        values = {
            "name": name,
            "agency_type": agency_type,
            "jurisdiction_code": code,
            "duty_phone": _phone(row.get("duty_phone", ""), "duty_phone", line, errors, required=True),
            "backup_phone": _phone(row.get("backup_phone", ""), "backup_phone", line, errors),
            "voice_phone": _phone(row.get("voice_phone", ""), "voice_phone", line, errors),
            "language": language,
            "active": active_raw in ("true", "1", "yes"),
        }
        if agency_id.isdigit() and session.get(Agency, int(agency_id)) is None:
            errors.append(f"line {line}: no agency with id {agency_id}")
        if errors:
            result.errors.extend(errors)
            continue
        valid.append(
            (
                line,
                {
                    "id": int(agency_id) if agency_id else None,
                    "jname": row.get("jurisdiction_name"),
                    **values,
                },
            )
        )
    if result.errors:
        return result
    for _line, values in valid:
        agency_id = values.pop("id")
        _ensure_jurisdiction(session, values["jurisdiction_code"], (values.pop("jname") or "").strip() or None)
        if agency_id is None:
            agency = Agency(**values)
            session.add(agency)
            session.flush()
            result.created += 1
            action = "agency.created"
        else:
            agency = session.get(Agency, agency_id)
            assert agency is not None
            for key, value in values.items():
                setattr(agency, key, value)
            result.updated += 1
            action = "agency.updated"
        audit.record(session, actor, action, subject_type="agency", subject_id=agency.id, details={"name": agency.name})
    session.flush()
    return result


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of a CSV text (a UTF-8 byte-order mark from spreadsheet programs is ignored)."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
