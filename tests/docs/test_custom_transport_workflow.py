"""The workflow of the custom-transport page runs on the local engine and from the CLI."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from _extras import reason

pytest.importorskip("cbor2", reason=reason("cbor2"))

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.custom_transport_workflow import Checkout, Total  # noqa: E402
from flowwire.engines.local import run_workflow  # noqa: E402
from flowwire.task import run_activity  # noqa: E402
from flowwire.transport import get_transport  # noqa: E402


@pytest.mark.parametrize("transport", [None, "cbor", "json"])
def test_run_workflow(transport: str | None) -> None:
    prices = [Decimal("1.10"), Decimal("2.20")]
    assert run_workflow(Checkout, prices, transport=transport) == "total 3.30"


def test_activity_speaks_cbor() -> None:
    cbor = get_transport("cbor")
    payload = cbor.serialize_arguments(([Decimal("1.10"), Decimal("2.20")],), {})
    outcome = run_activity(Total, payload, token="t")
    assert outcome.result is not None
    assert outcome.result.startswith("~")  # binary codec: armored envelope, not JSON text
    assert cbor.deserialize_result(outcome.result, type_hint=Decimal) == Decimal("3.30")


@pytest.mark.parametrize("extra", [[], ["--processes"]])
def test_cli_transport_cbor(extra: list[str]) -> None:
    command = [
        sys.executable,
        "-m",
        "flowwire.cli",
        "run",
        "examples.custom_transport_workflow:Checkout",
        '["1.10", "2.20"]',
        "--transport",
        "cbor",
        *extra,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '"total 3.30"'


def test_module_main() -> None:
    command = [sys.executable, "-m", "examples.custom_transport_workflow"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "total 3.30"
