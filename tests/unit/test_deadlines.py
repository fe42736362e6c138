"""Deadlines on calendar and working-day clocks, with holidays and make-up working days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from triage.deadlines import add_working_days, due_at, is_working_day

TZ = ZoneInfo("Asia/Shanghai")
HOLIDAYS = {date(2026, 10, d) for d in range(1, 8)}
MAKEUP = {date(2026, 9, 20), date(2026, 10, 10)}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 22), False),  # Sunday
        (date(2026, 10, 5), False),  # National Day holiday, a Monday
        (date(2026, 10, 10), True),  # make-up working Saturday
    ],
)
def test_working_day(day: date, working: bool) -> None:
    assert is_working_day(day, HOLIDAYS, MAKEUP) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (local(2026, 11, 23, 10, 0), 1, local(2026, 11, 24, 10, 0)),  # Monday → Tuesday
        (local(2026, 11, 27, 16, 30), 1, local(2026, 11, 30, 16, 30)),  # Friday → Monday
        (local(2026, 11, 28, 11, 0), 1, local(2026, 12, 1, 9, 0)),  # Saturday counts from Monday 09:00
        (local(2026, 9, 30, 15, 0), 1, local(2026, 10, 8, 15, 0)),  # over the National Day holiday
        (local(2026, 10, 9, 15, 0), 1, local(2026, 10, 10, 15, 0)),  # onto a make-up Saturday
        (local(2026, 11, 23, 10, 0), 5, local(2026, 11, 30, 10, 0)),
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days, HOLIDAYS, MAKEUP, TZ) == expected


def test_calendar_units_ignore_weekends() -> None:
    start = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # a Saturday
    assert due_at(start, 15, "minutes", HOLIDAYS, MAKEUP, TZ) == datetime(2026, 11, 28, 2, 15, tzinfo=UTC)
    assert due_at(start, 24, "hours", HOLIDAYS, MAKEUP, TZ) == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert due_at(start, 3, "days", HOLIDAYS, MAKEUP, TZ) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_result_keeps_the_callers_zone() -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    result = due_at(start, 1, "working_days", HOLIDAYS, MAKEUP, TZ)
    assert result.tzinfo == UTC and result == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_unknown_unit() -> None:
    with pytest.raises(ValueError):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), 1, "fortnights", HOLIDAYS, MAKEUP, TZ)
