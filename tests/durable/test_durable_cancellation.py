"""Cancellation on the durable engine: a request queued while no worker runs (the one holding
the execution was killed with SIGKILL) is delivered by the worker that takes it over; a worker
killed after the request reached the history resumes the cancelled execution exactly once;
``flowwire cancel --db`` and its errors; a cancel of an execution run in this process."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from _durable_processes import kill, read_history, run_command, start_worker, stop, until
from _durable_tasks import Cancellable

from examples.cancellation import Order
from flowwire import Cancelled, LocalEngine, UnknownExecutionError
from flowwire.history import (
    TaskCancelRequested,
    TaskCompleted,
    TaskScheduled,
    TaskTimedOut,
    TimerStarted,
    WorkflowCancelRequested,
)
from flowwire.runtime.kernel import WORKER_LOST
from flowwire.runtime.sqlite import SQLiteStore


def _inbox(db: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT workflow_id, kind, name, payload FROM inbox").fetchall()
    finally:
        con.close()


def test_a_request_made_while_no_worker_runs_is_delivered_after_the_takeover(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "flow.db")
    started = run_command(
        tmp_path, "start", "--db", db, "examples.cancellation:Order", "order 17", "--id", "o-17"
    )
    assert started.returncode == 0, started.stderr
    worker = start_worker(tmp_path, db, "examples.cancellation", "--poll", "0.05")
    try:  # the order waits for its payment (or a day)
        until("the payment's timer", lambda: TimerStarted("timer.0") in read_history(db, "o-17"))
    finally:
        kill(worker)
    asked = run_command(tmp_path, "cancel", "--db", db, "o-17")
    assert asked.returncode == 0, asked.stderr
    assert asked.stderr.strip() == f"flowwire cancel: asked o-17 in {db} to cancel"
    assert _inbox(db) == [("o-17", "cancel", None, None)]  # waits in the file
    worker = start_worker(tmp_path, db, "examples.cancellation", "--poll", "0.05")
    try:
        with pytest.raises(Cancelled, match="was cancelled: cancellation requested") as caught:
            LocalEngine(db=db).result(Order, "o-17", timeout=60)
    finally:
        stop(worker)
    assert caught.value.workflow_id == "o-17"
    history = read_history(db, "o-17")
    assert history.count(WorkflowCancelRequested()) == 1
    assert TaskCompleted("release-0-0", '"released (reserved order 17)"') in history
    assert _inbox(db) == []  # delivered once
    assert SQLiteStore(db, readonly=True).find("o-17").status == "cancelled"  # type: ignore[union-attr]
    listed = run_command(tmp_path, "executions", "--db", db)
    assert "CANCELED" in listed.stdout, listed.stdout
    again = run_command(tmp_path, "cancel", "--db", db, "o-17")  # it closed
    assert again.returncode == 1
    assert "UnknownExecutionError: no open execution has the workflow id 'o-17'" in again.stderr
    rerun = run_command(
        tmp_path, "run", "--db", db, "examples.cancellation:Order", "order 17", "--id", "o-17"
    )
    assert rerun.returncode == 1
    assert "o-17) was cancelled" in rerun.stderr


def test_a_worker_killed_after_the_request_resumes_the_cancelled_execution(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "flow.db")
    (tmp_path / "hold-work").write_text("")
    (tmp_path / "hold-clean").write_text("")
    started = run_command(tmp_path, "start", "--db", db, "_durable_tasks:Cancellable", '"work"')
    assert started.returncode == 0, started.stderr
    workflow_id = started.stdout.split('"workflowId": "')[1].split('"')[0]
    worker = start_worker(tmp_path, db, "_durable_tasks", "--poll", "0.05")
    try:
        until("the step", lambda: (tmp_path / "ran-work-0").exists())
        asked = run_command(tmp_path, "cancel", "--db", db, workflow_id)
        assert asked.returncode == 0, asked.stderr
        until("the clean-up", lambda: (tmp_path / "ran-clean-0").exists())
    finally:
        kill(worker)  # both steps were running: the request is in the history
    (tmp_path / "hold-clean").unlink()
    worker = start_worker(tmp_path, db, "_durable_tasks", "--poll", "0.05")
    try:
        with pytest.raises(Cancelled):
            LocalEngine(db=db).result(Cancellable, workflow_id, timeout=60)
    finally:
        stop(worker)
        (tmp_path / "hold-work").unlink()
    history = read_history(db, workflow_id)
    assert history.count(WorkflowCancelRequested()) == 1
    assert history.count(TaskCancelRequested("step-0-0")) == 1
    assert TaskTimedOut("step-0-0", WORKER_LOST) in history
    scheduled = [e.key for e in history if isinstance(e, TaskScheduled)]
    # the step open at the request is not retried; the clean-up, called after it, is
    assert scheduled == ["step-0-0", "step-1-0", "step-1-1"]
    assert TaskTimedOut("step-1-0", WORKER_LOST) in history
    assert TaskCompleted("step-1-1", "101") in history
    assert not (tmp_path / "ran-work-1").exists()


def test_cancel_an_execution_run_in_this_process(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    SQLiteStore(db).close()
    engine = LocalEngine(db=db)
    outcomes: list[Any] = []

    def run() -> None:
        try:
            outcomes.append(engine.execute(Order, ["order 19"], workflow_id="o-19"))
        except Cancelled as exc:
            outcomes.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    try:
        until("the timer", lambda: TimerStarted("timer.0") in read_history(str(db), "o-19"))
        LocalEngine(db=db).cancel("o-19")  # another engine, same file
    finally:
        runner.join(60)
    [outcome] = outcomes
    assert isinstance(outcome, Cancelled) and outcome.workflow_id == "o-19"


def test_cancel_errors(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    SQLiteStore(db).close()
    with pytest.raises(UnknownExecutionError, match="'nobody'"):
        LocalEngine(db=db).cancel("nobody")
    missing = run_command(tmp_path, "cancel", "--db", str(db), "nobody")
    assert missing.returncode == 1
    assert "UnknownExecutionError: no open execution has the workflow id 'nobody'" in (
        missing.stderr
    )
    no_file = run_command(tmp_path, "cancel", "--db", str(tmp_path / "missing.db"), "x")
    assert no_file.returncode == 1
    assert "StoreError" in no_file.stderr and "no such file" in no_file.stderr
    assert not (tmp_path / "missing.db").exists()
    usage = run_command(tmp_path, "cancel", "--db", str(db))
    assert usage.returncode == 2
    assert "ID" in usage.stderr
