"""The policy in force: the newest version an administrator saved, or the shipped default.

Compiled policies are cached by version (a content hash), so a process compiles each version once
and every worker picks up a new version at its next job, without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.audit import Actor
from hotline.models import PolicyVersion, utcnow
from triage.policy import DOCUMENT_SECTIONS, Policy, default_policy, load_policy

_compiled: dict[str, Policy] = {}


def active_policy(session: Session) -> Policy:
    """The policy triage uses now."""
    row = session.scalar(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1))
    if row is None:
        return default_policy()
    policy = _compiled.get(row.version)
    if policy is None:
        policy = _compiled[row.version] = load_policy(row.document)
    return policy


def policy_document(session: Session, version: str) -> Mapping[str, Any] | None:
    """The document of any version that was ever in force (the default included)."""
    if version == default_policy().version:
        return default_policy().document
    return session.scalar(select(PolicyVersion.document).where(PolicyVersion.version == version).limit(1))


def history(session: Session, limit: int = 50) -> list[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(limit)))


def save_policy(session: Session, document: dict[str, Any], actor: Actor, note: str | None = None) -> Policy:
    """Validate and store a new policy version; ``ValueError`` (naming the bad key) if invalid.

    Saving the version already in force changes nothing. The audit event names the sections that
    changed, with the versions before and after.
    """
    policy = load_policy(document)  # raises before anything is written
    current = active_policy(session)
    if policy.version == current.version:
        return current
    changed = [s for s in DOCUMENT_SECTIONS if document.get(s) != current.document.get(s)]
    session.add(
        PolicyVersion(
            version=policy.version,
            document=document,
            created_at=utcnow(),
            created_by_id=int(actor.id) if actor.type == "user" and actor.id else None,
            note=note,
        )
    )
    audit.record(
        session,
        actor,
        "policy.changed",
        subject_type="policy",
        subject_id=policy.version,
        before=current.version,
        after=policy.version,
        reason=note,
        details={"sections": changed},
    )
    session.flush()
    _compiled[policy.version] = policy
    return policy
