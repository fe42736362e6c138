"""``hotline triage classify INPUT.jsonl``: batch triage of intake objects (INTAKE_SCHEMA.md).

Reads one intake object per line and writes one result object per line, in the same order, to
``out``. Blank lines are skipped. A line that is not JSON or not a valid intake object yields
``{"id": <id if known>, "line": n, "error": "..."}`` and the run goes on. No database, no queue,
no network; expected answers are never read.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from intake_forms.schema import IntakeError, parse_intake
from triage.engine import classify
from triage.policy import Policy, default_policy


def classify_line(line: str, number: int, policy: Policy) -> dict[str, Any]:
    """The result object (or error object) for one non-blank input line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "line": number, "error": f"not JSON: {exc}"}
    intake_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    try:
        intake = parse_intake(data)
    except IntakeError as exc:
        return {"id": intake_id, "line": number, "error": str(exc)}
    return classify(intake, policy).to_json(intake.id)


def main(path: str, out: TextIO) -> int:
    """Classify every line of ``path`` into ``out``; 0 on success, 1 if the file can't be read."""
    policy = default_policy()
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, errors reported per file
    except OSError as exc:
        print(json.dumps({"error": f"cannot read {path}: {exc.strerror}"}, ensure_ascii=False), file=out)
        return 1
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                result = classify_line(line, number, policy)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        except UnicodeDecodeError as exc:
            print(
                json.dumps({"error": f"cannot read {path}: not UTF-8 ({exc.reason})"}, ensure_ascii=False),
                file=out,
            )
            return 1
    return 0
