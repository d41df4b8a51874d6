"""The retry policy of examples/retry_policy.py on SWF (moto): the decider starts SWF timers
between attempts, and the delays are read from the recorded ``TimerStarted`` events
(``startToFireTimeout``), never from the clock. The same policy decided from an SWF-shaped
history (no server) gives the same decisions as on the local engines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from flowwire import get_transport
from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider
from flowwire.engines.swf.events import translate
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.history import TaskScheduled
from flowwire.testing.moto import MotoServer

from .replay import replay_client
from .shapes import SwfHistory
from .test_swf_decider import args, attrs, decide

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.retry_policy import Charge, Checkout, delays  # noqa: E402

JSON = get_transport("json")


def run_on_moto(moto_server: MotoServer, domain: str, *arguments: Any) -> tuple[Any, list[Any]]:
    swf = SWF(moto_server.client("swf"), domain)
    registry = TaskRegistry([Charge, Checkout])
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=1, activity_threads=1, stagger=0.25):
        run = start(swf, Checkout, list(arguments))
        result = run.result(timeout=60)
    events = moto_server.client("swf").get_workflow_execution_history(
        domain=domain, execution={"workflowId": run.workflow_id, "runId": run.run_id}
    )["events"]
    return result, translate(events, workflow_id=run.workflow_id)


@pytest.mark.swf
def test_failures_are_retried_after_swf_timers(moto_server: MotoServer) -> None:
    result, history = run_on_moto(moto_server, "retry", "flaky-swf", 7)
    assert result == {"receipt": "charged 7 to flaky-swf"}
    scheduled = [e.key for e in history if isinstance(e, TaskScheduled)]
    assert scheduled == ["charge-0-0", "charge-0-1", "charge-0-2"]
    assert delays(history) == [1, 2]


@pytest.mark.swf
def test_a_non_retryable_decline_is_not_retried_on_swf(moto_server: MotoServer) -> None:
    result, history = run_on_moto(moto_server, "retry-declined", "stolen-swf", 3)
    assert result == {"declined": "CardDeclined", "code": "stolen_card"}
    assert [e.key for e in history if isinstance(e, TaskScheduled)] == ["charge-0-0"]
    assert delays(history) == []


def test_the_decider_starts_the_backoff_timer_from_an_swf_shaped_history() -> None:
    """No server: the SWF events of a failed first attempt, as SWF records them."""
    registry = TaskRegistry([Charge, Checkout])
    decider = Decider(SWF(replay_client([]), "d"), "payments", WorkflowReplayer(registry))
    h = SwfHistory().started(args("c", 1), name="examples.retry.checkout")
    h.decision()
    try:
        raise ConnectionError("payment service unavailable")
    except ConnectionError as exc:
        reason, details = JSON.serialize_error(exc)
    h.activity("charge-0-0", name="examples.retry.charge")
    h.activity_failed("charge-0-0", reason, details)
    (timer,) = decide(decider, h.poll_response(workflow_type=("examples.retry.checkout", "1")))
    assert timer["decisionType"] == "StartTimer"
    assert attrs(timer) == {"timerId": "charge-0-1.delay", "startToFireTimeout": "1"}
