"""CSV and XLSX writers for the supervision tables and lists.

A ``Table`` is a title, column headers and rows of plain values (text, numbers, times); the web
layer builds it from the same data the page shows, so an export never holds more than the page.
CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese. Text that a spreadsheet
would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
prefixed with an apostrophe: agency names and notes are typed by people (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class Table:
    """One exportable table: ``rows`` hold plain values in the order of ``headers``."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _plain(value: Any, timezone: ZoneInfo) -> Any:
    """A cell value: times in the hotline's zone without tzinfo (spreadsheets have none), text guarded."""
    if isinstance(value, datetime):
        return value.astimezone(timezone).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        return _safe_text(value)
    return value


def to_csv(table: Table, timezone: str) -> bytes:
    """The table as UTF-8 CSV with a BOM, header row first."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_safe_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(["" if v is None else _plain(v, zone) for v in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table], timezone: str) -> bytes:
    """A workbook with one sheet per table (titles cut to Excel's 31 characters)."""
    zone = ZoneInfo(timezone)
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        name = _sheet_name(table.title, used)
        sheet = workbook.create_sheet(name)
        widths = [max(8, min(40, len(str(h)) * 2 + 2)) for h in table.headers]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([_safe_text(h) for h in table.headers])
        for row in table.rows:
            sheet.append([_plain(v, zone) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in title)[:28] or "Sheet"
    name, number = base, 2
    while name in used:
        name, number = f"{base}{number}", number + 1
    used.add(name)
    return name
