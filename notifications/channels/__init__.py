"""Delivery channels: where an outbox row goes (console on the embedded default, Twilio for real).

A channel's ``send`` either returns a ``SendResult`` or raises one of three outcomes, and the
delivery job treats each differently (ARCHITECTURE: Twilio has no idempotency key):

- ``TransientFailure``: nothing was sent (connection refused, 429): retry with backoff;
- ``UnknownOutcome``: the request may have been sent (read timeout, 5xx): never resend blindly,
  reconcile later with ``lookup``;
- ``PermanentFailure``: retrying cannot help (invalid or blocked number): mark the contact bad and
  escalate to the supervisor at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hotline.models import Notification


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str = "sent"


class TransientFailure(Exception):
    """Nothing was sent; worth retrying later."""


class UnknownOutcome(Exception):
    """The provider may or may not have accepted the message: reconcile before any resend."""


class PermanentFailure(Exception):
    """Retrying cannot help; ``code`` is the provider's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Callbacks:
    """Where the provider reports back: delivery status, and the keypress of a voice call."""

    status_url: str
    voice_gather_url: str


class Channel(Protocol):
    name: str

    def send(self, notification: Notification, callbacks: Callbacks) -> SendResult: ...

    def lookup(self, notification: Notification, since: datetime) -> SendResult | None:
        """Find a message this channel may already have sent (after an unknown outcome)."""
        ...
