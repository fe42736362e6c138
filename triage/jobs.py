"""The triage job: classify one received report, route it and dispatch it, in one commit.

Takes a report id, claims the report with a conditional update (so a duplicate or retried job
does nothing) and commits the decision, the assignments and the outbox rows together; the
delivery jobs are enqueued only after that commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from hotline import operations
from hotline.audit import Actor
from hotline.db import get_db
from hotline.links import signer_for
from hotline.models import Report, utcnow
from hotline.queue import app_job
from intake_forms.schema import parse_intake
from triage import escalation
from triage.deadlines import due_at
from triage.engine import TriageResult, classify
from triage.policy import Deadline, Policy
from triage.policy_store import active_policy
from triage.routing import route

log = logging.getLogger(__name__)
ACTOR = Actor.system("triage-worker")


def to_classification(result: TriageResult) -> operations.Classification:
    return operations.Classification(
        urgency=result.urgency,
        categories=[str(c) for c in result.categories],
        mandatory_report_codes=[str(c) for c in result.mandatory_report_codes],
        lead_agency_type=str(result.lead_agency_type),
        assisting_agency_types=[str(t) for t in result.assisting_agency_types],
        reasons=[{"rule": r.rule, "evidence": r.evidence} for r in result.reasons],
        policy_version=result.policy_version,
    )


@app_job
def triage_report(report_id: int) -> str:
    """Classify, route and dispatch one report; returns what happened (for logs)."""
    database = get_db()
    with database.session() as session:
        report = operations.claim_for_triage(session, report_id)
        if report is None:
            return "already triaged or gone"
        policy = active_policy(session)
        result = classify(parse_intake(report.intake), policy)
        classification = to_classification(result)
        operations.apply_triage(session, report, classification, ACTOR)
        dispatch_report(session, report, classification, policy)
        session.commit()
        log.info("triaged %s as %s", report.reference, result.urgency)
        return str(result.urgency)


def dispatch_report(
    session: Session, report: Report, classification: operations.Classification, policy: Policy
) -> None:
    """Route a triaged report to agencies and dispatch it, with deadlines on its level's clock."""
    config = current_app.config
    tz = ZoneInfo(config["TIMEZONE"])
    level = policy.levels[classification.urgency]
    start = report.triaged_at or report.received_at

    def deadline(d: Deadline) -> datetime:
        return due_at(start, d.amount, d.unit, policy.holidays, policy.makeup_workdays, tz)

    routed = route(
        session,
        classification.lead_agency_type,
        classification.assisting_agency_types,
        report.jurisdiction_code,
        config["HOME_JURISDICTION"],
    )
    plan = [operations.PlannedAssignment(r.agency, r.role, r.note) for r in routed]
    operations.dispatch(
        session,
        report,
        plan,
        ACTOR,
        acknowledge_due_at=deadline(level.acknowledge_within),
        feedback_due_at=deadline(level.feedback_within),
        links=signer_for(config),
    )


@app_job
def write_escalation_notices(escalation_ids: list[int]) -> int:
    """Write the messages of escalation steps the sweeper fired and enqueue their delivery after
    the commit; how many messages (a duplicate job writes none)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with get_db(app).session() as session:
        written = escalation.write_notices(
            session, escalation_ids, utcnow(), signer_for(app.config), app.config["HOME_JURISDICTION"]
        )
        session.commit()
    return written
