"""Who acts, and the audit events that record what they did.

Operations receive an ``Actor`` from the web layer or job instead of reading ``current_user``,
so everything below the web layer is testable and knows nothing of requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hotline.models import AuditEvent, Report, User, utcnow


@dataclass(frozen=True)
class Actor:
    """The person or process behind an action."""

    type: str  # user, system, reporter, agency, api
    id: str | None = None
    label: str | None = None
    ip_address: str | None = None
    role: str | None = None

    @classmethod
    def for_user(cls, user: User, ip_address: str | None = None) -> Actor:
        return cls("user", str(user.id), user.username, ip_address, user.role)

    @classmethod
    def system(cls, process: str) -> Actor:
        return cls("system", None, process)


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    report: Report | None = None,
    subject_type: str | None = None,
    subject_id: object = None,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session (flushed with the change it records, never committed here)."""
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        report_id=report.id if report is not None else None,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        before=before,
        after=after,
        reason=reason,
        details=details or {},
        ip_address=actor.ip_address,
    )
    session.add(event)
    return event
