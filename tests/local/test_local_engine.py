"""End-to-end behaviour of the local engine. Every run verifies live decisions against full
replay (``verify_replay=True``) unless the test is about replay mode itself."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import _local_tasks as tasks
import pytest

from flowwire.engines.local import LocalEngine, run_workflow
from flowwire.errors import TaskError, TaskTimedOutError
from flowwire.history import TaskCompleted, TaskScheduled, TaskTimedOut, TimerFired, TimerStarted


def engine(**options: Any) -> LocalEngine:
    options.setdefault("verify_replay", True)
    return LocalEngine([tasks], **options)


def test_any_run_signature_round_trips() -> None:
    result = engine().run(tasks.Signatures, 5, 6, 7, scale=2, flag=True)
    assert result == [[[5, 6, 7], {"scale": 2, "flag": True}], 30, 11]


def test_unhandled_activity_failure_fails_the_workflow_naming_both() -> None:
    with pytest.raises(TaskError) as info:
        engine().run(tasks.Failing)
    text = str(info.value)
    assert "workflow 'failing' v1" in text
    assert "activity 'explode' v1 (explode-0-0)" in text and "ValueError: kaboom" in text


def test_error_handling_hands_the_error_to_run_and_propagates_through_arguments() -> None:
    eng = engine()
    result = eng.run(tasks.Catching)
    assert result == "caught ValueError: kaboom from activity 'explode' v1 (explode-0-0)"
    [history] = eng.histories.values()
    scheduled = [e.key for e in history if isinstance(e, TaskScheduled)]
    assert scheduled == ["explode-0-0"]  # add was never scheduled


def test_mixed_codecs_and_typed_values() -> None:
    order = tasks.Order("sku-1", 3, Decimal("2.50"))
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    eng = engine()
    amount, at, echoed = eng.run(tasks.Typed, order, when)
    assert (amount, at) == (Decimal("7.50"), when)
    assert echoed == [["7.50"], {}]
    [history] = eng.histories.values()
    payloads = {e.key: e.result for e in history if isinstance(e, TaskCompleted)}
    assert payloads["total-0-0"].startswith("~")  # msgpack envelope, armored as text
    assert payloads["echo-0-0"] == '[["7.50"],{}]'  # plain JSON text


def test_engine_default_transport_applies_to_classes_without_one() -> None:
    eng = engine(transport="msgpack")
    assert eng.run(tasks.Doubler, 7) == 112
    [history] = eng.histories.values()
    started = history[0]
    assert started.input.startswith("~")  # type: ignore[union-attr]


def test_heartbeat_timeout_is_real_and_heartbeat_reports_it() -> None:
    tasks.Silent.after_timeout.clear()
    silent, alive = engine().run(tasks.Heartbeats)
    assert silent.startswith("TaskTimedOutError: timed out (HEARTBEAT)")
    assert alive == "alive"
    deadline = time.monotonic() + 1
    while not tasks.Silent.after_timeout and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tasks.Silent.after_timeout == [False]


def test_start_to_close_timeout_is_retried_after_a_real_delay() -> None:
    tasks.SlowOnce.attempts.clear()
    eng = engine()
    started = time.monotonic()
    assert eng.run(tasks.RetryAfterDelay, 4) == 12
    assert time.monotonic() - started >= 2.0  # 1 s start-to-close + 1 s delay
    [history] = eng.histories.values()
    kinds = [(type(e).__name__, getattr(e, "key", "")) for e in history[1:]]
    assert kinds == [
        ("TaskScheduled", "slow-0-0"),
        ("TaskTimedOut", "slow-0-0"),
        ("TimerStarted", "slow-0-1.delay"),
        ("TimerFired", "slow-0-1.delay"),
        ("TaskScheduled", "slow-0-1"),
        ("TaskCompleted", "slow-0-1"),
    ]
    assert isinstance(history[2], TaskTimedOut) and history[2].timeout_type == "START_TO_CLOSE"
    assert isinstance(history[3], TimerStarted) and isinstance(history[4], TimerFired)
    assert len(set(tasks.SlowOnce.attempts)) == 2


def test_suspended_activities_are_finished_by_the_completion_client() -> None:
    tasks.External.tokens.clear()
    tasks.External.ready.clear()
    eng = engine()
    client = eng.client()

    def finish() -> None:
        while len(tasks.External.tokens) < 2:
            time.sleep(0.01)
        first, second = sorted(tasks.External.tokens)
        assert client.heartbeat(first)
        client.complete(first, {"paid": True})
        client.fail(second, "card declined")

    helper = threading.Thread(target=finish)
    helper.start()
    result = eng.run(tasks.ExternalWorkflow)
    helper.join()
    assert result == [{"paid": True}, "card declined"]
    with pytest.raises(LookupError):
        client.complete(tasks.External.tokens[0], 1)
    assert client.heartbeat(tasks.External.tokens[0]) is False


def test_sequential_loop_children_restart_and_child_failures() -> None:
    eng = engine()
    result = eng.run(tasks.Grandparent, 3)
    assert result[0] == 192 and result[1] == 3
    assert "activity 'explode' v1 (explode-0-0)" in result[2]
    # grandparent, doubler, failing, and countdown's 4 runs (3 restarts)
    assert len(eng.histories) == 7


def test_restart_at_the_top_level() -> None:
    assert engine().run(tasks.Countdown, 4) == 4


def test_fan_out_and_parallel_reduce() -> None:
    assert engine(verify_replay=False).run(tasks.FanOut, 200) == sum(range(200))


def test_first_and_finish_order() -> None:
    winner, complete, plain = engine().run(tasks.Racer)
    assert winner in (10, 11, 12, 13) and complete is True and plain == 5


def test_unknown_activity_type_fails_to_schedule() -> None:
    with pytest.raises(TaskError, match="ACTIVITY_TYPE_DOES_NOT_EXIST: activity 'ghost' v9"):
        engine().run(tasks.Missing)


def test_workflow_duration_is_enforced() -> None:
    started = time.monotonic()
    with pytest.raises(TaskTimedOutError, match="workflow_duration of 1s"):
        engine().run(tasks.TooLong)
    assert time.monotonic() - started < 3.5  # the activity sleeps 4 s; the run stops at 1 s


def test_underscore_override_points_still_work() -> None:
    from flowwire.history import WorkflowStarted
    from flowwire.replay import replay

    [decision] = replay(tasks.CustomFormat, [WorkflowStarted("2,3")])
    assert decision.input == '{"args":[2,3],"kwargs":{}}'  # type: ignore[union-attr]
    history = [
        WorkflowStarted("2,3"),
        TaskScheduled("add-0-0", "add", "1"),
        TaskCompleted("add-0-0", "5"),
    ]
    [final] = replay(tasks.CustomFormat, history)
    assert final.result == "sum=5"  # type: ignore[union-attr]


def test_results_behave_like_their_values() -> None:
    assert engine().run(tasks.Operators) == [
        5, 5, 8, -4, True, True, "4", "004", {"k": 1}, ["x"], 2, True, 1, True, "hashable", 0.5,
    ]  # fmt: skip


def test_replay_mode_gives_the_same_results() -> None:
    assert LocalEngine([tasks], live=False).run(tasks.Doubler, 3) == 192
    assert LocalEngine([tasks], live=False).run(tasks.Grandparent, 3)[:2] == [192, 3]


def test_activities_in_processes() -> None:
    order = tasks.Order("sku-2", 2, Decimal("1.25"))
    when = datetime(2024, 1, 1, tzinfo=UTC)
    eng = engine(processes=True, max_workers=2)
    assert eng.run(tasks.Typed, order, when)[0] == Decimal("2.50")
    assert eng.run(tasks.Signatures, 1, 2)[2] == 3


def test_run_workflow_entry_point_and_progress() -> None:
    assert run_workflow(tasks.Doubler, 100) == 200
    reports: list[dict[str, int]] = []
    eng = LocalEngine([tasks], progress=reports.append, progress_interval=0.01)
    assert eng.run(tasks.FanOut, 3000) == sum(range(3000))
    assert reports and reports[-1]["decisions"] >= 1 and reports[-1]["activities_done"] >= 1


def test_an_engine_runs_one_workflow_at_a_time() -> None:
    eng = engine()
    assert eng.run(tasks.Doubler, 60) == 120
    assert eng.run(tasks.Doubler, 50) == 200


def test_classes_referenced_by_proxies_are_registered_without_scanning() -> None:
    from flowwire.proxy import WorkflowProxy
    from flowwire.task import Workflow, workflow

    @workflow("elsewhere", "1", "tl")
    class Elsewhere(Workflow):  # its module (this test file) defines no activities
        child = WorkflowProxy(tasks.Doubler)  # whose proxy targets Add, found recursively

        def run(self, value: int) -> int:
            return self.child(value) + 1

    assert LocalEngine(verify_replay=True).run(Elsewhere, 30) == 121


def test_an_activity_that_cannot_be_constructed_fails_its_task() -> None:
    with pytest.raises(
        TaskError, match=r"activity 'needs_config' v1 \(needs-0-0\) failed: TypeError"
    ):
        engine().run(tasks.Misconfigured)


def test_heartbeats_from_worker_processes_keep_the_task_alive() -> None:
    # 1.5 s of work with a 1 s heartbeat timeout: only the heartbeats keep it alive
    assert engine(processes=True, max_workers=1).run(tasks.BeatingOnly, 1.5) == "alive"


def test_history_that_no_longer_matches_the_code_fails_the_execution() -> None:
    tasks.ChangingCode.replays.clear()
    with pytest.raises(TaskError, match="NondeterminismError") as info:
        LocalEngine([tasks], live=False).run(tasks.ChangingCode)
    assert "'add-0-0'" in str(info.value) and "no longer schedules" in str(info.value)
    tasks.ChangingCode.replays.clear()  # a live run executes run() once: nothing to detect
    assert LocalEngine([tasks]).run(tasks.ChangingCode) == 21
