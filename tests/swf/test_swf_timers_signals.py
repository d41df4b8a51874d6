"""Timers and signals on SWF: the approval workflow over moto (which has StartTimer, TimerFired
and SignalWorkflowExecution), and what moto lacks (SignalExternalWorkflowExecution: a workflow
signalling another execution) with SWF-shaped histories fed to the decider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from examples.approval import Approval, Notify
from flowwire.decision import CompleteWorkflow, SignalExternal
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decisions import to_swf
from flowwire.engines.swf.events import translate
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import WorkflowRun, signal, start
from flowwire.errors import ConfigurationError, UnknownExecutionError
from flowwire.history import SignalDelivered, SignalReceived, SignalSendFailed, SignalSent
from flowwire.replay import replay
from flowwire.result import wait
from flowwire.task import Workflow, workflow
from flowwire.testing.moto import MotoServer
from flowwire.transport import get_transport
from flowwire.waits import send_signal, wait_signal

pytestmark = pytest.mark.swf

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def swf(moto_server: MotoServer) -> SWF:
    return SWF(moto_server.client("swf"), "signals")


def _pool(swf: SWF) -> WorkerPool:
    registry = TaskRegistry([Approval, Notify])
    register_all(swf, registry.specs())
    return WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25)


def _events(run: WorkflowRun) -> list[dict[str, Any]]:
    return list(
        run.swf.call(
            "GetWorkflowExecutionHistory",
            domain=run.swf.domain,
            execution={"workflowId": run.workflow_id, "runId": run.run_id},
        )["events"]
    )


def _wait_for(run: WorkflowRun, event_type: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(e["eventType"] == event_type for e in _events(run)):
        assert time.monotonic() < deadline, f"no {event_type} in {run.what}"
        time.sleep(0.1)


def test_approval_signal_arrives_first(swf: SWF) -> None:
    with _pool(swf):
        run = start(swf, Approval, ["order 17", "ops@example.com"], workflow_id="order-17")
        _wait_for(run, "ActivityTaskCompleted")
        run.signal("approval", True)
        assert run.result(timeout=30) == "approved order 17 (notified: ops@example.com)"
    events = _events(run)
    started = next(e for e in events if e["eventType"] == "TimerStarted")
    assert started["timerStartedEventAttributes"]["timerId"] == "timer.0"
    assert started["timerStartedEventAttributes"]["startToFireTimeout"] == str(48 * 3600)
    signalled = next(e for e in events if e["eventType"] == "WorkflowExecutionSignaled")
    assert signalled["workflowExecutionSignaledEventAttributes"]["signalName"] == "approval"
    assert signalled["workflowExecutionSignaledEventAttributes"]["input"] == "true"
    with pytest.raises(UnknownExecutionError, match="order-17"):  # it closed
        run.signal("approval", False)


def test_approval_timeout_wins(swf: SWF) -> None:
    # moto fires timers in real time: a 1-second timeout stands in for the 48 hours here (the
    # in-memory engine's virtual clock runs the real 48 hours, tests/waits/)
    with _pool(swf):
        run = start(swf, Approval, ["order 18", "ops@example.com", 1 / 3600])
        assert run.result(timeout=30) == "expired order 18 (reminded: ops@example.com)"
    kinds = [e["eventType"] for e in _events(run)]
    assert kinds.count("TimerFired") == 1
    assert "WorkflowExecutionSignaled" not in kinds


def test_signals_to_unknown_executions_and_bad_names(swf: SWF) -> None:
    with _pool(swf), pytest.raises(UnknownExecutionError, match="no-such-order"):
        signal(swf, "no-such-order", "approval", True, workflow=Approval)
    with pytest.raises(ConfigurationError, match="contains ':'"):
        signal(swf, "order-1", "ap:proval", True)
    with pytest.raises(ConfigurationError, match="256"):
        signal(swf, "order-1", "x" * 257)


@workflow("signals.sender", "1", "signals")
class Sender(Workflow):
    def run(self, target: str) -> str:
        sent = send_signal(target, "approval", {"by": "sender"}, workflow=Approval)
        try:
            wait(sent)
        except UnknownExecutionError as exc:
            return f"not delivered: {exc.workflow_id}"
        return "delivered"


def _swf_history(*more: dict[str, Any]) -> list[dict[str, Any]]:
    """An SWF-shaped history (the shapes of SWF's API reference; moto cannot make these)."""
    events: list[dict[str, Any]] = [
        {
            "eventId": 1,
            "eventType": "WorkflowExecutionStarted",
            "workflowExecutionStartedEventAttributes": {
                "input": '{"args":["order-17"],"kwargs":{}}'
            },
        },
        {"eventId": 2, "eventType": "DecisionTaskScheduled"},
        {"eventId": 3, "eventType": "DecisionTaskStarted"},
        {"eventId": 4, "eventType": "DecisionTaskCompleted"},
        {
            "eventId": 5,
            "eventType": "SignalExternalWorkflowExecutionInitiated",
            "signalExternalWorkflowExecutionInitiatedEventAttributes": {
                "workflowId": "order-17",
                "signalName": "approval",
                "input": '{"by":"sender"}',
                "control": "signal.0",
                "decisionTaskCompletedEventId": 4,
            },
        },
    ]
    for offset, event in enumerate(more):
        events.append({"eventId": 6 + offset, **event})
    return events


def test_send_signal_from_a_workflow_swf_shaped_histories() -> None:
    # moto does not implement the SignalExternalWorkflowExecution decision: SWF-shaped
    first = translate(_swf_history()[:4], workflow_id="sender-1")
    [decision] = replay(Sender, first)
    assert decision == SignalExternal("signal.0", "order-17", "approval", '{"by":"sender"}')
    assert to_swf(decision, workflow_id="sender-1") == {
        "decisionType": "SignalExternalWorkflowExecution",
        "signalExternalWorkflowExecutionDecisionAttributes": {
            "workflowId": "order-17",
            "signalName": "approval",
            "input": '{"by":"sender"}',
            "control": "signal.0",
        },
    }
    waiting = translate(_swf_history(), workflow_id="sender-1")
    assert waiting[-1] == SignalSent("signal.0", "order-17", "approval", '{"by":"sender"}')
    assert replay(Sender, waiting) == []
    delivered = _swf_history(
        {
            "eventType": "ExternalWorkflowExecutionSignaled",
            "externalWorkflowExecutionSignaledEventAttributes": {
                "initiatedEventId": 5,
                "workflowExecution": {"workflowId": "order-17", "runId": "r1"},
            },
        }
    )
    history = translate(delivered, workflow_id="sender-1")
    assert history[-1] == SignalDelivered("signal.0")
    assert replay(Sender, history) == [CompleteWorkflow('"delivered"')]
    failed = _swf_history(
        {
            "eventType": "SignalExternalWorkflowExecutionFailed",
            "signalExternalWorkflowExecutionFailedEventAttributes": {
                "workflowId": "order-17",
                "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
                "initiatedEventId": 5,
                "decisionTaskCompletedEventId": 4,
                "control": "signal.0",
            },
        }
    )
    history = translate(failed, workflow_id="sender-1")
    assert history[-1] == SignalSendFailed("signal.0", "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION")
    assert replay(Sender, history) == [CompleteWorkflow('"not delivered: order-17"')]


def test_a_signal_without_input_is_none() -> None:
    events = [
        {
            "eventId": 1,
            "eventType": "WorkflowExecutionStarted",
            "workflowExecutionStartedEventAttributes": {"input": '{"args":["o","a"],"kwargs":{}}'},
        },
        {
            "eventId": 2,
            "eventType": "WorkflowExecutionSignaled",
            "workflowExecutionSignaledEventAttributes": {"signalName": "approval"},
        },
    ]
    history = translate(events, workflow_id="o")
    assert history[-1] == SignalReceived("approval", "")
    assert replay(Receiver, history) == [CompleteWorkflow("null")]


@workflow("signals.receiver", "1", "signals")
class Receiver(Workflow):
    def run(self, order: str, approver: str) -> Any:
        return wait_signal("approval")


def test_flowwire_swf_signal_end_to_end(moto_server: MotoServer) -> None:
    """``flowwire swf start`` and ``flowwire swf signal`` in their own processes, a worker
    pool on moto deciding: the approval arrives by the command line."""
    env = {**os.environ, **moto_server.env(), "PYTHONPATH": str(ROOT)}

    def flowwire_swf(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flowwire", "swf", *argv, "--domain", "signals"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    swf = SWF(moto_server.client("swf"), "signals")
    with _pool(swf):
        started = flowwire_swf(
            "start", "examples.approval:Approval", "order 21", "ops", "--workflow-id", "order-21"
        )
        assert started.returncode == 0, started.stderr
        ids = json.loads(started.stdout)
        run = WorkflowRun(
            swf, ids["workflowId"], ids["runId"], "examples.approval.request", "1",
            get_transport("json"), workflow=Approval,
        )  # fmt: skip
        _wait_for(run, "TimerStarted")
        sent = flowwire_swf(
            "signal", "order-21", "approval", "true", "--workflow", "examples.approval:Approval"
        )
        assert sent.returncode == 0, sent.stderr
        assert sent.stderr.strip() == "sent 'approval' to order-21"
        assert run.result(timeout=60) == "approved order 21 (notified: ops)"
    closed = flowwire_swf("signal", "order-21", "approval", "false")
    assert closed.returncode == 2
    assert "no open execution has the workflow id 'order-21'" in closed.stderr
