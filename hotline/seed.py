"""The demo area: a small county with one agency of every type, and demo accounts.

Seeded on the first start of the embedded default so a newcomer can file a report and watch it be
triaged and dispatched. The numbers are unassigned test numbers; passwords are random and written
to ``instance/demo-logins.txt`` (readable by the owner only).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Agency, Jurisdiction, User
from hotline.security import hash_password
from hotline.taxonomy import AGENCY_TYPE_LABELS, AgencyType, UserRole

DEMO_JURISDICTIONS = (
    ("330000", "浙江省", None, "province"),
    ("330100", "杭州市", "330000", "city"),
    ("330102", "上城区", "330100", "county"),
    ("330102001", "湖滨街道(演示)", "330102", "township"),
    ("330102002", "清波街道(演示)", "330102", "township"),
)
DEMO_COUNTY = "330102"


def _demo_phone(index: int) -> str:
    return f"+86139{index:08d}"


def seed_demo(session: Session, instance_path: str) -> list[tuple[str, str, str]] | None:
    """Seed the demo area into an empty database; returns (username, password, role) or None."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    for code, name, parent, level in DEMO_JURISDICTIONS:
        if session.get(Jurisdiction, code) is None:
            session.add(Jurisdiction(code=code, name=name, parent_code=parent, level=level))
    session.flush()
    agencies: dict[str, Agency] = {}
    for index, agency_type in enumerate(AgencyType, start=1):
        agency = Agency(
            name=f"上城区{AGENCY_TYPE_LABELS[agency_type][0]}(演示)",
            agency_type=agency_type,
            jurisdiction_code=DEMO_COUNTY,
            duty_phone=_demo_phone(index),
            backup_phone=_demo_phone(100 + index),
            voice_phone=_demo_phone(200 + index) if agency_type == AgencyType.POLICE else None,
        )
        session.add(agency)
        agencies[agency_type] = agency
    station = Agency(
        name="湖滨派出所(演示)",
        agency_type=AgencyType.POLICE,
        jurisdiction_code="330102001",
        duty_phone=_demo_phone(301),
        backup_phone=_demo_phone(302),
        voice_phone=_demo_phone(303),
    )
    city_office = Agency(
        name="杭州市未成年人保护工作领导小组办公室(演示)",
        agency_type=AgencyType.MINOR_PROTECTION_OFFICE,
        jurisdiction_code="330100",
        duty_phone=_demo_phone(401),
    )
    session.add_all([station, city_office])
    session.flush()
    accounts = [
        ("operator", "接线员 小王", UserRole.OPERATOR, None, None),
        ("supervisor", "未保办 督导", UserRole.SUPERVISOR, None, DEMO_COUNTY),
        ("admin", "系统管理员", UserRole.ADMIN, None, None),
        ("police", "上城区公安 值班", UserRole.AGENCY_STAFF, agencies[AgencyType.POLICE].id, None),
        ("civil", "上城区民政 值班", UserRole.AGENCY_STAFF, agencies[AgencyType.CIVIL_AFFAIRS].id, None),
    ]
    logins = []
    for username, display, role, agency_id, jurisdiction in accounts:
        password = secrets.token_urlsafe(9)
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=hash_password(password),
                role=role,
                agency_id=agency_id,
                jurisdiction_code=jurisdiction,
            )
        )
        logins.append((username, password, role))
    path = Path(instance_path) / "demo-logins.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{u}\t{p}\t{r}\n" for u, p, r in logins), encoding="utf-8")
    path.chmod(0o600)
    return logins
