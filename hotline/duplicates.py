"""Duplicate reports (并单): likely duplicates of a report, and merging / un-merging them.

Signals (each explained, as triage's are): the same child (name, with the same age or school),
the same caller or reporter number, near-identical text within days, the same area. Candidates
come from a bounded window of recent reports, so the check stays cheap. Merging folds the
duplicate into a primary report, which keeps every source, reporter and timeline; the duplicate's
open assignments are cancelled so no agency is notified twice. Un-merging restores it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline import audit, lifecycle, operations
from hotline.audit import Actor
from hotline.models import Report
from hotline.taxonomy import AssignmentStatus, ReportStatus

WINDOW = timedelta(days=7)
CANDIDATE_LIMIT = 300
TEXT_SIMILARITY = 0.75
THRESHOLD = 3  # points a candidate needs to be shown
_SPACE = re.compile(r"[\s,。,.!!??、;;::“”\"'()()]+")


@dataclass
class Candidate:
    report: Report
    score: int = 0
    reasons: list[str] = field(default_factory=list)


def _text(value: str) -> str:
    return _SPACE.sub("", value or "").lower()


def find_duplicates(session: Session, report: Report) -> list[Candidate]:
    """Reports within ``WINDOW`` of this one that are likely about the same child or incident."""
    start, end = report.received_at - WINDOW, report.received_at + WINDOW
    query = select(Report).where(
        Report.id != report.id,
        Report.received_at.between(start, end),
        Report.status != ReportStatus.WITHDRAWN,
        or_(Report.merged_into_id.is_(None), Report.merged_into_id != report.id),
    )
    others = session.scalars(query.order_by(Report.received_at.desc()).limit(CANDIDATE_LIMIT)).all()
    mine = _text(report.narrative)
    found: list[Candidate] = []
    for other in others:
        candidate = Candidate(other)
        if report.child_name and other.child_name == report.child_name:
            if report.child_age is not None and other.child_age == report.child_age:
                candidate.score += 3
                candidate.reasons.append(f"同一儿童:{report.child_name},{report.child_age} 岁")
            elif report.child_school and other.child_school == report.child_school:
                candidate.score += 3
                candidate.reasons.append(f"同一儿童:{report.child_name},{report.child_school}")
            else:
                candidate.score += 1
                candidate.reasons.append(f"儿童姓名相同:{report.child_name}")
        if report.reporter_phone and other.reporter_phone == report.reporter_phone:
            candidate.score += 2
            candidate.reasons.append("同一来电/报告人号码")
        similarity = difflib.SequenceMatcher(None, mine, _text(other.narrative)).quick_ratio()
        if similarity >= TEXT_SIMILARITY:
            exact = difflib.SequenceMatcher(None, mine, _text(other.narrative)).ratio()
            if exact >= TEXT_SIMILARITY:
                candidate.score += 3
                candidate.reasons.append(f"内容高度相似({exact:.0%})")
        if report.jurisdiction_code and other.jurisdiction_code == report.jurisdiction_code and candidate.score:
            candidate.score += 1
            candidate.reasons.append(f"同一地区:{report.jurisdiction_code}")
        if candidate.score >= THRESHOLD:
            found.append(candidate)
    return sorted(found, key=lambda c: (-c.score, c.report.id))


class MergeError(ValueError):
    """A merge or un-merge that is not possible."""


def merge(session: Session, primary: Report, duplicate: Report, actor: Actor) -> None:
    """Fold ``duplicate`` into ``primary``; the duplicate's pending notices to agencies stop."""
    if primary.id == duplicate.id or primary.merged_into_id is not None:
        raise MergeError("merge into a report that is itself not merged")
    if primary.status in (ReportStatus.MERGED, ReportStatus.WITHDRAWN):
        raise MergeError("the primary report is not open")
    lifecycle.transition(session, duplicate, ReportStatus.MERGED, actor, reason=f"merged into {primary.reference}")
    duplicate.merged_into_id = primary.id
    for assignment in duplicate.assignments:
        if assignment.status in (
            AssignmentStatus.NOTIFIED,
            AssignmentStatus.ACKNOWLEDGED,
            AssignmentStatus.IN_PROGRESS,
        ):
            operations.cancel_assignment(session, assignment, actor, f"merged into {primary.reference}")
    audit.record(
        session,
        actor,
        "report.merged_in",
        report=primary,
        subject_type="report",
        subject_id=duplicate.id,
        details={"duplicate": duplicate.reference},
    )
    session.flush()


def unmerge(session: Session, duplicate: Report, actor: Actor, reason: str) -> None:
    """Undo a merge: the report stands on its own again (triaged anew if it never was)."""
    if duplicate.status != ReportStatus.MERGED or duplicate.merged_into_id is None:
        raise MergeError("this report is not merged")
    primary = session.get(Report, duplicate.merged_into_id)
    target = ReportStatus.RECEIVED if duplicate.triaged_at is None else ReportStatus.REOPENED
    lifecycle.transition(session, duplicate, target, actor, reason=reason)
    duplicate.merged_into_id = None
    if target == ReportStatus.RECEIVED:
        duplicate.triage_enqueued_at = None  # the sweeper hands it to triage
    audit.record(
        session,
        actor,
        "report.unmerged",
        report=primary,
        subject_type="report",
        subject_id=duplicate.id,
        reason=reason,
        details={"duplicate": duplicate.reference},
    )
    session.flush()


def merged_into(session: Session, primary: Report) -> list[Report]:
    """The reports folded into ``primary`` (their reporters and timelines belong to it)."""
    return list(session.scalars(select(Report).where(Report.merged_into_id == primary.id).order_by(Report.id)))
