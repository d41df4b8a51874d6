"""The Python examples of docs/swf.md run, and its IAM policy allows exactly what they call.

The examples run against the moto server of ``flowwire.testing``. Every SWF API call is
recorded per program (registration, decider, activity worker, starter, async completion), each
program with its own boto3 client, and checked against the statement of the page's policy that
the page says that program needs.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all, start
from flowwire.errors import TaskError
from flowwire.testing.moto import MotoServer

pytestmark = pytest.mark.swf

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "swf.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples import docs_swf_async, docs_swf_start, swf_orders  # noqa: E402


def policy_statements() -> dict[str, set[str]]:
    """``Sid -> actions`` of the page's IAM policy (the ```json block under "IAM permissions")."""
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(r"## IAM permissions\n.*?```json\n(.*?)```", text, re.S)
    assert match, "the IAM policy block of docs/swf.md is missing"
    policy = json.loads(match.group(1))
    statements: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "arn:aws:swf:REGION:ACCOUNT:/domain/DOMAIN"
        actions = statement["Action"]
        statements[statement["Sid"]] = {actions} if isinstance(actions, str) else set(actions)
    return statements


class Recorder:
    """The SWF operations each program calls, one boto3 client per program."""

    def __init__(self, server: MotoServer, domain: str) -> None:
        self.server, self.domain = server, domain
        self.calls: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def swf(self, program: str) -> SWF:
        client = self.server.client("swf")
        calls = self.calls.setdefault(program, set())

        def record(model: Any, **_: Any) -> None:
            with self._lock:
                calls.add(f"swf:{model.name}")

        client.meta.events.register("before-call.swf", record)
        return SWF(client, self.domain)


@pytest.fixture
def recorder(moto_server: MotoServer, swf_domain: str) -> Iterator[Recorder]:
    yield Recorder(moto_server, swf_domain)


ORDER = {"id": "o-1", "lines": [["sku-1", 2], ["sku-2", 1]]}
SHIPPED = {"order": "o-1", "receipt": "receipt-o-1-15.00", "status": "shipped"}


def test_from_python_example(recorder: Recorder) -> None:
    assert docs_swf_start.place_order(recorder.swf("all"), ORDER) == SHIPPED


#: Actions a program needs only in situations this test does not create.
NOT_EXERCISED = {
    # a decider reads the full history when another process took the previous decision
    "Decide": {"swf:GetWorkflowExecutionHistory"},
    # answered when SWF reports a cancellation request, which moto never does
    "WorkActivities": {"swf:RespondActivityTaskCanceled"},
}


def test_each_program_needs_only_its_statement(recorder: Recorder) -> None:
    statements = policy_statements()
    registry = TaskRegistry(
        [swf_orders.Reserve, swf_orders.Charge, swf_orders.Ship, swf_orders.PlaceOrder]
    )
    register_all(recorder.swf("Register"), registry.specs())
    register_all(recorder.swf("Register"), registry.specs())  # types exist: described, compared
    deciders = WorkerPool(recorder.swf("Decide"), registry, deciders=1, activity_threads=0)
    workers = WorkerPool(recorder.swf("WorkActivities"), registry, deciders=0, stagger=0.25)
    with deciders, workers:
        starter = recorder.swf("StartAndWait")
        run = start(starter, swf_orders.PlaceOrder, [ORDER])
        failing = start(starter, swf_orders.PlaceOrder, [{"id": "o-2", "lines": [["sku-9", 1]]}])
        assert run.result(timeout=60) == SHIPPED
        with pytest.raises(TaskError, match="unknown sku 'sku-9'"):
            failing.result(timeout=60)
    assert set(recorder.calls) == set(statements)
    for program, calls in recorder.calls.items():
        # each program is allowed what it calls, and granted nothing it never calls
        assert calls == statements[program] - NOT_EXERCISED.get(program, set()), program


def test_async_completion_example(recorder: Recorder) -> None:
    statements = policy_statements()
    registry = TaskRegistry([docs_swf_async.ChargeByPhone, docs_swf_async.PhoneOrder])
    swf = recorder.swf("all")
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=1, activity_threads=2, stagger=0.25):
        paid = start(swf, docs_swf_async.PhoneOrder, ["o-7", 12.5])
        declined = start(swf, docs_swf_async.PhoneOrder, ["o-8", 99.0])
        waiting = dict(
            (order_id, token)
            for order_id, _amount, token in (
                docs_swf_async.CALL_CENTRE.get(timeout=30) for _ in range(2)
            )
        )
        # the call centre's program, with its own client and only the WorkActivities actions
        centre = recorder.swf("AsyncCompletion")
        assert docs_swf_async.settle(centre, waiting["o-7"], "receipt-17")
        assert docs_swf_async.settle(centre, waiting["o-8"], None)
        assert paid.result(timeout=60) == "paid: receipt-17"
        assert declined.result(timeout=60) == "not paid: card declined"
        # a closed task is no longer wanted: the heartbeat says so
        assert not docs_swf_async.settle(centre, waiting["o-7"], "receipt-17")
    assert recorder.calls["AsyncCompletion"] <= statements["WorkActivities"]
