"""The SQLite history store: executions that survive the process, in one file.

:class:`SQLiteStore` implements :class:`~flowwire.runtime.store.HistoryStore` with the standard
library's ``sqlite3`` in WAL mode. Each :meth:`~SQLiteStore.commit` is one ``BEGIN IMMEDIATE``
transaction; a batch that cannot be stored (disk full, read-only file, I/O error) is rolled back
whole and raises :class:`~flowwire.errors.StoreError` naming the file, so an event is on disk
before anything acts on it, and nothing is ever half-written. Payload strings go into ``TEXT``
columns exactly as the transports wrote them; the store never decodes them.

Several processes may share a file (same machine). Each kernel that writes registers as an
*owner* (:mod:`flowwire.runtime.owners`); a run belongs to one owner, which alone decides for
it and runs its activity attempts. :meth:`~SQLiteStore.adopt` takes over open runs that have no
owner (started by ``flowwire start``) or whose owner is gone, in one write transaction, so
exactly one kernel wins each run; every commit first checks that this owner still holds its
lease (a kernel whose runs were taken over cannot write any more).

``synchronous="full"`` (the default) makes every commit durable across a power cut: the WAL is
fsynced at each commit. ``"normal"`` survives a crash of the process or of the engine, not a
power cut or an OS crash (the last commits may roll back, never half-written), and is several
times faster. See the schema in :mod:`flowwire.runtime.sqlite_schema`.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
import sqlite3
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from flowwire.errors import StoreError
from flowwire.history import Event, TaskCompleted, TaskFailed, TaskScheduled, TaskTimedOut
from flowwire.runtime import sqlite_inbox
from flowwire.runtime.owners import Owner, this_process
from flowwire.runtime.sqlite_schema import (
    ATTEMPT_COLUMNS,
    EVENT_COLUMNS,
    SchemaProblem,
    event_from_row,
    event_row,
    prepare,
)
from flowwire.runtime.store import (
    AttemptRecord,
    Batch,
    InboxItem,
    Recovered,
    RunRecord,
    TimerRecord,
)

__all__ = ["SYNCHRONOUS", "SQLiteStore"]

SYNCHRONOUS = ("full", "normal")
"""The ``synchronous`` settings a store accepts (the first is the default)."""

_SEQ = 0xFFFFFFFF  # the low 32 bits of an event id: its place in the run's history
_RUN_COLUMNS = (
    "run_id, workflow_id, name, version, task_list, input, started_at, deadline, parent_run, "
    "parent_key, status, closed_at, result, reason, details, next_run_id"
)
# An event row: id, at, the event's columns, when the attempt it closes started and whether it
# closes one (schema version 5), and (on a TaskScheduled row whose attempt is open) the
# attempt's columns. A row binds only its values that are not None (the others are NULL): the
# sqlite3 module binds None through its adapters, several times slower than a number or a
# string.
_ROW_COLUMNS = (*EVENT_COLUMNS.split(", "), "started", "closes", *ATTEMPT_COLUMNS.split(", "))
_NONES = (None,) * len(_ROW_COLUMNS)
_INSERTS: dict[tuple[bool, ...], str] = {}  # which of _ROW_COLUMNS a row has -> its INSERT
# the rows' shapes of a small batch -> the one multi-row INSERT that stores them all
_MULTI: dict[tuple[tuple[bool, ...], ...], str] = {}
_MULTI_ROWS = 8  # a batch of at most this many events (and nothing else) is one statement
_CLOSING = frozenset({TaskCompleted, TaskFailed, TaskTimedOut})  # the events that close one


def _insert_for(present: tuple[bool, ...]) -> str:
    columns = ", ".join(itertools.compress(_ROW_COLUMNS, present))
    marks = ", ".join("?" * (2 + sum(present)))
    sql = _INSERTS[present] = f"INSERT INTO events (id, at, {columns}) VALUES ({marks})"
    return sql


def _multi_for(shapes: tuple[tuple[bool, ...], ...]) -> str:
    """One ``INSERT`` of rows of these shapes: the columns any of them has, ``NULL`` written
    into the statement where a row has none (bound values stay those of :func:`_insert_for`)."""
    width = len(_ROW_COLUMNS)  # a shape is as long as its row: those without an attempt are short
    padded = [shape + (False,) * (width - len(shape)) for shape in shapes]
    union = tuple(map(any, zip(*padded, strict=True)))
    columns = ", ".join(itertools.compress(_ROW_COLUMNS, union))
    rows = []
    for shape in padded:
        marks = ["?", "?"] + [
            "?" if has else "NULL" for has, used in zip(shape, union, strict=True) if used
        ]
        rows.append(f"({', '.join(marks)})")
    sql = f"INSERT INTO events (id, at, {columns}) VALUES {', '.join(rows)}"
    if len(_MULTI) < 256:  # the shapes a workflow's steps have are few
        _MULTI[shapes] = sql
    return sql


_START_ATTEMPT = (
    "UPDATE events SET attempt_started_at = ?, attempt_last_beat = ?, attempt_owner = ? "
    "WHERE id = ?"
)
_CLEAR = ", ".join(f"{column} = NULL" for column in ATTEMPT_COLUMNS.split(", "))
_CLOSE_ATTEMPT = f"UPDATE events SET {_CLEAR} WHERE id = ?"
_is_not = operator.is_not
_FIND_ATTEMPT = (
    "SELECT id FROM events WHERE id BETWEEN ? AND ? AND attempt_token = ? ORDER BY id DESC LIMIT 1"
)


def _record(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        workflow_id=row[1],
        name=row[2],
        version=row[3],
        task_list=row[4],
        input=row[5],
        started_at=row[6],
        deadline=row[7],
        parent=None if row[8] is None else (row[8], row[9]),
        status=row[10],
        closed_at=row[11],
        result=row[12],
        reason=row[13],
        details=row[14],
        next_run_id=row[15],
    )


class SQLiteStore:
    """A history store in the SQLite file ``path`` (created with the current schema if new).

    Args:
        path: the database file. Its directory must be writable (WAL keeps ``-wal`` and
            ``-shm`` files next to it) unless ``readonly``.
        synchronous: ``"full"`` (default: every commit survives a power cut) or ``"normal"``
            (survives a process crash; faster).
        readonly: open for reading only (listing executions, reading histories); the file must
            exist and hold a flowwire schema.
        busy_timeout: seconds a write waits for another process's transaction.
        lease: seconds after its last commit or renewal that an owner on another host (name)
            counts as alive; owners on this host are checked by pid at once.
        clock: seconds since the epoch.

    Raises:
        StoreError: the file cannot be opened or created, is read-only (unless ``readonly``),
            is corrupt or not an SQLite file, is an SQLite database of something else, or has a
            newer schema.
        ValueError: ``synchronous`` is not one of :data:`SYNCHRONOUS`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "full",
        readonly: bool = False,
        busy_timeout: float = 30.0,
        lease: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(
                f"synchronous must be one of {', '.join(map(repr, SYNCHRONOUS))}, "
                f"got {synchronous!r}"
            )
        self.path = os.fspath(path)
        self.synchronous = synchronous
        self.readonly = readonly
        self.lease = lease
        self.clock = clock
        self.owner_id: str | None = None
        self._lock = threading.RLock()
        self._numbers: dict[str, int] = {}  # run id -> run_no, for runs this store has seen
        self._next: dict[str, int] = {}  # run id -> the id of its next event
        self._rows: dict[str, int] = {}  # open attempt's token -> its TaskScheduled row's id
        self._placed: list[tuple[str, int]] = []  # the batch's additions to _rows
        self._fenced_at = float("-inf")
        self._con = self._connect(busy_timeout)
        # commit()'s statements run on this one cursor: Connection.execute makes (and frees)
        # a cursor per statement, a sixth of a sequential step's SQLite cost
        self._cur = self._con.cursor()

    # -- opening ----------------------------------------------------------------------------

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        path = self.path
        if os.path.isdir(path):
            raise StoreError(f"{path} is a directory, not a database file", path=path)
        exists = os.path.exists(path)
        if self.readonly:
            if not exists:
                raise StoreError(f"{path}: no such database file", path=path)
            uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro"
            directory = os.path.dirname(os.path.abspath(path))
            if not os.access(directory, os.W_OK) and not os.path.exists(f"{path}-shm"):
                # SQLite cannot create the -shm file of WAL mode here: read the file as it is
                wal = f"{path}-wal"
                if os.path.exists(wal) and os.path.getsize(wal) > 0:
                    raise StoreError(
                        f"{path}: its write-ahead log {wal} holds commits not yet copied into "
                        "the file, and they cannot be read where the directory is read-only; "
                        "open it once with write access",
                        path=path,
                    )
                uri += "&immutable=1"
            con = self._guarded(
                "open", lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
            )
        else:
            directory = os.path.dirname(os.path.abspath(path))
            if exists and not os.access(path, os.W_OK):
                raise StoreError(
                    f"{path} is read-only: a worker or starter must write to it (open it "
                    "read-only to list executions and read histories)",
                    path=path,
                )
            if not os.access(directory, os.W_OK):
                raise StoreError(
                    f"{path}: its directory {directory} is not writable (SQLite keeps the "
                    "-wal and -shm files of the database next to it)",
                    path=path,
                )
            con = self._guarded("open", lambda: sqlite3.connect(path, check_same_thread=False))
        con.isolation_level = None  # transactions are explicit
        self._con = con
        try:
            with self._errors("open"):
                con.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                if self.readonly:
                    con.execute("BEGIN")
                    try:
                        prepare(con, create=False)
                    finally:
                        con.execute("COMMIT")
                    return con
                mode = _journal_mode_wal(con, busy_timeout)
                if mode != "wal":
                    raise StoreError(
                        f"{path}: SQLite cannot use WAL mode on this file system (journal "
                        f"mode stayed {mode!r}); put the database on a local disk",
                        path=path,
                    )
                con.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
                with self._transaction():
                    prepare(con, create=True)
        except BaseException:
            con.close()
            raise
        return con

    def _guarded(self, what: str, open_: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
        try:
            return open_()
        except sqlite3.Error as exc:
            raise self._error(what, exc) from exc

    def _error(self, what: str, exc: BaseException) -> StoreError:
        """A :class:`StoreError` naming the file, what was being done and why it failed."""
        path = self.path
        if isinstance(exc, SchemaProblem):
            return StoreError(f"{path} is not a usable flowwire database: {exc}", path=path)
        if isinstance(exc, UnicodeEncodeError):
            return StoreError(
                f"{path}: cannot {what}: a payload string is not valid Unicode ({exc}); "
                "nothing was written",
                path=path,
            )
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "not a database" in text:
            why = f"the file is corrupt or not an SQLite database ({text})"
            return StoreError(f"{path} is not a usable flowwire database: {why}", path=path)
        if name.startswith("SQLITE_READONLY") or "readonly" in text:
            return StoreError(f"{path} is read-only: cannot {what} ({text})", path=path)
        if name.startswith("SQLITE_FULL") or "full" in text:
            return StoreError(
                f"{path}: the disk is full: cannot {what}; nothing of it was written ({text})",
                path=path,
            )
        if name.startswith("SQLITE_IOERR"):
            return StoreError(
                f"{path}: cannot {what}: the file cannot be written ({text}; the disk may be "
                "full or over a file-size limit); nothing of it was written",
                path=path,
            )
        return StoreError(f"{path}: cannot {what}: {text}", path=path)

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, SchemaProblem, UnicodeEncodeError) as exc:
            raise self._error(what, exc) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; rolled back if anything in it raises."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise

    # -- owners -----------------------------------------------------------------------------

    def register(self) -> str:
        """Register this process as an owner (a kernel that will commit and hold runs);
        returns the owner id. Runs this store starts from now on belong to it."""
        host, boot, pid, pid_start = this_process()
        owner_id = uuid.uuid4().hex
        now = self.clock()
        with self._lock, self._errors("register a worker"), self._transaction() as con:
            con.execute(
                "INSERT INTO owners (owner_id, host, boot, pid, pid_start, started_at, beat_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (owner_id, host, boot, pid, pid_start, now, now),
            )
        self.owner_id = owner_id
        return owner_id

    def renew(self) -> None:
        """Renew this owner's lease (every commit does too).

        Raises:
            StoreError: the lease was lost (another kernel took this owner's runs over).
        """
        if self.owner_id is None:
            return
        with self._lock, self._errors("renew the lease"), self._transaction():
            self._fence()

    def _fence(self) -> None:
        now = self.clock()
        cursor = self._con.execute(
            "UPDATE owners SET beat_at = ? WHERE owner_id = ?", (now, self.owner_id)
        )
        if cursor.rowcount == 1:
            self._fenced_at = now
        else:
            raise StoreError(
                f"{self.path}: this worker (owner {self.owner_id}) lost its lease: another "
                "worker took its runs over, so it must not write any more",
                path=self.path,
            )

    def release(self) -> None:
        """Give up this owner's open runs (another kernel may take them at once) and
        unregister. Attempts still held are lost to whoever takes the runs over."""
        owner_id = self.owner_id
        if owner_id is None:
            return
        with self._lock, self._errors("release runs"), self._transaction() as con:
            con.execute(
                "UPDATE runs SET owner = NULL WHERE owner = ? AND status = 'open'", (owner_id,)
            )
            con.execute("DELETE FROM owners WHERE owner_id = ?", (owner_id,))
        self.owner_id = None

    def owners(self) -> dict[str, Owner]:
        """The registered owners, by owner id."""
        with self._lock, self._errors("read the owners"):
            rows = self._con.execute(
                "SELECT owner_id, host, boot, pid, pid_start, beat_at FROM owners"
            ).fetchall()
        return {row[0]: Owner(*row) for row in rows}

    def holder(self, run_id: str) -> Owner | None:
        """The live owner holding the open run ``run_id``, or ``None`` (closed, unowned, or
        its owner is gone)."""
        with self._lock, self._errors("read a run"):
            row = self._con.execute(
                "SELECT owner FROM runs WHERE run_id = ? AND status = 'open'", (run_id,)
            ).fetchone()
        if row is None or row[0] is None:
            return None
        owner = self.owners().get(row[0])
        if owner is None or not owner.is_alive(self.clock(), self.lease):
            return None
        return owner

    # -- the kernel's protocol ----------------------------------------------------------------

    def commit(self, batch: Batch) -> None:
        """Store ``batch`` in one transaction (see the module docstring).

        Raises:
            StoreError: it could not be stored (nothing of it was), or this owner's lease was
                lost.
        """
        with self._lock:  # the hot path: no generator-based context managers
            cur = self._cur
            placed = self._placed
            try:
                if self._single(batch):
                    pass  # one INSERT statement: committed (or not at all) by itself
                else:
                    cur.execute("BEGIN IMMEDIATE")
                    self._write(batch)
                    cur.execute("COMMIT")
            except BaseException as exc:
                if self._con.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._con.execute("ROLLBACK")
                self._next.clear()  # event ids of the failed batch are free again
                placed.clear()
                if isinstance(exc, (sqlite3.Error, SchemaProblem, UnicodeEncodeError)):
                    raise self._error(f"commit {len(batch.events)} event(s)", exc) from exc
                raise
            rows = self._rows  # committed: the rows of the batch's open attempts
            for attempt in batch.closed_attempts:
                rows.pop(attempt.token, None)
            if placed:
                for token, ident in placed:
                    rows[token] = ident
                placed.clear()

    def _write(self, batch: Batch) -> None:
        con = self._con
        if self.owner_id is not None and self.clock() - self._fenced_at > self.lease / 10:
            # Another kernel can take this owner's runs only once its lease is ``lease`` old
            # (or its pid is gone): checking every ``lease / 10`` is as safe as every commit.
            self._fence()
        new_runs = batch.runs
        closed_runs = batch.closed_runs
        if closed_runs:
            fresh = {id(r) for r in new_runs}
            con.executemany(
                "UPDATE runs SET status = ?, closed_at = ?, result = ?, reason = ?, details = ?, "
                "next_run_id = ?, owner = NULL WHERE run_id = ?",
                [
                    (r.status, r.closed_at, r.result, r.reason, r.details, r.next_run_id, r.run_id)
                    for r in closed_runs
                    if id(r) not in fresh
                ],
            )
        numbers = self._numbers
        for run in new_runs:
            parent_run, parent_key = run.parent or (None, None)
            cursor = con.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}, owner) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.workflow_id,
                    run.name,
                    run.version,
                    run.task_list,
                    run.input,
                    run.started_at,
                    run.deadline,
                    parent_run,
                    parent_key,
                    run.status,
                    run.closed_at,
                    run.result,
                    run.reason,
                    run.details,
                    run.next_run_id,
                    self.owner_id if run.is_open else None,
                ),
            )
            assert cursor.lastrowid is not None
            numbers[run.run_id] = cursor.lastrowid
            self._next[run.run_id] = cursor.lastrowid << 32
        attempts, closed = batch.attempts, batch.closed_attempts
        if batch.events:
            rows, unclosed = self._event_rows(batch)
            self._insert(rows)
        elif attempts:
            raise _unplaced(self.path, attempts[0])
        else:
            unclosed = closed
        if batch.started or unclosed:
            self._write_leases(batch, unclosed)
        if batch.timers:
            con.executemany(
                "INSERT OR REPLACE INTO timers (run, key, fire_at) VALUES (?, ?, ?)",
                [(self._number(t.run_id), t.key, t.fire_at) for t in batch.timers],
            )
        if batch.fired:
            con.executemany(
                "DELETE FROM timers WHERE run = ? AND key = ?",
                [(self._number(t.run_id), t.key) for t in batch.fired],
            )
        if closed_runs:
            # their attempts' rows stay as they are: a closed run has no open attempts
            gone = [(self._number(r.run_id),) for r in closed_runs]
            con.executemany("DELETE FROM timers WHERE run = ?", gone)
        if batch.signals or batch.consumed or closed_runs:
            sqlite_inbox.write(con, batch, closed_runs, self.clock())

    def _single(self, batch: Batch) -> bool:
        """Store a batch of a few events and the attempts they schedule, hand out and close
        (a sequential step) as one multi-row ``INSERT``, which commits by itself; ``False``
        (nothing done) for any other batch, and when the lease is due to be checked."""
        events = batch.events
        if (
            not events
            or len(events) > _MULTI_ROWS
            or batch.runs
            or batch.closed_runs
            or batch.timers
            or batch.fired
            or batch.signals
            or batch.consumed
            or (self.owner_id is not None and self.clock() - self._fenced_at > self.lease / 10)
        ):
            return False
        attempts = batch.attempts
        for a in batch.started:
            if a not in attempts:  # handed out after it was scheduled: its row is updated
                return False
        rows, unclosed = self._event_rows(batch)
        cur = self._cur
        if unclosed:  # closed without a closing event here: its row is cleared
            cur.execute("BEGIN IMMEDIATE")
            self._insert(rows)
            self._write_leases(batch, unclosed)
            cur.execute("COMMIT")
        elif len(rows) == 1:
            shape, values = rows[0]
            cur.execute(_INSERTS.get(shape) or _insert_for(shape), values)
        else:
            shapes = tuple([row[0] for row in rows])
            sql = _MULTI.get(shapes) or _multi_for(shapes)
            cur.execute(sql, tuple(itertools.chain.from_iterable([row[1] for row in rows])))
        return True

    def _event_rows(
        self, batch: Batch
    ) -> tuple[list[tuple[tuple[bool, ...], tuple[Any, ...]]], list[AttemptRecord]]:
        """The rows of the batch's events, each as (which of ``_ROW_COLUMNS`` it has, its
        values), and the attempts closed by the batch that no closing event of it names (their
        rows are cleared). An attempt scheduled in the batch and still open goes on its
        ``TaskScheduled`` row (with its lease when it was handed out in the same batch); the
        event that closes an attempt has ``closes`` = 1 and when its worker started it."""
        following, owner, placed = self._next, self.owner_id, self._placed
        attempts, closed = batch.attempts, batch.closed_attempts
        # open attempts scheduled now, by (run id, key): their TaskScheduled rows carry them
        fresh: dict[tuple[str, str], AttemptRecord] | None = None
        if attempts:
            fresh = {(a.run_id, a.key): a for a in attempts}
        # the attempts that close now, by (run id, key), until their closing event is found
        closers: dict[tuple[str, Any], AttemptRecord] | None = None
        starts: dict[tuple[str, Any], float | None] | None = None
        if closed:
            closers = {(a.run_id, a.key): a for a in closed}
            starts = {name: a.started_at for name, a in closers.items()}
        closing = {id(a) for a in closed} if closed and attempts else ()
        rows: list[tuple[tuple[bool, ...], tuple[Any, ...]]] = []
        for run_id, event, at in batch.events:
            ident = following.get(run_id)
            if ident is None:
                ident = self._next_event(run_id)
            following[run_id] = ident + 1
            key = getattr(event, "key", None)
            started = closes = None
            if starts:
                started = starts.get((run_id, key))
                if closers and type(event) in _CLOSING and closers.pop((run_id, key), None):
                    closes = 1
            attempt = None
            if fresh and type(event) is TaskScheduled:
                attempt = fresh.pop((run_id, event.key), None)
            if attempt is None or id(attempt) in closing:  # none, or scheduled and closed now
                row: tuple[Any, ...] = (*event_row(event), started, closes)
            else:
                row = (
                    *event_row(event),
                    started,
                    closes,
                    attempt.token,
                    attempt.task_list,
                    attempt.scheduled_at,
                    attempt.heartbeat,
                    attempt.schedule_to_close,
                    attempt.schedule_to_start,
                    attempt.start_to_close,
                    attempt.started_at,
                    attempt.last_beat,
                    None if attempt.started_at is None else owner,
                )
                placed.append((attempt.token, ident))
            present = tuple(map(_is_not, row, _NONES))
            rows.append((present, (ident, at, *itertools.compress(row, present))))
        if fresh:  # an attempt must come with its TaskScheduled event
            raise _unplaced(self.path, next(iter(fresh.values())))
        unclosed = [a for a in closers.values() if id(a) not in closing] if closers else []
        return rows, unclosed

    def _insert(self, rows: list[tuple[tuple[bool, ...], tuple[Any, ...]]]) -> None:
        """Insert event rows (:meth:`_event_rows`), one ``executemany`` per shape."""
        inserts: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
        for shape, values in rows:
            same = inserts.get(shape)
            if same is None:
                inserts[shape] = [values]
            else:
                same.append(values)
        cur = self._cur
        for shape, group in inserts.items():
            sql = _INSERTS.get(shape) or _insert_for(shape)
            if len(group) == 1:
                cur.execute(sql, group[0])  # executemany costs more for one row
            else:
                cur.executemany(sql, group)

    def _write_leases(self, batch: Batch, unclosed: list[AttemptRecord]) -> None:
        """Record the attempts handed out now that were scheduled before, and clear the rows of
        the attempts that closed without a closing event in the batch."""
        cur = self._cur
        if batch.started:
            new = {id(a) for a in batch.attempts}
            closing = {id(a) for a in batch.closed_attempts}
            started = [
                (a.started_at, a.last_beat, self.owner_id, self._row_of(a))
                for a in batch.started
                if id(a) not in new and id(a) not in closing
            ]
            if started:
                cur.executemany(_START_ATTEMPT, started)
        if unclosed:
            cur.executemany(_CLOSE_ATTEMPT, [(self._row_of(a),) for a in unclosed])

    def _row_of(self, attempt: AttemptRecord) -> int | None:
        """The id of the ``TaskScheduled`` row that holds open ``attempt`` (``None``: none)."""
        ident = self._rows.get(attempt.token)
        if ident is None:
            low = self._number(attempt.run_id) << 32
            row = self._con.execute(_FIND_ATTEMPT, (low, low | _SEQ, attempt.token)).fetchone()
            ident = None if row is None else row[0]
        return ident

    def _number(self, run_id: str) -> int:
        number = self._numbers.get(run_id)
        if number is None:
            query = "SELECT run_no FROM runs WHERE run_id = ?"
            row = self._con.execute(query, (run_id,)).fetchone()
            if row is None:
                raise KeyError(run_id)
            number = self._numbers[run_id] = row[0]
        return number

    def _next_event(self, run_id: str) -> int:
        low = self._number(run_id) << 32
        query = "SELECT max(id) FROM events WHERE id BETWEEN ? AND ?"
        last = self._con.execute(query, (low, low | _SEQ)).fetchone()[0]
        return low if last is None else last + 1

    def history(self, run_id: str) -> list[Event]:
        """The events of run ``run_id`` in commit order (``KeyError``: no such run)."""
        return [event for _, event in self.timed_history(run_id)]

    def times(self, run_id: str) -> list[float]:
        """When each event of :meth:`history` happened (seconds since the epoch)."""
        return [at for at, _ in self.timed_history(run_id)]

    def timed_history(self, run_id: str) -> list[tuple[float, Event]]:
        """``(time, event)`` for each event of run ``run_id``, in commit order."""
        with self._lock, self._errors(f"read the history of {run_id}"):
            low = self._number(run_id) << 32
            rows = self._con.execute(
                f"SELECT at, {EVENT_COLUMNS} FROM events WHERE id BETWEEN ? AND ? ORDER BY id",
                (low, low | _SEQ),
            ).fetchall()
            return [(row[0], event_from_row(*row[1:])) for row in rows]

    def attempt_starts(self, run_id: str) -> dict[str, float]:
        """When a worker started each closed activity attempt of run ``run_id``, by call key
        (kept on the attempt's closing event: the history itself has no start events)."""
        with self._lock, self._errors(f"read the history of {run_id}"):
            low = self._number(run_id) << 32
            rows = self._con.execute(
                "SELECT key, started FROM events WHERE id BETWEEN ? AND ? AND started IS NOT NULL",
                (low, low | _SEQ),
            ).fetchall()
        return dict(rows)

    def run(self, run_id: str) -> RunRecord | None:
        with self._lock, self._errors("read a run"):
            row = self._con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return None if row is None else _record(row)

    def runs(self, *, status: str | None = None) -> list[RunRecord]:
        """Every run (of that ``status``), oldest first."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._lock, self._errors("list the runs"):
            rows = self._con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY run_no", args
            ).fetchall()
        return [_record(row) for row in rows]

    def find(self, ident: str) -> RunRecord | None:
        """The run with run id ``ident``, else the latest run of workflow id ``ident`` (the
        open one if any), else ``None``."""
        with self._lock, self._errors("find an execution"):
            row = self._con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?1 OR workflow_id = ?1 "
                "ORDER BY run_id = ?1 DESC, status = 'open' DESC, run_no DESC LIMIT 1",
                (ident,),
            ).fetchone()
        return None if row is None else _record(row)

    def chain(self, workflow_id: str) -> list[RunRecord]:
        """The runs of workflow id ``workflow_id`` (a run and those it continued as), oldest
        first."""
        with self._lock, self._errors("find an execution"):
            rows = self._con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE workflow_id = ? ORDER BY run_no",
                (workflow_id,),
            ).fetchall()
        return [_record(row) for row in rows]

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._con.close()

    # -- the inbox (its SQL: flowwire.runtime.sqlite_inbox) ------------------------------------

    def enqueue(self, ident: str, kind: str, name: str | None, payload: str | None) -> RunRecord:
        """Queue an input of ``kind`` (``"signal"``, ``"cancel"``) for the open execution with
        workflow id (or run id) ``ident``, in one transaction with the check that it is open;
        returns the open run's record. Whichever kernel holds the execution (any process)
        delivers it.

        Raises:
            LookupError: no open execution has that id (unknown, or closed).
            StoreError: the file cannot be written.
        """
        with self._lock, self._errors("queue an input"), self._transaction() as con:
            row = sqlite_inbox.queue(con, _RUN_COLUMNS, ident, kind, name, payload, self.clock())
        if row is None:
            raise LookupError(ident)
        return _record(row)

    def inbox(self) -> list[InboxItem]:
        """The inputs waiting for the open executions this owner holds, in arrival order
        (they stay until a commit lists them in ``Batch.consumed``)."""
        with self._lock, self._errors("read the inbox"):
            return sqlite_inbox.waiting(self._con, self.owner_id)

    def is_open(self, workflow_id: str) -> bool:
        """Whether an open run of workflow id ``workflow_id`` is in the file."""
        with self._lock, self._errors("read a run"):
            return sqlite_inbox.is_open(self._con, workflow_id)

    # -- taking runs over -------------------------------------------------------------------

    def adopt(
        self,
        accepts: Callable[[str, str], bool],
        *,
        limit: int = 100,
        workflow_id: str | None = None,
    ) -> list[Recovered]:
        """Take over up to ``limit`` open executions that have no owner or whose owner is gone,
        each with its open child runs, whose workflow types ``accepts(name, version)``;
        ``workflow_id`` takes only that execution. One write transaction: of kernels racing for
        a run exactly one gets it. Returns what a kernel needs to resume them
        (:meth:`flowwire.runtime.Kernel.resume`), parents before children.

        Raises:
            StoreError: the file cannot be read or written; this store has not registered.
        """
        if self.owner_id is None:
            raise StoreError(f"{self.path}: register() before taking runs over", path=self.path)
        with self._lock, self._errors("take runs over"), self._transaction() as con:
            self._fence()
            now = self.clock()
            owners = self.owners()
            live = {oid for oid, o in owners.items() if o.is_alive(now, self.lease)}
            live.add(self.owner_id)
            rows = con.execute(
                "SELECT run_no, run_id, workflow_id, parent_run, owner, name, version FROM runs "
                "WHERE status = 'open' ORDER BY run_no"
            ).fetchall()
            families = _families(rows, live, accepts, workflow_id, limit)
            taken = [row for family in families for row in family]
            if not taken:
                return []
            con.executemany(
                "UPDATE runs SET owner = ? WHERE run_no = ?",
                [(self.owner_id, row[0]) for row in taken],
            )
            con.executemany(
                "DELETE FROM owners WHERE owner_id = ?",
                [(oid,) for oid in owners if oid not in live],
            )
            return [self._recovered(row[0], row[1]) for row in taken]

    def _recovered(self, number: int, run_id: str) -> Recovered:
        con = self._con
        self._numbers[run_id] = number
        record = _record(
            con.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_no = ?", (number,)).fetchone()
        )
        rows = con.execute(
            f"SELECT at, {EVENT_COLUMNS} FROM events WHERE id BETWEEN ? AND ? ORDER BY id",
            (number << 32, number << 32 | _SEQ),
        ).fetchall()
        self._next.pop(run_id, None)  # read from the file at the next commit
        history = [event_from_row(*row[1:]) for row in rows]
        # the open attempts: TaskScheduled rows with one, not closed by a later row
        open_rows: dict[Any, tuple[Any, ...]] = {}
        for row in con.execute(
            f"SELECT id, key, name, version, payload, closes, {ATTEMPT_COLUMNS} FROM events "
            "WHERE id BETWEEN ? AND ? AND (attempt_token IS NOT NULL OR closes = 1) ORDER BY id",
            (number << 32, number << 32 | _SEQ),
        ):
            if row[5] == 1:
                open_rows.pop(row[1], None)
            if row[6] is not None:
                open_rows[row[1]] = row
        attempts = []
        for row in sorted(open_rows.values(), key=lambda r: (r[8], r[0])):
            ident, key, name, version, payload, _closes, token, *fields, _owner = row
            attempts.append(
                AttemptRecord(token, run_id, key, name, version, payload or "", *fields)
            )
            self._rows[token] = ident
        timers = [
            TimerRecord(run_id, key, fire_at)
            for key, fire_at in con.execute(
                "SELECT key, fire_at FROM timers WHERE run = ? ORDER BY fire_at", (number,)
            )
        ]
        return Recovered(
            record,
            history,
            [row[0] for row in rows],
            attempts,
            timers,
        )

    # -- upkeep -----------------------------------------------------------------------------

    def prune(self, *, closed_before: float) -> int:
        """Delete the runs that closed before ``closed_before`` (seconds since the epoch), with
        their histories; returns how many. Open runs are never deleted. The file does not
        shrink until ``VACUUM`` (:meth:`vacuum`)."""
        with self._lock, self._errors("delete old executions"), self._transaction() as con:
            numbers = [
                (row[0],)
                for row in con.execute(
                    "SELECT run_no FROM runs WHERE status != 'open' AND closed_at < ?",
                    (closed_before,),
                )
            ]
            con.executemany(
                "DELETE FROM events WHERE id BETWEEN ? AND ?",
                [(n << 32, n << 32 | _SEQ) for (n,) in numbers],
            )
            con.executemany("DELETE FROM runs WHERE run_no = ?", numbers)
        self._numbers.clear()
        self._next.clear()
        self._rows.clear()
        return len(numbers)

    def vacuum(self) -> None:
        """Give the space of deleted executions back to the file system (rewrites the file;
        waits for other writers)."""
        with self._lock, self._errors("vacuum"):
            self._con.execute("VACUUM")

    def backup(self, destination: str | os.PathLike[str]) -> None:
        """Copy the database, consistent as of one moment, to ``destination`` (safe while
        workers write: SQLite's online backup)."""
        with self._lock, self._errors(f"back up to {os.fspath(destination)}"):
            target = sqlite3.connect(os.fspath(destination))
            try:
                self._con.backup(target)
            finally:
                target.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, synchronous={self.synchronous!r})"


