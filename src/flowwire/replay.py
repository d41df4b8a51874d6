"""The decider: run a workflow's ``run`` against its history and produce decisions.

Two ways to drive it, which must produce identical decisions (the tests check this):

* ``replay`` (full replay): a fresh ``Execution`` re-runs ``run`` from the start
  against the whole history; touching a running task's result unwinds ``run`` and the decision
  is what was scheduled so far. This is what a stateless decider (SWF) does at every decision
  task. Decoded results are cached per run id, so a result is decoded once per process.
* A *live* ``Execution`` (``live=True``) runs ``run`` once, on its own thread, which
  blocks where a full replay would unwind. At the next decision it is handed only the new
  events: calls whose tasks changed are re-evaluated in call order (retries, timers, deferred
  calls whose arguments resolved) and the thread resumes when what it waits for is ready. Each
  decision costs time proportional to what changed, not to the length of the history.

Call evaluation is one function (``Execution._advance``) for both paths.

A payload whose offload store is unavailable (:class:`~flowwire.StoreOutage`: raised while
decoding the workflow's input, a task's result or failure, or while encoding a task's input,
a signal, the workflow's result, restart arguments or failure) suspends the decision instead
of failing the run: ``decide`` raises it, and the engine decides again later. A live execution
keeps its place (the read or write is retried where it stopped, and the decisions made before
it are returned then); a full replay is simply run again. The workflow's code never sees the
error. A write the offload stage gave up on (:class:`~flowwire.StoreWriteFailed`) fails the
run like any other error.

Cancellation (a ``WorkflowCancelRequested`` at history index ``c``): the workflow is told with
:class:`~flowwire.errors.Cancelled`, raised at the first wait that the history *before* ``c``
cannot satisfy. Until then results that finished at ``c`` or later count as running (the
execution's ``horizon``), so a full replay, which sees the whole history at once, stops at the
same wait as the live run did when the request arrived. When it is told, the run asks for the
tasks it started before (open then, or closed after ``c``) to be cancelled (``CancelTask``;
child workflows unless their proxy says ``cancel_with_parent=False``). Those tasks are not
retried once they close after ``c`` (nor after a retry delay that ends after ``c``), and their
failures no longer fail the run by themselves: touching their results still raises. A
``Cancelled`` that leaves ``run`` closes the execution as cancelled (``CancelWorkflow``); one
``run`` raises without a request is a failure like any other exception.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

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
from flowwire.errors import (
    Cancelled,
    FlowwireError,
    NondeterminismError,
    StoreOutage,
    StoreWriteFailed,
    TaskError,
    TaskTimedOutError,
)
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
from flowwire.proxy import TASK_OPTIONS, ProxySpec
from flowwire.result import NO_HORIZON, Restart, TaskResult, _new_result, _set_record, unwrap
from flowwire.retry import retry_delay, retryable
from flowwire.task import Activity, Workflow
from flowwire.tasktype import type_of
from flowwire.transport import Transport
from flowwire.transport_rule import TransportRule
from flowwire.waits import (
    DONE,
    ERROR,
    OPEN,
    WAITING,
    Record,
    Wait,
    set_current,
    unknown_execution,
)

__all__ = ["Execution", "forget", "replay", "timer_key"]

_WAITING, _OPEN, _DONE, _ERROR = WAITING, OPEN, DONE, ERROR
_KINDS = {"activity": "activity", "workflow": "child workflow"}
_STATES: dict[type, str] = {
    TaskCompleted: "completed",
    TaskFailed: "failed",
    TaskTimedOut: "timed out",
    TaskScheduleFailed: "refused by the backend",
}
_CONTAINERS = (list, tuple, dict, set, frozenset)
_CLOSES = (CompleteWorkflow, FailWorkflow, ContinueAsNew, CancelWorkflow)
_REASON_LIMIT = 256  # characters of a failure's reason (SWF's limit, as the transports keep)
_TASK_CLOSES = (TaskCompleted, TaskFailed, TaskTimedOut, TaskScheduleFailed)

#: decoded results per run id (full replay), most recently used last
_RESULT_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_RESULT_CACHE_RUNS = 256
_CACHE_LOCK = threading.Lock()


def timer_key(key: str) -> str:
    """The key of the delay timer that precedes the retry attempt ``key``."""
    return f"{key}.delay"


class _Suspend(BaseException):
    """Unwinds ``run`` in a full replay when it touches a running task's result."""


class _Abort(BaseException):
    """Unwinds a parked live ``run`` whose execution is being discarded."""


class _Outage(BaseException):
    """Unwinds ``run`` (full replay) or the decider's step when a store is unavailable."""


_T = TypeVar("_T")


