"""How a notification is shown outside the database: recipient masked, body left out."""

from __future__ import annotations

from typing import Any

from hotline.models import Notification
from notifications.outbox import mask_phone


def notification_json(notification: Notification) -> dict[str, Any]:
    return {
        "channel": notification.channel,
        "purpose": notification.purpose,
        "recipient": mask_phone(notification.recipient),
        "status": notification.status,
        "attempts": notification.attempts,
        "created_at": notification.created_at.isoformat(),
        "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
        "delivered_at": notification.delivered_at.isoformat() if notification.delivered_at else None,
    }
