"""What a decider keeps of the calls that settled: nothing, until a result helper (``first``,
``finish_order``, ``parallel_reduce``) asks for the journal of settled calls; from then on
the calls that settle are journaled, and the helper reads them in history order."""

from __future__ import annotations

import gc
from typing import Any

from _core_workflows import complete, started

from flowwire.decision import CompleteWorkflow, ScheduleActivity
from flowwire.history import Event, TaskCompleted, TaskScheduled
from flowwire.proxy import ActivityProxy
from flowwire.replay import Execution, _Call, replay
from flowwire.result import finish_order, wait
from flowwire.task import Workflow, workflow
from flowwire.transport import get_transport

JSON = get_transport("json")


@workflow("memory-chain", "1", "tl")
class Chain(Workflow):
    double = ActivityProxy("double", "1")

    def run(self, n: int) -> int:
        x = 1
        for _ in range(n):
            x = wait(self.double(x))
        return x


@workflow("memory-late-order", "1", "tl")
class LateOrder(Workflow):
    """One call waited for, then three in finish order: the journal starts mid-run."""

    double = ActivityProxy("double", "1")

    def run(self) -> list[int]:
        head = wait(self.double(1))
        results = [self.double(v) for v in (2, 3, 4)]
        return [head, *(wait(r) for r in finish_order(results))]


def _calls() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is _Call)


def _step(history: list[Event], decisions: list[Any], value: int) -> None:
    [decision] = decisions
    assert isinstance(decision, ScheduleActivity)
    history.append(TaskScheduled(decision.key, decision.name, decision.version))
    history.append(TaskCompleted(decision.key, JSON.serialize_result(value)))


def test_a_live_chain_keeps_no_settled_call() -> None:
    before = _calls()
    history = list(started(50))
    live = Execution(Chain, run_id="chain", live=True)
    try:
        decisions = live.decide(history)
        for step in range(50):
            _step(history, decisions, 2 << step)
            decisions = live.decide(history)
            if step < 49:
                # the call that just finished is gone; only the one waited for is left
                assert _calls() - before == 1
        [done] = decisions
        assert isinstance(done, CompleteWorkflow)
        assert JSON.deserialize_result(done.result) == 2 << 49
        assert live.journal is None
    finally:
        live.close()


def test_a_full_replay_of_a_chain_keeps_no_settled_call() -> None:
    history = list(started(30))
    for step in range(30):
        history += complete(f"double-{step}-0", step)
    before = _calls()
    [done] = replay(Chain, history, run_id="chain-replay")
    assert isinstance(done, CompleteWorkflow)
    assert JSON.deserialize_result(done.result) == 29
    assert _calls() == before


def test_a_journal_asked_for_mid_run_orders_the_calls_that_settle_after() -> None:
    history = list(started())
    live = Execution(LateOrder, run_id="late", live=True)
    try:
        _step(history, live.decide(history), 2)
        assert live.journal is None
        decisions = live.decide(history)
        assert [d.key for d in decisions] == ["double-1-0", "double-2-0", "double-3-0"]  # type: ignore[union-attr]
        assert live.journal == []  # finish_order asked for it, nothing settled since
        for decision in decisions:
            assert isinstance(decision, ScheduleActivity)
            history.append(TaskScheduled(decision.key, decision.name, decision.version))
        # they finish in reverse order: 8, 6, 4
        for key, value in (("double-3-0", 8), ("double-2-0", 6), ("double-1-0", 4)):
            history.append(TaskCompleted(key, JSON.serialize_result(value)))
            got = live.decide(history)
            assert got == replay(LateOrder, history)
        [done] = got
        assert isinstance(done, CompleteWorkflow)
        assert JSON.deserialize_result(done.result) == [2, 8, 6, 4]
    finally:
        live.close()
