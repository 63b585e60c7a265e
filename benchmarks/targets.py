"""Issue #19's performance targets from the last `make bench`: one table, each target with what
was measured, its baseline in the same run, the ratio, the limit and pass/fail.

    python benchmarks/targets.py [--results DIR] [--output FILE]

Reads the JSON every benchmark wrote (`targets` in each) and writes them together to
`targets.json`; exits 1 when a target failed, 2 when a benchmark's results are missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/targets.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, machine, print_targets, write_results

# benchmark -> how many of its targets a complete run reports
EXPECTED = {"scrape": 1, "retrieval": 10, "chat": 2, "train": 1}


def collect(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for name, count in EXPECTED.items():
        path = folder / f"{name}.json"
        try:
            found = json.loads(path.read_text(encoding="utf-8")).get("targets", [])
        except (OSError, ValueError):
            found = []
        if len(found) < count:
            missing.append(f"{name}: {len(found)} of {count} targets in {path}")
        rows += [row | {"benchmark": name} for row in found]
    return rows, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    rows, missing = collect(args.results)
    print_targets(rows, "Issue #19 targets (make bench)")
    passed = sum(row["pass"] for row in rows)
    print(f"{passed} of {len(rows)} targets met.")
    for line in missing:
        print(f"Missing: {line} (run its benchmark: make bench)")
    payload = {"machine": machine(), "passed": passed, "targets": rows, "missing": missing}
    print(f"Written to {write_results('targets', payload, args.output)}")
    if missing:
        sys.exit(2)
    if passed < len(rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
