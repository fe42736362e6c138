"""The console channel of the embedded default: messages are logged and stay in the outbox table,
where ``/console/outbox`` shows them in the browser. Nothing leaves the machine."""

from __future__ import annotations

import logging
from datetime import datetime

from hotline.models import Notification
from notifications.channels import Callbacks, SendResult

log = logging.getLogger("hotline.console_outbox")


class ConsoleChannel:
    name = "console"

    def send(self, notification: Notification, callbacks: Callbacks) -> SendResult:
        log.warning("[console %s → %s] %s", notification.channel.upper(), notification.recipient, notification.body)
        return SendResult(provider_id=f"console-{notification.id}")

    def lookup(self, notification: Notification, since: datetime) -> SendResult | None:
        return None  # a console send cannot end in an unknown outcome
