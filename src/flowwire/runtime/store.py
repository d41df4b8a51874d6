"""The history store protocol: what the engine kernel writes through, and its records.

A store keeps executions (runs), their histories exactly as the transports wrote them (payload
strings are never decoded or re-encoded by a store), the open activity attempts (scheduled, and
which of them a worker holds), and pending timers. The kernel changes it only through
:meth:`HistoryStore.commit`, one :class:`Batch` at a time, and a batch is atomic: either
everything in it is stored or nothing is. Everything the kernel does outside the store (handing
an attempt to a worker, waking a starter) happens after the batch that caused it was committed:
an attempt is in a batch's ``started`` (its claim) before any worker runs it.

Times are seconds since the epoch (``time.time()`` or the kernel's clock), so a durable store
keeps deadlines across restarts.

The in-memory store (:class:`~flowwire.runtime.memory.MemoryStore`) is the local engine's
default. A durable store (:class:`~flowwire.runtime.sqlite.SQLiteStore`) implements the same
protocol and hands a kernel the open runs it may take over as :class:`Recovered` records
(:meth:`flowwire.runtime.Kernel.resume` rebuilds them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

from flowwire.history import Event

__all__ = [
    "AttemptRecord",
    "Batch",
    "HistoryStore",
    "InboxItem",
    "Recovered",
    "RunRecord",
    "StoredEvent",
    "TimerRecord",
]

OPEN = "open"
RUN_STATUSES = ("open", "completed", "failed", "timed_out", "continued", "cancelled", "aborted")


@dataclass(eq=False, slots=True)
class RunRecord:
    """One workflow run (an execution; a restart is a new run with the same workflow id).

    ``parent`` is ``(parent run id, call key)`` for a child workflow. ``deadline`` is when the
    run times out (its ``workflow_duration``). A closed run has ``status`` other than
    ``"open"``, ``closed_at``, and ``result`` (completed), ``reason``/``details`` (failed) or
    ``next_run_id`` (continued as new).
    """

    run_id: str
    workflow_id: str
    name: str
    version: str
    task_list: str
    input: str
    started_at: float
    deadline: float
    parent: tuple[str, str] | None = None
    status: str = OPEN
    closed_at: float | None = None
    result: str | None = None
    reason: str | None = None
    details: str | None = None
    next_run_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(eq=False, slots=True)
class AttemptRecord:
    """One attempt of an activity task: scheduled, then handed to a worker, then closed.

    ``token`` identifies the attempt everywhere (the activity reads it as ``Activity.token``).
    Timeouts are whole seconds (``heartbeat`` ``None``: none). ``started_at`` is when a worker
    got it, ``last_beat`` the last heartbeat. ``task_type``, ``check_at`` (when the kernel
    looks at its timeouts next) and the cancellation flags are the kernel's (not stored: a
    resumed run sets them again from its ``TaskCancelRequested`` events).
    """

    token: str
    run_id: str
    key: str
    name: str
    version: str
    input: str
    task_list: str
    scheduled_at: float
    heartbeat: int | None
    schedule_to_close: int
    schedule_to_start: int
    start_to_close: int
    started_at: float | None = None
    last_beat: float = 0.0
    closed: bool = False
    task_type: Any = field(default=None, repr=False)
    check_at: float = field(default=0.0, repr=False)
    #: the run asked for the attempt to be cancelled (its ``heartbeat()`` answers ``False``);
    #: ``saw_cancel``: a heartbeat told the activity so (its outcome is then a cancellation)
    cancel_requested: bool = field(default=False, repr=False)
    saw_cancel: bool = field(default=False, repr=False)


@dataclass(eq=False, slots=True)
class TimerRecord:
    """A timer of a run that fires at ``fire_at`` (seconds since the epoch)."""

    run_id: str
    key: str
    fire_at: float
    fired: bool = False


class StoredEvent(NamedTuple):
    """An event of run ``run_id`` that happened at ``at`` (seconds since the epoch)."""

    run_id: str
    event: Event
    at: float


class InboxItem(NamedTuple):
    """An external input waiting in a durable store's inbox for the kernel holding execution
    ``workflow_id``: ``kind`` ``"signal"`` (``name``, ``payload``: the signal's) or another
    kind a later flowwire adds (``"cancel"``); ``id`` orders them by arrival."""

    id: int
    workflow_id: str
    kind: str
    name: str | None
    payload: str | None
    at: float


class Recovered(NamedTuple):
    """An open run a durable store handed to a kernel to take over: its record, its history
    (and the time of each event), its open attempts (``started_at`` set: a worker held it
    when the previous owner stopped) and its pending timers."""

    record: RunRecord
    history: list[Event]
    times: list[float]
    attempts: list[AttemptRecord]
    timers: list[TimerRecord]


@dataclass(slots=True, init=False)
class Batch:
    """What the kernel commits at once (see :meth:`HistoryStore.commit`).

    ``events`` are :class:`StoredEvent` tuples in the order they happened; ``attempts`` are
    newly scheduled; ``started`` lists attempts claimed for a worker (their ``started_at``
    set; it may include attempts of ``attempts``), committed before the worker gets them;
    ``closed_attempts`` are attempts whose closing event is in ``events`` (or whose run
    closed); ``timers`` are started and ``fired`` fired; ``closed_runs`` carry their final
    status and fields (a run may be in ``runs`` and ``closed_runs`` of one batch).
    Every field is a list, empty unless given.
    """

    runs: list[RunRecord]
    events: list[StoredEvent]
    attempts: list[AttemptRecord]
    started: list[AttemptRecord]
    closed_attempts: list[AttemptRecord]
    timers: list[TimerRecord]
    fired: list[TimerRecord]
    closed_runs: list[RunRecord]
    #: signals for open runs that another kernel holds, as ``(workflow id, name, payload)``
    #: tuples, to queue in a durable store's inbox (a store without other kernels gets none)
    signals: list[tuple[str, str, str]]
    #: the ids of inbox entries whose events are in ``events`` (a durable store deletes them)
    consumed: list[int]

    # Written out (a dataclass's default factories cost a call per field): the kernel makes
    # one batch per cycle.
    def __init__(
        self,
        runs: list[RunRecord] | None = None,
        events: list[StoredEvent] | None = None,
        attempts: list[AttemptRecord] | None = None,
        started: list[AttemptRecord] | None = None,
        closed_attempts: list[AttemptRecord] | None = None,
        timers: list[TimerRecord] | None = None,
        fired: list[TimerRecord] | None = None,
        closed_runs: list[RunRecord] | None = None,
        signals: list[tuple[str, str, str]] | None = None,
        consumed: list[int] | None = None,
    ) -> None:
        self.runs = [] if runs is None else runs
        self.events = [] if events is None else events
        self.attempts = [] if attempts is None else attempts
        self.started = [] if started is None else started
        self.closed_attempts = [] if closed_attempts is None else closed_attempts
        self.timers = [] if timers is None else timers
        self.fired = [] if fired is None else fired
        self.closed_runs = [] if closed_runs is None else closed_runs
        self.signals = [] if signals is None else signals
        self.consumed = [] if consumed is None else consumed

    def __bool__(self) -> bool:
        return bool(
            self.signals
            or self.consumed
            or self.runs
            or self.events
            or self.attempts
            or self.started
            or self.closed_attempts
            or self.timers
            or self.fired
            or self.closed_runs
        )


@runtime_checkable
class HistoryStore(Protocol):
    """Where the kernel keeps executions, histories, queued attempts and timers.

    Contract:

    * ``commit`` applies a whole :class:`Batch` atomically, in order (new runs before their
      events). It must raise (and store nothing) if it cannot store all of it; the error names
      the store (for a file: its path).
    * ``history`` returns a run's events in the order committed, payloads exactly as written;
      ``times`` the time of each of them.
    * A store is used by one kernel at a time unless its own documentation says otherwise
      (the SQLite store: one kernel per run, several kernels per file).
    """

    def commit(self, batch: Batch) -> None: ...

    def history(self, run_id: str) -> Sequence[Event]: ...

    def times(self, run_id: str) -> Sequence[float]: ...

    def run(self, run_id: str) -> RunRecord | None: ...

    def runs(self, *, status: str | None = None) -> list[RunRecord]: ...

    def close(self) -> None: ...
