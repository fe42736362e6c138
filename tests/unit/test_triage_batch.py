"""The ``hotline triage classify INPUT.jsonl`` contract (INTAKE_SCHEMA.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from triage.batch import main


def run_batch(tmp_path: Path, lines: list[str]) -> tuple[int, list[dict]]:
    path = tmp_path / "input.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    code = main(str(path), out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_order_preserved_and_errors_reported(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "narrative": "孩子走失了,6岁。"}, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id": "b", "narrative": "x", "colour": "red"}),
        json.dumps({"id": "c", "narrative": "x", "child": {"sex": "robot"}}),
        json.dumps({"id": "d", "narrative": "網吧接納未成年人。"}, ensure_ascii=False),
        json.dumps({"narrative": ""}),
        json.dumps(["not", "an", "object"]),
    ]
    code, results = run_batch(tmp_path, lines)
    assert code == 0
    assert len(results) == 7  # the blank line is skipped
    assert results[0]["id"] == "a" and results[0]["urgency"] == "red"
    assert results[1] == {"id": None, "line": 2, "error": results[1]["error"]}
    assert results[1]["error"].startswith("not JSON")
    assert results[2]["id"] == "b" and results[2]["line"] == 4 and "colour" in results[2]["error"]
    assert results[3]["id"] == "c" and results[3]["line"] == 5 and "child.sex" in results[3]["error"]
    assert results[4]["id"] == "d" and results[4]["categories"] == ["venue_violation"]
    assert results[5]["id"] is None and "narrative" in results[5]["error"]
    assert results[6]["line"] == 8 and "error" in results[6]


def test_output_is_utf8_not_escaped(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    path.write_text(
        json.dumps({"id": "x", "narrative": "孩子没有受伤,想咨询心理辅导。"}, ensure_ascii=False),
        encoding="utf-8",
    )
    out = io.StringIO()
    assert main(str(path), out) == 0
    assert "没有" in out.getvalue() and "\\u" not in out.getvalue()


def test_result_lines_carry_policy_version_and_reasons(tmp_path: Path) -> None:
    code, results = run_batch(
        tmp_path, [json.dumps({"id": "z", "narrative": "孩子被继父打,全身多处淤青。"}, ensure_ascii=False)]
    )
    assert code == 0
    assert results[0]["policy_version"].startswith("sha256:")
    assert results[0]["reasons"] and all({"rule", "evidence"} == set(r) for r in results[0]["reasons"])


def test_unreadable_file_exits_1(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(str(tmp_path / "absent.jsonl"), out) == 1
    assert "error" in json.loads(out.getvalue())


def test_not_utf8_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"narrative": "\xff\xfe"}\n')
    out = io.StringIO()
    assert main(str(path), out) == 1
