"""The schema of the SQLite history store, its version check and migrations, and event rows.

The file records its schema by name and version in ``flowwire_meta`` (``schema`` =
``flowwire-sqlite``, ``version`` = an integer) and carries SQLite's ``application_id``
``0x46574C57`` ("FWLW"). Opening a file:

* an empty file (or a new one) gets the current schema;
* an older version is migrated in one transaction, step by step (:data:`MIGRATIONS`);
* a newer version is refused by name (``flowwire-sqlite/3 is newer than flowwire-sqlite/1``),
  with nothing changed, so an old flowwire never writes a file a newer one made;
* anything else (tables but no ``flowwire_meta``, another schema name) is not a flowwire
  database and is refused.

Tables (version 1): ``runs`` (one row per run; ``owner`` is the owner holding an open run),
``events`` (every history event: ``id`` is ``run_no << 32 | seq``, so a run's events are stored
together in commit order with no second index; ``kind`` names the event type, payload strings
exactly as written are in ``payload``, short strings such as a failure reason or a timeout type
in ``reason``; a ``TaskScheduled`` event's ``kind`` of task and the ``options`` it was
scheduled with, as JSON, in ``task_kind`` and ``options`` (a ``TimerStarted`` event's duration
there too, ``{"seconds": N}``); on an attempt's closing event, when
its worker started it, in ``started``; the view ``history`` shows them with their run ids),
``attempts`` (versions 1 to 3: open activity attempts, the task queue; ``started_at`` and
``owner`` are the lease of the worker that holds one; an attempt's input is its
``TaskScheduled`` event's, not copied), ``timers`` (pending timers: a run's timer by key with
its fire time), ``owners`` (the kernels writing to the file, see
:mod:`flowwire.runtime.owners`).

A ``TaskScheduleFailed`` event keeps its cause in ``reason`` and the refused task's ``name``,
``version`` and ``kind`` in ``name``, ``version`` and ``task_kind`` (a file written before
these were stored has them null there: they read back as ``None``).

Version 2 adds ``inbox``: external inputs waiting for the kernel that holds an execution, one
row each (``id`` in arrival order, ``workflow_id`` of the execution, ``kind`` of input, its
``name`` and ``payload``, and ``at``, when it arrived). ``kind`` is ``'signal'`` (``name`` the
signal's, ``payload`` its value as the workflow type's transport wrote it); other kinds (a
cancellation request, ``'cancel'``) use the same columns, and a kernel leaves a kind it does
not know where it is. The kernel holding the execution reads its rows, appends their events
and deletes the rows in one commit, so an input is delivered exactly once; the rows of an
execution that closed are deleted with it. Version 2 also stores the signal events
(``SignalReceived``: ``name``, ``payload``; ``SignalSent``: ``key``, ``name``, ``payload`` and
the target workflow id in ``reason``; ``SignalDelivered``: ``key``; ``SignalSendFailed``:
``key`` and the cause in ``reason``).

Version 3 stores the cancellation events (``WorkflowCancelRequested``: its cause in
``reason``; ``TaskCancelRequested``: ``key``), which a version-2 reader would not know; the
tables are those of version 2 (the inbox's ``'cancel'`` rows carry no name or payload), so
the migration only records the version.

Version 4 keeps an open activity attempt on its ``TaskScheduled`` event row instead of a row of
its own in ``attempts`` (dropped): ``attempt_token`` (set while the attempt is open: the task
queue is the rows where it is not null), its task list and timeouts (``attempt_task_list``,
``attempt_heartbeat``, ``attempt_schedule_to_close``, ``attempt_schedule_to_start``,
``attempt_start_to_close``), when it was scheduled (``attempt_scheduled_at``) and its lease
(``attempt_started_at``, ``attempt_last_beat``, ``attempt_owner``: the worker holding it). The
commit that closes the attempt (its closing event) sets them all back to null in the same
transaction. So a sequential step (an activity's completion and the next one scheduled and
handed out) inserts two rows and updates one, all in the run's range of ``events``, usually one
database page, where version 3 also inserted and deleted ``attempts`` rows. The migration adds
the columns, copies each open attempt onto its ``TaskScheduled`` row and drops ``attempts``.

Version 5 closes an attempt with its closing event alone: that row (``TaskCompleted``,
``TaskFailed``, ``TaskTimedOut``) has ``closes`` = 1, and the attempt's columns on its
``TaskScheduled`` row are left as they were. An attempt is open while its run is open, its
``TaskScheduled`` row has an ``attempt_token`` and no later row of the run with the same ``key``
has ``closes`` = 1 (the view ``open_attempts`` lists them). So a sequential step (an activity's
completion and the next one scheduled and handed out) is one multi-row ``INSERT`` of two rows
and nothing else, committed by that statement alone. An attempt closed without its closing
event in the commit (none: its run closed) still has its columns set back to null. The
migration adds the column (a version-4 file's closed attempts have their columns cleared, so
each of its rows with an ``attempt_token`` is open, as version 5 reads it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from flowwire.history import (
    Event,
    SignalDelivered,
    SignalReceived,
    SignalSendFailed,
    SignalSent,
    TaskCancelRequested,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskStarted,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowCancelRequested,
    WorkflowStarted,
)

__all__ = [
    "APPLICATION_ID",
    "ATTEMPT_COLUMNS",
    "EVENT_COLUMNS",
    "MIGRATIONS",
    "SCHEMA",
    "VERSION",
    "SchemaProblem",
    "event_from_row",
    "event_row",
    "prepare",
]

SCHEMA = "flowwire-sqlite"
VERSION = 5
APPLICATION_ID = 0x46574C57

_V1 = """
CREATE TABLE flowwire_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE owners (
    owner_id TEXT PRIMARY KEY, host TEXT NOT NULL, boot TEXT NOT NULL, pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL, started_at REAL NOT NULL, beat_at REAL NOT NULL
);
CREATE TABLE runs (
    run_no INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, workflow_id TEXT NOT NULL,
    name TEXT NOT NULL, version TEXT NOT NULL, task_list TEXT NOT NULL, input TEXT NOT NULL,
    started_at REAL NOT NULL, deadline REAL NOT NULL, parent_run TEXT, parent_key TEXT,
    status TEXT NOT NULL, closed_at REAL, result TEXT, reason TEXT, details TEXT,
    next_run_id TEXT, owner TEXT
);
CREATE UNIQUE INDEX runs_open_workflow_id ON runs (workflow_id) WHERE status = 'open';
CREATE INDEX runs_workflow_id ON runs (workflow_id);
CREATE INDEX runs_open ON runs (owner) WHERE status = 'open';
CREATE INDEX runs_closed_at ON runs (closed_at) WHERE status != 'open';
CREATE TABLE events (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, key TEXT, name TEXT,
    version TEXT, payload TEXT, reason TEXT, task_kind TEXT, options TEXT, started REAL
);
CREATE VIEW history AS
    SELECT runs.run_id, runs.workflow_id, events.id & 4294967295 AS seq, events.at,
           events.kind, events.key, events.name, events.version, events.payload, events.reason,
           events.task_kind, events.options, events.started
    FROM runs JOIN events
        ON events.id BETWEEN runs.run_no << 32 AND (runs.run_no << 32) + 4294967295;
