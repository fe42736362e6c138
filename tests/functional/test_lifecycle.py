"""The report state machine: allowed moves audit themselves, every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from hotline.audit import Actor
from hotline.lifecycle import ALLOWED, TransitionError, transition
from hotline.models import AuditEvent
from hotline.taxonomy import ReportStatus, UserRole
from tests import factories

SUPERVISOR = Actor("user", "7", "sup", role=UserRole.SUPERVISOR)
OPERATOR = Actor("user", "8", "op", role=UserRole.OPERATOR)

ALL_PAIRS = list(itertools.product(ReportStatus, ReportStatus))


@pytest.mark.parametrize(("start", "end"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair(db_session, start: ReportStatus, end: ReportStatus) -> None:
    report, _code = factories.report(db_session)
    report.status = start
    allowed = end in ALLOWED[start]
    if allowed:
        transition(db_session, report, end, SUPERVISOR, reason="because")
        db_session.flush()
        event = db_session.scalars(
            select(AuditEvent).where(AuditEvent.report_id == report.id, AuditEvent.action == "report.status")
        ).one()
        assert (event.before, event.after, event.reason, event.actor_id) == (start, end, "because", "7")
    else:
        with pytest.raises(TransitionError):
            transition(db_session, report, end, SUPERVISOR, reason="because")
        assert report.status == start


def test_happy_path_is_allowed() -> None:
    path = [
        "received",
        "triaged",
        "dispatched",
        "acknowledged",
        "in_progress",
        "feedback_received",
        "closed",
        "reopened",
    ]
    for a, b in itertools.pairwise(path):
        assert ReportStatus(b) in ALLOWED[ReportStatus(a)]


def test_withdraw_needs_a_supervisor_and_a_reason(db_session) -> None:
    report, _code = factories.report(db_session)
    with pytest.raises(TransitionError, match="reserved"):
        transition(db_session, report, ReportStatus.WITHDRAWN, OPERATOR, reason="duplicate call")
    with pytest.raises(TransitionError, match="reason"):
        transition(db_session, report, ReportStatus.WITHDRAWN, SUPERVISOR, reason="  ")
    transition(db_session, report, ReportStatus.WITHDRAWN, SUPERVISOR, reason="caller retracted a test call")
    assert report.status == ReportStatus.WITHDRAWN
    assert not ALLOWED[ReportStatus.WITHDRAWN]
