"""Proxies and run_workflow carry the task classes' types: mypy --strict checks user code.

A small user module is type-checked with mypy in a subprocess; every line marked ``# E:`` must
get exactly the error named there, and no other line may get one.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import reason

pytest.importorskip("mypy", reason=reason("mypy"))

USER_CODE = """\
from dataclasses import dataclass

from flowwire import Activity, ActivityProxy, LocalEngine, Workflow, WorkflowProxy
from flowwire import activity, run_workflow, workflow


@dataclass
class Receipt:
    number: str
    cents: int


@activity("charge", "1", "typing")
class Charge(Activity):
    def run(self, order_id: str, cents: int, *, currency: str = "EUR") -> Receipt:
        return Receipt(f"r-{order_id}", cents)


@workflow("refund", "1", "typing")
class Refund(Workflow):
    def run(self, receipt: Receipt) -> bool:
        return True


@workflow("checkout", "1", "typing")
class Checkout(Workflow):
    charge = ActivityProxy(Charge)
    refund = WorkflowProxy(Refund)
    by_name = ActivityProxy("charge", "1")

    def run(self, order_id: str) -> str:
        receipt = self.charge(order_id, 1250)
        self.charge(order_id, "12.50")  # E: arg-type
        self.charge(order_id, 1250, currency=978)  # E: arg-type
        self.charge(order_id)  # E: call-arg
        cents: str = self.charge(order_id, 1).cents  # E: assignment
        self.charge.options(retry=0)(order_id, 5).missing  # E: attr-defined
        ok: bool = self.refund(receipt)
        self.refund(order_id)  # E: arg-type
        self.by_name(1, "anything", at_all=True)  # a name and a version: anything goes
        return receipt.number + str(ok)


result: str = run_workflow(Checkout, "o-1")
number: int = run_workflow(Checkout, "o-1")  # E: assignment
LocalEngine().run(Checkout, "o-1")
LocalEngine().run(Checkout, 17)  # E: arg-type
"""


def test_mypy_strict_flags_wrong_arguments_and_misused_results(tmp_path: Path) -> None:
    module = tmp_path / "user_code.py"
    module.write_text(USER_CODE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--hide-error-context",
         "--no-error-summary", str(module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    expected = {
        number: marker
        for number, line in enumerate(USER_CODE.splitlines(), 1)
        if (marker := re.search(r"# E: ([\w-]+)$", line)) is not None
    }
    got: dict[int, list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r".*user_code\.py:(\d+): error: .*\[([\w-]+)\]$", line)
        assert match, f"unexpected mypy output: {line}"
        got.setdefault(int(match[1]), []).append(match[2])
    assert {n: m[1] for n, m in expected.items()} == {n: codes[0] for n, codes in got.items()}, (
        result.stdout
    )
