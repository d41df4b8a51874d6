"""The SWF engine end to end against moto in server mode: starter, deciders and activity
workers on threads, over each built-in transport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF, SWFError
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.engines.swf.worker import AsyncCompletion
from flowwire.errors import TaskError, UnknownTaskError
from flowwire.testing.moto import MotoServer
from flowwire.transport import builtin_codecs, get_transport

from . import workflows as w

pytestmark = pytest.mark.swf

TRANSPORTS = builtin_codecs()


@pytest.fixture
def swf(moto_server: MotoServer) -> SWF:
    return SWF(moto_server.client("swf"), "e2e")


def pool(swf: SWF, transport: str | None = None, **options: Any) -> WorkerPool:
    registry = TaskRegistry(
        w.ALL, transport=None if transport is None else get_transport(transport)
    )
    register_all(swf, registry.specs())
    options.setdefault("deciders", 4)
    options.setdefault("activity_threads", 4)
    options.setdefault("stagger", 0.25)  # moto answers empty polls after 0.25 s: spread
    return WorkerPool(swf, registry, **options)


@pytest.fixture(params=TRANSPORTS)
def workers(request: pytest.FixtureRequest, swf: SWF) -> Iterator[tuple[WorkerPool, str]]:
    with pool(swf, request.param) as running:
        yield running, request.param


def test_fanout_and_values(workers: tuple[WorkerPool, str], swf: SWF) -> None:
    _, transport = workers
    runs = [
        start(swf, w.FanOut, [[1, 2, 3, 4]], transport=transport, tags=["fan", "out"]),
        start(swf, w.Values, [b"\x00\xff"], transport=transport),
    ]
    assert runs[0].result(timeout=30) == 20
    value = runs[1].result(timeout=30)
    assert value == {"data": b"\x00\xff", "when": -0.0, "big": 2**70}
    assert str(value["when"]) == "-0.0"
    info = swf.call(
        "DescribeWorkflowExecution",
        domain=swf.domain,
        execution={"workflowId": runs[0].workflow_id, "runId": runs[0].run_id},
    )
    assert info["executionInfo"]["tagList"] == ["fan", "out"]


def test_failures_and_error_chaining(swf: SWF) -> None:
    # live=False: every decision replays the whole history (what a fresh decider does)
    with pool(swf, "msgpack", deciders=3, activity_threads=3, live=False):
        _failures_and_error_chaining(swf, "msgpack")


def _failures_and_error_chaining(swf: SWF, transport: str) -> None:
    failing = start(swf, w.Failing, ["no luck"], transport=transport)
    handling = start(swf, w.Handling, ["handled"], transport=transport)
    assert handling.result(timeout=30) == "caught ValueError: handled"
    with pytest.raises(TaskError) as info:
        failing.result(timeout=30)
    assert "no luck" in str(info.value)
    assert "activity 'fail' v1 (fail-0-0)" in str(info.value)
    history = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": failing.workflow_id, "runId": failing.run_id},
    )["events"]
    scheduled = [
        e["activityTaskScheduledEventAttributes"]["activityId"]
        for e in history
        if e["eventType"] == "ActivityTaskScheduled"
    ]
    assert scheduled == ["fail-0-0"]  # double never ran on the failed value


def test_result_over_the_limit_fails_naming_the_task(swf: SWF) -> None:
    with pool(swf, deciders=3, activity_threads=3):
        run = start(swf, w.TooBig, [40_000])
        with pytest.raises(TaskError) as info:
            run.result(timeout=30)
    message = str(info.value)
    assert "PayloadTooLarge" in message
    assert "32,768" in message
    assert "activity 'huge' v1 (huge-0-0)" in message


def test_heartbeat_timeout_retry_after_a_delay_timer(swf: SWF) -> None:
    w.HEARTBEAT_ATTEMPTS.clear()
    w.HEARTBEAT_ANSWERS.clear()
    with pool(swf, deciders=3, activity_threads=3):
        run = start(swf, w.Delayed, [4])
        assert run.result(timeout=40) == 50
    assert w.HEARTBEAT_ATTEMPTS == [4, 4]
    assert w.HEARTBEAT_ANSWERS == [False]  # the first attempt learnt it had timed out
    events = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": run.workflow_id, "runId": run.run_id},
    )["events"]
    kinds = [e["eventType"] for e in events]
    assert "ActivityTaskTimedOut" in kinds
    assert kinds.count("TimerFired") == 1
    timer = next(e for e in events if e["eventType"] == "TimerStarted")
    assert timer["timerStartedEventAttributes"] == {
        "timerId": "stall-0-1.delay",
        "startToFireTimeout": "1",
        "decisionTaskCompletedEventId": timer["timerStartedEventAttributes"][
            "decisionTaskCompletedEventId"
        ],
    }


def test_async_completion(swf: SWF) -> None:
    w.SUSPENDED_TOKENS.clear()
    w.SUSPENDED.clear()
    with pool(swf, deciders=3, activity_threads=3):
        run = start(swf, w.Suspended, [1])
        assert w.SUSPENDED.wait(20)
        completion = AsyncCompletion(swf)
        token = w.SUSPENDED_TOKENS[0]
        assert completion.heartbeat(token) is True
        completion.complete(token, 41)
        assert run.result(timeout=30) == 42
        assert completion.heartbeat(token) is False  # closed: the task is gone
        with pytest.raises(UnknownTaskError):  # the same error as the local engine's client
            completion.complete(token, 1)


def test_async_failure(swf: SWF) -> None:
    w.SUSPENDED_TOKENS.clear()
    w.SUSPENDED.clear()
    with pool(swf, deciders=3, activity_threads=3):
        run = start(swf, w.Suspended, [1])
        assert w.SUSPENDED.wait(20)
        AsyncCompletion(swf).fail(w.SUSPENDED_TOKENS[0], "card declined")
        with pytest.raises(TaskError, match="card declined"):
            run.result(timeout=30)


def test_start_by_name_and_version(swf: SWF) -> None:
    with pool(swf, deciders=3, activity_threads=3):
        run = start(swf, ("sequence", "1"), [60], workflow_id="by-name", task_list=w.DECISIONS)
        assert run.workflow_id == "by-name"
        with pytest.raises(SWFError) as info:  # an open execution with that id exists
            start(swf, ("sequence", "1"), [1], workflow_id="by-name")
        assert info.value.code == "WorkflowExecutionAlreadyStartedFault"
        assert run.result(timeout=30) == 120


def test_unknown_workflow_type_fails_the_run_clearly(swf: SWF) -> None:
    registry = TaskRegistry([w.Double, w.Sequence])
    register_all(swf, TaskRegistry(w.ALL).specs())
    with WorkerPool(swf, registry, deciders=3, activity_threads=3, stagger=0.25):
        run = start(swf, w.FanOut, [[1]])
        with pytest.raises(TaskError, match="no workflow 'fanout' v1"):
            run.result(timeout=30)


def test_large_payloads_are_offloaded_to_s3(swf: SWF, moto_server: MotoServer) -> None:
    """Over SWF's limit with an offload stage: the payload goes to S3 (moto), the history
    keeps a reference, the workflow completes."""
    from flowwire.transport import MsgpackTransport
    from flowwire.transport.stages import Offload, S3Store

    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="payloads")
    transport = MsgpackTransport(stages=[Offload(S3Store("payloads", "swf/", client=s3))])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=3, activity_threads=3, stagger=0.25):
        run = start(swf, w.TooBig, [100_000], transport=transport)
        assert run.result(timeout=30) == 100_000
    events = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": run.workflow_id, "runId": run.run_id},
    )["events"]
    (completed,) = [e for e in events if e["eventType"] == "ActivityTaskCompleted"]
    assert len(completed["activityTaskCompletedEventAttributes"]["result"]) < 1_000
    assert s3.list_objects_v2(Bucket="payloads", Prefix="swf/")["KeyCount"] == 1


def test_the_registry_store_serves_offload_stages_configured_without_one(
    swf: SWF, moto_server: MotoServer
) -> None:
    """``TaskRegistry(store=...)`` is the SWF engine's offload store: a ``"msgpack+offload"``
    engine default (a name, so its stage has no store) writes into it, with every other option
    of the transport kept (issue 12: transports take a context, they are not rebuilt)."""
    from flowwire.transport.stages import S3Store

    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="engine-store")
    store = S3Store("engine-store", "ctx/", client=s3)
    registry = TaskRegistry(w.ALL, transport="msgpack+offload", store=store)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=3, activity_threads=3, stagger=0.25):
        run = start(swf, w.TooBig, [100_000], registry=registry)
        assert run.result(timeout=30) == 100_000
    assert s3.list_objects_v2(Bucket="engine-store", Prefix="ctx/")["KeyCount"] == 1
    assert registry.transport_for(w.TooBig).name == "msgpack+offload"


def test_latin1_armor_goes_through_boto3_and_moto_and_warns(
    swf: SWF, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto keeps every character; real SWF is not verified to, hence the warning.
    from flowwire.engines.swf import limits

    monkeypatch.setattr(limits, "_warned_latin1", False)
    latin1 = get_transport("msgpack", armor="latin-1")
    registry = TaskRegistry(w.ALL, transport=latin1)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        with pytest.warns(limits.LatinArmorWarning, match="input of workflow"):
            run = start(swf, w.Values, [b"\x00\xff"], transport=latin1)
        assert run.result(timeout=30) == {"data": b"\x00\xff", "when": -0.0, "big": 2**70}
    history = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": run.workflow_id, "runId": run.run_id},
    )["events"]
    started = history[0]["workflowExecutionStartedEventAttributes"]
    assert started["input"].startswith("FW\x01\x07msgpack\x00")
