"""The one state machine of a report: the only place a report's status changes.

received → triaged → dispatched → acknowledged → in_progress → feedback_received → closed, plus
merged (a duplicate folded into another report), withdrawn (supervisor only, with a reason) and
reopened. Any other move raises ``TransitionError``; every allowed move writes an audit event.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.models import Report
from hotline.taxonomy import ReportStatus as S
from hotline.taxonomy import UserRole

_ACTIVE = (S.TRIAGED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.FEEDBACK_RECEIVED, S.REOPENED)

ALLOWED: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.TRIAGED, S.MERGED, S.WITHDRAWN}),
    S.TRIAGED: frozenset({S.DISPATCHED, S.MERGED, S.WITHDRAWN}),
    S.DISPATCHED: frozenset({S.TRIAGED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.FEEDBACK_RECEIVED, S.MERGED, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.TRIAGED, S.IN_PROGRESS, S.FEEDBACK_RECEIVED, S.MERGED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.TRIAGED, S.FEEDBACK_RECEIVED, S.MERGED, S.WITHDRAWN}),
    S.FEEDBACK_RECEIVED: frozenset({S.IN_PROGRESS, S.CLOSED, S.WITHDRAWN}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.CLOSED, S.WITHDRAWN}),
    S.MERGED: frozenset({S.REOPENED, S.RECEIVED}),  # un-merge; RECEIVED if it was never triaged
    S.WITHDRAWN: frozenset(),
}

# Moves that need a stated reason, and the roles allowed to make them (None: any actor).
NEEDS_REASON = frozenset({S.WITHDRAWN, S.REOPENED, S.MERGED})
ROLE_RESTRICTED: dict[S, frozenset[str]] = {
    S.WITHDRAWN: frozenset({UserRole.SUPERVISOR, UserRole.ADMIN}),
}

OPEN_STATUSES: tuple[S, ...] = (S.RECEIVED, *_ACTIVE)


class TransitionError(ValueError):
    """A status change the state machine does not allow."""


def transition(
    session: Session,
    report: Report,
    new_status: S,
    actor: Actor,
    *,
    reason: str | None = None,
    details: dict | None = None,
) -> None:
    """Move ``report`` to ``new_status`` and audit it, or raise ``TransitionError``."""
    current = S(report.status)
    if new_status not in ALLOWED[current]:
        raise TransitionError(f"{current} → {new_status} is not allowed")
    if new_status in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"{new_status} needs a reason")
    allowed_roles = ROLE_RESTRICTED.get(new_status)
    if allowed_roles is not None and actor.role not in allowed_roles:
        raise TransitionError(f"{new_status} is reserved to {', '.join(sorted(allowed_roles))}")
    report.status = new_status
    audit.record(
        session,
        actor,
        "report.status",
        report=report,
        subject_type="report",
        subject_id=report.id,
        before=current,
        after=new_status,
        reason=reason,
        details=details,
    )
