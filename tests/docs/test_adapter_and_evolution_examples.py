"""The runnable examples of the type-adapter and schema-evolution pages print what the pages
say they print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(script: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, f"examples/{script}.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_type_adapter_example_round_trips_money_in_every_codec() -> None:
    lines = run("type_adapters")
    assert [line.split()[0] for line in lines[:3]] == ["json", "msgpack", "protobuf"]
    assert all(line.endswith("-> Money('12.50', 'EUR')") for line in lines[:3])
    assert lines[3] == '{"number":"INV-7","total":["12.50","EUR"],"lines":[["12.50","EUR"]]}'
    assert lines[4].startswith("DecodeError: Money could not be rebuilt")
    assert lines[4].endswith("currency must have 3 letters, got 'EURO' (at $[\"total\"])")


def test_the_rolling_deploy_example_reads_both_directions() -> None:
    lines = run("rolling_deploy")
    assert lines == [
        "v1 -> v2: ShipmentV2(id='s-1', destination='12 Main Street', priority='normal')",
        "v2 -> v1, refuse: unexpected field 'destination' for ShipmentV1 (at $)",
        "v2 -> v1b, keep: ShipmentV1b(id='s-2', address='3 Quay Road') kept: "
        "{'priority': 'express'}",
        "v1b -> v2: ShipmentV2(id='s-2', destination='3 Quay Road', priority='express')",
    ]
