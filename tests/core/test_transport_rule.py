"""The one transport rule, over every combination of workflow, activity, proxy and engine
transports, on the local engine and on SWF (moto): the codec and armor in each payload's header
must be the ones the rule names (flowwire.transport_rule's table). The matrix workflow calls an
activity that answers and one that fails (the error's details are a payload too); on the local
engine a second matrix also calls a child workflow (``WorkflowProxy``: its input and result) and
continues as new (the restart input). Moto has neither child workflows nor continue-as-new.

Each transport of the matrix writes a distinguishable signature (codec + armor), so a payload
says which transport wrote it:

=========  ==========================  ===========
role       transport                   signature
=========  ==========================  ===========
default    JSON (no engine default)    json/plain
engine     msgpack, latin-1 armor      msgpack/F
workflow   msgpack, base64 armor       msgpack/~
activity   protobuf, base64 armor      protobuf/~
proxy      protobuf, latin-1 armor     protobuf/F
=========  ==========================  ===========
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from flowwire import (
    Activity,
    ActivityProxy,
    JSONTransport,
    LocalEngine,
    TaskError,
    Workflow,
    WorkflowProxy,
    activity,
    restart,
    wait,
    workflow,
)
from flowwire.history import TaskCompleted, TaskFailed, TaskScheduled, WorkflowStarted
from flowwire.transport import envelope, get_transport

ENGINE = get_transport("msgpack", armor="latin-1")
WORKFLOW = get_transport("msgpack")
ACTIVITY = get_transport("protobuf")
PROXY = get_transport("protobuf", armor="latin-1")
SIGNATURES = {
    None: "json/plain",
    "engine": "msgpack/F",
    "workflow": "msgpack/~",
    "activity": "protobuf/~",
    "proxy": "protobuf/F",
}

COMBINATIONS = list(itertools.product([False, True], repeat=4))  # workflow, activity, proxy, engine


def signature(payload: str) -> str:
    """``codec/armor`` of a payload: the header's codec and the armor's first character."""
    if payload[:1] in ("~", "F"):
        return f"{envelope.unpack(envelope.dearmor(payload)).codec}/{payload[0]}"
    return "json/plain"


def expected(combo: tuple[bool, bool, bool, bool]) -> dict[str, str]:
    """What the rule names for each payload of one call of the matrix workflow."""
    has_workflow, has_activity, has_proxy, has_engine = combo
    default = "engine" if has_engine else None
    workflow_side = "workflow" if has_workflow else default
    activity_side = "activity" if has_activity else default
    return {
        "workflow input": SIGNATURES[workflow_side],
        "call input": SIGNATURES["proxy" if has_proxy else activity_side],
        "call result": SIGNATURES[activity_side],
        "call failure": SIGNATURES[activity_side],  # written by the activity's worker
        "workflow result": SIGNATURES[workflow_side],
    }


def label(combo: tuple[bool, bool, bool, bool]) -> str:
    names = ("workflow", "activity", "proxy", "engine")
    return "+".join(n for n, on in zip(names, combo, strict=True) if on) or "none"


def declared(combo: tuple[bool, bool, bool, bool]) -> tuple[Any, Any, Any]:
    """The transports the workflow type, the activity types and the proxies declare (``None``
    where ``combo`` switches theirs off); the engine's is the caller's."""
    has_workflow, has_activity, has_proxy, _ = combo
    return (
        WORKFLOW if has_workflow else None,
        ACTIVITY if has_activity else None,
        PROXY if has_proxy else None,
    )


def make_classes(combo: tuple[bool, bool, bool, bool], task_list: str) -> tuple[type, ...]:
    """Two activities (one answers, one fails) and a workflow calling both, declaring the
    transports ``combo`` switches on."""
    on_workflow, on_activity, on_proxy = declared(combo)
    name = f"tests.rule.{label(combo)}"

    @activity(f"{name}.double", "1", task_list, transport=on_activity)
    class Double(Activity):
        def run(self, x: int) -> int:
            return 2 * x

    @activity(f"{name}.refuse", "1", task_list, transport=on_activity)
    class Refuse(Activity):
        def run(self, x: int) -> int:
            raise ValueError(f"refused {x}")

    @workflow(name, "1", task_list, transport=on_workflow)
    class Matrix(Workflow):
        double = ActivityProxy(Double, transport=on_proxy)
        refuse = ActivityProxy(Refuse, transport=on_proxy, error_handling=True)

        def run(self, x: int) -> int:
            doubled, refused = self.double(x), self.refuse(x)  # both in the first decision
            try:
                wait(refused)
            except TaskError as exc:  # the proxy's side read the error's details
                assert exc.message == f"refused {x}", exc.message
            else:
                return -1
            return doubled + 1

    return Double, Refuse, Matrix


def observed(engine: LocalEngine) -> dict[str, str]:
    [(run_id, history)] = engine.histories.items()
    [start] = [e for e in history if isinstance(e, WorkflowStarted)]
    scheduled = {e.key: e for e in history if isinstance(e, TaskScheduled)}
    [done] = [e for e in history if isinstance(e, TaskCompleted)]
    failed = [e for e in history if isinstance(e, TaskFailed)]
    assert engine.store is not None
    record = engine.store.run(run_id)
    assert record is not None and record.result is not None
    seen = {
        "workflow input": signature(start.input),
        "call input": signature(scheduled[done.key].input or ""),
        "call result": signature(done.result),
        "workflow result": signature(record.result),
    }
    if failed:  # the matrix's refusing call: written like any call's input
        [failure] = failed
        assert signature(scheduled[failure.key].input or "") == seen["call input"]
        seen["call failure"] = signature(failure.details)
    return seen


@pytest.mark.parametrize("combo", COMBINATIONS, ids=label)
def test_local_engine_payloads_follow_the_rule(combo: tuple[bool, bool, bool, bool]) -> None:
    *activities, workflow_cls = make_classes(combo, "tl-rule")
    engine = LocalEngine(activities, transport=ENGINE if combo[3] else None, verify_replay=True)
    assert engine.run(workflow_cls, 20) == 41
    assert observed(engine) == expected(combo)


# -- child workflows and restarts (the local engine) --------------------------------------


def make_parent(combo: tuple[bool, bool, bool, bool], task_list: str) -> tuple[type, type]:
    """A child workflow declaring the transport an activity of the matrix would (it is the
    target of a call like one), and a parent that continues as new once, then calls it."""
    on_workflow, on_activity, on_proxy = declared(combo)
    name = f"tests.rule.parent.{label(combo)}"

    @workflow(f"{name}.child", "1", task_list, transport=on_activity)
    class Triple(Workflow):
        def run(self, x: int) -> int:
            return 3 * x

    @workflow(name, "1", task_list, transport=on_workflow)
    class Parent(Workflow):
        triple = WorkflowProxy(Triple, transport=on_proxy)

        def run(self, x: int, first: bool = True) -> int:
            if first:
                return restart(x, first=False)
            return wait(self.triple(x)) + 1

    return Triple, Parent


def expected_of_parent(combo: tuple[bool, bool, bool, bool]) -> dict[str, str]:
    """What the rule names for the restart and the child call of :func:`make_parent`."""
    rule = expected(combo)
    return {
        "workflow input": rule["workflow input"],
        "restart input": rule["workflow result"],  # the workflow type's transport too
        "child input": rule["call input"],
        "child's own input": rule["call input"],  # the same payload, as the parent wrote it
        "child result": rule["call result"],
        "child's own result": rule["call result"],
        "workflow result": rule["workflow result"],
    }


def observed_of_parent(engine: LocalEngine) -> dict[str, str]:
    assert engine.store is not None
    runs = {run_id: engine.store.run(run_id) for run_id in engine.histories}
    first, second = sorted(
        (run for run in runs.values() if run is not None and run.parent is None),
        key=lambda run: run.next_run_id is None,  # the run that continued as new first
    )
    [child_run] = [run for run in runs.values() if run is not None and run.parent is not None]
    assert first.next_run_id == second.run_id and child_run.parent is not None
    assert child_run.parent[0] == second.run_id
    assert second.result is not None and child_run.result is not None
    history = engine.histories[second.run_id]
    [call] = [e for e in history if isinstance(e, TaskScheduled)]
    [done] = [e for e in history if isinstance(e, TaskCompleted)]
    assert call.kind == "workflow" and done.key == call.key == child_run.parent[1]
    [child_start] = [
        e for e in engine.histories[child_run.run_id] if isinstance(e, WorkflowStarted)
    ]
    [restart_start] = [e for e in history if isinstance(e, WorkflowStarted)]
    return {
        "workflow input": signature(first.input),
        "restart input": signature(restart_start.input),
        "child input": signature(call.input or ""),
        "child's own input": signature(child_start.input),
        "child result": signature(done.result),
        "child's own result": signature(child_run.result),
        "workflow result": signature(second.result),
    }


@pytest.mark.parametrize("combo", COMBINATIONS, ids=label)
def test_local_engine_children_and_restarts_follow_the_rule(
    combo: tuple[bool, bool, bool, bool],
) -> None:
    child_cls, parent_cls = make_parent(combo, "tl-rule")
    engine = LocalEngine([child_cls], transport=ENGINE if combo[3] else None, verify_replay=True)
    assert engine.run(parent_cls, 20) == 61
    assert observed_of_parent(engine) == expected_of_parent(combo)


def test_the_issue_example_completes_with_the_codecs_the_rule_names() -> None:
    """A workflow that accepts only JSON, on an engine whose default is msgpack, calling an
    activity that chose no transport: the call is msgpack end to end, the workflow JSON."""

    @activity("tests.rule.plain_double", "1", "tl-rule")
    class PlainDouble(Activity):
        def run(self, x: int) -> int:
            return 2 * x

    @workflow("tests.rule.json_only", "1", "tl-rule", transport=JSONTransport(accept={"json"}))
    class JsonOnly(Workflow):
        double = ActivityProxy(PlainDouble)

        def run(self, x: int) -> int:
            return self.double(x) + 1

    engine = LocalEngine([PlainDouble], transport="msgpack")
    assert engine.run(JsonOnly, 4) == 9
    assert observed(engine) == {
        "workflow input": "json/plain",
        "call input": "msgpack/~",
        "call result": "msgpack/~",
        "workflow result": "json/plain",
    }


# -- the same matrix on SWF (moto) ---------------------------------------------------------


@pytest.fixture
def swf_pools(moto_server: Any) -> Iterator[Any]:
    """Two worker pools on one domain: one without an engine default, one with ``ENGINE``;
    the matrix's classes for each live on their own task list."""
    from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all

    swf = SWF(moto_server.client("swf"), "rule")
    built: dict[tuple[bool, bool, bool, bool], tuple[type, ...]] = {}
    registries = {}
    for has_engine in (False, True):
        task_list = "rule-engine" if has_engine else "rule-plain"
        classes: list[type] = []
        for combo in COMBINATIONS:
            if combo[3] == has_engine:
                built[combo] = make_classes(combo, task_list)
                classes.extend(built[combo])
        registries[has_engine] = TaskRegistry(classes, transport=ENGINE if has_engine else None)
        register_all(swf, registries[has_engine].specs())
    pools = [
        WorkerPool(swf, r, deciders=2, activity_threads=2, stagger=0.25).start()
        for r in registries.values()
    ]
    try:
        yield swf, built, registries
    finally:
        for running in pools:
            running.stop()


