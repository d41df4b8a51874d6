"""The engine kernel: history events in, decisions out, through a history store.

One :class:`Kernel` drives the runs of one engine. Everything that happens to a run reaches the
kernel as a message (an activity outcome, a timer or timeout that fell due, a start, an external
completion); a *cycle* takes all waiting messages, appends the events they cause to the runs'
histories, asks every run with new events for its decisions (``flowwire.replay``; a *live*
execution per run parks its ``run`` between decisions, so a decision costs what changed),
applies them, claims queued attempts for free workers, and commits everything the cycle
produced as one :class:`~.store.Batch`. Only then does anything act on it: the claimed attempts
go to workers, waiting starters wake.

There is no dedicated loop thread. Whoever posts a message runs the cycle if no cycle is
running (the others leave their message for the running one): an activity worker that finishes
an attempt records it, decides, and usually picks up the attempt it just scheduled itself, so a
sequential chain costs about what a thread pool's submit-and-wait does. The thread that waits
for a run (``LocalEngine.run``) wakes for deadlines (timers, timeouts) and runs the cycle then.

Timeouts (whole seconds, from the task type's defaults unless the call overrides them):
``schedule_to_close`` from scheduling, ``schedule_to_start`` until a worker takes the attempt,
``start_to_close`` from then, ``heartbeat`` since the last heartbeat; a run's
``workflow_duration`` from its start. A timed-out attempt's worker is not interrupted; its late
outcome is ignored and its ``heartbeat()`` answers ``False``. Retries are decisions: replay
schedules the next attempt (after its delay timer) when a call's attempt timed out.

Signals: :meth:`~Kernel.signal` records a ``SignalReceived`` for an open run from any thread;
a ``SignalExternal`` decision delivers to a run of this kernel, or (durable: another kernel
holds it) queues it in the batch's ``signals`` for the store's inbox, which the holder's
engine reads and hands back through :meth:`~Kernel.deliver`. With a virtual clock (a clock
with ``jump_to``, :class:`flowwire.testing.VirtualClock`), the thread in :meth:`~Kernel.wait`
moves the clock to the next deadline whenever nothing else can happen (no message, cycle,
held or queued attempt).

Cancellation: :meth:`~Kernel.cancel` (or a ``cancel`` inbox entry, through
:meth:`~Kernel.deliver`) records a ``WorkflowCancelRequested`` for an open run (once; a second
request changes nothing). Replay tells the workflow and decides ``CancelTask`` for the tasks it
had started: an activity attempt not started yet is dropped (``TaskFailed`` with the reason
``ActivityTaskCanceled``, as SWF records it), one running has its ``heartbeat()`` answer
``False`` (and an outcome reported after that heartbeat is recorded as that cancellation); a
child run is asked to cancel in turn (cause ``PARENT``). ``CancelWorkflow`` closes the run as
``cancelled``: its open attempts are closed (their heartbeats answer ``False``, their outcomes
are ignored), its pending timers never fire, and its parent sees the child's ``TaskFailed``
with the reason ``ChildWorkflowExecutionCanceled``.

A kernel over a durable store can :meth:`~Kernel.resume` open runs that store hands it (after
a crash, or from a starter in another process): their state is rebuilt from the stored history,
deadlines and timers are re-armed from their stored times, and an attempt that a worker held
when the previous owner stopped is lost (``WORKER_LOST``), retried like a timeout.

A decision that cannot read or write a payload because its offload store is unavailable
(:class:`~flowwire.StoreOutage`) is not a failure of the run: nothing is applied, and the run
is decided again after a backoff (:func:`flowwire._backoff.outage_delay`), until the store
answers or the run's ``workflow_duration`` ends it (a write: until the offload stage's
``write_wait`` has passed, then its ``StoreWriteFailed`` fails the run). A missing or corrupt
object is still a ``DecodeError`` that fails the run.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flowwire._backoff import outage_delay
from flowwire.decision import (
    CancelTask,
    CancelWorkflow,
    CompleteWorkflow,
    ContinueAsNew,
    Decision,
    FailWorkflow,
    ScheduleActivity,
    SignalExternal,
    StartChildWorkflow,
    StartTimer,
)
from flowwire.errors import RegistrationError, StoreOutage
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
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowCancelRequested,
    WorkflowStarted,
)
from flowwire.replay import Execution, forget, replay
from flowwire.runtime.store import (
    OPEN,
    AttemptRecord,
    Batch,
    HistoryStore,
    InboxItem,
    Recovered,
    RunRecord,
    StoredEvent,
    TimerRecord,
)
from flowwire.runtime.workers import Workers
from flowwire.task import ActivityOutcome
from flowwire.tasktype import TaskRegistry, TaskType
from flowwire.transport import Transport
from flowwire.transport_rule import TransportRule

__all__ = ["ACTIVITY_CANCELED", "CHILD_CANCELED", "WORKER_LOST", "Kernel", "RunState"]

WORKER_LOST = "WORKER_LOST"
"""The timeout type of an attempt whose worker process died: retried like a timeout."""

ACTIVITY_CANCELED = "ActivityTaskCanceled"
"""The reason of the ``TaskFailed`` of an activity attempt that was cancelled (SWF's name)."""
CHILD_CANCELED = "ChildWorkflowExecutionCanceled"
"""The reason of the ``TaskFailed`` a parent gets for a child that closed as cancelled."""

Clock = Callable[[], float]
#: the first timeout checks at one offset from scheduling: their times, the attempts' tokens
_Fifo = tuple[deque[float], deque[str]]
#: see Kernel._resolve
_Resolved = tuple[
    TaskType,
    dict[str, Any],
    deque[float],
    deque[str],
    int,
    str,
    "int | None",
    int,
    int,
    int,
]

log = logging.getLogger("flowwire.kernel")


@dataclass(eq=False, slots=True)
class RunState:
    """The kernel's working view of an open run."""

    record: RunRecord
    task_type: TaskType
    history: list[Event] = field(default_factory=list)
    execution: Execution | None = None
    #: consecutive decisions stopped by an unavailable store (0: the last one went through)
    outages: int = 0
    #: a WorkflowCancelRequested is in the history
    cancel_requested: bool = False


class Kernel:
    """Drives the runs of one engine (see the module docstring).

    Args:
        store: where runs, events, queued attempts and timers are committed.
        types: the registered task types (activities and child workflows are found here).
        rule: the engine's transport rule.
        workers: the pool attempts run on (its ``capacity`` bounds attempts in flight).
        live: keep a live execution per run; ``False`` replays the whole history each time.
        verify: also compute each live decision by full replay; a difference stops the engine
            with ``AssertionError`` (a test aid).
        clock: seconds since the epoch.
        new_run_id: makes the id of a new run of a task type (default: ``name-N``, unique in
            this kernel; a store shared by several kernels needs ids unique in the store).
    """

    def __init__(
        self,
        *,
        store: HistoryStore,
        types: TaskRegistry,
        rule: TransportRule,
        workers: Callable[[Kernel], Workers],
        live: bool = True,
        verify: bool = False,
        clock: Clock = time.time,
        new_run_id: Callable[[TaskType], str] | None = None,
    ) -> None:
        self.store = store
        self.types = types
        self.rule = rule
        self.live = live
        self.verify = verify
        self.clock = clock
        self._lock = threading.Lock()
        self._cond = threading.Condition(threading.Lock())
        self._inbox: deque[Callable[[float], None]] = deque()
        self._runs: dict[str, RunState] = {}
        self._by_workflow: dict[str, RunState] = {}  # open runs by workflow id
        #: (durable) whether another kernel's store holds an open run of a workflow id, and
        #: how to queue a signal for it: set by the durable engine
        self.elsewhere: Callable[[str], bool] | None = None
        self._closed: dict[str, RunRecord] = {}
        self._attempts: dict[str, AttemptRecord] = {}
        self._queue: deque[AttemptRecord] = deque()  # scheduled, waiting for a free worker
        self._deadlines: list[tuple[float, int, Callable[[float], None]]] = []
        # First timeout checks of scheduled attempts, one FIFO per offset from scheduling: the
        # offsets are the task types' timeouts, so each FIFO is in deadline order for free.
        # A FIFO is two deques, of the checks' times and of the attempts' tokens (an attempt
        # that closed is no longer found by its token): neither holds an object the garbage
        # collector tracks, so a closed attempt is not kept alive until its first check falls
        # due, and an entry is not even one more young object for the collector.
        self._fifos: dict[int, _Fifo] = {}
        #: activity decisions' options as asked -> what _resolve answers (task type, options,
        #: FIFO and offset of the first timeout check, the options' values): types are only
        #: ever added, so an answer stays true
        self._resolved: dict[tuple[Any, ...], _Resolved] = {}
        #: no deadline (timer, timeout check) falls due before this: the cycle skips its looks
        #: until then (set at the end of each cycle; lowered by every deadline added before it)
        self._next_at = _NEVER
        #: the batch has something in a list a usual cycle leaves empty (runs, closed runs,
        #: timers, fired timers, signals, consumed inbox entries): they are replaced too
        self._rare = False
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._run_ids = new_run_id
        self._dirty: dict[str, RunState] = {}
        self._batch = Batch()
        self._running = 0  # attempts a worker holds
        self._wake_at = float("inf")  # when the waiting thread plans to wake up
        self._crash: BaseException | None = None
        self._stopped = False
        self._draining = False
        self.decisions_made = 0
        self.activities_done = 0
        self.workers = workers(self)

    # -- messages and the cycle -----------------------------------------------------------

    def post(self, message: Callable[[float], None]) -> None:
        """Queue ``message(now)`` for the next cycle and run cycles while nobody else does."""
        self._inbox.append(message)
        self.pump()

    def pump(self) -> None:
        """Run cycles until no message waits, unless another thread is running them."""
        inbox, lock = self._inbox, self._lock
        while inbox and not self._stopped:
            if not lock.acquire(blocking=False):
                return  # the running cycle re-checks the inbox after it releases the lock
            try:
                self._cycle(False)
            except BaseException as exc:  # a store or kernel failure stops the engine
                self._crash = exc
                self._stopped = True
                self._notify()
            finally:
                lock.release()

    def _cycle(
        self,
        keep: bool,
        attempt: AttemptRecord | None = None,
        outcome: ActivityOutcome | None = None,
    ) -> tuple[AttemptRecord, Transport] | None:
        """One cycle (see the module docstring). ``keep``: the first attempt it claims is
        returned (with its transport) instead of submitted: the worker thread that ran the
        cycle runs it itself, after the commit. ``attempt`` and ``outcome``: a held attempt's
        outcome, taken before the inbox's messages (:meth:`finished_next`, no message made)."""
        batch = self._batch
        now = self.clock()
        if attempt is not None and outcome is not None:
            self._outcome(attempt, outcome, True, now)
        inbox = self._inbox
        while inbox:
            inbox.popleft()(now)
        deadlines = self._deadlines
        fifos = self._fifos.values()
        if now >= self._next_at:  # something may be due
            while deadlines and deadlines[0][0] <= now:
                heapq.heappop(deadlines)[2](now)
            attempts = self._attempts
            for times, tokens in fifos:
                while times and times[0] <= now:
                    times.popleft()
                    attempt = attempts.get(tokens.popleft())
                    if attempt is not None:
                        self._check(attempt, now)
        dirty = self._dirty
        while dirty:
            if len(dirty) == 1:  # the usual cycle: one run had news
                run = dirty.popitem()[1]
                if run.record.status == OPEN:
                    self._decide(run, now)
                continue
            runs = list(dirty.values())
            dirty.clear()
            for run in runs:
                if run.record.status == OPEN:
                    self._decide(run, now)
        claimed = self._claim(now, batch) if self._queue else None
        if batch.events or batch:
            self.store.commit(batch)
        kept = None
        if claimed:
            rule = self.rule
            if keep:
                first = claimed[0]
                kept = (first, rule.of(first.task_type))
                if len(claimed) == 1:
                    claimed = None
                else:
                    del claimed[0]
            if claimed:
                submit = self.workers.submit
                for attempt in claimed:
                    submit(attempt, rule.of(attempt.task_type))
        at = deadlines[0][0] if deadlines else _NEVER  # self._next_deadline, inlined
        for times, _ in fifos:
            if times and times[0] < at:
                at = times[0]
        self._next_at = at
        # the waiting thread's _wake_at is -inf while it is awake (it looks by itself)
        if batch.closed_runs or at < self._wake_at:  # or a deadline before its wake-up
            self._notify()
        # The committed lists are never changed again: the used ones are replaced (cheaper
        # than a new Batch).
        batch.events = []
        batch.attempts = []
        batch.started = []
        batch.closed_attempts = []
        if self._rare:
            self._rare = False
            _fresh(batch)
        return kept

    def _next_deadline(self) -> float:
        """When the next timer or timeout falls due (``inf``: none)."""
        deadlines = self._deadlines
        at = deadlines[0][0] if deadlines else _NEVER
        for times, _ in self._fifos.values():
            if times and times[0] < at:
                at = times[0]
        return at

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _after(self, at: float, action: Callable[[float], None]) -> None:
        heapq.heappush(self._deadlines, (at, next(self._seq), action))
        if at < self._next_at:
            self._next_at = at

    def _claim(self, now: float, batch: Batch) -> list[AttemptRecord] | None:
        """Take queued attempts for the free workers, oldest first; they go into the batch's
        ``started`` (committed before any worker runs them)."""
        free = self.workers.capacity - self._running
        if free <= 0 or self._draining:
            return None
        queue, started = self._queue, batch.started
        claimed: list[AttemptRecord] = []
        while queue and free:
            attempt = queue.popleft()
            if attempt.closed:  # timed out while queued (schedule-to-start)
                continue
            free -= 1
            attempt.started_at = attempt.last_beat = now
            heartbeat, start_to_close = attempt.heartbeat, attempt.start_to_close
            first = now + (
                heartbeat if heartbeat and heartbeat < start_to_close else start_to_close
            )
            if first < attempt.check_at:  # else the pending check looks again in time
                self._check_at(attempt, first)
            claimed.append(attempt)
        started += claimed
        self._running += len(claimed)
        return claimed

    # -- waiting --------------------------------------------------------------------------

    def wait(
        self,
        run_id: str,
        *,
        progress: Callable[[dict[str, int]], None] | None = None,
        interval: float = 2.0,
        poll: Callable[[], None] | None = None,
        poll_interval: float = 0.2,
    ) -> RunRecord:
        """Block until run ``run_id`` (and the runs it continued as) closed; return the last
        run's record. Fires deadlines on this thread while waiting, and calls ``poll()`` about
        every ``poll_interval`` seconds (a durable engine reads its inbox there). Re-raises
        what stopped the engine (a store failure, a verification ``AssertionError``)."""
        next_report = time.monotonic() + interval
        reported = False
        next_poll = time.monotonic() + poll_interval
        jump: Callable[[float], bool] | None = getattr(self.clock, "jump_to", None)
        idle = False
        while True:
            if progress is not None and time.monotonic() >= next_report:
                next_report = time.monotonic() + interval
                progress(self.counters())
                reported = True
            if poll is not None and time.monotonic() >= next_poll:
                poll()
                next_poll = time.monotonic() + poll_interval
            with self._cond:
                if self._crash is not None:
                    raise self._crash
                if self._stopped:
                    raise RuntimeError("the engine was stopped before the run closed")
                record = self._final(run_id)
                if record is not None:
                    break
                wake = self._next_deadline()
                self._wake_at = wake
                timeout = wake - self.clock()
                if jump is not None:  # a virtual clock: jump when nothing else can happen
                    idle = self._idle()
                    timeout = 0.0 if idle else min(timeout, _VIRTUAL_POLL)
                if progress is not None:
                    timeout = min(timeout, next_report - time.monotonic())
                if poll is not None:
                    timeout = min(timeout, next_poll - time.monotonic())
                if timeout > 0:
                    self._cond.wait(None if timeout == float("inf") else timeout)
                self._wake_at = float("-inf")
            if jump is not None and idle and not jump(wake):
                with self._cond:  # nothing due anywhere: wait for a signal from outside
                    self._cond.wait(_VIRTUAL_POLL)
            self.post(_tick)
        # A report fell due while this thread was running the cycles itself (it pumps the
        # kernel until no message waits, which can be the whole run): give it now.
        if progress is not None and not reported and time.monotonic() >= next_report:
            progress(self.counters())
        return record

    def serve(
        self, stop: threading.Event, *, poll: Callable[[], None], interval: float = 0.2
    ) -> None:
        """Fire deadlines on this thread and call ``poll()`` about every ``interval`` seconds
        (a durable engine looks for runs to take over there) until ``stop`` is set or the
        engine stops. Re-raises what stopped the engine."""
        next_poll = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_poll:
                poll()
                next_poll = time.monotonic() + interval
            with self._cond:
                if self._crash is not None:
                    raise self._crash
                if self._stopped:
                    return
                wake = self._next_deadline()
                self._wake_at = wake
                timeout = min(wake - self.clock(), next_poll - time.monotonic())
                if timeout > 0 and not stop.is_set():
                    self._cond.wait(timeout)
                self._wake_at = float("-inf")
            self.post(_tick)

    def _idle(self) -> bool:
        """Nothing can happen before the next deadline: no message, no cycle, no attempt held
        or queued (what a virtual clock waits for before it jumps)."""
        return not (self._inbox or self._lock.locked() or self._running or self._queue)

    def wake(self) -> None:
        """Wake the thread in :meth:`wait` or :meth:`serve` (for example to see a stop)."""
        self._notify()

    def call_at(self, at: float, action: Callable[[float], None]) -> None:
        """Run ``action(now)`` in the first cycle at or after ``at`` (from a cycle, or before
        any thread waits: the waiting thread plans its sleep when it next looks)."""
        self._after(at, action)

    def drain(self) -> None:
        """Hand no more attempts to workers; those they hold still finish and are recorded
        (queued attempts stay queued in the store for whoever takes the runs over)."""
        self._draining = True

    @property
    def running(self) -> int:
        """How many attempts workers hold right now."""
        return self._running

    def _final(self, run_id: str) -> RunRecord | None:
        record = self._closed.get(run_id)
        while record is not None and record.next_run_id is not None:
            record = self._closed.get(record.next_run_id)
        return record

    def counters(self) -> dict[str, int]:
        """``decisions``, ``activities_done``, ``activities_running``, ``runs_open``."""
        return {
            "decisions": self.decisions_made,
            "activities_done": self.activities_done,
            "activities_running": len(self._attempts),
            "runs_open": len(self._runs),
        }

    def stop(self, *, kill: bool = False) -> None:
        """Stop: no further cycles; workers shut down (``kill``: worker processes are killed);
        parked live executions are unwound."""
        self._stopped = True
        held = self._lock.acquire(timeout=2.0)
        try:
            self.workers.shutdown(kill=kill)
            for run in list(self._runs.values()):
                if run.execution is not None and held:
                    run.execution.close()
                forget(run.record.run_id)
        finally:
            if held:
                self._lock.release()

    # -- runs -----------------------------------------------------------------------------

    def start(
        self,
        task_type: TaskType,
        payload: str,
        *,
        workflow_id: str | None = None,
        parent: tuple[str, str] | None = None,
        duration: int | None = None,
    ) -> str:
        """Start a run of workflow type ``task_type`` with the input ``payload``; returns its
        run id (the run is committed before this returns, unless the engine stopped)."""
        run_id = self._new_run_id(task_type)

        def start(now: float) -> None:
            self._start_run(task_type, payload, run_id, workflow_id, parent, duration, now)

        self.post(start)
        return run_id

    def resume(self, recovered: Iterable[Recovered]) -> list[str]:
        """Take over open runs handed over by a durable store; returns their run ids.

        Each run's state is rebuilt from its stored history (its live execution replays it), its
        deadline and pending timers are re-armed at their stored times (an overdue one fires at
        once), each attempt a worker held (``started_at`` set: that worker stopped with the
        previous owner) times out as ``WORKER_LOST`` and is retried like a timeout, the other
        open attempts are queued again with their timeouts, and the run is decided (replay
        yields only what the stored history lacks).

        Raises:
            RegistrationError: a run's workflow type is not registered (nothing is resumed).
        """
        items = list(recovered)
        for item in items:
            name, version = item.record.name, item.record.version
            if self.types.get("workflow", name, version) is None:
                raise RegistrationError(
                    f"cannot resume run {item.record.run_id}: "
                    f"{self.types.missing('workflow', name, version)}"
                )

        def take_over(now: float) -> None:
            for item in items:
                self._resume_run(item, now)

        self.post(take_over)
        return [item.record.run_id for item in items]

    def _resume_run(self, item: Recovered, now: float) -> None:
        record = item.record
        run_id = record.run_id
        task_type = self.types.get("workflow", record.name, record.version)
        assert task_type is not None  # checked by resume()
        run = RunState(record, task_type, history=list(item.history))
        cancelled = {e.key for e in run.history if type(e) is TaskCancelRequested}
        run.cancel_requested = any(type(e) is WorkflowCancelRequested for e in run.history)
        if self.live:
            run.execution = Execution(task_type.cls, run_id=run_id, rule=self.rule, live=True)
        self._runs[run_id] = run
        self._by_workflow[record.workflow_id] = run
        self._after(record.deadline, partial(self._run_timed_out, run_id))
        for timer in item.timers:
            self._after(timer.fire_at, partial(self._fire, run_id, timer))
        for attempt in item.attempts:
            attempt.task_type = self.types.get("activity", attempt.name, attempt.version)
            attempt.cancel_requested = attempt.key in cancelled
            self._attempts[attempt.token] = attempt
            if attempt.started_at is not None:
                self._timeout(attempt, WORKER_LOST, now)
                continue
            if attempt.task_type is not None:  # else it times out waiting for a worker
                self._queue.append(attempt)
            self._check_at(attempt, now)
        self._dirty[run_id] = run

    def _new_run_id(self, task_type: TaskType) -> str:
        if self._run_ids is not None:
            return self._run_ids(task_type)
        return f"{task_type.name}-{next(self._ids)}"

    def _start_run(
        self,
        task_type: TaskType,
        payload: str,
        run_id: str,
        workflow_id: str | None,
        parent: tuple[str, str] | None,
        duration: int | None,
        now: float,
    ) -> RunState:
        meta: Any = task_type.meta
        seconds = duration or meta.workflow_duration
        record = RunRecord(
            run_id=run_id,
            workflow_id=workflow_id or run_id,
            name=task_type.name,
            version=task_type.version,
            task_list=task_type.task_list,
            input=payload,
            started_at=now,
            deadline=now + seconds,
            parent=parent,
        )
        run = RunState(record, task_type)
        if self.live:
            run.execution = Execution(task_type.cls, run_id=run_id, rule=self.rule, live=True)
        self._runs[run_id] = run
        self._by_workflow[record.workflow_id] = run
        self._batch.runs.append(record)
        self._rare = True
        self._event(run, WorkflowStarted(payload), now)
        self._after(record.deadline, partial(self._run_timed_out, run_id))
        return run

    def _close_run(self, run: RunState, status: str, now: float, **fields: Any) -> RunRecord:
        record = run.record
        record.status = status
        record.closed_at = now
        for name, value in fields.items():
            setattr(record, name, value)
        self._batch.closed_runs.append(record)
        self._rare = True
        self._runs.pop(record.run_id, None)
        if self._by_workflow.get(record.workflow_id) is run:
            del self._by_workflow[record.workflow_id]
        self._closed[record.run_id] = record
        self._dirty.pop(record.run_id, None)
        if run.execution is not None:
            run.execution.close()
        forget(record.run_id)
        return record

    def _run_timed_out(self, run_id: str, now: float) -> None:
        # by run id: a run that closed is not kept alive (with its history and execution)
        # until its workflow_duration would have ended
        run = self._runs.get(run_id)
        if run is None:
            return
        record = self._close_run(run, "timed_out", now, reason="WORKFLOW_DURATION")
        self._tell_parent(record, TaskTimedOut, "START_TO_CLOSE", now)

    def _tell_parent(
        self, record: RunRecord, kind: type, field_value: Any, now: float, *more: str
    ) -> None:
        if record.parent is None:
            return
        parent_id, key = record.parent
        parent = self._runs.get(parent_id)
        if parent is not None:
            self._event(parent, kind(key, field_value, *more), now)

    # -- history --------------------------------------------------------------------------

    def _record(self, run: RunState, event: Event, now: float) -> None:
        """Append an event the run's own decision caused (the run needs no new decision)."""
        run.history.append(event)
        self._batch.events.append(_stored(StoredEvent, (run.record.run_id, event, now)))

    def _event(self, run: RunState, event: Event, now: float) -> None:
        """Append an event that happened to the run (it needs a decision)."""
        run.history.append(event)
        self._batch.events.append(_stored(StoredEvent, (run.record.run_id, event, now)))
        self._dirty[run.record.run_id] = run

    # -- decisions ------------------------------------------------------------------------

    def _decide(self, run: RunState, now: float) -> None:
        self.decisions_made += 1
        execution = run.execution
        try:
            if execution is not None:
                decisions = execution.decide(run.history)
            else:
                decisions = replay(
                    run.task_type.cls, run.history, run_id=run.record.run_id, rule=self.rule
                )
        except StoreOutage as exc:
            self._store_outage(run, exc, now)
            return
        if run.outages:
            run.outages = 0
        if self.verify and execution is not None:
            try:
                expected = replay(run.task_type.cls, run.history, rule=self.rule)
            except StoreOutage:  # the store went away in between: nothing to compare
                expected = decisions
            if decisions != expected:
                raise AssertionError(
                    f"live decisions {decisions} differ from replay {expected} for run "
                    f"{run.record.run_id} after {len(run.history)} events"
                )
        for decision in decisions:
            if type(decision) is ScheduleActivity:  # the usual decision, without _apply
                self._schedule_activity(run, decision, now)
            else:
                self._apply(run, decision, now)

    def _store_outage(self, run: RunState, exc: StoreOutage, now: float) -> None:
        """Decide ``run`` again after a backoff: its store did not answer (nothing applied)."""
        run.outages += 1
        delay = outage_delay(run.outages)
        log.warning(
            "run %s: store %r is unavailable, deciding again in %.1f s (outage %d): %s",
            run.record.run_id,
            exc.store,
            delay,
            run.outages,
            exc,
        )
        self._after(now + delay, lambda t: self._decide_again(run))

    def _decide_again(self, run: RunState) -> None:
        if run.record.is_open:
            self._dirty[run.record.run_id] = run

    def _apply(self, run: RunState, decision: Decision, now: float) -> None:
        if isinstance(decision, ScheduleActivity):
            self._schedule_activity(run, decision, now)
        elif isinstance(decision, StartChildWorkflow):
            self._start_child(run, decision, now)
        elif isinstance(decision, StartTimer):
            self._record(run, TimerStarted(decision.key, decision.seconds), now)
            timer = TimerRecord(run.record.run_id, decision.key, now + decision.seconds)
            self._batch.timers.append(timer)
            self._rare = True
            self._after(timer.fire_at, partial(self._fire, run.record.run_id, timer))
        elif isinstance(decision, SignalExternal):
            self._send(run, decision, now)
        elif isinstance(decision, CancelTask):
            self._cancel_task(run, decision, now)
        elif isinstance(decision, CancelWorkflow):
            record = self._close_run(run, "cancelled", now, details=decision.details)
            self._close_attempts_of(record.run_id)
            self._tell_parent(record, TaskFailed, CHILD_CANCELED, now, decision.details)
        elif isinstance(decision, CompleteWorkflow):
            record = self._close_run(run, "completed", now, result=decision.result)
            self._tell_parent(record, TaskCompleted, decision.result, now)
        elif isinstance(decision, FailWorkflow):
            record = self._close_run(
                run, "failed", now, reason=decision.reason, details=decision.details
            )
            self._tell_parent(record, TaskFailed, decision.reason, now, decision.details)
        elif isinstance(decision, ContinueAsNew):
            record = run.record
            next_id = self._new_run_id(run.task_type)
            self._close_run(run, "continued", now, next_run_id=next_id)
            duration = decision.workflow_duration or int(record.deadline - record.started_at)
            self._start_run(
                run.task_type,
                decision.input,
                next_id,
                record.workflow_id,
                record.parent,
                duration,
                now,
            )

    # -- signals --------------------------------------------------------------------------

    def _open_run(self, ident: str) -> RunState | None:
        run = self._by_workflow.get(ident) or self._runs.get(ident)
        return run if run is not None and run.record.is_open else None

    def run_type(self, ident: str) -> TaskType | None:
        """The workflow type of the open run of workflow id (or run id) ``ident`` that this
        kernel holds, or ``None``."""
        run = self._open_run(ident)
        return None if run is None else run.task_type

    def signal(self, ident: str, name: str, payload: str) -> bool:
        """Deliver the signal ``name`` (payload ``payload``) to the open run of workflow id
        (or run id) ``ident``, from any thread; ``False`` when this kernel holds no such run.
        Returns once the signal is recorded (or the engine stopped)."""
        done = threading.Event()
        found: list[bool] = [False]

        def deliver(now: float) -> None:
            found[0] = self.receive(ident, name, payload, now)
            done.set()

        self.post(deliver)
        while not done.wait(0.05):
            if self._stopped:
                break
        return found[0]

    def receive(self, ident: str, name: str, payload: str, now: float) -> bool:
        """(In a cycle) record the signal for the open run ``ident``; ``False``: none here."""
        run = self._open_run(ident)
        if run is None:
            return False
        self._event(run, SignalReceived(name, payload), now)
        return True

    def deliver(self, items: Iterable[InboxItem]) -> None:
        """Deliver inputs read from a durable store's inbox: each signal becomes a
        ``SignalReceived`` of its execution, each cancellation request a
        ``WorkflowCancelRequested``, and the entry is deleted in the same commit (an execution
        that closed meanwhile drops it). Kinds this kernel does not know stay."""
        todo = [item for item in items if item.kind in _INBOX_KINDS]
        if not todo:
            return

        def receive_all(now: float) -> None:
            for item in todo:
                if item.kind == "signal":
                    self.receive(item.workflow_id, item.name or "", item.payload or "", now)
                else:
                    self.request_cancel(item.workflow_id, now)
                self._batch.consumed.append(item.id)
                self._rare = True

        self.post(receive_all)

    # -- cancellation ---------------------------------------------------------------------

    def cancel(self, ident: str) -> bool:
        """Ask the open run of workflow id (or run id) ``ident`` to cancel, from any thread;
        ``False`` when this kernel holds no such run. Returns once the request is recorded
        (or the engine stopped)."""
        done = threading.Event()
        found: list[bool] = [False]

        def request(now: float) -> None:
            found[0] = self.request_cancel(ident, now)
            done.set()

        self.post(request)
        while not done.wait(0.05):
            if self._stopped:
                break
        return found[0]

    def request_cancel(self, ident: str, now: float, cause: str = "") -> bool:
        """(In a cycle) record a cancellation request for the open run ``ident`` (only the
        first one); ``False``: no such run here."""
        run = self._open_run(ident)
        if run is None:
            return False
        if not run.cancel_requested:
            run.cancel_requested = True
            self._event(run, WorkflowCancelRequested(cause), now)
        return True

    def _cancel_task(self, run: RunState, decision: CancelTask, now: float) -> None:
        key, run_id = decision.key, run.record.run_id
        self._record(run, TaskCancelRequested(key), now)
        if decision.kind == "workflow":
            for child in list(self._runs.values()):
                if child.record.parent == (run_id, key) and child.record.is_open:
                    self.request_cancel(child.record.run_id, now, "PARENT")
            return
        attempt = self._attempts.get(f"{run_id}:{key}")
        if attempt is None or attempt.closed:
            return
        attempt.cancel_requested = True
        if attempt.started_at is None:  # still queued: it never starts
            self._close_attempt(attempt)
            self._event(run, TaskFailed(key, ACTIVITY_CANCELED, ""), now)

    def _close_attempts_of(self, run_id: str) -> None:
        """Close the open attempts of a run that closed (they never report)."""
        for attempt in [a for a in self._attempts.values() if a.run_id == run_id]:
            self._close_attempt(attempt)

    def _send(self, run: RunState, decision: SignalExternal, now: float) -> None:
        key = decision.key
        self._record(run, SignalSent(key, decision.workflow_id, decision.name, decision.input), now)
        if self.receive(decision.workflow_id, decision.name, decision.input, now):
            self._event(run, SignalDelivered(key), now)
            return
        if self.elsewhere is not None and self.elsewhere(decision.workflow_id):
            self._batch.signals.append((decision.workflow_id, decision.name, decision.input))
            self._rare = True
            self._event(run, SignalDelivered(key), now)
            return
        self._event(run, SignalSendFailed(key, "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"), now)

    def _fire(self, run_id: str, timer: TimerRecord, now: float) -> None:
        run = self._runs.get(run_id)  # by run id, as _run_timed_out
        if timer.fired or run is None:
            return
        timer.fired = True
        self._batch.fired.append(timer)
        self._rare = True
        self._event(run, TimerFired(timer.key), now)

    def _start_child(self, run: RunState, decision: StartChildWorkflow, now: float) -> None:
        child = self.types.get("workflow", decision.name, decision.version)
        if child is None:
            self._refuse(run, decision, "workflow", _CHILD_OPTIONS, now)
            return
        meta: Any = child.meta
        options = {
            "task_list": decision.task_list or meta.task_list,
            "workflow_duration": decision.workflow_duration or meta.workflow_duration,
            "decision_duration": decision.decision_duration or meta.decision_duration,
        }
        scheduled = TaskScheduled(
            decision.key, decision.name, decision.version, "workflow", options, decision.input
        )
        self._record(run, scheduled, now)
        self._start_run(
            child,
            decision.input,
            self._new_run_id(child),
            None,
            (run.record.run_id, decision.key),
            decision.workflow_duration,
            now,
        )

    # -- activities -----------------------------------------------------------------------

    def _schedule_activity(self, run: RunState, decision: ScheduleActivity, now: float) -> None:
        key, name, version = decision.key, decision.name, decision.version
        asked = (
            name,
            version,
            decision.task_list,
            decision.heartbeat,
            decision.schedule_to_close,
            decision.schedule_to_start,
            decision.start_to_close,
        )
        resolved = self._resolved.get(asked)
        if resolved is None:
            task_type = self.types.get("activity", name, version)
            if task_type is None:
                self._refuse(run, decision, "activity", _ACTIVITY_OPTIONS, now)
                return
            resolved = self._resolved[asked] = self._resolve(task_type, decision)
        (
            task_type,
            options,
            times,
            tokens,
            offset,
            task_list,
            heartbeat,
            schedule_to_close,
            schedule_to_start,
            start_to_close,
        ) = resolved
        run_id, payload = run.record.run_id, decision.input
        at = now + offset
        token = f"{run_id}:{key}"
        attempt = AttemptRecord(
            token,
            run_id,
            key,
            name,
            version,
            payload,
            task_list,
            now,
            heartbeat,
            schedule_to_close,
            schedule_to_start,
            start_to_close,
            None,  # started_at
            0.0,  # last_beat
            False,  # closed
            task_type,
            at,  # check_at: the first look at its timeouts, through its FIFO
        )
        scheduled = TaskScheduled(key, name, version, "activity", options, payload)
        run.history.append(scheduled)  # self._record, inlined
        batch = self._batch
        batch.events.append(_stored(StoredEvent, (run_id, scheduled, now)))
        self._attempts[token] = attempt
        batch.attempts.append(attempt)
        self._queue.append(attempt)
        times.append(at)
        tokens.append(token)

    def _resolve(self, task_type: TaskType, decision: ScheduleActivity) -> _Resolved:
        """An activity decision's task type, its options (the registered defaults filled in),
        the FIFO of first timeout checks its attempts go to (times, tokens), that FIFO's
        offset, and the options' values in the order ``AttemptRecord`` takes them."""
        options = _resolve_options(task_type, decision)
        offset = min(options["schedule_to_start"], options["schedule_to_close"])
        fifo = self._fifos.get(offset)
        if fifo is None:
            fifo = self._fifos[offset] = (deque(), deque())
        task_list, heartbeat, schedule_to_close, schedule_to_start, start_to_close = (
            options.values()
        )
        return (
            task_type,
            options,
            fifo[0],
            fifo[1],
            offset,
            task_list,
            heartbeat,
            schedule_to_close,
            schedule_to_start,
            start_to_close,
        )

    def _refuse(
        self,
        run: RunState,
        decision: ScheduleActivity | StartChildWorkflow,
        kind: str,
        fields: tuple[str, ...],
        now: float,
    ) -> None:
        """Record a task whose type nobody registered, and its refusal, as SWF would: the
        cause lists the registered types of that kind and the closest one."""
        name, version = decision.name, decision.version
        options = {f: getattr(decision, f) for f in fields if getattr(decision, f) is not None}
        scheduled = TaskScheduled(decision.key, name, version, kind, options, decision.input)
        self._record(run, scheduled, now)
        code = "ACTIVITY" if kind == "activity" else "WORKFLOW"
        cause = f"{code}_TYPE_DOES_NOT_EXIST: {self.types.missing(kind, name, version)}"
        self._event(run, TaskScheduleFailed(decision.key, cause), now)

    def _check_at(self, attempt: AttemptRecord, at: float) -> None:
        """Look at ``attempt``'s timeouts at ``at`` (one pending check per attempt)."""
        attempt.check_at = at
        check: Callable[[float], None] = partial(self._check, attempt)
        heapq.heappush(self._deadlines, (at, next(self._seq), check))
        if at < self._next_at:
            self._next_at = at

    def _check(self, attempt: AttemptRecord, now: float) -> None:
        """Time ``attempt`` out if one of its timeouts passed, else look again at the next."""
        if attempt.closed:
            return
        scheduled, started = attempt.scheduled_at, attempt.started_at
        due = [(scheduled + attempt.schedule_to_close, "SCHEDULE_TO_CLOSE")]
        if started is None:
            due.append((scheduled + attempt.schedule_to_start, "SCHEDULE_TO_START"))
        else:
            due.append((started + attempt.start_to_close, "START_TO_CLOSE"))
            if attempt.heartbeat is not None:
                due.append((attempt.last_beat + attempt.heartbeat, "HEARTBEAT"))
        at, timeout_type = min(due)
        if at <= now:
            self._timeout(attempt, timeout_type, now)
        else:
            self._check_at(attempt, at)

    def _timeout(self, attempt: AttemptRecord, timeout_type: str, now: float) -> None:
        if attempt.closed:
            return
        self._close_attempt(attempt)
        run = self._runs.get(attempt.run_id)
        if run is not None:
            self._event(run, TaskTimedOut(attempt.key, timeout_type), now)

    def _close_attempt(self, attempt: AttemptRecord) -> None:
        attempt.closed = True
        self._attempts.pop(attempt.token, None)
        self._batch.closed_attempts.append(attempt)
        self.activities_done += 1

    def finished(self, attempt: AttemptRecord, outcome: ActivityOutcome) -> None:
        """A worker finished ``attempt`` with ``outcome`` (any thread)."""
        self._inbox.append(partial(self._outcome, attempt, outcome, True))  # self.post, inlined
        self.pump()

    def finished_next(
        self, attempt: AttemptRecord, outcome: ActivityOutcome
    ) -> tuple[AttemptRecord, Transport] | None:
        """:meth:`finished`, for a worker thread that can run the next attempt itself: when
        this thread runs the cycle, the first attempt that cycle claims (committed) comes back
        with its transport instead of going through the pool (a sequential chain stays on one
        thread)."""
        inbox, lock = self._inbox, self._lock
        kept = None
        if inbox or self._stopped or not lock.acquire(blocking=False):
            inbox.append(partial(self._outcome, attempt, outcome, True))
        else:  # the usual case: nothing else waits and no cycle runs, so no message is made
            try:
                kept = self._cycle(True, attempt, outcome)
            except BaseException as exc:  # a store or kernel failure stops the engine
                self._crash = exc
                self._stopped = True
                self._notify()
            finally:
                lock.release()
        while inbox and not self._stopped:  # self.pump, inlined
            if not lock.acquire(blocking=False):
                break  # the running cycle re-checks the inbox after it releases the lock
            try:
                if kept is None:
                    kept = self._cycle(True)
                else:
                    self._cycle(False)
            except BaseException as exc:  # a store or kernel failure stops the engine
                self._crash = exc
                self._stopped = True
                self._notify()
            finally:
                lock.release()
        return kept

    def lost(self, attempt: AttemptRecord, why: str) -> None:
        """A worker lost ``attempt`` (its process died): retried like a timeout."""
        self.post(lambda now: self._lose(attempt, now))

    def complete(self, token: str, outcome: ActivityOutcome) -> None:
        """Finish an open attempt from outside a worker (async completion)."""
        attempt = self._attempts[token]
        self.post(partial(self._outcome, attempt, outcome, False))

    def _lose(self, attempt: AttemptRecord, now: float) -> None:
        self._running -= 1
        self._timeout(attempt, WORKER_LOST, now)

    def _outcome(
        self, attempt: AttemptRecord, outcome: ActivityOutcome, held: bool, now: float
    ) -> None:
        if held:
            self._running -= 1
        status = outcome.status
        if attempt.closed or status == "suspended":
            return
        attempt.closed = True  # self._close_attempt, inlined
        self._attempts.pop(attempt.token, None)
        batch = self._batch
        batch.closed_attempts.append(attempt)
        self.activities_done += 1
        run_id = attempt.run_id
        run = self._runs.get(run_id)
        if run is None:
            return
        if attempt.saw_cancel:  # the activity was told: what it reports is the cancellation
            details = outcome.result if status == "completed" else outcome.details
            self._event(run, TaskFailed(attempt.key, ACTIVITY_CANCELED, details), now)
        elif status == "completed":
            event = TaskCompleted(attempt.key, outcome.result)
            run.history.append(event)  # self._event, inlined
            batch.events.append(_stored(StoredEvent, (run_id, event, now)))
            self._dirty[run_id] = run
        else:
            self._event(run, TaskFailed(attempt.key, outcome.reason, outcome.details), now)

    def attempt(self, token: str) -> AttemptRecord | None:
        """The open attempt with this token, or ``None``."""
        attempt = self._attempts.get(token)
        return None if attempt is None or attempt.closed else attempt

    def heartbeat(self, token: str) -> bool:
        """Record a heartbeat of the attempt ``token``; ``False`` once it is closed (timed out,
        finished, its run closed, or the engine stopped) or its run asked for it to be
        cancelled."""
        attempt = self._attempts.get(token)
        if attempt is None or attempt.closed or self._stopped:
            return False
        attempt.last_beat = self.clock()
        if attempt.cancel_requested:
            attempt.saw_cancel = True
            return False
        return True


_NEVER = float("inf")
#: builds a ``StoredEvent`` from a tuple without the Python-level ``__new__`` of a NamedTuple
_stored = tuple.__new__
_AWAKE = float("-inf")
_INBOX_KINDS = ("signal", "cancel")
_VIRTUAL_POLL = 0.005  # seconds of real time between looks while a virtual clock waits
_ACTIVITY_OPTIONS = (
    "task_list",
    "heartbeat",
    "schedule_to_close",
    "schedule_to_start",
    "start_to_close",
)
_CHILD_OPTIONS = ("task_list", "workflow_duration", "decision_duration")


def _fresh(batch: Batch) -> Batch:
    """An empty batch after ``batch`` was committed: its lists that were used are replaced
    (cheaper than a new ``Batch``, and the committed lists are never changed again)."""
    if batch.runs:
        batch.runs = []
    if batch.events:
        batch.events = []
    if batch.attempts:
        batch.attempts = []
    if batch.started:
        batch.started = []
    if batch.closed_attempts:
        batch.closed_attempts = []
    if batch.timers:
        batch.timers = []
    if batch.fired:
        batch.fired = []
    if batch.closed_runs:
        batch.closed_runs = []
    if batch.signals:
        batch.signals = []
    if batch.consumed:
        batch.consumed = []
    return batch


def _tick(now: float) -> None:
    """A message that does nothing: the cycle it wakes fires the deadlines that fell due."""


def _resolve_options(task_type: TaskType, decision: ScheduleActivity) -> dict[str, Any]:
    """The options of an activity decision, the registered defaults of its task type filled
    in, in the order ``AttemptRecord`` takes them (the dict is shared by the ``TaskScheduled``
    events of every decision that asked the same: events are never changed)."""
    meta: Any = task_type.meta
    options = {
        "task_list": decision.task_list or meta.task_list,
        "heartbeat": decision.heartbeat if decision.heartbeat is not None else meta.heartbeat,
        "schedule_to_close": decision.schedule_to_close or meta.schedule_to_close,
        "schedule_to_start": decision.schedule_to_start or meta.schedule_to_start,
        "start_to_close": decision.start_to_close or meta.start_to_close,
    }
    return options
