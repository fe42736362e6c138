"""Delivery channels: where an outbox row goes (console on the embedded default, Twilio for real)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hotline.models import Notification


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str = "sent"


class TransientFailure(Exception):
    """Worth retrying later (rate limit, provider 5xx, network)."""


class PermanentFailure(Exception):
    """Retrying cannot help (invalid or blocked number); ``code`` is the provider's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> SendResult: ...