class _Fail(BaseException):
    """Fails the execution with ``error``; not catchable by ``except Exception`` in ``run``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class _Call(Record):
    """The decider's record of one proxy call."""

    __slots__ = (
        "args",
        "attempt",
        "base",
        "kwargs",
        "payload",
        "result",
        "route",
        "scanned_plain",
        "seq",
        "spec",
    )

    # Made by Execution.call, which sets every slot itself (no __init__ frame per call).
    error: TaskError | None
    seq: int  # the call's number in the run (1, 2, ...)
    spec: ProxySpec
    base: str  # the key without its attempt: "<attribute>-<number>"
    args: tuple[Any, ...] | None  # None once not needed (encoded, or settled)
    kwargs: dict[str, Any] | None
    attempt: int
    payload: str | None  # the encoded input (kept for retries)
    result: str | None  # the result's payload, once completed
    scanned_plain: bool | None  # the arguments hold no task result (None: not scanned yet)
    #: how the call's input is written and its result read (per proxy, see _route)
    route: _Route

    @property
    def transport(self) -> Transport:
        """Writes the call's input and reads its result (the engine's transport rule)."""
        return self.route[1]

    def get(self) -> Any:
        # Record.get, with read_value's decode inlined for an execution without a shared cache
        execution = self.execution
        if self.state < _DONE or self.index >= execution.horizon:
            execution.suspend_until(self.visible)
        if self.state == _ERROR:
            assert self.error is not None
            raise self.error.with_traceback(None)
        if not self.decoded:
            if execution._cache is None:
                route, payload = self.route, self.result
                try:
                    value = route[3](payload, type_hint=route[5])
                except StoreOutage as exc:  # suspend until the store answers
                    value = execution._read(partial(route[3], payload, type_hint=route[5]), exc)
                self.value = value
            else:
                self.value = self.read_value()
            self.decoded = True
        return self.value

    def read_value(self) -> Any:
        """The decoded result (a full replay with a run id: cached per run id; otherwise the
        record keeps it, as ``get`` reads it once)."""
        execution = self.execution
        cache = execution._cache
        if cache is not None:
            value = cache.get(self.key, _MISSING)
            if value is not _MISSING:
                return value
        payload = self.result
        assert payload is not None
        route = self.route
        read = route[3]
        try:
            value = read(payload, type_hint=route[5])
        except StoreOutage as exc:  # suspend until the store answers
            value = execution._read(partial(read, payload, type_hint=route[5]), exc)
        if cache is not None:
            cache[self.key] = value
        return value


_MISSING: Any = object()
_new_call = object.__new__

#: what a call needs of its proxy, resolved once per proxy and execution (``_route``): the
#: spec, the transport, ``write(args, kwargs) -> payload``, ``read(payload, type_hint=hint)
#: -> value``, the decision's class with its option fields in order (``None``:
#: ``spec.decision`` builds it), and the hint (the result's type, ``spec.returns``)
_Route = tuple[
    ProxySpec,
    Transport,
    Callable[[Any, Any], str],
    Callable[..., Any],
    "tuple[type[ScheduleActivity] | type[StartChildWorkflow], tuple[Any, ...]] | None",
    Any,
]


def _overrides(cls: type, name: str) -> bool:
    """Whether the task class ``cls`` overrides the classmethod ``name`` of its base."""
    base = Workflow if issubclass(cls, Workflow) else Activity
    mine = getattr(cls, name, None)
    theirs = getattr(base, name)
    return getattr(mine, "__func__", mine) is not getattr(theirs, "__func__", theirs)


def _route(spec: ProxySpec, transport: Transport) -> _Route:
    """How calls through ``spec`` are written and read with ``transport``: straight through
    the transport unless the target class overrides ``_serialize_arguments`` /
    ``_deserialize_result`` (whose defaults do just that), without building a callable per
    call (the type hint is passed by the caller: a ``partial`` holding it would build a
    keywords dict per call); and the decision's fields, so that no options dict is unpacked
    per call."""
    target = None if spec.target is None else spec.target.cls
    write: Callable[[Any, Any], str]
    read: Callable[..., Any]
    if target is not None and _overrides(target, "_serialize_arguments"):
        write = partial(target._serialize_arguments, transport=transport)
    else:
        write = transport.serialize_arguments
    if target is not None and _overrides(target, "_deserialize_result"):
        read = partial(target._deserialize_result, transport=transport)
    else:
        read = transport.deserialize_result
    fields = TASK_OPTIONS.get(spec.kind, ())
    shape: tuple[type[ScheduleActivity] | type[StartChildWorkflow], tuple[Any, ...]] | None
    shape = None
    if set(spec.options) <= set(fields):
        decision = ScheduleActivity if spec.kind == "activity" else StartChildWorkflow
        shape = (decision, tuple(spec.options.get(field) for field in fields))
    return (spec, transport, write, read, shape, spec.returns)


def _scan(value: Any) -> tuple[bool, _Call | None]:
    """``(pending, error_call)`` for the task results inside an argument structure."""
    kind = type(value)
    if kind is TaskResult:
        call: _Call = value._fw_call
        if call.state == _ERROR:
            return False, call
        return call.state < _DONE, None
    if kind not in _CONTAINERS:
        return False, None
    items = value.values() if kind is dict else value
    pending = False
    for item in items:
        item_pending, error = _scan(item)
        if error is not None:
            return False, error
        pending = pending or item_pending
    return pending, None


def _scan_arguments(call: _Call) -> tuple[bool, _Call | None]:
    """:func:`_scan` of a call's arguments; plain arguments (the usual case) cost one pass,
    and mark the call as needing no ``unwrap``."""
    plain = _PLAIN
    args, kwargs = call.args, call.kwargs
    for value in args or ():
        if type(value) not in plain:
            call.scanned_plain = False
            return _scan((args, kwargs))
    if kwargs:
        for value in kwargs.values():
            if type(value) not in plain:
                call.scanned_plain = False
                return _scan((args, kwargs))
    call.scanned_plain = True
    return False, None


def _seq_of(call: _Call) -> int:
    return call.seq


#: argument types that can hold no task result
_PLAIN = frozenset({int, str, float, bool, bytes, type(None)})


