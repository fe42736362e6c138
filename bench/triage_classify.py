"""Benchmark of the triage engine: classify the dev set repeatedly on one core, warm.

Prints one JSON object: reports per second, p50/p99 microseconds per report, the policy load time
(compiling the lexicon) and the counts. Usage::

    .venv/bin/python bench/triage_classify.py [INPUT.jsonl] [--seconds N]

The default input is ../shared/eval/triage_dev_inputs.jsonl next to the repository. Only the
engine is timed (parsing the intake objects is done once up front); the target is ≥ 2,000
reports/second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake_forms.schema import parse_intake  # noqa: E402
from triage.engine import classify  # noqa: E402
from triage.policy import default_policy_document, load_policy  # noqa: E402

DEFAULT_INPUT = REPO / ".." / "shared" / "eval" / "triage_dev_inputs.jsonl"


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of an ascending list (nearest rank)."""
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT))
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to run the timed loop")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    with open(args.input, encoding="utf-8") as handle:
        intakes = [parse_intake(json.loads(line)) for line in handle if line.strip()]

    started = time.perf_counter()
    policy = load_policy(default_policy_document())
    load_ms = (time.perf_counter() - started) * 1000

    for intake in intakes:  # warm-up
        classify(intake, policy)

    timings: list[float] = []
    clock = time.perf_counter
    deadline = clock() + args.seconds
    loop_start = clock()
    while clock() < deadline:
        for intake in intakes:
            t0 = clock()
            classify(intake, policy)
            timings.append(clock() - t0)
    elapsed = clock() - loop_start
    timings.sort()
    print(
        json.dumps(
            {
                "reports": len(timings),
                "distinct_reports": len(intakes),
                "reports_per_second": round(len(timings) / elapsed, 1),
                "engine_reports_per_second": round(len(timings) / sum(timings), 1),
                "p50_us": round(percentile(timings, 0.50) * 1e6, 1),
                "p99_us": round(percentile(timings, 0.99) * 1e6, 1),
                "policy_load_ms": round(load_ms, 1),
                "policy_version": policy.version,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
