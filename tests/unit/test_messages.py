"""SMS texts: what they must say, and what they must never carry."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from notifications import messages
from notifications.outbox import mask_phone

DUE = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_dispatch_sms_has_reference_level_category_deadline_and_reply_code(language: str) -> None:
    text = messages.dispatch_sms(
        reference="HX-2026-000123",
        urgency="red",
        categories=["sexual_abuse"],
        role="lead",
        acknowledge_due_at=DUE,
        reply_code="483920",
        link="https://h.example/a/token",
        language=language,
    )
    assert "HX-2026-000123" in text
    assert "1 483920" in text and "https://h.example/a/token" in text
    assert "15:30" in text  # the deadline in Beijing time
    assert ("红色" in text and "性侵害" in text) if language == "zh" else ("Red" in text and "Sexual abuse" in text)


def test_message_builders_cannot_take_personal_data() -> None:
    """No builder has a parameter through which a name, phone or narrative could enter."""
    forbidden = {"name", "child", "child_name", "reporter", "narrative", "phone", "report"}
    builders = (
        messages.dispatch_sms,
        messages.dispatch_voice,
        messages.reporter_receipt,
        messages.reporter_closure,
        messages.reminder_sms,
        messages.supervisor_alert,
    )
    for builder in builders:
        assert forbidden.isdisjoint(inspect.signature(builder).parameters), builder.__name__


def test_voice_message_spells_the_reference() -> None:
    assert "H X - 2 0 2 6" in messages.dispatch_voice("HX-2026-000001", "zh")


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+8613800000101", "+86138****0101"), (None, ""), ("12345", "*****")],
)
def test_mask_phone(number: str | None, masked: str) -> None:
    assert mask_phone(number) == masked
