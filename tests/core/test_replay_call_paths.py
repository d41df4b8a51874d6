"""A proxy call takes one of two paths in the decider: plain positional arguments and a key
with no history are scheduled straight from ``Execution.call``; anything else (task results
among the arguments, keywords, a recorded key) goes through ``Execution._advance``. Both
give the same decisions and the same errors."""

from __future__ import annotations

from typing import Any

import pytest
from _core_workflows import complete, started

from flowwire.decision import FailWorkflow, ScheduleActivity
from flowwire.history import Event, TaskCompleted, TaskScheduled
from flowwire.proxy import ActivityProxy
from flowwire.replay import Execution, replay
from flowwire.result import wait
from flowwire.task import Workflow, workflow
from flowwire.transport import JSONTransport, get_transport

JSON = get_transport("json")
SMALL = JSONTransport(max_payload_chars=40)


@workflow("paths-too-big", "1", "tl")
class TooBig(Workflow):
    double = ActivityProxy("double", "1", transport=SMALL)

    def run(self, how: str) -> Any:
        text = "x" * 50
        if how == "plain":
            return wait(self.double(text))
        if how == "keyword":
            return wait(self.double(text=text))
        head = self.double("ok")  # a task result among the arguments: the general path
        return wait(self.double(text, head))


@workflow("paths-mixed", "1", "tl")
class Mixed(Workflow):
    double = ActivityProxy("double", "1")

    def run(self, n: int) -> Any:
        a = self.double(n)
        b = self.double(n, None, "s", 1.5, b"b", True)
        c = self.double(a, n)
        d = self.double(x=n)
        return [wait(a), wait(b), wait(c), wait(d)]


def _reason(decisions: list[Any]) -> str:
    [failed] = decisions
    assert isinstance(failed, FailWorkflow)
    return str(SMALL.deserialize_error(failed.reason, failed.details))


@pytest.mark.parametrize("how", ["plain", "keyword", "result"])
@pytest.mark.parametrize("live", [False, True])
def test_an_input_that_cannot_be_encoded_fails_the_run_naming_the_task(
    how: str, live: bool
) -> None:
    history: list[Event] = list(started(how))
    if how == "result":
        history += complete("double-0-0", "ok")
    key = "double-1-0" if how == "result" else "double-0-0"
    if live:
        execution = Execution(TooBig, live=True)
        try:
            text = _reason(execution.decide(history))
        finally:
            execution.close()
    else:
        text = _reason(replay(TooBig, history))
    assert f"cannot encode the input of activity 'double' v1 ({key})" in text
    assert "PayloadTooLarge" in text


def test_both_paths_schedule_what_the_arguments_say() -> None:
    history: list[Event] = list(started(3))
    live = Execution(Mixed, live=True)
    try:
        decisions = live.decide(history)
        assert decisions == replay(Mixed, history)
        assert [d.key for d in decisions] == ["double-0-0", "double-1-0", "double-3-0"]  # type: ignore[union-attr]
        inputs = [JSON.deserialize_arguments(d.input) for d in decisions]  # type: ignore[union-attr]
        assert inputs == [((3,), {}), ((3, None, "s", 1.5, b"b", True), {}), ((), {"x": 3})]
        for decision in decisions:
            history.append(TaskScheduled(decision.key, decision.name, decision.version))  # type: ignore[union-attr]
        history.append(TaskCompleted("double-0-0", JSON.serialize_result(6)))
        [third] = live.decide(history)
        assert third == replay(Mixed, history)[0]
        assert isinstance(third, ScheduleActivity) and third.key == "double-2-0"
        assert JSON.deserialize_arguments(third.input) == ((6, 3), {})
    finally:
        live.close()
