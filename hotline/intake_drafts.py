"""Operator intake drafts: what was typed during a call is saved as it is typed, so a dropped
connection, a closed tab or a crash loses nothing. A draft belongs to one operator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import IntakeDraft, utcnow


def save(
    session: Session, operator_id: int, data: dict[str, Any], draft_id: int | None, call_id: int | None
) -> IntakeDraft:
    """Create or update the operator's draft (someone else's draft id starts a new one)."""
    draft = session.get(IntakeDraft, draft_id) if draft_id else None
    if draft is None or draft.operator_id != operator_id or draft.report_id is not None:
        draft = IntakeDraft(operator_id=operator_id, call_id=call_id, created_at=utcnow())
        session.add(draft)
    draft.data = {key: value for key, value in data.items() if value not in (None, "", [])}
    draft.updated_at = utcnow()
    if call_id:
        draft.call_id = call_id
    session.flush()
    return draft


def open_drafts(session: Session, operator_id: int) -> list[IntakeDraft]:
    return list(
        session.scalars(
            select(IntakeDraft)
            .where(IntakeDraft.operator_id == operator_id, IntakeDraft.report_id.is_(None))
            .order_by(IntakeDraft.updated_at.desc())
            .limit(20)
        )
    )
