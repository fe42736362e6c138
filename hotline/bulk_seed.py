"""Realistic volume for benchmarks and demos: ``seed_reports(session, n)`` generates ``n`` reports
spread over the past year, with their triage decisions, assignments, notifications, escalation
steps and audit events, consistent with the policy's deadlines as of ``now``.

Rows are built as plain dicts with explicit ids and written with executemany inserts in chunks
(no ORM objects, no per-row flush), which keeps 100,000 reports to well under a minute on SQLite.
The area is the demo city (杭州市) with several districts and townships; missing divisions and
agencies are added first, existing ones are reused. Every figure is drawn from a seeded random
generator, so the same ``seed`` gives the same data. Names in the rows are synthetic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from hotline.models import (
    Agency,
    Assignment,
    AuditEvent,
    Escalation,
    Jurisdiction,
    Notification,
    Report,
    TriageDecision,
    utcnow,
)
from hotline.operations import make_reference
from hotline.taxonomy import (
    AGENCY_TYPE_LABELS,
    AgencyType,
    AssignmentRole,
    AssignmentStatus,
    Category,
    Channel,
    ReportStatus,
    Urgency,
)
from triage.deadlines import due_at
from triage.escalation import STEPS
from triage.policy import Policy
from triage.policy_store import active_policy

CITY = ("330100", "杭州市", "330000")
DISTRICTS = (
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
)
TOWNSHIPS_PER_DISTRICT = 3
HOME = "330102"
CHUNK = 5000
# A placeholder argon2 hash: seeded reports have no status code anyone could use.
STATUS_CODE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VlZGVkLXJlcG9ydA$c2VlZGVkLXJlcG9ydC1uby1jb2RlLXVzYWJsZQ"
LEVEL_WEIGHTS = {Urgency.RED: 5, Urgency.ORANGE: 25, Urgency.YELLOW: 40, Urgency.BLUE: 30}
CHANNEL_WEIGHTS = {
    Channel.WEB: 35,
    Channel.OPERATOR: 20,
    Channel.PHONE_12345: 20,
    Channel.PHONE_12355: 10,
    Channel.WORKORDER_12345: 10,
    Channel.API: 5,
}
TYPICAL_MR = {
    Category.SEXUAL_ABUSE: ("MR1", "MR2"),
    Category.PHYSICAL_ABUSE: ("MR4",),
    Category.SERIOUS_INJURY_OR_DEATH: ("MR5",),
    Category.ABANDONMENT_NEGLECT: ("MR6",),
    Category.MISSING_TRAFFICKING: ("MR7",),
    Category.ORGANIZED_BEGGING: ("MR8",),
    Category.OTHER_SERIOUS_HARM: ("MR9",),
}
NARRATIVE = "(模拟数据){category}相关情况,报告人描述了所见经过,详见录入。"
HOURLY_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 7, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]


@dataclass
class SeedResult:
    """How many rows of each kind were written."""

    reports: int = 0
    decisions: int = 0
    assignments: int = 0
    notifications: int = 0
    escalations: int = 0
    audit_events: int = 0
    agencies: int = 0


def ensure_area(session: Session) -> dict[tuple[str, str], Agency]:
    """The demo city's divisions and one agency of every type per district (plus a police station
    per township and the city's minor-protection office); returns agencies by (type, code)."""
    wanted = [("330000", "浙江省", None, "province"), (CITY[0], CITY[1], CITY[2], "city")]
    for code, name in DISTRICTS:
        wanted.append((code, name, CITY[0], "county"))
        for index in range(1, TOWNSHIPS_PER_DISTRICT + 1):
            wanted.append((f"{code}{index:03d}", f"{name}第{index}街道", code, "township"))
    existing = set(session.scalars(select(Jurisdiction.code)))
    for code, name, parent, level in wanted:
        if code not in existing:
            session.add(Jurisdiction(code=code, name=name, parent_code=parent, level=level))
    session.flush()
    agencies = {(a.agency_type, a.jurisdiction_code): a for a in session.scalars(select(Agency))}
    phone = 50_000_000 + len(agencies)

    def add(agency_type: AgencyType, code: str, name: str) -> None:
        nonlocal phone
        if (agency_type, code) in agencies:
            return
        phone += 1
        agency = Agency(name=name, agency_type=agency_type, jurisdiction_code=code, duty_phone=f"+86137{phone:08d}")
        session.add(agency)
        agencies[(agency_type, code)] = agency

    add(AgencyType.MINOR_PROTECTION_OFFICE, CITY[0], f"{CITY[1]}未成年人保护工作领导小组办公室")
    for code, name in DISTRICTS:
        for agency_type in AgencyType:
            add(agency_type, code, f"{name}{AGENCY_TYPE_LABELS[agency_type][0]}")
        for index in range(1, TOWNSHIPS_PER_DISTRICT + 1):
            add(AgencyType.POLICE, f"{code}{index:03d}", f"{name}第{index}派出所")
    session.flush()
    return agencies