def _unplaced(path: str, attempt: AttemptRecord) -> StoreError:
    return StoreError(
        f"{path}: cannot commit attempt {attempt.token} of run {attempt.run_id}: its "
        "TaskScheduled event is not in the same batch (a kernel bug; nothing was written)",
        path=path,
    )


def _families(
    rows: list[Any],
    live: set[str],
    accepts: Callable[[str, str], bool],
    workflow_id: str | None,
    limit: int,
) -> list[list[Any]]:
    """Group open runs (``run_no, run_id, workflow_id, parent_run, owner, name, version``)
    into executions (a root run and its open descendants) that may be taken over: none of its
    runs held by a live owner, every workflow type accepted."""
    by_id = {row[1]: row for row in rows}
    children: dict[str, list[Any]] = {}
    for row in rows:
        if row[3] is not None and row[3] in by_id:
            children.setdefault(row[3], []).append(row)
    families: list[list[Any]] = []
    for row in rows:
        if row[3] is not None and row[3] in by_id:
            continue  # not a root: taken with its parent
        if workflow_id is not None and row[2] != workflow_id:
            continue
        family, todo = [], [row]
        while todo:
            member = todo.pop(0)
            family.append(member)
            todo.extend(children.get(member[1], ()))
        if any(m[4] in live for m in family) or not all(accepts(m[5], m[6]) for m in family):
            continue
        families.append(family)
        if len(families) >= limit:
            break
    return families


def _journal_mode_wal(con: sqlite3.Connection, busy_timeout: float) -> str:
    """``PRAGMA journal_mode = WAL``, tried again while another process opening the same new
    file holds it: SQLite answers that pragma "database is locked" at once, without waiting
    for ``busy_timeout`` (two workers starting together on one new file)."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return str(con.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
