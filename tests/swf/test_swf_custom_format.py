"""The starter-side override points on SWF: ``start`` encodes with the class's
``_serialize_arguments`` and ``WorkflowRun.result`` decodes with its ``_deserialize_result``,
building no instance; the custom-format example round-trips through moto."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowwire import Workflow, workflow
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.testing.moto import MotoServer

from .replay import replay_client

ROOT = Path(__file__).resolve().parents[2]


@workflow("counted", "1", "tl")
class Counted(Workflow):
    built: list[str] = []

    def __init__(self) -> None:
        self.built.append("instance")

    def run(self, value: int) -> int:
        return value + 1


def test_start_builds_no_instance_and_normalises_versions() -> None:
    records = [
        {"operation": "StartWorkflowExecution", "status": 200, "response": {"runId": "r-1"}},
        {"operation": "StartWorkflowExecution", "status": 200, "response": {"runId": "r-2"}},
    ]
    swf = SWF(replay_client(records), "d")
    run = start(swf, Counted, [41], workflow_id="c-1")
    assert Counted.built == []
    assert (run.run_id, run.workflow is Counted) == ("r-1", True)
    by_name = start(swf, ("counted", 1), [41], workflow_id="c-2")
    assert by_name.version == "1"
    sent = [body for _, body in swf.client.sent]
    assert sent[0]["input"] == sent[1]["input"] == '{"args":[41],"kwargs":{}}'
    assert sent[1]["workflowType"] == {"name": "counted", "version": "1"}


@pytest.mark.swf
def test_the_custom_format_example_round_trips_on_moto(moto_server: MotoServer) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples.custom_format import Invoice, Tax

    swf = SWF(moto_server.client("swf"), "custom-format")
    registry = TaskRegistry([Invoice, Tax])
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=1, activity_threads=1, stagger=0.25):
        run = start(swf, Invoice, kwargs={"customer": "ACME", "amount": "100.00"})
        assert run.result(timeout=60) == {"customer": "ACME", "tax": "20.00", "total": "120.00"}
    events = moto_server.client("swf").get_workflow_execution_history(
        domain="custom-format", execution={"workflowId": run.workflow_id, "runId": run.run_id}
    )["events"]
    by_type = {e["eventType"]: e for e in events}
    started = by_type["WorkflowExecutionStarted"]["workflowExecutionStartedEventAttributes"]
    assert started["input"] == "amount=100.00\ncustomer=ACME"
    scheduled = by_type["ActivityTaskScheduled"]["activityTaskScheduledEventAttributes"]
    assert scheduled["input"] == "amount=100.00"
    done = by_type["WorkflowExecutionCompleted"]["workflowExecutionCompletedEventAttributes"]
    assert done["result"] == "customer=ACME\ntax=20.00\ntotal=120.00"
