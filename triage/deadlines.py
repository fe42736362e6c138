"""Deadlines on a level's clock: calendar time (24×7) or working days.

Working days skip weekends and the policy's public holidays, and count the policy's make-up
working days (调休) even when they fall on a weekend. "N working days" from a moment means the
same local time of day N working days later; a start outside working days counts from the
start (09:00) of the next working day. Pure: times in, times out.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WORKDAY_START = time(9, 0)


def is_working_day(day: date, holidays: Collection[date], makeup_workdays: Collection[date]) -> bool:
    if day in makeup_workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime, days: int, holidays: Collection[date], makeup_workdays: Collection[date], tz: ZoneInfo
) -> datetime:
    """``start`` plus ``days`` working days, on the local calendar of ``tz``."""
    local = start.astimezone(tz)
    day = local.date()
    clock = local.timetz()
    if not is_working_day(day, holidays, makeup_workdays):
        clock = WORKDAY_START.replace(tzinfo=tz)
        while not is_working_day(day, holidays, makeup_workdays):
            day += timedelta(days=1)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays, makeup_workdays):
            counted += 1
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz).astimezone(start.tzinfo)


def due_at(
    start: datetime,
    amount: int,
    unit: str,
    holidays: Collection[date],
    makeup_workdays: Collection[date],
    tz: ZoneInfo,
) -> datetime:
    """When a deadline of ``amount`` ``unit`` (minutes, hours, days, working_days) from ``start`` falls."""
    if unit == "minutes":
        return start + timedelta(minutes=amount)
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    if unit == "working_days":
        return add_working_days(start, amount, holidays, makeup_workdays, tz)
    raise ValueError(f"unknown deadline unit {unit!r}")