def _next_id(session: Session, model: type) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _write(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        session.execute(table.insert(), chunk)
    rows.clear()


class _Generator:
    """Builds one report's rows at a time into per-table buffers."""

    def __init__(
        self, session: Session, policy: Policy, agencies: dict[tuple[str, str], Agency], rng: random.Random
    ) -> None:
        self.policy = policy
        self.agencies = agencies
        self.rng = rng
        self.tz = ZoneInfo("Asia/Shanghai")
        self.ids = {model: _next_id(session, model) for model in (Report, Assignment, Notification, AuditEvent)}
        self.ids[Escalation] = _next_id(session, Escalation)
        self.ids[TriageDecision] = _next_id(session, TriageDecision)
        self.rows: dict[type, list[dict[str, Any]]] = {model: [] for model in self.ids}
        self.by_level = {
            level: [c for c, entry in policy.catalogue.items() if entry.default_level == level] for level in Urgency
        }
        self.places = [code for code, _ in DISTRICTS] + [
            f"{code}{i:03d}" for code, _ in DISTRICTS for i in range(1, TOWNSHIPS_PER_DISTRICT + 1)
        ]

    def _id(self, model: type) -> int:
        value = self.ids[model]
        self.ids[model] += 1
        return value

    def _agency(self, agency_type: AgencyType, place: str | None) -> Agency | None:
        county = place[:6] if place else HOME
        if place and len(place) == 9:
            found = self.agencies.get((agency_type, place))
            if found is not None:
                return found
        return self.agencies.get((agency_type, county)) or self.agencies.get((agency_type, CITY[0]))

    def _audit(self, report_id: int, at: datetime, action: str, **values: Any) -> None:
        row = {
            "id": self._id(AuditEvent),
            "occurred_at": at,
            "actor_type": values.pop("actor_type", "system"),
            "actor_id": None,
            "actor_label": values.pop("actor_label", "seed"),
            "action": action,
            "report_id": report_id,
            "subject_type": values.pop("subject_type", "report"),
            "subject_id": values.pop("subject_id", str(report_id)),
            "before": values.pop("before", None),
            "after": values.pop("after", None),
            "reason": None,
            "details": {},
            "ip_address": None,
        }
        self.rows[AuditEvent].append(row)

    def _status(self, report_id: int, at: datetime, before: str | None, after: str) -> None:
        self._audit(report_id, at, "report.status", before=before, after=after)

    def _deadline(self, start: datetime, spec: Any) -> datetime:
        return due_at(start, spec.amount, spec.unit, self.policy.holidays, self.policy.makeup_workdays, self.tz)

    def _response(self, start: datetime, due: datetime, within: float) -> datetime:
        """When an agency answered: usually before ``due``, sometimes (1 - within) after it."""
        window = (due - start).total_seconds()
        if self.rng.random() < within:
            return start + timedelta(seconds=window * self.rng.uniform(0.03, 0.97))
        return due + timedelta(seconds=window * self.rng.expovariate(1.5))

    def received_times(self, n: int, now: datetime) -> list[datetime]:
        """``n`` arrival times over the year before ``now``, busier by day than by night, in order
        (ids grow with time, as they do in a live database)."""
        times = []
        for _ in range(n):
            local = (now - timedelta(days=self.rng.uniform(0, 365))).astimezone(self.tz)
            hour = self.rng.choices(range(24), HOURLY_WEIGHTS)[0]
            moment = local.replace(hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60))
            times.append(min(moment.astimezone(UTC), now - timedelta(seconds=1)))
        return sorted(times)

    def report(self, received: datetime, now: datetime, history: bool) -> None:
        rng = self.rng
        report_id = self._id(Report)
        level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
        category = rng.choice(self.by_level[level] or list(self.policy.catalogue))
        categories = [category.value]
        if rng.random() < 0.15:
            extra = rng.choice(list(self.policy.catalogue))
            if extra != category:
                categories.append(extra.value)
        mr = list(rng.sample(TYPICAL_MR[category], 1)) if category in TYPICAL_MR else []
        place = rng.choice(self.places) if rng.random() < 0.95 else None
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        reference = make_reference(report_id, received, "Asia/Shanghai")
        entry = self.policy.catalogue[category]
        spec = self.policy.levels[level]
        untriaged = (now - received).total_seconds() < 60
        triaged = received + timedelta(seconds=rng.uniform(1.5, 45))
        dispatched = triaged + timedelta(seconds=rng.uniform(0.2, 3))
        ack_due = self._deadline(triaged, spec.acknowledge_within)
        feedback_due = self._deadline(triaged, spec.feedback_within)
        if history:
            self._audit(report_id, received, "report.received", actor_type="reporter", after=ReportStatus.RECEIVED)
        report = {
            "id": report_id,
            "reference": reference,
            "status": ReportStatus.RECEIVED,
            "channel": channel,
            "external_id": None,
            "received_at": received,
            "created_at": received,
            "language": "zh",
            "status_code_hash": STATUS_CODE_HASH,
            "narrative": NARRATIVE.format(category=category.value),
            "reporter_role": rng.choice(["teacher", "doctor", "community_worker", "neighbour", "family", "public"]),
            "reporter_institution": None,
            "reporter_name": f"报告人{report_id}",
            "reporter_phone": None,
            "reporter_anonymous": rng.random() < 0.2,
            "child_name": f"儿童{report_id}",
            "child_age": rng.randint(1, 17),
            "child_age_range": None,
            "child_sex": rng.choice(["female", "male"]),
            "child_school": None,
            "child_location_now": rng.choice(["home", "school", "street", "unknown"]),
            "jurisdiction_code": place,
            "address": None,
            "screening": {},
            "perpetrator_relationship": None,
            "intake": {"channel": channel},
            "urgency": None,
            "urgency_rank": None,
            "categories": [],
            "mandatory_report_codes": [],
            "triaged_at": None,
            "dispatched_at": None,
            "acknowledge_due_at": None,
            "feedback_due_at": None,
            "closed_at": None,
            "triage_enqueued_at": received,
            "triage_attempts": 0,
            "merged_into_id": None,
        }
        self.rows[Report].append(report)
        if untriaged:
            return
        report.update(
            status=ReportStatus.DISPATCHED,
            urgency=level.value,
            urgency_rank=level.rank,
            categories=categories,
            mandatory_report_codes=mr,
            triaged_at=triaged,
            triage_attempts=1,
            dispatched_at=dispatched,
            acknowledge_due_at=ack_due,
            feedback_due_at=feedback_due,
        )
        types = [(entry.lead, AssignmentRole.LEAD)] + [(t, AssignmentRole.ASSISTING) for t in entry.assisting[:2]]
        if mr and all(t != AgencyType.POLICE for t, _ in types):
            types.append((AgencyType.POLICE, AssignmentRole.ASSISTING))
        self.rows[TriageDecision].append(
            {
                "id": self._id(TriageDecision),
                "report_id": report_id,
                "source": "engine",
                "urgency": level.value,
                "categories": categories,
                "mandatory_report_codes": mr,
                "lead_agency_type": entry.lead.value,
                "assisting_agency_types": [t.value for t, role in types if role == AssignmentRole.ASSISTING],
                "reasons": [{"rule": "seed", "evidence": category.value}],
                "policy_version": self.policy.version,
                "actor_id": None,
                "note": None,
                "created_at": triaged,
            }
        )
        if history:
            self._status(report_id, triaged, ReportStatus.RECEIVED, ReportStatus.TRIAGED)
            self._status(report_id, dispatched, ReportStatus.TRIAGED, ReportStatus.DISPATCHED)
        answers: list[tuple[str, datetime | None, datetime | None, str]] = []
        seen: set[int] = set()
        for agency_type, role in types:
            agency = self._agency(agency_type, place)
            if agency is None or agency.id in seen:
                continue
            seen.add(agency.id)
            answers.append(self._assignment(report_id, reference, level, agency, role, dispatched, now, history))
        self._settle(report, answers, now, history)

    def _assignment(
        self,
        report_id: int,
        reference: str,
        level: Urgency,
        agency: Agency,
        role: AssignmentRole,
        created: datetime,
        now: datetime,
        history: bool,
    ) -> tuple[str, datetime | None, datetime | None, str]:
        rng = self.rng
        assignment_id = self._id(Assignment)
        spec = self.policy.levels[level]
        ack_due = self._deadline(created, spec.acknowledge_within)
        feedback_due = self._deadline(created, spec.feedback_within)
        acked: datetime | None = self._response(created, ack_due, 0.86)
        feedback: datetime | None = self._response(max(acked, created), feedback_due, 0.84)
        if feedback <= acked:
            feedback = acked + timedelta(minutes=rng.uniform(5, 120))
        if acked > now:
            acked = feedback = None
        elif feedback > now:
            feedback = None
        status = (
            AssignmentStatus.FEEDBACK_RECEIVED
            if feedback
            else (AssignmentStatus.IN_PROGRESS if acked and rng.random() < 0.6 else AssignmentStatus.ACKNOWLEDGED)
            if acked
            else AssignmentStatus.NOTIFIED
        )
        self.rows[Assignment].append(
            {
                "id": assignment_id,
                "report_id": report_id,
                "agency_id": agency.id,
                "agency_type": agency.agency_type,
                "role": role,
                "status": status,
                "routing_note": f"{agency.agency_type}: {agency.jurisdiction_code} (seed)",
                "created_at": created,
                "acknowledge_due_at": ack_due,
                "acknowledge_twice_due_at": ack_due + (ack_due - created),
                "feedback_due_at": feedback_due,
                "acknowledged_at": acked,
                "feedback_at": feedback,
                "feedback_outcome": rng.choice(["case_opened", "placed_in_care", "referred_on", "unfounded"])
                if feedback
                else None,
                "feedback_note": None,
                "declined_reason": None,
                "reply_code": f"{rng.randrange(10**6):06d}",
            }
        )
        fired = self._escalations(report_id, assignment_id, created, ack_due, feedback_due, acked, feedback, now)
        self.rows[Assignment][-1].update({ladder.fired.key: step in fired for step, ladder in STEPS.items()})
        if history:
            self._notify(report_id, assignment_id, reference, level, agency, role, created)
            self._audit(
                report_id,
                created,
                "assignment.created",
                subject_type="assignment",
                subject_id=str(assignment_id),
                after=AssignmentStatus.NOTIFIED,
            )
            for moment, after in (
                (acked, AssignmentStatus.ACKNOWLEDGED),
                (feedback, AssignmentStatus.FEEDBACK_RECEIVED),
            ):
                if moment is not None:
                    self._audit(
                        report_id,
                        moment,
                        "assignment.status",
                        actor_type="agency",
                        actor_label=agency.name,
                        subject_type="assignment",
                        subject_id=str(assignment_id),
                        after=after,
                    )
        return role, acked, feedback, status

    def _escalations(
        self,
        report_id: int,
        assignment_id: int,
        created: datetime,
        ack_due: datetime,
        feedback_due: datetime,
        acked: datetime | None,
        feedback: datetime | None,
        now: datetime,
    ) -> set[str]:
        """The ladder steps the sweeper would have fired by ``now`` (TRIAGE_POLICY §6); returns them."""
        steps = []
        answered = acked or now
        if answered > ack_due:
            steps.append(("ack_overdue", ack_due))
        if answered > ack_due + (ack_due - created):
            steps.append(("ack_overdue_twice", ack_due + (ack_due - created)))
        if (feedback or now) > feedback_due:
            steps.append(("feedback_overdue", feedback_due))
        for step, at in steps:
            self.rows[Escalation].append(
                {
                    "id": self._id(Escalation),
                    "assignment_id": assignment_id,
                    "report_id": report_id,
                    "step": step,
                    "fired_at": at + timedelta(seconds=self.rng.uniform(1, 30)),
                    "actor_label": "sweeper",
                    "note": None,
                    "superseded_at": None,
                }
            )
        return {step for step, _at in steps}

    def _notify(
        self,
        report_id: int,
        assignment_id: int,
        reference: str,
        level: Urgency,
        agency: Agency,
        role: AssignmentRole,
        created: datetime,
    ) -> None:
        channels = ["sms"] + (["voice"] if level == Urgency.RED and role == AssignmentRole.LEAD else [])
        for channel in channels:
            self.rows[Notification].append(
                {
                    "id": self._id(Notification),
                    "dedupe_key": f"seed:{assignment_id}:{channel}",
                    "report_id": report_id,
                    "assignment_id": assignment_id,
                    "purpose": "dispatch",
                    "channel": channel,
                    "provider": "console",
                    "recipient": agency.duty_phone,
                    "language": "zh",
                    "body": f"【未成年人保护热线】新转办 {reference}(模拟数据)",
                    "status": "delivered",
                    "attempts": 1,
                    "created_at": created,
                    "next_attempt_at": created,
                    "enqueued_at": created,
                    "claimed_at": created,
                    "sent_at": created + timedelta(seconds=1),
                    "delivered_at": created + timedelta(seconds=4),
                    "provider_id": None,
                    "error_code": None,
                    "error_message": None,
                }
            )

    def _settle(
        self,
        report: dict[str, Any],
        answers: list[tuple[str, datetime | None, datetime | None, str]],
        now: datetime,
        history: bool,
    ) -> None:
        """The report's status from its assignments; most finished reports are closed, a few reopened."""
        if not answers:
            return
        lead = next((a for a in answers if a[0] == AssignmentRole.LEAD), answers[0])
        report_id = report["id"]
        status = ReportStatus.DISPATCHED
        if lead[1] is not None:
            status = ReportStatus.IN_PROGRESS if lead[3] != AssignmentStatus.ACKNOWLEDGED else ReportStatus.ACKNOWLEDGED
            if history:
                self._status(report_id, lead[1], ReportStatus.DISPATCHED, status)
        if all(a[2] is not None for a in answers):
            last = max(a[2] for a in answers if a[2] is not None)
            if history:
                self._status(report_id, last, status, ReportStatus.FEEDBACK_RECEIVED)
            status = ReportStatus.FEEDBACK_RECEIVED
            closed = last + timedelta(hours=self.rng.uniform(1, 72))
            if closed < now:
                status = ReportStatus.CLOSED
                report["closed_at"] = closed
                if history:
                    self._status(report_id, closed, ReportStatus.FEEDBACK_RECEIVED, ReportStatus.CLOSED)
                if self.rng.random() < 0.01:
                    reopened = closed + (now - closed) * self.rng.random()
                    status = ReportStatus.REOPENED
                    report["closed_at"] = None
                    if history:
                        self._status(report_id, reopened, ReportStatus.CLOSED, ReportStatus.REOPENED)
        report["status"] = status

    def flush(self, session: Session, result: SeedResult) -> None:
        names = {
            Report: "reports",
            TriageDecision: "decisions",
            Assignment: "assignments",
            Escalation: "escalations",
            Notification: "notifications",
            AuditEvent: "audit_events",
        }
        for model in (Report, TriageDecision, Assignment, Escalation, Notification, AuditEvent):
            rows = self.rows[model]
            setattr(result, names[model], getattr(result, names[model]) + len(rows))
            _write(session, model.__table__, rows)  # type: ignore[attr-defined]


def seed_reports(
    session: Session, n: int, seed: int = 20260101, now: datetime | None = None, history: bool = True
) -> SeedResult:
    """Add ``n`` reports received over the year before ``now`` (flushed, not committed).

    ``history=False`` leaves out notifications and audit events (half the rows), for quickly
    building very large benchmark databases.
    """
    now = now or utcnow()
    agencies = ensure_area(session)
    generator = _Generator(session, active_policy(session), agencies, random.Random(seed))
    result = SeedResult(agencies=len(agencies))
    for index, received in enumerate(generator.received_times(n, now)):
        generator.report(received, now, history)
        if (index + 1) % CHUNK == 0:
            generator.flush(session, result)
    generator.flush(session, result)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("reports", "triage_decisions", "assignments", "escalations", "notifications", "audit_events"):
            highest = f"(SELECT coalesce(max(id), 1) FROM {table})"
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})"))
    session.flush()
    return result
