"""Cancellation on the durable engine: a request queued while no worker runs (the one holding
the execution was killed with SIGKILL) is delivered by the worker that takes it over; a worker
killed after the request reached the history resumes the cancelled execution exactly once;
``flowwire cancel --db`` and its errors; a cancel of an execution run in this process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
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

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FLOWWIRE_TEST_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE), env.get("PYTHONPATH", "")])
    return env


def _flowwire(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowwire", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _worker(tmp_path: Path, db: str, target: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flowwire", "worker", "--db", db, target, "--poll", "0.05"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


def _kill(worker: subprocess.Popen[str]) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def _history(db: str, workflow_id: str) -> list[Any]:
    if not os.path.exists(db):
        return []
    store = SQLiteStore(db, readonly=True)
    try:
        found = store.find(workflow_id)
        return [] if found is None else list(store.history(found.run_id))
    finally:
        store.close()


def _until(what: str, ready: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


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
    started = _flowwire(
        tmp_path, "start", "--db", db, "examples.cancellation:Order", "order 17", "--id", "o-17"
    )
    assert started.returncode == 0, started.stderr
    worker = _worker(tmp_path, db, "examples.cancellation")
    try:  # the order waits for its payment (or a day)
        _until("the payment's timer", lambda: TimerStarted("timer.0") in _history(db, "o-17"))
    finally:
        _kill(worker)
    asked = _flowwire(tmp_path, "cancel", "--db", db, "o-17")
    assert asked.returncode == 0, asked.stderr
    assert asked.stderr.strip() == f"flowwire cancel: asked o-17 in {db} to cancel"
    assert _inbox(db) == [("o-17", "cancel", None, None)]  # waits in the file
    worker = _worker(tmp_path, db, "examples.cancellation")
    try:
        with pytest.raises(Cancelled, match="was cancelled: cancellation requested") as caught:
            LocalEngine(db=db).result(Order, "o-17", timeout=60)
    finally:
        _stop(worker)
    assert caught.value.workflow_id == "o-17"
    history = _history(db, "o-17")
    assert history.count(WorkflowCancelRequested()) == 1
    assert TaskCompleted("release-0-0", '"released (reserved order 17)"') in history
    assert _inbox(db) == []  # delivered once
    assert SQLiteStore(db, readonly=True).find("o-17").status == "cancelled"  # type: ignore[union-attr]
    listed = _flowwire(tmp_path, "executions", "--db", db)
    assert "CANCELED" in listed.stdout, listed.stdout
    again = _flowwire(tmp_path, "cancel", "--db", db, "o-17")  # it closed
    assert again.returncode == 1
    assert "UnknownExecutionError: no open execution has the workflow id 'o-17'" in again.stderr
    rerun = _flowwire(
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
    started = _flowwire(tmp_path, "start", "--db", db, "_durable_tasks:Cancellable", '"work"')
    assert started.returncode == 0, started.stderr
    workflow_id = started.stdout.split('"workflowId": "')[1].split('"')[0]
    worker = _worker(tmp_path, db, "_durable_tasks")
    try:
        _until("the step", lambda: (tmp_path / "ran-work-0").exists())
        asked = _flowwire(tmp_path, "cancel", "--db", db, workflow_id)
        assert asked.returncode == 0, asked.stderr
        _until("the clean-up", lambda: (tmp_path / "ran-clean-0").exists())
    finally:
        _kill(worker)  # both steps were running: the request is in the history
    (tmp_path / "hold-clean").unlink()
    worker = _worker(tmp_path, db, "_durable_tasks")
    try:
        with pytest.raises(Cancelled):
            LocalEngine(db=db).result(Cancellable, workflow_id, timeout=60)
    finally:
        _stop(worker)
        (tmp_path / "hold-work").unlink()
    history = _history(db, workflow_id)
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
        _until("the timer", lambda: TimerStarted("timer.0") in _history(str(db), "o-19"))
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
    missing = _flowwire(tmp_path, "cancel", "--db", str(db), "nobody")
    assert missing.returncode == 1
    assert "UnknownExecutionError: no open execution has the workflow id 'nobody'" in (
        missing.stderr
    )
    no_file = _flowwire(tmp_path, "cancel", "--db", str(tmp_path / "missing.db"), "x")
    assert no_file.returncode == 1
    assert "StoreError" in no_file.stderr and "no such file" in no_file.stderr
    assert not (tmp_path / "missing.db").exists()
    usage = _flowwire(tmp_path, "cancel", "--db", str(db))
    assert usage.returncode == 2
    assert "ID" in usage.stderr
