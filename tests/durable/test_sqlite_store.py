"""The SQLite history store: events round-trip exactly, batches are atomic, the schema is
checked by name and version, and exactly one owner takes over each run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import StoreError
from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskStarted,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)
from flowwire.runtime import sqlite_schema
from flowwire.runtime.owners import Owner, process_start, this_process
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import AttemptRecord, Batch, RunRecord, StoredEvent, TimerRecord

# Payload strings: any Unicode text a transport may write (lone surrogates are not text).
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(WorkflowStarted, texts),
    st.builds(
        TaskScheduled,
        keys,
        st.none() | keys,
        st.none() | keys,
        st.none() | st.sampled_from(["activity", "workflow"]),
        st.dictionaries(keys, st.none() | st.integers() | keys, max_size=5),
        st.none() | texts,
    ),
    st.builds(TaskStarted, keys),
    st.builds(TaskCompleted, keys, texts),
    st.builds(TaskFailed, keys, texts, texts),
    st.builds(TaskTimedOut, keys, keys),
    st.builds(
        TaskScheduleFailed,
        keys,
        texts,
        st.none() | keys,
        st.none() | keys,
        st.none() | st.sampled_from(["activity", "workflow"]),
    ),
    st.builds(TimerStarted, keys, st.none() | st.integers(0, 10**9)),
    st.builds(TimerFired, keys),
)


def run_record(run_id: str = "r-1", workflow_id: str = "w-1", **fields: Any) -> RunRecord:
    values: dict[str, Any] = {"name": "wf", "version": "1", "task_list": "tl", "input": "[]"}
    values.update(started_at=1000.0, deadline=5000.0)
    values.update(fields)
    return RunRecord(run_id=run_id, workflow_id=workflow_id, **values)


# the open attempts (schema version 5: TaskScheduled rows no later closing row names)
OPEN_ATTEMPTS = "SELECT count(*) FROM open_attempts"
COUNT_TIMERS = "SELECT count(*) FROM timers"


def scheduled(a: AttemptRecord) -> StoredEvent:
    """The ``TaskScheduled`` event that comes with attempt ``a`` in its batch."""
    event = TaskScheduled(a.key, a.name, a.version, "activity", {}, a.input)
    return StoredEvent(a.run_id, event, a.scheduled_at)


def attempt(run_id: str, key: str, **fields: Any) -> AttemptRecord:
    return AttemptRecord(
        f"{run_id}:{key}",
        run_id,
        key,
        "act",
        "1",
        '{"args":[1]}',
        "tl",
        1001.0,
        None,
        60,
        30,
        20,
        **fields,
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = SQLiteStore(tmp_path / "flow.db")
    yield opened
    opened.close()


@settings(max_examples=40)  # each example is a new file
@given(st.lists(events, max_size=30), st.lists(st.floats(0, 2e9), min_size=30, max_size=30))
def test_events_round_trip_exactly_in_commit_order(
    tmp_path_factory: pytest.TempPathFactory, history: list[Event], times: list[float]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "flow.db"
    store = SQLiteStore(path, synchronous="normal")
    run = run_record()
    half = len(history) // 2
    first = [StoredEvent("r-1", e, t) for e, t in zip(history[:half], times, strict=False)]
    second = [StoredEvent("r-1", e, t) for e, t in zip(history[half:], times[half:], strict=False)]
    store.commit(Batch(runs=[run], events=first))
    store.commit(Batch(events=second))
    store.close()
    again = SQLiteStore(path, readonly=True)  # a new connection reads what is on disk
    assert again.history("r-1") == history
    # a timer's duration is not part of its identity (equality): compare it on its own
    durations = [getattr(e, "seconds", None) for e in history]
    assert [getattr(e, "seconds", None) for e in again.history("r-1")] == durations
    assert again.times("r-1") == times[: len(history)]
    again.close()


def test_a_batch_that_fails_stores_nothing(store: SQLiteStore) -> None:
    store.commit(Batch(runs=[run_record()], events=[StoredEvent("r-1", WorkflowStarted("[]"), 1)]))
    queued = attempt("r-1", "b-0")
    bad = Batch(
        events=[StoredEvent("r-1", TaskCompleted("a-0", "1"), 2), scheduled(queued)],
        attempts=[queued],
        timers=[TimerRecord("r-1", "t", 9.0)],
        runs=[run_record("r-2", "w-2", input="\ud800")],  # not Unicode: the insert fails
    )
    with pytest.raises(
        StoreError, match=r"flow\.db: cannot commit 2 event\(s\).*not valid Unicode"
    ):
        store.commit(bad)
    assert store.history("r-1") == [WorkflowStarted("[]")]
    assert store.run("r-2") is None
    counts = [store._con.execute(q).fetchone()[0] for q in (OPEN_ATTEMPTS, COUNT_TIMERS)]
    assert counts == [0, 0]
    store.commit(Batch(events=[StoredEvent("r-1", TaskCompleted("a-0", "1"), 2)]))  # usable
    assert store.history("r-1")[-1] == TaskCompleted("a-0", "1")


def test_closing_a_run_and_continuing_it_in_one_batch(store: SQLiteStore) -> None:
    first = run_record()
    queued = attempt("r-1", "a-0")
    store.commit(Batch(runs=[first], attempts=[queued], events=[scheduled(queued)]))
    assert store._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 1
    first.status, first.closed_at, first.next_run_id = "continued", 1002.0, "r-2"
    second = run_record("r-2")  # the same workflow id: unique among open runs only
    store.commit(Batch(closed_runs=[first], runs=[second]))
    assert [r.status for r in store.chain("w-1")] == ["continued", "open"]
    assert store.find("w-1").run_id == "r-2"  # type: ignore[union-attr]
    assert store._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 0
    with pytest.raises(StoreError, match="UNIQUE"):
        store.commit(Batch(runs=[run_record("r-3")]))  # a second open run of w-1


def test_a_new_file_has_the_schema_by_name(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "flow.db").close()
    con = sqlite3.connect(tmp_path / "flow.db")
    meta = dict(con.execute("SELECT key, value FROM flowwire_meta"))
    assert meta == {"schema": "flowwire-sqlite", "version": str(sqlite_schema.VERSION)}
    assert con.execute("PRAGMA application_id").fetchone()[0] == sqlite_schema.APPLICATION_ID
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused_by_name_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE flowwire_meta SET value = '7' WHERE key = 'version'")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)
    assert str(caught.value) == (
        f"{path} is not a usable flowwire database: its schema flowwire-sqlite/7 is newer than "
        "flowwire-sqlite/5, the newest this flowwire reads: upgrade flowwire to use this file "
        "(nothing was changed)"
    )
    assert caught.value.path == str(path)
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path, readonly=True)
    assert path.read_bytes() == before


def test_an_older_schema_is_migrated_step_by_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "flow.db"
    SQLiteStore(path).close()
    monkeypatch.setattr(sqlite_schema, "VERSION", 6)
    monkeypatch.setitem(
        sqlite_schema.MIGRATIONS, 5, ["ALTER TABLE runs ADD COLUMN note TEXT DEFAULT 'v6'"]
    )
    with pytest.raises(StoreError, match="older than flowwire-sqlite/6: open it once"):
        SQLiteStore(path, readonly=True)
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM flowwire_meta WHERE key='version'").fetchone() == ("6",)
    assert "note" in [row[1] for row in con.execute("PRAGMA table_info(runs)")]


def _version_3_file(path: Path) -> None:
    """A file as flowwire-sqlite/3 wrote it: run r-1 with a completed attempt, one held by a
    worker and one queued, each open one a row of ``attempts``."""
    con = sqlite3.connect(path)
    con.executescript(sqlite_schema._V1 + sqlite_schema._V2)
    con.executemany(
        "INSERT INTO flowwire_meta VALUES (?, ?)", [("schema", "flowwire-sqlite"), ("version", "3")]
    )
    con.execute(
        "INSERT INTO runs (run_no, run_id, workflow_id, name, version, task_list, input, "
        "started_at, deadline, status) VALUES (1, 'r-1', 'w-1', 'wf', '1', 'tl', '[]', 1000.0, "
        "5000.0, 'open')"
    )
    base = 1 << 32
    con.executemany(
        "INSERT INTO events (id, at, kind, key, name, version, payload, task_kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (base, 1000.0, "WorkflowStarted", None, None, None, "[]", None),
            (base + 1, 1001.0, "TaskScheduled", "a-0", "act", "1", "[0]", "activity"),
            (base + 2, 1001.5, "TaskCompleted", "a-0", None, None, "1", None),
            (base + 3, 1002.0, "TaskScheduled", "b-0", "act", "1", "[1]", "activity"),
            (base + 4, 1002.0, "TaskScheduled", "c-0", "act", "1", "[2]", "activity"),
        ],
    )
    con.executemany(
        "INSERT INTO attempts (token, run, key, name, version, task_list, scheduled_at, "
        "heartbeat, schedule_to_close, schedule_to_start, start_to_close, started_at, "
        "last_beat, owner) VALUES (?, 1, ?, 'act', '1', 'tl', 1002.0, ?, 60, 30, 20, ?, ?, ?)",
        [
            ("r-1:b-0", "b-0", 5, 1003.0, 1004.0, "gone"),
            ("r-1:c-0", "c-0", None, None, 0.0, None),
        ],
    )
    con.commit()
    con.close()


def test_a_version_3_file_keeps_its_open_attempts_on_migration(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _version_3_file(path)
    with pytest.raises(StoreError, match="flowwire-sqlite/3 is older than flowwire-sqlite/5"):
        SQLiteStore(path, readonly=True)
    store = SQLiteStore(path)  # migrates
    store.register()
    [item] = store.adopt(lambda n, v: True)
    held, queued = sorted(item.attempts, key=lambda a: a.key)
    assert (held.token, held.input, held.heartbeat, held.started_at, held.last_beat) == (
        "r-1:b-0",
        "[1]",
        5,
        1003.0,
        1004.0,
    )
    assert (queued.token, queued.input, queued.started_at, queued.task_list) == (
        "r-1:c-0",
        "[2]",
        None,
        "tl",
    )
    assert (queued.schedule_to_close, queued.schedule_to_start, queued.start_to_close) == (
        60,
        30,
        20,
    )
    tables = {r[0] for r in store._con.execute("SELECT name FROM sqlite_master")}
    assert "attempts" not in tables
    meta = dict(store._con.execute("SELECT key, value FROM flowwire_meta"))
    assert meta["version"] == "5"
    # the migrated attempts close as any other: by their closing event
    held.started_at = None
    store.commit(
        Batch(
            events=[StoredEvent("r-1", TaskTimedOut("b-0", "WORKER_LOST"), 1010.0)],
            closed_attempts=[held],
        )
    )
    assert store._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 1
    store.close()


def test_a_version_4_file_keeps_its_open_attempts_on_migration(tmp_path: Path) -> None:
    """Version 4 cleared a closed attempt's columns: each row with an attempt_token is open,
    as version 5 reads it; the migration adds ``closes`` and the view."""
    path = tmp_path / "v4.db"
    con = sqlite3.connect(path)
    con.executescript(sqlite_schema._V1 + sqlite_schema._V2)
    for statement in sqlite_schema._V4:
        con.execute(statement)
    con.executemany(
        "INSERT INTO flowwire_meta VALUES (?, ?)", [("schema", "flowwire-sqlite"), ("version", "4")]
    )
    con.execute(
        "INSERT INTO runs (run_no, run_id, workflow_id, name, version, task_list, input, "
        "started_at, deadline, status) VALUES (1, 'r-1', 'w-1', 'wf', '1', 'tl', '[]', 1000.0, "
        "5000.0, 'open')"
    )
    base = 1 << 32
    con.executemany(
        "INSERT INTO events (id, at, kind, key, name, version, payload, task_kind, started, "
        "attempt_token, attempt_task_list, attempt_scheduled_at, attempt_schedule_to_close, "
        "attempt_schedule_to_start, attempt_start_to_close, attempt_started_at, "
        "attempt_last_beat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (base, 1000.0, "WorkflowStarted", *[None] * 3, "[]", *[None] * 10),
            (base + 1, 1001.0, "TaskScheduled", "a-0", "act", "1", "[0]", "activity")
            + (None,) * 9,  # closed: its columns cleared by version 4
            (base + 2, 1001.5, "TaskCompleted", "a-0", None, None, "1", None, 1001.0) + (None,) * 8,
            (
                base + 3,
                1002.0,
                "TaskScheduled",
                "b-0",
                "act",
                "1",
                "[1]",
                "activity",
                None,
                "r-1:b-0",
                "tl",
                1002.0,
                60,
                30,
                20,
                1003.0,
                1004.0,
            ),
        ],
    )
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="flowwire-sqlite/4 is older than flowwire-sqlite/5"):
        SQLiteStore(path, readonly=True)
    store = SQLiteStore(path)  # migrates
    store.register()
    assert dict(store._con.execute("SELECT key, value FROM flowwire_meta"))["version"] == "5"
    assert store._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 1
    [item] = store.adopt(lambda n, v: True)
    [held] = item.attempts
    assert (held.token, held.input, held.started_at, held.last_beat) == (
        "r-1:b-0",
        "[1]",
        1003.0,
        1004.0,
    )
    store.commit(
        Batch(
            events=[StoredEvent("r-1", TaskTimedOut("b-0", "WORKER_LOST"), 1010.0)],
            closed_attempts=[held],
        )
    )
    assert store._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 0
    store.close()


def test_attempts_live_on_their_scheduled_rows_until_they_close(store: SQLiteStore) -> None:
    """Scheduled and handed out in one commit (a sequential step), handed out later (queued),
    scheduled and closed in one commit: each open attempt is its TaskScheduled row's, with its
    lease, until a later row (its closing event, ``closes`` = 1) closes it."""
    store.register()
    run = run_record()
    now = attempt("r-1", "a-0", started_at=1001.0, last_beat=1001.0)
    later = attempt("r-1", "b-0")
    at_once = attempt("r-1", "c-0")
    store.commit(
        Batch(
            runs=[run],
            events=[scheduled(now), scheduled(later), scheduled(at_once)],
            attempts=[now, later, at_once],
            started=[now],
            closed_attempts=[at_once],
        )
    )
    rows = store._con.execute(
        "SELECT key, attempt_token, attempt_started_at, attempt_owner FROM events ORDER BY id"
    ).fetchall()
    assert rows == [
        ("a-0", "r-1:a-0", 1001.0, store.owner_id),
        ("b-0", "r-1:b-0", None, None),
        ("c-0", None, None, None),
    ]
    later.started_at = later.last_beat = 1005.0
    store.commit(
        Batch(
            events=[StoredEvent("r-1", TaskCompleted("a-0", "1"), 1006.0)],
            started=[later],
            closed_attempts=[now],
        )
    )
    rows = store._con.execute(
        "SELECT key, attempt_token, attempt_started_at FROM open_attempts ORDER BY seq"
    ).fetchall()
    assert rows == [("b-0", "r-1:b-0", 1005.0)]
    # closed by its closing row alone (schema version 5): the TaskScheduled row is as written
    closing = store._con.execute(
        "SELECT kind, key, started, closes FROM events WHERE closes IS NOT NULL"
    ).fetchall()
    assert closing == [("TaskCompleted", "a-0", 1001.0, 1)]
    assert store.attempt_starts("r-1") == {"a-0": 1001.0}
    other = SQLiteStore(store.path)  # another process: reads the rows, not this one's memory
    other.register()
    store.release()
    [item] = other.adopt(lambda n, v: True)
    assert [(a.token, a.started_at) for a in item.attempts] == [("r-1:b-0", 1005.0)]
    other.commit(
        Batch(
            events=[StoredEvent("r-1", TaskTimedOut("b-0", "WORKER_LOST"), 1007.0)],
            closed_attempts=[item.attempts[0]],
        )
    )
    assert other._con.execute(OPEN_ATTEMPTS).fetchone()[0] == 0
    other.close()


def test_an_attempt_without_its_scheduled_event_is_refused(store: SQLiteStore) -> None:
    lonely = attempt("r-1", "a-0")
    with pytest.raises(StoreError, match="r-1:a-0 of run r-1: its TaskScheduled event is not"):
        store.commit(Batch(runs=[run_record()], attempts=[lonely]))
    assert store.run("r-1") is None


def test_other_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError) as caught:
        SQLiteStore(garbage)
    assert str(caught.value).startswith(f"{garbage} is not a usable flowwire database: the file is")
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(
        StoreError, match=r"an SQLite database of something else \(tables: invoices\)"
    ):
        SQLiteStore(other)
    with pytest.raises(StoreError, match="is a directory"):
        SQLiteStore(tmp_path)
    with pytest.raises(StoreError, match="no such database file"):
        SQLiteStore(tmp_path / "missing.db", readonly=True)
    with pytest.raises(ValueError, match="synchronous must be one of 'full', 'normal'"):
        SQLiteStore(tmp_path / "x.db", synchronous="off")


def test_a_damaged_file_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    store = SQLiteStore(path)
    store.commit(
        Batch(runs=[run_record()], events=[StoredEvent("r-1", WorkflowStarted("x" * 9000), 1)])
    )
    store._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    data[4096:12288] = os.urandom(8192)  # pages 2 and 3: tables and their b-trees
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=f"^{path} is not a usable flowwire database"):
        opened = SQLiteStore(path)
        opened.history("r-1")


RACER = """
import sys, time
from pathlib import Path
from flowwire.runtime.sqlite import SQLiteStore
path, me, signals = sys.argv[1], sys.argv[2], Path(sys.argv[3])
store = SQLiteStore(path)
store.register()
(signals / f"ready-{me}").write_text("")
while not (signals / "go").exists():
    time.sleep(0.001)
