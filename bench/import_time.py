"""What importing flowwire costs: the median of interleaved ``python -X importtime`` runs.

    python bench/import_time.py [--runs 21] [--json FILE]

Each round starts one fresh interpreter per statement, in turn (interleaved, so a slow moment
of the machine touches every statement alike), with ``-X importtime``. A statement's cost is
the cumulative time of the top-level imports it caused: every top-level entry of its report
that a bare interpreter (``-c pass``) does not import. Medians and the spread (min..max) are
printed in milliseconds, with the Python version and the machine. Nothing is asserted:
tests/test_import_cost.py checks what a bare import loads, not how long it takes.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

#: statement -> what it stands for
STATEMENTS = {
    "import flowwire": "a bare import (every CLI call and worker start)",
    "from flowwire import Workflow, activity, workflow": "the programming model",
    "from flowwire import get_transport": "the transport layer",
    "from flowwire import LocalEngine": "the local engine",
}

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def top_level(statement: str) -> dict[str, int]:
    """``{module: cumulative microseconds}`` of the top-level imports of one run."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, int] = {}
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match and not match.group(3):  # no indentation: imported by the statement itself
            found[match.group(4)] = found.get(match.group(4), 0) + int(match.group(2))
    return found


def measure(runs: int) -> dict[str, list[float]]:
    """Milliseconds per run of each statement, the runs interleaved."""
    startup = set(top_level("pass"))
    times: dict[str, list[float]] = {s: [] for s in STATEMENTS}
    for _ in range(runs):
        for statement in STATEMENTS:
            imports = top_level(statement)
            micros = sum(t for name, t in imports.items() if name not in startup)
            times[statement].append(micros / 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds (default 21)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    times = measure(args.runs)
    print(f"python {platform.python_version()} on {platform.machine()} ({platform.platform()})")
    print(f"median of {args.runs} interleaved runs of python -X importtime -c STATEMENT")
    rows = []
    for statement, values in times.items():
        median = statistics.median(values)
        rows.append(
            {"statement": statement, "median_ms": round(median, 2), "runs": len(values)}
            | {"min_ms": round(min(values), 2), "max_ms": round(max(values), 2)}
        )
        print(
            f"{median:8.1f} ms  ({min(values):.1f}..{max(values):.1f})  {statement}"
            f"  [{STATEMENTS[statement]}]"
        )
    if args.json is not None:
        document = {"python": platform.python_version(), "machine": platform.machine()}
        args.json.write_text(json.dumps(document | {"results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