class Execution:
    """Decides for one workflow run (see the module docstring).

    Args:
        workflow: the workflow class.
        run_id: identifies the run; with a full replay it keys the decoded-results cache.
        rule: the engine's :class:`~flowwire.transport_rule.TransportRule`, which names the
            transport of the workflow and of each call (default: a rule with no engine
            default, so every type uses its own transport, else JSON).
        transport: replaces the workflow's own transport (its input, result and failures).
        live: keep ``run`` alive on a thread between decisions; call ``decide`` with the
            growing history each time and ``close`` when the run is discarded.
    """

    def __init__(
        self,
        workflow: type[Workflow],
        *,
        run_id: str | None = None,
        rule: TransportRule | None = None,
        transport: Transport | None = None,
        live: bool = False,
    ) -> None:
        self.workflow_class = workflow
        self._rule = rule if rule is not None else _default_rule()
        self.run_id = run_id
        self.live = live
        self._transport_override = transport
        self._seen = 0
        self._input: str | None = None
        self._scheduled: dict[str, TaskScheduled] = {}
        # the closing event of each task key, and its history index (two dicts rather than a
        # tuple per task: nothing more for the garbage collector to track)
        self._closed: dict[str, Event] = {}
        self._closed_at: dict[str, int] = {}
        self._timers: set[str] = set()
        self._fired: dict[str, int] = {}
        self._visited: set[str] = set()
        #: keys of the history the code has not reached (yet), in history order
        self._unvisited: dict[str, None] = {}
        self._emitted: set[str] = set()
        self._counters: dict[str, int] = {}
        self._routes: dict[int, _Route] = {}  # per proxy (see _route)
        self._seq = 0
        # timers and signals (flowwire.waits): user timers waiting to fire, by key; signals
        # received per name (history index, payload); how many waits each name had; the waits
        # not served yet, per name; sends (SignalSent) recorded, closed, and waiting
        self._timer_count = 0
        self._timer_waits: dict[str, Wait] = {}
        self._signals: dict[str, list[tuple[int, str]]] = {}
        self._signal_count: dict[str, int] = {}
        self._signal_waits: dict[str, list[tuple[int, Wait]]] = {}
        self._send_count = 0
        self._sent: dict[str, SignalSent] = {}
        self._send_closed: dict[str, tuple[int, Event]] = {}
        self._send_waits: dict[str, Wait] = {}
        # cancellation (module docstring): the index of the first WorkflowCancelRequested; the
        # horizon hiding what finished from there on until run was told; the call number when
        # it was told (None: not yet); calls made before that which closed after the request;
        # the keys of the recorded TaskCancelRequested events
        self._cancel_at: int | None = None
        self._cancel_cause = ""
        self.horizon = NO_HORIZON
        self._told_seq: int | None = None
        self._late: list[_Call] = []
        self._task_cancels: set[str] = set()
        self._by_key: dict[str, _Call] = {}
        self._dirty: list[str] = []
        self._deferred: list[_Call] = []
        self._decisions: list[Decision] = []
        #: calls in the order they settled (finished or failed), from when a result helper
        #: first asked for it (:meth:`settled`); until then ``None``: nothing keeps a settled
        #: call, which is freed with its result (the usual ``wait``), not kept for the
        #: garbage collector to traverse
        self.journal: list[Any] | None = None  # _Call and flowwire.waits.Wait records
        self._instance: Workflow | None = None
        self._started = False
        self.closed = False
        #: decoded results by key: a full replay's, shared per run id (a record of this
        #: execution keeps its own decoded value: ``None``, nothing more to cache)
        self._cache = self._shared_cache(run_id) if not live and run_id else None
        # live machinery
        self._thread: threading.Thread | None = None
        # Binary semaphores that start taken: the decider and the run's thread hand control to
        # each other strictly in turn (a raw lock switches threads twice as fast as Semaphore).
        self._to_run = threading.Lock()
        self._to_run.acquire()
        self._to_decider = threading.Lock()
        self._to_decider.acquire()
        self._ready: Callable[[], bool] | None = None
        self._aborted = False
        #: the store outage that stopped the last decision (it is resumed at the next one)
        self._outage: StoreOutage | None = None
        #: the failure whose details the decider's thread could not write (written next time)
        self._failure: BaseException | None = None

    def settled(self) -> list[Any]:
        """The journal of the records that settle from now on (:attr:`journal`, made on the
        first call): a result helper reads it from its length at that time."""
        journal = self.journal
        if journal is None:
            journal = self.journal = []
        return journal

    @staticmethod
    def _shared_cache(run_id: str) -> dict[str, Any]:
        with _CACHE_LOCK:
            cache = _RESULT_CACHE.get(run_id)
            if cache is None:
                cache = _RESULT_CACHE[run_id] = {}
                while len(_RESULT_CACHE) > _RESULT_CACHE_RUNS:
                    _RESULT_CACHE.popitem(last=False)
            else:
                _RESULT_CACHE.move_to_end(run_id)
            return cache

    # -- the decision loop ----------------------------------------------------------------

    def decide(self, events: Sequence[Event]) -> list[Decision]:
        """Return the decisions for the history ``events`` (the whole history so far).

        A closing decision (complete, fail, continue-as-new, cancel) is always last; after it the
        execution is closed. Raises ``RuntimeError`` when called on a closed execution, or a
        second time on a full-replay (``live=False``) execution.

        Raises :class:`~flowwire.StoreOutage` when a payload's store cannot be read or written
        for now: decide again later (a live execution: this one, with the same or a longer
        history, and it returns the decisions made before the outage too; a full replay: a
        new execution).
        """
        if self.closed:
            raise RuntimeError(f"execution {self.run_id or ''} is closed")
        if self._started and not self.live:
            raise RuntimeError("a full-replay Execution decides once; make a new one")
        if len(events) < self._seen:
            raise RuntimeError(
                f"execution {self.run_id or ''} was given {len(events)} events after "
                f"{self._seen}: a live execution needs the same, growing history"
            )
        self._ingest(events)
        if self._outage is None:
            if self._decisions:  # (left by a decision that raised; the last one left [])
                self._decisions = []
        else:  # the previous decision stopped at an unavailable store: go on from there
            self._outage = None
        if self._failure is not None:  # its details met an unavailable store: write them now
            self._fail(self._failure)
        elif not self._started:
            self._started = True
            if self.live:
                self._thread = threading.Thread(
                    target=self._thread_main, name=f"flowwire-run-{self.run_id}", daemon=True
                )
                self._thread.start()
                self._to_decider.acquire()
            else:
                self._body()
        else:
            self._live_step()
        if self._outage is not None:
            raise self._outage.with_traceback(None)
        if self._ready is not None and self._unvisited:  # live run parked, as _body's _Suspend
            try:
                self._check_all_visited()
            except NondeterminismError as exc:
                self._fail(exc)
        decisions, self._decisions = self._decisions, []
        if decisions and isinstance(decisions[-1], _CLOSES):
            self.close()
        return decisions

    def close(self) -> None:
        """Discard the execution; a parked live ``run`` is unwound (its ``finally`` blocks run)."""
        self.closed = True
        if self._ready is not None and self._thread is not None:
            self._aborted = True
            self._ready = None
            self._to_run.release()
            self._to_decider.acquire()

    def _thread_main(self) -> None:
        try:
            self._body()
        except BaseException as exc:  # never leave the decider waiting without a decision
            self._decisions = [FailWorkflow(type(exc).__name__, "")]
        finally:
            self._ready = None
            self._to_decider.release()

    def _live_step(self) -> None:
        keys, by_key = self._dirty, self._by_key
        # one task changed (often twice: scheduled, then closed): the usual decision
        if not self._deferred and (len(keys) == 1 or (len(keys) == 2 and keys[0] == keys[1])):
            key = keys[0]
            found = by_key.get(key)
            if (
                len(keys) == 1
                and found is not None
                and found.key == key
                and found.state == _OPEN
                and not found.attempt
                and self._cancel_at is None
            ):
                event = self._closed.get(key)
                if type(event) is TaskCompleted:
                    # The usual step: the first attempt of an open call completed, and
                    # nothing else changed. _advance's completion, without its checks: the
                    # call visited its key when it opened (so nothing can make the key
                    # unvisited), and its TaskScheduled was compared with it then or when
                    # read (a mismatch there also marks the key: two entries).
                    keys.clear()
                    del by_key[key]
                    found.index = self._closed_at[key]
                    found.args = found.kwargs = None
                    journal = self.journal
                    if journal is not None:
                        journal.append(found)
                    found.state, found.result = _DONE, event.result
                    ready = self._ready
                    if ready is not None and ready():
                        self._ready = None
                        self._to_run.release()
                        self._to_decider.acquire()
                    return
            calls: list[_Call] = [] if found is None else [found]
        else:
            dirty: dict[int, _Call] = {}
            for key in keys:
                found = by_key.get(key)
                if found is not None:
                    dirty[id(found)] = found
            for call in self._deferred:
                dirty[id(call)] = call
            calls = sorted(dirty.values(), key=_seq_of) if len(dirty) > 1 else [*dirty.values()]
        keys.clear()
        done = 0
        try:
            for call in calls:
                self._advance(call)
                done += 1
        except _Fail as failure:
            self._fail(failure.error)
            return
        except _Outage:  # an argument's result is unreadable for now: these go again next time
            self._deferred.extend(calls[done:])
            return
        if self._deferred:
            self._deferred = [c for c in self._deferred if c.state == _WAITING]
        ready = self._ready
        if ready is not None and (ready() or self._cancel_untold()):
            self._ready = None
            self._to_run.release()
            self._to_decider.acquire()

    def block_until(self, ready: Callable[[], bool]) -> None:
        """Return once ``ready()`` is true; until then suspend the decision (full replay:
        unwind ``run``; live: park the thread until a later decision makes it true)."""
        while not ready():
            self._suspend(ready)

    def suspend_until(self, ready: Callable[[], bool]) -> None:
        """:meth:`block_until` for a caller that just found ``ready()`` false (a live run
        parks here: :meth:`_suspend`, inlined)."""
        while True:
            if self._cancel_at is not None and self._told_seq is None:
                self._tell_cancel()
            if not self.live:
                raise _Suspend
            if self._aborted:
                raise _Abort
            self._ready = ready
            self._to_decider.release()
            self._to_run.acquire()
            if self._aborted:
                raise _Abort
            if ready():
                return

    def _suspend(self, ready: Callable[[], bool]) -> None:
        """Suspend the decision once (``ready()`` is false)."""
        if self._cancel_at is not None and self._told_seq is None:
            self._tell_cancel()
        if not self.live:
            raise _Suspend
        if self._aborted:
            raise _Abort
        self._ready = ready
        self._to_decider.release()
        self._to_run.acquire()
        if self._aborted:
            raise _Abort

    def _body(self) -> None:
        previous = set_current(self)
        try:
            self._run_body()
        finally:
            set_current(previous)

    def _run_body(self) -> None:
        try:
            instance = self._instance = self.workflow_class()
            instance.transport = self._workflow_transport()  # type: ignore[misc]
            instance._fw_execution = self
            if self._input is None:
                raise NondeterminismError("the history has no WorkflowStarted event")
            payload = self._input
            args, kwargs = self._read(lambda: instance._deserialize_arguments(payload))
            value = instance.run(*args, **kwargs)
            if isinstance(value, Restart):
                restart = value
                payload = self._read(
                    lambda: instance._serialize_restart_arguments(
                        *unwrap(restart.args), **unwrap(restart.kwargs)
                    )
                )
                final: Decision = ContinueAsNew(payload)
            else:
                final = CompleteWorkflow(
                    self._read(lambda: instance._serialize_result(unwrap(value)))
                )
            self._check_all_visited()
            self._decisions.append(final)
        except Cancelled as exc:
            if self._told_seq is None:  # raised by run itself, without a request: a failure
                self._fail(exc)
                return
            try:
                self._check_all_visited()
            except NondeterminismError as mismatch:
                self._fail(mismatch)
                return
            self._decisions.append(CancelWorkflow(str(exc)))
        except _Suspend:
            try:
                self._check_all_visited()
            except NondeterminismError as exc:
                self._fail(exc)
        except (_Abort, _Outage):
            return
        except _Fail as failure:
            self._fail(failure.error)
        except Exception as exc:
            self._fail(exc)

    def _read(self, read: Callable[[], _T], failed: StoreOutage | None = None) -> _T:
        """``read()`` (a payload decode or encode); while its store is unavailable, suspend the
        decision: a full replay (or the decider's own thread) unwinds with ``_Outage``, a live
        ``run`` parks until the next decision and tries again. ``failed``: what the caller's
        own first ``read()`` raised (the read is not repeated before the suspension)."""
        while True:
            if failed is None:
                try:
                    return read()
                except StoreOutage as exc:
                    failed = exc
            self._outage = failed
            if not self.live or threading.current_thread() is not self._thread:
                raise _Outage from failed
            self.block_until(self._store_retry)
            failed = None

    def _store_retry(self) -> bool:
        return self._outage is None

    def _fail(self, error: BaseException) -> None:
        transport = self._workflow_transport()
        try:
            reason, details = self._read(lambda: transport.serialize_error(error))
        except _Outage:  # full replay: replayed again; the decider's thread: written next time
            self._failure = error
            return
        except StoreWriteFailed as lost:  # the store stayed down: fail without the details
            reason = (
                f"{type(error).__qualname__} (its error details were not stored: "
                f"StoreWriteFailed in store {lost.store!r})"
            )[:_REASON_LIMIT]
            details = ""
        self._failure = None
        self._decisions = [FailWorkflow(reason, details)]

    def _check_all_visited(self) -> None:
        """Raise ``NondeterminismError`` for the first key of the history that the code has
        not reached although it has run past the point where it was recorded."""
        for key in self._unvisited:
            recorded = self._scheduled.get(key)
            sent = self._sent.get(key)
            if sent is not None:
                what = f"a signal {sent.name!r} sent to {sent.workflow_id!r}"
            else:
                what = "a timer" if recorded is None else self._recorded(key, recorded)
            raise NondeterminismError(
                f"the history of workflow {self.workflow_class.__qualname__} has {what} under "
                f"key {key!r}, which the code no longer schedules: run() makes no such call"
            )

    def _recorded(self, key: str, recorded: TaskScheduled) -> str:
        """What the history holds under ``key``: ``activity 'charge' v1 (completed)``."""
        closed = self._closed.get(key)
        state = "still open" if closed is None else _STATES[type(closed)]
        kind = _KINDS.get(recorded.kind or "", "task")
        return f"{kind} {recorded.name!r} v{recorded.version} ({state})"

    def _mismatch(self, spec: ProxySpec, key: str, recorded: TaskScheduled) -> None:
        """Fail unless the history's task under ``key`` is the one the code asks for there
        (a history without types, ``name`` ``None``, is not checked)."""
        if recorded.name is None or (
            recorded.name == spec.name
            and recorded.version == spec.version
            and recorded.kind in (None, spec.kind)
        ):
            return
        raise _Fail(
            NondeterminismError(
                f"the history of workflow {self.workflow_class.__qualname__} has "
                f"{self._recorded(key, recorded)} under key {key!r}, but the code now asks "
                f"for {_KINDS[spec.kind]} {spec.name!r} v{spec.version} there"
            )
        )

    def _workflow_transport(self) -> Transport:
        if self._transport_override is not None:
            return self._transport_override
        return self._rule.of(type_of(self.workflow_class))

    # -- history --------------------------------------------------------------------------

    def _ingest(self, events: Sequence[Event]) -> None:
        start = self._seen
        visited, emitted, dirty, by_key = self._visited, self._emitted, self._dirty, self._by_key
        scheduled = self._scheduled
        for index in range(start, len(events)):
            event = events[index]
            kind = type(event)
            if type(event) is TaskScheduled:
                key = event.key
                scheduled[key] = event
                if key in emitted:  # (a key is visited before it is emitted)
                    # live: check it against the call waiting on it; what this execution
                    # decided for that call (the usual case) needs no new look
                    call = by_key.get(key)
                    if call is not None:
                        spec = call.spec
                        if (
                            event.name == spec.name
                            and event.version == spec.version
                            and event.kind == spec.kind
                        ):
                            continue
                elif key not in visited:
                    self._unvisited[key] = None
                dirty.append(key)
            elif kind in _TASK_CLOSES:
                key = event.key  # type: ignore[union-attr]
                self._closed[key] = event
                self._closed_at[key] = index
                dirty.append(key)
                if kind is TaskScheduleFailed and key not in self._scheduled:
                    assert isinstance(event, TaskScheduleFailed)  # refused without scheduling
                    self._scheduled[key] = TaskScheduled(key, event.name, event.version, event.kind)
                    self._recorded_key(key)
            elif kind is TimerStarted:
                assert isinstance(event, TimerStarted)
                self._timers.add(event.key)
                self._recorded_key(event.key)
            elif kind is TimerFired:
                assert isinstance(event, TimerFired)
                self._fired[event.key] = index
                waiting = self._timer_waits.pop(event.key, None)
                if waiting is not None:
                    waiting.settle(index)
                else:
                    self._dirty.append(event.key)
            elif kind is SignalReceived:
                assert isinstance(event, SignalReceived)
                self._signal_arrived(index, event)
            elif kind is SignalSent:
                assert isinstance(event, SignalSent)
                self._sent[event.key] = event
                self._recorded_key(event.key)
            elif kind is SignalDelivered or kind is SignalSendFailed:
                key = event.key  # type: ignore[union-attr]
                self._send_closed[key] = (index, event)
                sending = self._send_waits.pop(key, None)
                if sending is not None:
                    self._close_send(sending, index, event)
            elif kind is WorkflowStarted:
                assert isinstance(event, WorkflowStarted)
                self._input = event.input
            elif kind is WorkflowCancelRequested:
                if self._cancel_at is None:
                    assert isinstance(event, WorkflowCancelRequested)
                    self._cancel_at = self.horizon = index
                    self._cancel_cause = event.cause
            elif kind is TaskCancelRequested:
                assert isinstance(event, TaskCancelRequested)
                self._task_cancels.add(event.key)
        self._seen = len(events)

    def _recorded_key(self, key: str) -> None:
        if key not in self._visited:
            self._unvisited[key] = None

    # -- cancellation ---------------------------------------------------------------------

    def _cancel_untold(self) -> bool:
        return self._cancel_at is not None and self._told_seq is None

    def _tell_cancel(self) -> None:
        """Tell ``run`` about the cancellation request: lift the horizon, ask for the tasks
        started before it to be cancelled, raise ``Cancelled`` (at the wait that called)."""
        self._told_seq = self._seq
        self.horizon = NO_HORIZON
        cancel_at = self._cancel_at
        assert cancel_at is not None
        calls = {id(c): c for c in self._by_key.values()}
        calls.update((id(c), c) for c in self._late)
        for call in sorted(calls.values(), key=_seq_of):
            key, spec = call.key, call.spec
            if call.state >= _DONE and call.index < cancel_at:
                continue  # closed before the request (a stale retry-delay entry)
            if key not in self._scheduled and key not in self._emitted:
                continue  # waiting for a retry delay: that attempt never starts
            if spec.kind == "workflow" and not spec.cancel_with_parent:
                continue
            marker = f"cancel:{key}"
            if key in self._task_cancels or marker in self._emitted:
                continue
            self._emitted.add(marker)
            self._decisions.append(CancelTask(key, spec.kind))
        why = " (its parent workflow was cancelled)" if self._cancel_cause == "PARENT" else ""
        raise Cancelled(f"cancellation requested{why}")

    def _abandoned(self, call: _Call, index: int) -> bool:
        """Whether ``call`` was made before ``run`` was told of a cancellation request and
        ``index`` (its closing event, or its retry delay's end) comes after the request."""
        cancel_at = self._cancel_at
        if cancel_at is None or index <= cancel_at:
            return False
        return self._told_seq is None or call.seq <= self._told_seq

    # -- timers and signals (flowwire.waits) ----------------------------------------------

    def start_timer(self, seconds: int) -> TaskResult:
        """The result of the run's next timer (``sleep``/``timer``), firing after ``seconds``."""
        key = f"timer.{self._timer_count}"
        self._timer_count += 1
        self._visited.add(key)
        self._unvisited.pop(key, None)
        wait = Wait(self, key)
        fired = self._fired.get(key)
        if fired is not None:
            wait.settle(fired)
            return TaskResult(wait)
        if key not in self._timers and key not in self._emitted:
            self._emitted.add(key)
            self._decisions.append(StartTimer(key, seconds))
        self._timer_waits[key] = wait
        return TaskResult(wait)

    def receive_signal(self, name: str, returns: Any) -> TaskResult:
        """The result of the next signal ``name``: the ``N``-th wait of a name gets the
        ``N``-th signal of that name in the history."""
        number = self._signal_count.get(name, 0)
        self._signal_count[name] = number + 1
        wait = Wait(self, f"signal:{name}:{number}")
        transport = self._workflow_transport()
        wait.decode = lambda payload: transport.deserialize_result(payload, type_hint=returns)
        received = self._signals.get(name, ())
        if number < len(received):
            index, payload = received[number]
            wait.settle(index, payload)
        else:
            self._signal_waits.setdefault(name, []).append((number, wait))
        return TaskResult(wait)

    def _signal_arrived(self, index: int, event: SignalReceived) -> None:
        received = self._signals.setdefault(event.name, [])
        received.append((index, event.input))
        waits = self._signal_waits.get(event.name)
        if waits and waits[0][0] == len(received) - 1:
            waits.pop(0)[1].settle(index, event.input)

    def send_signal(
        self, workflow_id: str, name: str, value: Any, workflow: type | None
    ) -> TaskResult:
        """The result of sending the signal ``name`` with ``value`` to ``workflow_id``."""
        key = f"signal.{self._send_count}"
        self._send_count += 1
        self._visited.add(key)
        self._unvisited.pop(key, None)
        wait = Wait(self, key)
        closed = self._send_closed.get(key)
        if closed is not None:
            self._close_send(wait, *closed)
            return TaskResult(wait)
        if key not in self._sent and key not in self._emitted:
            target = None if workflow is None else type_of(workflow)
            transport = self._workflow_transport() if target is None else self._rule.of(target)
            payload = self._read(lambda: transport.serialize_result(unwrap(value)))
            self._emitted.add(key)
            self._decisions.append(SignalExternal(key, workflow_id, name, payload))
        self._send_waits[key] = wait
        return TaskResult(wait)

    def _close_send(self, wait: Wait, index: int, event: Event) -> None:
        if isinstance(event, SignalSendFailed):
            sent = self._sent.get(wait.key)
            target = "" if sent is None else sent.workflow_id
            error: FlowwireError = unknown_execution(target, event.cause)
            wait.fail(index, error)
        else:
            wait.settle(index)

    # -- proxy calls ----------------------------------------------------------------------

    def call(self, spec: ProxySpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TaskResult:
        """Record a proxy call made by ``run`` and return its result (see the module doc)."""
        attribute, counters = spec.attribute, self._counters
        number = counters.get(attribute, 0)
        counters[attribute] = number + 1
        seq = self._seq = self._seq + 1
        route = self._routes.get(id(spec))
        if route is None or route[0] is not spec:  # (the rule's answer, kept per proxy)
            route = self._routes[id(spec)] = _route(spec, self._rule.for_spec(spec))
        base = f"{attribute}-{number}"
        key = base + "-0"
        call = _new_call(_Call)
        call.execution, call.seq, call.spec, call.base, call.route = self, seq, spec, base, route
        call.attempt, call.key, call.index = 0, key, -1
        call.result = call.value = call.error = None
        call.decoded = False
        result = _new_result(TaskResult)  # (TaskResult(call) without its __init__ frame)
        _set_record(result, call)
        if not kwargs and key not in self._scheduled and key not in self._closed:
            for value in args:
                if type(value) not in _PLAIN:
                    break
            else:
                # The usual call: plain positional arguments, a key with no history (so not
                # unvisited either): _advance's scheduling of its first attempt, inlined.
                call.scanned_plain, call.state = True, _OPEN
                call.args = call.kwargs = None  # encoded now: nothing reads them again
                self._visited.add(key)
                write = route[2]
                try:
                    payload = call.payload = write(args, kwargs)
                except Exception as exc:
                    payload = call.payload = self._write_failed(call, write, args, kwargs, exc)
                self._emitted.add(key)
                shape = route[4]
                if shape is None:
                    self._decisions.append(spec.decision(key, payload))
                else:
                    self._decisions.append(
                        shape[0](key, spec.name, spec.version, payload, *shape[1])
                    )
                self._by_key[key] = call
                return result
        call.state, call.args, call.kwargs = _WAITING, args, kwargs
        call.payload = call.scanned_plain = None
        self._advance(call)
        if call.state == _WAITING and self.live:
            self._deferred.append(call)
        return result

    def _advance(self, call: _Call) -> None:
        """Evaluate ``call`` against the history; schedule what it needs now. Raises ``_Fail``."""
        if call.state == _WAITING:
            plain = not call.kwargs  # the usual call, plain positional arguments: scanned here
            if plain:
                for value in call.args or ():
                    if type(value) not in _PLAIN:
                        plain = False
                        break
            if plain:
                call.scanned_plain = True
            else:
                pending, error = _scan_arguments(call)
                if error is not None:
                    call.state, call.error, call.index = _ERROR, error.error, error.index
                    call.args = call.kwargs = None
                    if self.journal is not None:
                        self.journal.append(call)
                    return
                if pending:
                    return
            call.state = _OPEN
        elif call.state != _OPEN:
            return
        spec, unvisited = call.spec, self._unvisited
        while True:
            key = call.key
            self._visited.add(key)
            if key in unvisited:
                del unvisited[key]
            recorded = self._scheduled.get(key)
            if recorded is not None and (
                recorded.name != spec.name
                or recorded.version != spec.version
                or recorded.kind != spec.kind
            ):
                self._mismatch(spec, key, recorded)  # inlined fast path: equal is the rule
            seconds = retry_delay(spec.retry, spec.delay, call.attempt) if call.attempt else 0
            if seconds:
                tkey = timer_key(key)
                self._visited.add(tkey)
                unvisited.pop(tkey, None)
                fired = self._fired.get(tkey)
                if fired is None:
                    if tkey not in self._timers and tkey not in self._emitted:
                        self._emitted.add(tkey)
                        self._decisions.append(StartTimer(tkey, seconds))
                    self._by_key[tkey] = call
                    return
                if self._cancel_at is not None and self._abandoned(call, fired):
                    # the delay ended after a cancellation request: no new attempt; the call
                    # keeps the error of its last one (and the key of the one not started)
                    previous = f"{call.base}-{call.attempt - 1}"
                    self._by_key.pop(tkey, None)
                    self._settle(call, fired, self._closed[previous], previous)
                    return
            event = self._closed.get(key)
            if event is None:
                break
            index = self._closed_at[key]
            if type(event) is TaskCompleted:  # never retried: settle (_settle's fast path)
                self._by_key.pop(key, None)
                if self._cancel_at is not None:
                    self._settle(call, index, event)
                    return
                call.index = index
                call.args = call.kwargs = None
                journal = self.journal
                if journal is not None:
                    journal.append(call)
                call.state, call.result = _DONE, event.result
                return
            retry = spec.retry
            if (
                type(event) is TaskTimedOut and call.attempt < retry
                if type(retry) is int
                else self._again(call, event)
            ) and (self._cancel_at is None or not self._abandoned(call, index)):
                call.attempt += 1
                call.key = f"{call.base}-{call.attempt}"
                continue
            self._by_key.pop(key, None)
            self._settle(call, index, event)
            return
        if key not in self._scheduled and key not in self._emitted:
            payload = self._input_payload(call)  # first: it may stop at an unavailable store
            self._emitted.add(key)
            shape = call.route[4]
            if shape is None:
                self._decisions.append(spec.decision(key, payload))
            else:  # spec.decision without unpacking its options per call
                self._decisions.append(shape[0](key, spec.name, spec.version, payload, *shape[1]))
        self._by_key[key] = call

    def _again(self, call: _Call, event: Event) -> bool:
        """Whether the retry policy of ``call`` tries again after ``event`` closed its attempt
        (a failure's type name and non-retryable flag are read from its details)."""
        if isinstance(event, TaskTimedOut):
            return retryable(call.spec.retry, call.attempt, timed_out=True)
        if not isinstance(event, TaskFailed):
            return False  # refused by the backend: the same refusal again
        reason, details = event.reason, event.details
        error = self._read(lambda: call.transport.deserialize_error(reason, details))
        return retryable(
            call.spec.retry,
            call.attempt,
            timed_out=False,
            type_name=error.type_name,
            non_retryable=error.non_retryable,
        )

    def _settle(self, call: _Call, index: int, event: Event, key: str | None = None) -> None:
        failure: TaskError | None = None
        if isinstance(event, TaskFailed):  # first: an unavailable store leaves the call as is
            reason, details = event.reason, event.details
            failure = self._read(lambda: call.transport.deserialize_error(reason, details))
        spec, key = call.spec, key or call.key
        call.index = index
        call.args = call.kwargs = None
        if self.journal is not None:
            self.journal.append(call)
        abandoned = self._cancel_at is not None and self._abandoned(call, index)
        if abandoned and self._told_seq is None:
            self._late.append(call)
        if isinstance(event, TaskCompleted):
            call.state, call.result = _DONE, event.result
            return
        if failure is not None:
            error = failure
        elif isinstance(event, TaskTimedOut):
            attempts = "1 attempt" if call.attempt == 0 else f"{call.attempt + 1} attempts"
            error = TaskTimedOutError(f"timed out ({event.timeout_type}) after {attempts}")
        else:
            assert isinstance(event, TaskScheduleFailed)
            error = TaskError(f"could not be scheduled: {event.cause}", reason=event.cause)
        error.task = spec.describe(key)
        call.state, call.error = _ERROR, error
        if not spec.error_handling and not abandoned:
            raise _Fail(
                type(error)(
                    str(error),
                    traceback=error.traceback,
                    attributes=error.attributes,
                    non_retryable=error.non_retryable,
                )
            )

    def _input_payload(self, call: _Call) -> str:
        if call.payload is None:
            args: Any = call.args
            kwargs: Any = call.kwargs
            if call.scanned_plain is False:  # task results inside: their values go in
                horizon, self.horizon = self.horizon, NO_HORIZON  # finished: scanned so
                try:
                    args, kwargs = unwrap(args), unwrap(kwargs)
                finally:
                    self.horizon = horizon
            write = call.route[2]
            try:
                call.payload = write(args, kwargs)
            except Exception as exc:
                call.payload = self._write_failed(call, write, args, kwargs, exc)
        return call.payload

    def _write_failed(
        self,
        call: _Call,
        write: Callable[[Any, Any], str],
        args: Any,
        kwargs: Any,
        exc: Exception,
    ) -> str:
        """The input of ``call`` after its first ``write(args, kwargs)`` raised ``exc``: written
        again once an unavailable store answers; any other error fails the run."""
        try:
            if not isinstance(exc, StoreOutage):
                raise exc
            return self._read(partial(write, args, kwargs), exc)  # suspend until it answers
        except Exception as error:
            raise _Fail(
                TaskError(
                    f"cannot encode the input of {call.spec.describe(call.key)}: {error}",
                    type_name=type(error).__name__,
                )
            ) from error


def replay(
    workflow: type[Workflow],
    events: Sequence[Event],
    *,
    run_id: str | None = None,
    rule: TransportRule | None = None,
    transport: Transport | None = None,
) -> list[Decision]:
    """Full replay: the decisions ``workflow`` makes for the history ``events``.

    ``run_id`` keys the per-run cache of decoded results (give it whenever the run has one);
    ``rule`` and ``transport`` are as for :class:`Execution`. Never raises for workflow or task
    errors: they become a ``flowwire.decision.FailWorkflow`` decision (non-determinism
    too, with a ``flowwire.NondeterminismError`` naming the key).
    """
    execution = Execution(workflow, run_id=run_id, rule=rule, transport=transport)
    return execution.decide(events)


_DEFAULT_RULE: list[TransportRule] = []


def _default_rule() -> TransportRule:
    """The rule of a replay outside any engine (no default, no store), made once."""
    if not _DEFAULT_RULE:
        _DEFAULT_RULE.append(TransportRule())
    return _DEFAULT_RULE[0]


def forget(run_id: str) -> None:
    """Drop the decoded results cached for ``run_id`` (call when a run closes)."""
    with _CACHE_LOCK:
        _RESULT_CACHE.pop(run_id, None)
