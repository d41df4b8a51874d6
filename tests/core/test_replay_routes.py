"""How the decider writes a call's input, reads its result and builds its decision, resolved
once per proxy (``flowwire.replay._route``): the same payloads and decisions as the override
points and ``ProxySpec.decision`` give, for every kind of proxy."""

from __future__ import annotations

from typing import Any

from _core_workflows import JSON

from flowwire import Activity, ActivityProxy, Workflow, WorkflowProxy, activity, wait, workflow
from flowwire.decision import ScheduleActivity, StartChildWorkflow
from flowwire.history import TaskCompleted, TaskScheduled, WorkflowStarted
from flowwire.replay import Execution, _route, replay
from flowwire.transport import Transport


@activity("routes-plain", 1, "q")
class Plain(Activity):
    def run(self, x: int) -> int:
        return x + 1


class Marked(Activity):
    """Overrides both override points (a user base class: its subclasses inherit them)."""

    @classmethod
    def _serialize_arguments(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any], *, transport: Transport
    ) -> str:
        return "marked:" + transport.serialize_arguments(args, kwargs)

    @classmethod
    def _deserialize_result(cls, payload: str, *, transport: Transport, type_hint: Any) -> Any:
        return ("read", transport.deserialize_result(payload.removeprefix("marked:")))


@activity("routes-marked", 1, "q")
class Inherited(Marked):
    def run(self, x: int) -> int:
        return x


@workflow("routes-caller", 1, "q")
class Caller(Workflow):
    plain = ActivityProxy(Plain, start_to_close=30, task_list="fast")
    marked = ActivityProxy(Inherited)
    child = WorkflowProxy("routes-child", 2, workflow_duration=60)

    def run(self, x: int) -> Any:
        first = self.plain(x)
        second = self.marked(x)
        third = self.plain.options(heartbeat=5)(x)
        fourth = self.child(x)
        return [wait(first), wait(second), wait(third), wait(fourth)]


def _start() -> list[Any]:
    return [WorkflowStarted(JSON.serialize_arguments((4,), {}))]


def test_the_decisions_are_those_of_the_spec() -> None:
    decisions = replay(Caller, _start())
    specs = [
        Caller.plain._spec(),
        Caller.marked._spec(),
        Caller.plain._spec().with_options({"heartbeat": 5}, "test"),
        Caller.child._spec(),
    ]
    keys = ["plain-0-0", "marked-0-0", "plain-1-0", "child-0-0"]
    payloads = [JSON.serialize_arguments((4,), {})] * 4
    payloads[1] = "marked:" + payloads[1]
    assert decisions == [
        spec.decision(key, payload)
        for spec, key, payload in zip(specs, keys, payloads, strict=True)
    ]
    assert isinstance(decisions[0], ScheduleActivity) and decisions[0].start_to_close == 30
    assert decisions[2].heartbeat == 5 and decisions[2].task_list == "fast"  # type: ignore[union-attr]
    assert isinstance(decisions[3], StartChildWorkflow) and decisions[3].workflow_duration == 60


def test_an_inherited_override_point_reads_and_writes_the_calls() -> None:
    history = _start()
    decisions = replay(Caller, history)
    for decision in decisions:
        history.append(TaskScheduled(decision.key, decision.name, decision.version))  # type: ignore[union-attr]
    for key in ("plain-0-0", "plain-1-0", "child-0-0"):
        history.append(TaskCompleted(key, "5"))
    history.append(TaskCompleted("marked-0-0", "marked:4"))
    [done] = replay(Caller, history)
    assert JSON.deserialize_result(done.result) == [5, ["read", 4], 5, 5]  # type: ignore[union-attr]
    live = Execution(Caller, live=True)
    try:
        assert live.decide(history[:1]) == decisions
        [same] = live.decide(history)
        assert same == done
    finally:
        live.close()


def test_a_spec_without_a_target_class_goes_straight_to_the_transport() -> None:
    spec = Caller.child._spec()
    _, transport, write, read, shape, hint = _route(spec, JSON)
    assert transport is JSON and write == JSON.serialize_arguments
    assert read("[1, 2]", type_hint=hint) == [1, 2]
    assert shape == (StartChildWorkflow, (None, 60, None))