def field(events: dict[str, Any], event_type: str, name: str) -> str:
    """An attribute of the SWF history event of type ``event_type``."""
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    value: str = events[event_type][key][name]
    return value


@pytest.mark.swf
@pytest.mark.filterwarnings("ignore::flowwire.engines.swf.limits.LatinArmorWarning")
def test_swf_payloads_follow_the_rule(swf_pools: Any) -> None:
    from flowwire.engines.swf import start

    swf, built, registries = swf_pools
    runs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for combo, (*_, workflow_cls) in built.items():
            runs[combo] = start(swf, workflow_cls, [20], registry=registries[combo[3]])
    deadline = time.monotonic() + 120
    for combo, run in runs.items():
        assert run.result(timeout=max(1.0, deadline - time.monotonic())) == 41, label(combo)
        events = swf.call(
            "GetWorkflowExecutionHistory",
            domain=swf.domain,
            execution={"workflowId": run.workflow_id, "runId": run.run_id},
        )["events"]
        by_type = {e["eventType"]: e for e in events}
        seen = {
            "workflow input": signature(field(by_type, "WorkflowExecutionStarted", "input")),
            "call input": signature(field(by_type, "ActivityTaskScheduled", "input")),
            "call result": signature(field(by_type, "ActivityTaskCompleted", "result")),
            "call failure": signature(field(by_type, "ActivityTaskFailed", "details")),
            "workflow result": signature(field(by_type, "WorkflowExecutionCompleted", "result")),
        }
        assert seen == expected(combo), label(combo)
