"""Timers and signals on the durable engine: the approval workflow across a worker killed with
SIGKILL (timer deadlines and the inbox survive it), ``flowwire signal --db``, signals to an
execution run in this process, the inbox table, and the schema migration from version 1."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _durable_processes import kill, read_history, run_command, start_worker, until

from examples.approval import Approval
from flowwire import LocalEngine, UnknownExecutionError
from flowwire.history import SignalReceived, TimerFired, TimerStarted
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.sqlite_schema import _V1, VERSION


def test_approval_across_a_killed_worker_then_the_signal(tmp_path: Path) -> None:
    db = str(tmp_path / "flow.db")
    started = run_command(
        tmp_path, "start", "--db", db, "examples.approval:Approval", "order 17", "ops",
        "--id", "order-17",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    worker = start_worker(tmp_path, db, "examples.approval")
    try:
        until("the 48-hour timer", lambda: TimerStarted("timer.0") in read_history(db, "order-17"))
    finally:
        kill(worker)  # kill -9 while the execution waits for the approval
    con = sqlite3.connect(db)
    [(fire_at, started_at)] = con.execute(
        "SELECT timers.fire_at, runs.started_at FROM timers JOIN runs ON timers.run = runs.run_no"
    ).fetchall()
    con.close()
    assert 48 * 3600 <= fire_at - started_at < 48 * 3600 + 60  # the deadline is in the file
    # the signal goes to the file's inbox while no worker runs: it waits there
    sent = run_command(tmp_path, "signal", "--db", db, "order-17", "approval", "true")
    assert sent.returncode == 0, sent.stderr
    assert sent.stderr.strip() == f"flowwire signal: sent 'approval' to order-17 in {db}"
    con = sqlite3.connect(db)
    assert con.execute("SELECT workflow_id, kind, name, payload FROM inbox").fetchall() == [
        ("order-17", "signal", "approval", "true")
    ]
    con.close()
    worker = start_worker(
        tmp_path, db, "examples.approval"
    )  # a new worker takes the execution over
    try:
        result = LocalEngine(db=db).result(Approval, "order-17", timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert result == "approved order 17 (notified: ops)"
    history = read_history(db, "order-17")
    assert SignalReceived("approval", "true") in history
    assert TimerFired("timer.0") not in history
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM inbox").fetchone() == (0,)  # delivered once
    con.close()
    closed = run_command(tmp_path, "signal", "--db", db, "order-17", "approval", "false")
    assert closed.returncode == 1
    assert "UnknownExecutionError: no open execution has the workflow id 'order-17'" in (
        closed.stderr
    )


def test_a_timer_that_fell_due_while_no_worker_ran_fires_at_once(tmp_path: Path) -> None:
    db = str(tmp_path / "flow.db")
    started = run_command(
        tmp_path,
        "start",
        "--db",
        db,
        "examples.approval:Approval",
        "order 18",
        "ops",
        "0.0005",
        "--id",
        "order-18",
    )  # fmt: skip  (0.0005 hours: a 2-second timer)
    assert started.returncode == 0, started.stderr
    worker = start_worker(tmp_path, db, "examples.approval")
    try:
        until("the timer", lambda: TimerStarted("timer.0") in read_history(db, "order-18"))
    finally:
        kill(worker)
    time.sleep(2.5)  # the deadline passes while nobody runs the execution
    worker = start_worker(tmp_path, db, "examples.approval")
    try:
        result = LocalEngine(db=db).result(Approval, "order-18", timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert result == "expired order 18 (reminded: ops)"


@contextlib.contextmanager
def approval_waiting(db: Path, order: str, results: list[Any]) -> Iterator[None]:
    """Runs the approval workflow for ``order`` (workflow id ``order`` with a dash) on a thread
    of this process until its timer has started; on exit, waits for it to finish into
    ``results``."""
    SQLiteStore(db).close()
    engine = LocalEngine(db=db)
    workflow_id = order.replace(" ", "-")
    runner = threading.Thread(
        target=lambda: results.append(
            engine.execute(Approval, [order, "ops"], workflow_id=workflow_id)
        ),
        daemon=True,
    )
    runner.start()
    try:
        until("the timer", lambda: TimerStarted("timer.0") in read_history(str(db), workflow_id))
        yield
    finally:
        runner.join(60)


def test_signal_an_execution_running_in_this_process(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    results: list[Any] = []
    with approval_waiting(db, "order 19", results):
        LocalEngine(db=db).signal("order-19", "approval", False)  # another engine, same file
    assert results == ["rejected order 19 (notified: ops)"]


def test_signal_errors(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    engine = LocalEngine(db=db)
    SQLiteStore(db).close()
    with pytest.raises(UnknownExecutionError, match="'nobody'"):
        engine.signal("nobody", "approval", True)
    missing = run_command(tmp_path, "signal", "--db", str(db), "nobody", "approval")
    assert missing.returncode == 1
    assert "UnknownExecutionError" in missing.stderr
    bad = run_command(tmp_path, "signal", "--db", str(db), "nobody", "a|b")
    assert bad.returncode == 2
    assert "signal name 'a|b' contains '|'" in bad.stderr
    broken = run_command(tmp_path, "signal", "--db", str(db), "nobody", "x", "[1,")
    assert broken.returncode == 2
    assert "VALUE" in broken.stderr


def test_a_version_1_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(_V1)
    con.executemany(
        "INSERT INTO flowwire_meta VALUES (?, ?)", [("schema", "flowwire-sqlite"), ("version", "1")]
    )
    con.commit()
    con.close()
    with pytest.raises(Exception, match="older than flowwire-sqlite/5"):
        SQLiteStore(path, readonly=True)
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    version = con.execute("SELECT value FROM flowwire_meta WHERE key = 'version'").fetchone()
    columns = [row[1] for row in con.execute("PRAGMA table_info(inbox)")]
    con.close()
    assert version == (str(VERSION),) == ("5",)
    assert columns == ["id", "workflow_id", "kind", "name", "payload", "at"]


def test_inbox_kinds_a_kernel_does_not_know_stay(tmp_path: Path) -> None:
    """The inbox is generic: an entry of another kind (one a later flowwire may add) is left
    where it is, and goes with its execution when that closes."""
    db = tmp_path / "flow.db"
    engine = LocalEngine(db=db)
    started = engine.start(Approval, ["order 20", "ops", 0.0003])
    store = SQLiteStore(db)
    store.enqueue(started.workflow_id, "pause", None, None)
    assert [i.kind for i in SQLiteStore(db, readonly=True).inbox()] == []  # no owner yet
    stop = threading.Event()
    worker = threading.Thread(
        target=lambda: LocalEngine(["examples.approval"], db=db).work(stop, interval=0.05),
        daemon=True,
    )
    worker.start()
    try:
        assert engine.result(Approval, started.workflow_id, timeout=60).startswith("expired")
    finally:
        stop.set()
        worker.join(60)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM inbox").fetchone() == (0,)
    con.close()
    store.close()
    assert json.dumps(started.workflow_id)


def test_a_signal_written_during_a_store_outage_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``signal()`` on the durable engine writes a payload again after a store outage
    (``StoreWriteUnavailable``) instead of failing, as the in-memory engine's does."""
    from flowwire.errors import StoreWriteUnavailable
    from flowwire.tasktype import type_of

    db = tmp_path / "flow.db"
    results: list[Any] = []
    with approval_waiting(db, "order 20", results):
        signaller = LocalEngine(db=db)
        cls = type(signaller.rule.of(type_of(Approval)))
        real = cls.serialize_result
        refusals = [2]

        def flaky(self: Any, value: Any) -> str:
            if value is False and refusals[0] > 0:  # only the signal's payload
                refusals[0] -= 1
                raise StoreWriteUnavailable("the store is down", store="s", key="k", size=1)
            return real(self, value)

        monkeypatch.setattr(cls, "serialize_result", flaky)
        signaller.signal("order-20", "approval", False)
        assert refusals == [0]
    assert results == ["rejected order 20 (notified: ops)"]