CREATE TABLE attempts (
    token TEXT PRIMARY KEY, run INTEGER NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
    version TEXT NOT NULL, task_list TEXT NOT NULL, scheduled_at REAL NOT NULL,
    heartbeat INTEGER, schedule_to_close INTEGER NOT NULL, schedule_to_start INTEGER NOT NULL,
    start_to_close INTEGER NOT NULL, started_at REAL, last_beat REAL NOT NULL, owner TEXT
) WITHOUT ROWID;
CREATE TABLE timers (
    run INTEGER NOT NULL, key TEXT NOT NULL, fire_at REAL NOT NULL, PRIMARY KEY (run, key)
) WITHOUT ROWID;
"""

_V2 = """
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id TEXT NOT NULL, kind TEXT NOT NULL,
    name TEXT, payload TEXT, at REAL NOT NULL
);
CREATE INDEX inbox_workflow_id ON inbox (workflow_id);
"""

ATTEMPT_COLUMNS = (
    "attempt_token, attempt_task_list, attempt_scheduled_at, attempt_heartbeat, "
    "attempt_schedule_to_close, attempt_schedule_to_start, attempt_start_to_close, "
    "attempt_started_at, attempt_last_beat, attempt_owner"
)
"""The columns of ``events`` that hold an open attempt on its ``TaskScheduled`` row (version
4), in the order of :class:`~flowwire.runtime.store.AttemptRecord`'s fields (``token``,
``task_list``, ``scheduled_at``, the four timeouts, ``started_at``, ``last_beat``), then the
owner holding it."""

_ATTEMPT_TYPES = (
    "TEXT",
    "TEXT",
    "REAL",
    "INTEGER",
    "INTEGER",
    "INTEGER",
    "INTEGER",
    "REAL",
    "REAL",
    "TEXT",
)

_V4 = [
    f"ALTER TABLE events ADD COLUMN {name} {kind}"
    for name, kind in zip(ATTEMPT_COLUMNS.split(", "), _ATTEMPT_TYPES, strict=True)
] + [
    # each open attempt onto its TaskScheduled row (the run's range of ids, the same key)
    f"UPDATE events SET ({ATTEMPT_COLUMNS}) = (SELECT a.token, a.task_list, a.scheduled_at, "
    "a.heartbeat, a.schedule_to_close, a.schedule_to_start, a.start_to_close, "
    "a.started_at, a.last_beat, a.owner FROM attempts AS a "
    "WHERE a.run = events.id >> 32 AND a.key = events.key) "
    "WHERE kind = 'TaskScheduled' AND EXISTS (SELECT 1 FROM attempts AS a "
    "WHERE a.run = events.id >> 32 AND a.key = events.key)",
    "DROP TABLE attempts",
]

_V5 = [
    "ALTER TABLE events ADD COLUMN closes INTEGER",
    # open attempts: TaskScheduled rows with an attempt, of an open run, not closed by a
    # later row of the run with the same key
    "CREATE VIEW open_attempts AS SELECT runs.run_id, s.id & 4294967295 AS seq, s.key, "
    "s.name, s.version, s.attempt_token, s.attempt_task_list, s.attempt_scheduled_at, "
    "s.attempt_started_at, s.attempt_last_beat FROM runs JOIN events AS s "
    "ON s.id BETWEEN runs.run_no << 32 AND (runs.run_no << 32) + 4294967295 "
    "WHERE runs.status = 'open' AND s.attempt_token IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM events AS c WHERE c.id > s.id "
    "AND c.id <= (runs.run_no << 32) + 4294967295 AND c.closes = 1 AND c.key = s.key)",
]

#: ``MIGRATIONS[v]`` turns a version-``v`` file into version ``v + 1`` (statements run in the
#: open transaction).
MIGRATIONS: dict[int, list[str]] = {
    1: [s.strip() for s in _V2.split(";") if s.strip()],
    2: [],
    3: _V4,
    4: _V5,
}


class SchemaProblem(Exception):
    """The file is not a flowwire database this version can use (the message says why)."""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def prepare(con: sqlite3.Connection, *, create: bool) -> int:
    """Check (and create or migrate, when ``create``) the schema in the connection's open
    write transaction (or a read one when not ``create``); returns the version found.

    Raises:
        SchemaProblem: not a flowwire database, a newer schema, or (not ``create``) no schema.
        sqlite3.Error: the file cannot be read or written.
    """
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        if not create:
            raise SchemaProblem("it has no flowwire tables (no engine has written to it yet)")
        for statement in _statements(_V1) + _statements(_V2) + _V4 + _V5:
            con.execute(statement)
        con.executemany(
            "INSERT INTO flowwire_meta (key, value) VALUES (?, ?)",
            [("schema", SCHEMA), ("version", str(VERSION))],
        )
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        return VERSION
    if "flowwire_meta" not in tables:
        listing = ", ".join(sorted(tables)[:5])
        raise SchemaProblem(f"it is an SQLite database of something else (tables: {listing})")
    meta = dict(con.execute("SELECT key, value FROM flowwire_meta").fetchall())
    name, raw = meta.get("schema"), meta.get("version", "")
    if name != SCHEMA or not raw.isdigit():
        raise SchemaProblem(f"its schema is {name!r} version {raw!r}, not {SCHEMA}")
    version = int(raw)
    if version > VERSION:
        raise SchemaProblem(
            f"its schema {SCHEMA}/{version} is newer than {SCHEMA}/{VERSION}, the newest this "
            "flowwire reads: upgrade flowwire to use this file (nothing was changed)"
        )
    if version < VERSION:
        if not create:
            raise SchemaProblem(
                f"its schema {SCHEMA}/{version} is older than {SCHEMA}/{VERSION}: open it once "
                "with a worker (or LocalEngine(db=...)) to migrate it"
            )
        for step in range(version, VERSION):
            for statement in MIGRATIONS[step]:
                con.execute(statement)
        con.execute("UPDATE flowwire_meta SET value = ? WHERE key = 'version'", (str(VERSION),))
    return version


# -- events <-> rows: (kind, key, name, version, payload, reason, task_kind, options) --------

Row = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, str | None]


def event_row(event: Event) -> Row:
    """The columns ``kind, key, name, version, payload, reason, task_kind, options`` of
    ``event`` (a ``TaskScheduled`` event's options as compact JSON: whole seconds, task list
    names and ``None``, which JSON carries exactly)."""
    return _TO_ROW[type(event)](event)


def _scheduled(e: TaskScheduled) -> Row:
    options = _options_text(e.options) if e.options else None
    return ("TaskScheduled", e.key, e.name, e.version, e.input, None, e.kind, options)


def _options_text(options: dict[str, Any]) -> str:
    """``options`` as compact JSON (orjson, else the standard library for what orjson does
    not write: an integer beyond 64 bits)."""
    try:
        return orjson.dumps(options).decode()
    except TypeError:
        return json.dumps(options, separators=(",", ":"))


def _options_from_text(text: str) -> Any:
    """The options :func:`_options_text` wrote. orjson reads them several times faster than
    the standard library (a resumed run reads one per step), but reads an integer beyond 64
    bits as a float: a value that is a float or a container is read again with the standard
    library, which reads every number as written (options hold whole seconds, names and
    ``None``)."""
    value = orjson.loads(text)
    if type(value) is not dict or not all(type(v) in _PLAIN_OPTION for v in value.values()):
        return json.loads(text)
    return value


_PLAIN_OPTION = frozenset({str, int, bool, type(None)})


def _timer_started(e: TimerStarted) -> Row:
    options = None if e.seconds is None else json.dumps({"seconds": e.seconds})
    return ("TimerStarted", e.key, None, None, None, None, None, options)


def _timer_from_row(key: Any, options: Any) -> TimerStarted:
    seconds = json.loads(options).get("seconds") if options else None
    return TimerStarted(key, seconds if type(seconds) is int else None)


_TO_ROW: dict[type, Callable[[Any], Row]] = {
    WorkflowStarted: lambda e: ("WorkflowStarted", None, None, None, e.input, None, None, None),
    TaskScheduled: _scheduled,
    TaskStarted: lambda e: ("TaskStarted", e.key, None, None, None, None, None, None),
    TaskCompleted: lambda e: ("TaskCompleted", e.key, None, None, e.result, None, None, None),
    TaskFailed: lambda e: ("TaskFailed", e.key, None, None, e.details, e.reason, None, None),
    TaskTimedOut: lambda e: ("TaskTimedOut", e.key, None, None, None, e.timeout_type, None, None),
    TaskScheduleFailed: lambda e: (
        "TaskScheduleFailed",
        e.key,
        e.name,
        e.version,
        None,
        e.cause,
        e.kind,
        None,
    ),
    TimerStarted: _timer_started,
    TimerFired: lambda e: ("TimerFired", e.key, None, None, None, None, None, None),
    SignalReceived: lambda e: ("SignalReceived", None, e.name, None, e.input, None, None, None),
    SignalSent: lambda e: ("SignalSent", e.key, e.name, None, e.input, e.workflow_id, None, None),
    SignalDelivered: lambda e: ("SignalDelivered", e.key, None, None, None, None, None, None),
    SignalSendFailed: lambda e: (
        "SignalSendFailed",
        e.key,
        None,
        None,
        None,
        e.cause,
        None,
        None,
    ),
    WorkflowCancelRequested: lambda e: (
        "WorkflowCancelRequested",
        None,
        None,
        None,
        None,
        e.cause,
        None,
        None,
    ),
    TaskCancelRequested: lambda e: (
        "TaskCancelRequested",
        e.key,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
}

Build = Callable[[Any, Any, Any, Any, Any, Any, Any], Event]

_FROM_ROW: dict[str, Build] = {
    "WorkflowStarted": lambda k, n, v, p, r, t, o: WorkflowStarted(p),
    "TaskScheduled": lambda k, n, v, p, r, t, o: TaskScheduled(
        k, n, v, t, _options_from_text(o) if o else {}, p
    ),
    "TaskStarted": lambda k, n, v, p, r, t, o: TaskStarted(k),
    "TaskCompleted": lambda k, n, v, p, r, t, o: TaskCompleted(k, p),
    "TaskFailed": lambda k, n, v, p, r, t, o: TaskFailed(k, r, p),
    "TaskTimedOut": lambda k, n, v, p, r, t, o: TaskTimedOut(k, r),
    "TaskScheduleFailed": lambda k, n, v, p, r, t, o: TaskScheduleFailed(k, r, n, v, t),
    "TimerStarted": lambda k, n, v, p, r, t, o: _timer_from_row(k, o),
    "TimerFired": lambda k, n, v, p, r, t, o: TimerFired(k),
    "SignalReceived": lambda k, n, v, p, r, t, o: SignalReceived(n, p),
    "SignalSent": lambda k, n, v, p, r, t, o: SignalSent(k, r, n, p),
    "SignalDelivered": lambda k, n, v, p, r, t, o: SignalDelivered(k),
    "SignalSendFailed": lambda k, n, v, p, r, t, o: SignalSendFailed(k, r),
    "WorkflowCancelRequested": lambda k, n, v, p, r, t, o: WorkflowCancelRequested(r or ""),
    "TaskCancelRequested": lambda k, n, v, p, r, t, o: TaskCancelRequested(k),
}

EVENT_COLUMNS = "kind, key, name, version, payload, reason, task_kind, options"
"""The columns :func:`event_row` fills and :func:`event_from_row` reads, in order."""


def event_from_row(
    kind: str,
    key: str | None,
    name: str | None,
    version: str | None,
    payload: Any,
    reason: Any,
    task_kind: Any = None,
    options: Any = None,
) -> Event:
    """The event a row holds.

    Raises:
        SchemaProblem: an unknown ``kind`` (a file written by something else).
    """
    build = _FROM_ROW.get(kind)
    if build is None:
        raise SchemaProblem(f"it has an event of unknown kind {kind!r}")
    return build(key, name, version, payload, reason, task_kind, options)
