"""The data model (SQLAlchemy 2 typed ORM). Imports SQLAlchemy only: no Flask here.

Times are stored in UTC (``UTCDateTime`` makes SQLite give them back timezone-aware, as
PostgreSQL does), codes are the stable identifiers of ``hotline.taxonomy``.
"""

from hotline.models.base import Base, UTCDateTime, utcnow
from hotline.models.channels import (
    Call,
    CallbackTask,
    CallEvent,
    FeedbackPush,
    FeedbackPushAttempt,
    IntakeDraft,
    Partner,
    WorkOrder,
)
from hotline.models.directory import Agency, Jurisdiction
from hotline.models.notification import Notification
from hotline.models.ops import AuditEvent, DashboardSnapshot, Heartbeat
from hotline.models.policy import PolicyVersion
from hotline.models.report import (
    Assignment,
    AssignmentNote,
    Escalation,
    LevelChangeRequest,
    Report,
    TriageDecision,
)
from hotline.models.user import ApiToken, User

__all__ = [
    "Call",
    "CallEvent",
    "CallbackTask",
    "FeedbackPush",
    "FeedbackPushAttempt",
    "IntakeDraft",
    "Partner",
    "WorkOrder",
    "Agency",
    "ApiToken",
    "Assignment",
    "AssignmentNote",
    "AuditEvent",
    "Base",
    "DashboardSnapshot",
    "Escalation",
    "Heartbeat",
    "Jurisdiction",
    "LevelChangeRequest",
    "Notification",
    "PolicyVersion",
    "Report",
    "TriageDecision",
    "UTCDateTime",
    "User",
    "utcnow",
]
