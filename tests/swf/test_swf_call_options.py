"""Options per call reach SWF in the decision and come back in the history as the local engine
records them: the defaults example (examples/defaults.py) on moto and on the local engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowwire import LocalEngine, get_transport
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.events import translate
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.testing.moto import MotoServer

from .shapes import SwfHistory
from .test_swf_decider import args, attrs, decide, make_decider

ROOT = Path(__file__).resolve().parents[2]


def test_a_call_with_options_is_decided_with_them() -> None:
    """tests/swf/workflows.py's Sequence, its calls given options by a subclass."""
    from flowwire import ActivityProxy, Workflow, workflow

    from . import workflows as w

    @workflow("optioned", "1", w.DECISIONS)
    class Optioned(Workflow):
        double = ActivityProxy(w.Double, heartbeat=9)

        def run(self, value: int) -> int:
            urgent = self.double.options(start_to_close=7, task_list="urgent", heartbeat=None)
            return urgent(value) + self.double(value)

    decider = make_decider()
    decider.replayer.registry.workflows[("optioned", "1")] = Optioned  # type: ignore[attr-defined]
    h = SwfHistory().started(args(3))
    first, second = decide(decider, h.poll_response(workflow_type=("optioned", "1")))
    a, b = attrs(first), attrs(second)
    assert (a["activityId"], a["startToCloseTimeout"], a["taskList"]) == (
        "double-0-0",
        "7",
        {"name": "urgent"},
    )
    assert a["heartbeatTimeout"] == "9"  # None: left as the proxy had it
    assert (b["activityId"], b["startToCloseTimeout"], b["taskList"]) == (
        "double-1-0",
        "300",
        {"name": w.ACTIVITIES},
    )


@pytest.mark.swf
def test_both_engines_record_the_same_options(moto_server: MotoServer) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples.defaults import Charge, Checkout, scheduled

    local = LocalEngine([Charge], transport="msgpack")
    assert local.run(Checkout, 12) == "charged 12"
    (local_history,) = local.histories.values()

    swf = SWF(moto_server.client("swf"), "defaults")
    registry = TaskRegistry([Charge, Checkout], transport=get_transport("msgpack"))
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=1, activity_threads=1, stagger=0.25):
        run = start(swf, Checkout, [12], transport="msgpack")
        assert run.result(timeout=60) == "charged 12"
    events = moto_server.client("swf").get_workflow_execution_history(
        domain="defaults", execution={"workflowId": run.workflow_id, "runId": run.run_id}
    )["events"]
    swf_history = translate(events, workflow_id=run.workflow_id)
    (on_swf,) = scheduled(swf_history)
    (on_local,) = scheduled(local_history)
    assert (on_swf.key, on_swf.name, on_swf.version, on_swf.kind) == (
        on_local.key,
        on_local.name,
        on_local.version,
        on_local.kind,
    )
    # moto leaves out of the event a timeout the decision did not send (the heartbeat here);
    # real SWF records the registered default ("NONE": None) as the local engine does
    assert set(on_local.options) - set(on_swf.options) <= {"heartbeat"}
    assert on_swf.options == {k: on_local.options[k] for k in on_swf.options}
    assert on_local.options == {
        "task_list": "payments",  # registration
        "heartbeat": None,
        "schedule_to_close": 200,  # proxy
        "schedule_to_start": 60,  # registration
        "start_to_close": 30,  # call
    }
    assert swf_history[0] == local_history[0]  # the same msgpack input: the engine's transport