taken = []
while True:
    got = store.adopt(lambda name, version: True, limit=1)
    if not got:
        break
    taken += [item.record.run_id for item in got]
(signals / f"taken-{me}").write_text(" ".join(taken))
while not (signals / "end").exists():  # alive until every racer is done: a racer that
    time.sleep(0.01)                   # exited would be a dead owner, its runs free again
"""


def test_exactly_one_of_racing_workers_takes_each_run(tmp_path: Path) -> None:
    path, signals = tmp_path / "flow.db", tmp_path / "signals"
    signals.mkdir()
    store = SQLiteStore(path)
    store.commit(Batch(runs=[run_record(f"r-{i}", f"w-{i}") for i in range(60)]))
    store.close()
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, str(path), str(n), str(signals)])
        for n in range(4)
    ]
    try:
        while len(list(signals.glob("ready-*"))) < len(racers):
            time.sleep(0.01)
        (signals / "go").write_text("")  # all at once
        while len(list(signals.glob("taken-*"))) < len(racers):
            time.sleep(0.01)
    finally:
        (signals / "end").write_text("")
        for racer in racers:
            racer.wait(timeout=60)
    taken = [run for f in signals.glob("taken-*") for run in f.read_text().split()]
    assert sorted(taken) == sorted(f"r-{i}" for i in range(60))  # each exactly once


def test_a_dead_owners_runs_are_taken_over_with_their_state(tmp_path: Path) -> None:
    path = tmp_path / "flow.db"
    code = (
        "import sys; from flowwire.runtime.sqlite import SQLiteStore\n"
        "from flowwire.runtime.store import *\nfrom flowwire.history import *\n"
        "s = SQLiteStore(sys.argv[1]); s.register()\n"
        "r = RunRecord('r-1', 'w-1', 'wf', '1', 'tl', '[]', 1000.0, 5000.0)\n"
        "held = AttemptRecord('r-1:a-0', 'r-1', 'a-0', 'act', '1', '[1]', 'tl', 1001.0, None,"
        " 60, 30, 20)\n"
        "queued = AttemptRecord('r-1:b-0', 'r-1', 'b-0', 'act', '1', '[2]', 'tl', 1001.0, 5,"
        " 60, 30, 20)\n"
        "held.started_at = held.last_beat = 1002.0\n"
        "s.commit(Batch(runs=[r], attempts=[held, queued], started=[held], events=["
        "StoredEvent('r-1', WorkflowStarted('[]'), 1000.0), "
        "StoredEvent('r-1', TaskScheduled('a-0', 'act', '1', input='[1]'), 1001.0), "
        "StoredEvent('r-1', TaskScheduled('b-0', 'act', '1', input='[2]'), 1001.0)], "
        "timers=[TimerRecord('r-1', 'later', 4000.0)]))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)  # it exits: gone
    store = SQLiteStore(path)
    store.register()
    assert store.adopt(lambda n, v: n == "other") == []  # types it cannot decide: left
    [item] = store.adopt(lambda n, v: True)
    assert item.record.run_id == "r-1" and item.record.status == "open"
    assert [type(e).__name__ for e in item.history] == [
        "WorkflowStarted",
        "TaskScheduled",
        "TaskScheduled",
    ]
    assert item.times == [1000.0, 1001.0, 1001.0]
    held, queued = sorted(item.attempts, key=lambda a: a.key)
    assert (held.key, held.started_at, held.input) == ("a-0", 1002.0, "[1]")
    assert (queued.key, queued.started_at, queued.heartbeat, queued.input) == (
        "b-0",
        None,
        5,
        "[2]",
    )
    assert [(t.key, t.fire_at) for t in item.timers] == [("later", 4000.0)]
    assert store.adopt(lambda n, v: True) == []  # mine now
    other = SQLiteStore(path)
    other.register()
    assert other.adopt(lambda n, v: True) == []  # this process is alive: not taken
    store.release()
    assert [r.record.run_id for r in other.adopt(lambda n, v: True)] == ["r-1"]
    with pytest.raises(StoreError, match="lost its lease"):
        store.owner_id = "gone"
        store.renew()


def test_owner_liveness_by_pid_and_start_time_and_lease() -> None:
    host, boot, pid, started = this_process()
    assert process_start(pid) == started
    assert Owner("a", host, boot, pid, started, 0.0).is_alive(1e9, 30)
    assert not Owner("b", host, boot, pid, "1", 0.0).is_alive(1e9, 30)  # the pid was reused
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not Owner("c", host, boot, child.pid, "", 0.0).is_alive(1e9, 30)
    assert Owner("d", "elsewhere", "", 1, "", 100.0).is_alive(120.0, 30)  # lease not expired
    assert not Owner("e", "elsewhere", "", 1, "", 100.0).is_alive(131.0, 30)


def test_a_zombie_is_not_alive(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = threading.Event()
    while process_start(child.pid) is not None and not deadline.wait(0.02):
        pass  # exits and stays a zombie until waited for
    assert process_start(child.pid) is None
    child.wait()


def test_prune_deletes_only_closed_runs_and_backup_copies(
    store: SQLiteStore, tmp_path: Path
) -> None:
    old, new, running = run_record("r-1", "w-1"), run_record("r-2", "w-2"), run_record("r-3", "w-3")
    store.commit(
        Batch(
            runs=[old, new, running],
            events=[StoredEvent(r.run_id, WorkflowStarted("[]"), 1) for r in (old, new, running)],
        )
    )
    old.status, old.closed_at, old.result = "completed", 100.0, "1"
    new.status, new.closed_at, new.result = "completed", 900.0, "2"
    store.commit(Batch(closed_runs=[old, new]))
    assert store.prune(closed_before=500.0) == 1
    assert [r.run_id for r in store.runs()] == ["r-2", "r-3"]
    assert store._con.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    store.vacuum()
    store.backup(tmp_path / "copy.db")
    copy = SQLiteStore(tmp_path / "copy.db", readonly=True)
    assert [r.run_id for r in copy.runs()] == ["r-2", "r-3"]
    assert copy.history("r-3") == [WorkflowStarted("[]")]
