"""The durable local engine in one process: results, ids, what the file holds, resuming.

Crashes with real processes killed by pid are in ``test_durable_faults.py``; here a crash is
what a killed process leaves behind, made by a store whose owner is a process that exited.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import _durable_tasks as tasks
import pytest
from _durable_tasks import Chain, Countdown, Delayed, Fan, LongDelayed, Parent, Step
from _extras import needs

from flowwire import LocalEngine, StoreError, TaskTimedOutError
from flowwire.errors import ConfigurationError
from flowwire.history import (
    TaskCompleted,
    TaskScheduled,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import AttemptRecord, Batch, RunRecord, StoredEvent, TimerRecord
from flowwire.transport import get_transport

# the open attempts (schema version 5: TaskScheduled rows no later closing row names)
OPEN_ATTEMPTS = "SELECT count(*) FROM open_attempts"


@pytest.fixture(autouse=True)
def test_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLOWWIRE_TEST_DIR", str(tmp_path))
    return tmp_path


def engine(path: Path, **options: Any) -> LocalEngine:
    return LocalEngine(["_durable_tasks"], db=path, **options)


def history(path: Path, ident: str) -> list[Any]:
    store = SQLiteStore(path, readonly=True)
    try:
        run = store.find(ident)
        assert run is not None
        return store.history(run.run_id)
    finally:
        store.close()


def test_a_durable_run_returns_the_result_and_keeps_the_history(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    assert engine(path).execute(Chain, [3], workflow_id="c-1") == 3
    store = SQLiteStore(path, readonly=True)
    [run] = store.runs()
    assert (run.workflow_id, run.status, run.result) == ("c-1", "completed", "3")
    assert run.run_id.startswith("tests.durable.chain-")
    kinds = [type(e).__name__ for e in store.history(run.run_id)]
    assert kinds == ["WorkflowStarted"] + ["TaskScheduled", "TaskCompleted"] * 3
    times = store.times(run.run_id)
    assert times == sorted(times) and run.started_at <= times[0] <= run.closed_at  # type: ignore[operator]
    assert store._con.execute(OPEN_ATTEMPTS).fetchone() == (0,)


def test_run_without_an_id_and_both_synchronous_settings(tmp_path: Path) -> None:
    for sync in ("full", "normal"):
        path = tmp_path / f"{sync}.db"
        assert engine(path, synchronous=sync).run(Fan, 50, 10) == sum(range(50)) + 500
        assert [r.status for r in engine(path).executions()] == ["completed"]
    with pytest.raises(ConfigurationError, match="synchronous must be 'full' or 'normal'"):
        engine(tmp_path / "x.db", synchronous="off")


def test_an_id_that_closed_returns_its_outcome_without_running_again(
    tmp_path: Path, test_dir: Path
) -> None:
    path = tmp_path / "flow.db"
    assert engine(path).execute(Chain, [2], workflow_id="once") == 2
    notes: list[str] = []
    assert engine(path).execute(Chain, [2], workflow_id="once", notice=notes.append) == 2
    assert notes == ["once already closed (completed); not run again"]
    assert sorted(p.name for p in test_dir.glob("ran-*")) == ["ran-s0-0", "ran-s1-0"]


def test_an_id_with_other_arguments_or_another_workflow_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    engine(path).execute(Chain, [1], workflow_id="x")
    with pytest.raises(ConfigurationError, match=r"'x' was started with other arguments"):
        engine(path).execute(Chain, [2], workflow_id="x")
    with pytest.raises(ConfigurationError, match=r"'x' is a run of workflow 'tests.durable.chain'"):
        engine(path).execute(Parent, [], workflow_id="x")


def test_starting_a_running_id_is_an_error_or_attaches(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    started = engine(path).start(Chain, [2], workflow_id="job")
    assert not started.existing and started.workflow_id == "job"
    with pytest.raises(StoreError, match=r"execution 'job' is already running \(run "):
        engine(path).start(Chain, [2], workflow_id="job")
    again = engine(path).start(Chain, [2], workflow_id="job", attach=True)
    assert (again.run_id, again.existing) == (started.run_id, True)
    # no worker yet: nothing ran; a worker runs it, a waiter gets the result
    stop = threading.Event()
    worker = threading.Thread(target=engine(path).work, args=(stop,))
    worker.start()
    try:
        assert engine(path).result(Chain, "job", timeout=30) == 2
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    restarted = engine(path).start(Chain, [2], workflow_id="job")  # closed: a new run
    assert restarted.run_id != started.run_id


def test_methods_of_the_durable_engine_need_a_file() -> None:
    with pytest.raises(ConfigurationError, match=r"LocalEngine.start\(\) needs a durable engine"):
        LocalEngine().start(Chain, [1])


def test_a_worker_runs_executions_started_elsewhere_and_releases_them(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    ids = [engine(path).start(Chain, [2], workflow_id=f"w{i}").workflow_id for i in range(3)]
    ids.append(engine(path).start(Parent, workflow_id="family").workflow_id)
    stop = threading.Event()
    notes: list[str] = []
    worker = threading.Thread(
        target=engine(path).work, args=(stop,), kwargs={"notice": notes.append}
    )
    worker.start()
    try:
        results = [engine(path).result(Chain, i, timeout=30) for i in ids[:3]]
        assert results == [2, 2, 2]
        assert engine(path).result(Parent, "family", timeout=30) == 111
    finally:
        stop.set()
        worker.join(30)
    assert sorted(n.split()[2] for n in notes) == sorted(ids)  # "took over ID (run ...)"
    store = SQLiteStore(path, readonly=True)
    assert store._con.execute("SELECT count(*) FROM owners").fetchone() == (0,)  # released
    child = [r for r in store.runs() if r.parent is not None]
    assert [c.parent[0] for c in child] == [store.find("family").run_id]  # type: ignore[index,union-attr]


def test_continue_as_new_keeps_the_workflow_id(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    assert engine(path).execute(Countdown, [3], workflow_id="cd") == 4
    store = SQLiteStore(path, readonly=True)
    chain = store.chain("cd")
    assert [r.status for r in chain] == ["continued"] * 3 + ["completed"]
    assert [r.next_run_id for r in chain[:-1]] == [r.run_id for r in chain[1:]]
    assert engine(path).execute(Countdown, [3], workflow_id="cd") == 4  # closed: the outcome


@needs("zstd")
def test_payloads_with_stages_are_stored_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    assert engine(path).execute(tasks.Staged, ["hello"], workflow_id="z") == "HELLO"
    events = history(path, "z")
    scheduled = next(e for e in events if isinstance(e, TaskScheduled))
    completed = next(e for e in events if isinstance(e, TaskCompleted))
    squeeze = get_transport("json+zstd")
    assert scheduled.input == squeeze.serialize_arguments(["hello"], {})  # zstd is deterministic
    assert completed.result == squeeze.serialize_result("HELLO")
    started = get_transport("msgpack+zstd")
    assert events[0].input == started.serialize_arguments(["hello"], {})  # type: ignore[union-attr]


def _crashed(path: Path, batch: Batch) -> None:
    """Commit ``batch`` as a worker process that then dies: what a killed worker leaves
    behind (its owner row, its runs and held attempts, with no live process)."""
    pid = os.fork()
    if pid == 0:  # the child: register, commit, vanish
        try:
            store = SQLiteStore(path)
            store.register()
            store.commit(batch)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _run(
    run_id: str, workflow_id: str, name: str, payload: str, started: float, deadline: float
) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        workflow_id=workflow_id,
        name=name,
        version="1",
        task_list="tl-durable",
        input=payload,
        started_at=started,
        deadline=deadline,
    )


def test_resuming_replays_the_stored_history_and_retries_the_attempt_in_flight(
    tmp_path: Path, test_dir: Path
) -> None:
    path = tmp_path / "flow.db"
    payload = get_transport("json").serialize_arguments([3], {})
    args = get_transport("json").serialize_arguments([1, "s1"], {})
    held = AttemptRecord(
        "run-1:step-1-0",
        "run-1",
        "step-1-0",
        "tests.durable.step",
        "1",
        args,
        "tl-durable",
        1002.0,
        None,
        600,
        600,
        60,
        started_at=1002.0,
    )
    events = [
        WorkflowStarted(payload),
        TaskScheduled("step-0-0", "tests.durable.step", "1", "activity", input="[]"),
        TaskCompleted("step-0-0", "1"),
        TaskScheduled("step-1-0", "tests.durable.step", "1", "activity", input=args),
    ]
    _crashed(
        path,
        Batch(
            runs=[_run("run-1", "crashed", "tests.durable.chain", payload, 1000.0, 9e9)],
            attempts=[held],
            started=[held],
            events=[StoredEvent("run-1", e, 1000.0 + i) for i, e in enumerate(events)],
        ),
    )
    notes: list[str] = []
    assert engine(path).execute(Chain, [3], workflow_id="crashed", notice=notes.append) == 3
    assert notes == ["resuming crashed (run run-1) from 4 stored events"]
    # step 0 completed before the crash: never run again; step 1 was in flight: run again
    assert sorted(p.name for p in test_dir.glob("ran-*")) == ["ran-s1-0", "ran-s2-0"]
    events = history(path, "crashed")
    assert TaskTimedOut("step-1-0", "WORKER_LOST") in events
    assert [e.key for e in events if isinstance(e, TaskCompleted)] == [
        "step-0-0",
        "step-1-1",
        "step-2-0",
    ]


@pytest.mark.parametrize("due", ["overdue", "pending"])
def test_an_overdue_timer_fires_at_once_and_a_pending_one_keeps_its_time(
    tmp_path: Path, due: str
) -> None:
    """A 60 s delay timer stored before the crash: overdue, it fires as soon as the run is
    resumed (well before 60 s); pending, it fires at its stored time, not 60 s later."""
    (tmp_path / "ran-late-before").write_text("")  # the first attempt ran before the crash
    path = tmp_path / "flow.db"
    payload = get_transport("json").serialize_arguments([21], {})
    now = time.time()
    fire_at = now - 60 if due == "overdue" else now + 1.0
    events = [
        WorkflowStarted(payload),
        TaskScheduled("late-0-0", "tests.durable.late", "1", "activity", input="[]"),
        TaskTimedOut("late-0-0", "START_TO_CLOSE"),
        TimerStarted("late-0-1.delay"),
    ]
    _crashed(
        path,
        Batch(
            runs=[_run("run-1", "d", "tests.durable.long_delayed", payload, now - 100, 9e9)],
            timers=[TimerRecord("run-1", "late-0-1.delay", fire_at)],
            events=[StoredEvent("run-1", e, now - 100 + i) for i, e in enumerate(events)],
        ),
    )
    resumed = time.time()
    assert engine(path).execute(LongDelayed, [21], workflow_id="d") == 42
    store = SQLiteStore(path, readonly=True)
    timed = store.timed_history(store.find("d").run_id)  # type: ignore[union-attr]
    [fired_at] = [at for at, e in timed if e == TimerFired("late-0-1.delay")]
    assert [e for _, e in timed].count(TimerStarted("late-0-1.delay")) == 1  # not started again
    assert fired_at >= fire_at  # never early
    assert fired_at < resumed + 30  # a timer started again would fire 60 s after resuming


def test_a_timed_out_attempt_and_its_delay_timer_on_the_durable_engine(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    assert engine(path).execute(Delayed, [5], workflow_id="slow") == 10
    kinds = [type(e).__name__ for e in history(path, "slow")]
    assert kinds == [
        "WorkflowStarted",
        "TaskScheduled",
        "TaskTimedOut",
        "TimerStarted",
        "TimerFired",
        "TaskScheduled",
        "TaskCompleted",
    ]
    store = SQLiteStore(path, readonly=True)
    assert store._con.execute("SELECT count(*) FROM timers").fetchone() == (0,)


def test_a_run_that_timed_out_while_the_engine_was_down_closes_at_once(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    payload = get_transport("json").serialize_arguments([2], {})
    _crashed(
        path,
        Batch(
            runs=[_run("run-1", "late", "tests.durable.chain", payload, 1000.0, 1010.0)],
            events=[StoredEvent("run-1", WorkflowStarted(payload), 1000.0)],
        ),
    )
    with pytest.raises(TaskTimedOutError, match="workflow_duration of 10s"):
        engine(path).execute(Chain, [2], workflow_id="late")
    assert SQLiteStore(path, readonly=True).find("late").status == "timed_out"  # type: ignore[union-attr]


def test_executions_lists_every_run(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    engine(path).execute(Parent, workflow_id="p")
    names = sorted((r.name, r.status) for r in engine(path).executions())
    assert names == [("tests.durable.child", "completed"), ("tests.durable.parent", "completed")]


def test_process_workers_on_the_durable_engine(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    assert engine(path, processes=True, max_workers=2).execute(Chain, [3], workflow_id="pp") == 3
    pids = {int(p.read_text()) for p in (tmp_path).glob("ran-*")}
    assert os.getpid() not in pids


def test_step_is_importable_for_processes() -> None:
    assert Step.__module__ == "_durable_tasks"
