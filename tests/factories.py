"""Factories: build valid rows with sensible defaults, overridable per test."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from sqlalchemy.orm import Session

from hotline.audit import Actor
from hotline.models import Agency, ApiToken, Jurisdiction, Report, User
from hotline.operations import submit_report
from hotline.security import hash_password
from hotline.seed import seed_demo
from hotline.taxonomy import UserRole
from intake_forms.schema import parse_intake

_numbers = itertools.count(1)

RED_INTAKE: dict[str, Any] = {
    "channel": "web",
    "reporter": {"role": "teacher", "institution": "某小学", "name": "李老师", "phone": "+8613800000101"},
    "child": {"name": "小明", "age": 9, "sex": "male", "location_now": "school"},
    "jurisdiction": {"code": "330102001", "address": "湖滨街道"},
    "screening": {
        "immediate_danger": "no",
        "perpetrator_access_24h": "yes",
        "needs_medical_care_now": "no",
        "missing": "no",
        "self_harm_risk": "no",
        "observed": ["multiple_injuries"],
    },
    "alleged_perpetrator": {"relationship": "parent"},
    "narrative": "孩子背部和手臂有多处淤青,说是爸爸用皮带打的,今天放学爸爸来接,孩子不敢回家。",
}

BLUE_INTAKE: dict[str, Any] = {
    "channel": "web",
    "narrative": "想咨询一下学校老师发现学生可能受到侵害时应该向哪里报告,有没有相关规定。",
}


def jurisdiction(session: Session, code: str, name: str, parent: str | None, level: str) -> Jurisdiction:
    row = Jurisdiction(code=code, name=name, parent_code=parent, level=level)
    session.add(row)
    session.flush()
    return row


def agency(session: Session, **fields: Any) -> Agency:
    n = next(_numbers)
    values: dict[str, Any] = {
        "name": f"测试单位{n}",
        "agency_type": "police",
        "jurisdiction_code": "330102",
        "duty_phone": f"+86139{n:08d}",
    }
    values.update(fields)
    row = Agency(**values)
    session.add(row)
    session.flush()
    return row


def user(
    session: Session, role: str = UserRole.OPERATOR, password: str = "correct horse battery", **fields: Any
) -> User:
    n = next(_numbers)
    values: dict[str, Any] = {
        "username": f"{role}{n}",
        "display_name": f"{role} {n}",
        "password_hash": hash_password(password),
        "role": role,
    }
    values.update(fields)
    row = User(**values)
    session.add(row)
    session.flush()
    return row


def api_token(session: Session, value: str = "test-token", scopes: str = "reports:read reports:write") -> str:
    session.add(ApiToken(name="test", token_hash=hashlib.sha256(value.encode()).hexdigest(), scopes=scopes))
    session.flush()
    return value


def demo_area(session: Session, instance_path: str) -> None:
    seed_demo(session, instance_path)
    session.flush()


def lead_of(report: Report):
    """The report's lead (主办) assignment."""
    return next(a for a in report.assignments if a.role == "lead")


def report(session: Session, data: dict[str, Any] | None = None) -> tuple[Report, str]:
    """Submit a report as the web form would (not committed: the caller commits)."""
    return submit_report(
        session,
        parse_intake(data or RED_INTAKE),
        Actor("reporter", None, "test"),
        timezone="Asia/Shanghai",
        base_url="http://localhost",
    )
