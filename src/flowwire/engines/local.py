"""The embedded local engine: the runtime kernel over an in-memory history store.

Everything an engine does with SWF happens here in memory, with the same contracts: the
history of every run is a list of ``flowwire.history`` events holding payload *strings* made by
the task types' transports (chosen by the one
:class:`transport rule <flowwire.transport_rule.TransportRule>`), and decisions come from
``flowwire.replay``. So a per-workflow, per-activity or per-proxy codec
choice is exercised exactly as it would be on SWF.

The work is done by :class:`flowwire.runtime.kernel.Kernel`: activity attempts run on worker
threads (or processes), and whichever thread has something to report runs the kernel's cycle
(see its module docstring). Each run keeps a live ``flowwire.replay.Execution`` (its ``run``
parked on a thread between decisions), so a decision costs what changed, not the length of the
history. ``live=False`` makes every decision a full replay instead; ``verify_replay=True``
computes both and raises ``AssertionError`` if they ever differ (a test aid).

``LocalEngine(db="flow.db")`` is the durable local engine: the same kernel over a SQLite file
(:mod:`flowwire.engines.durable`), so executions survive the process and resume after a crash.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, ParamSpec, TypeVar, cast

from flowwire._backoff import retry_writes
from flowwire.engines.durable import Durable, Started
from flowwire.errors import (
    Cancelled,
    ConfigurationError,
    PayloadTooLarge,
    StoreWriteFailed,
    TaskError,
    TaskTimedOutError,
    UnknownTaskError,
)
from flowwire.history import Event
from flowwire.proxy import TaskClass, proxy_targets
from flowwire.runtime.kernel import Kernel
from flowwire.runtime.memory import MemoryStore
from flowwire.runtime.sqlite import SYNCHRONOUS, SQLiteStore
from flowwire.runtime.store import HistoryStore, RunRecord
from flowwire.runtime.workers import ProcessWorkers, ThreadWorkers, Workers
from flowwire.scanner import scan
from flowwire.task import ActivityOutcome, Workflow
from flowwire.tasktype import TaskRegistry, TaskType, type_of
from flowwire.transport import Transport, TransportContext
from flowwire.transport_rule import TransportRule
from flowwire.waits import check_signal_name, unknown_execution

__all__ = [
    "LocalCompletionClient",
    "LocalEngine",
    "Started",
    "default_offload_dir",
    "local_rule",
    "run_workflow",
]


def default_offload_dir() -> str:
    """The directory the local engine offloads to when none is given.

    ``$FLOWWIRE_OFFLOAD_DIR`` when set and non-empty, else ``flowwire/offload`` under the
    per-user cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``). Nothing is created here.
    """
    chosen = os.environ.get("FLOWWIRE_OFFLOAD_DIR")
    if chosen:
        return chosen
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "flowwire", "offload")


class _DirectoryStore:
    """The local engine's offload store: a ``LocalDirectoryStore`` named ``"local"``, whose
    directory is created only when something is written to it."""

    name = "local"

    def __init__(self, root: str) -> None:
        self.root = root
        if Path(root).exists() and not Path(root).is_dir():
            raise ConfigurationError(f"LocalDirectoryStore root {root} is not a directory")
        self._store: Any = None

    def _inner(self) -> Any:
        if self._store is None:
            from flowwire.transport.stages import LocalDirectoryStore

            self._store = LocalDirectoryStore(self.root)
        return self._store

    def put(self, key: str, data: bytes) -> None:
        self._inner().put(key, data)

    def get(self, key: str) -> bytes:
        if self._store is None and not Path(self.root).is_dir():
            raise KeyError(key)
        data: bytes = self._inner().get(key)
        return data

    def exists(self, key: str) -> bool:
        if self._store is None and not Path(self.root).is_dir():
            return False
        found: bool = self._inner().exists(key)
        return found

    def __repr__(self) -> str:
        return f"LocalDirectoryStore({self.root!r})"


def local_rule(
    transport: Transport | str | None,
    offload_dir: str | None,
    lookup: Callable[[str, str, str], TaskType | None] | None = None,
) -> TransportRule:
    """The transport rule of a local engine: ``transport`` as the default for task types that
    chose none, and a directory store (``offload_dir``, else :func:`default_offload_dir`) as
    the store of every ``offload`` stage configured without one. Worker processes build the
    same rule from the same arguments."""
    directory = default_offload_dir() if offload_dir is None else offload_dir
    context = TransportContext(store=_DirectoryStore(directory))
    return TransportRule(transport, context=context, lookup=lookup)


_P = ParamSpec("_P")
_R = TypeVar("_R")


class LocalEngine:
    """Runs workflows on this machine; nothing else to install or start.

    Args:
        tasks: task classes, modules or package names to find activities and child workflows
            in (see ``flowwire.scanner.scan``); the workflow passed to ``run`` and its
            module are always searched too.
        ignore: module names or patterns skipped while scanning.
        transport: the transport (object or registered name) for every task type that did
            not choose one itself (default: JSON). See
            :class:`~flowwire.transport_rule.TransportRule` for which transport writes each
            payload.
        offload_dir: directory of the engine's offload store, given to every ``offload``
            stage configured without a store (``"json+offload"``); default
            ``$FLOWWIRE_OFFLOAD_DIR``, else ``$XDG_CACHE_HOME/flowwire/offload``
            (``~/.cache/flowwire/offload``). Objects are content-addressed and never deleted
            by the engine.
        processes: run activities in worker processes instead of threads (activity classes
            must then be importable by module and name; the transport, if given, a name). A
            worker process that dies loses its attempt, which is retried like a timeout.
        max_workers: how many activity attempts run at once (default: as
            ``ThreadPoolExecutor``, ``min(32, cpus + 4)``).
        live: keep each run's ``run`` alive between decisions (default). ``False``: full
            replay at every decision, as a stateless SWF decider does.
        verify_replay: also compute every live decision by full replay and raise
            ``AssertionError`` on any difference.
        progress: called about every ``progress_interval`` seconds with counters:
            ``decisions``, ``activities_done``, ``activities_running``, ``runs_open``.
        db: a SQLite file: the durable local engine. Executions, their histories, open
            attempts and timers are committed to it before anything acts on them, so they
            survive the process: :meth:`execute` resumes one after a crash, :meth:`start` and
            :meth:`work` let other processes share the file. ``None`` (default): in memory.
        synchronous: with ``db``, ``"full"`` (default: every commit survives a power cut) or
            ``"normal"`` (survives a crash of the process, several times faster).
        clock: where the in-memory engine reads the time (seconds since the epoch; default
            ``time.time``). A :class:`flowwire.testing.VirtualClock` jumps to the next
            deadline whenever nothing else can happen, so long timers finish at once.

    Raises:
        ConfigurationError: ``transport`` is neither a transport nor a string, or is an object
            while ``processes=True`` (worker processes build the transport from its name);
            ``max_workers`` below 1; ``synchronous`` not ``"full"`` or ``"normal"``;
            ``clock`` with ``db``;
            ``UnknownTransportError`` when the name is not registered.
    """

    def __init__(
        self,
        tasks: Iterable[type | ModuleType | str] = (),
        *,
        ignore: Iterable[str] = (),
        transport: Transport | str | None = None,
        offload_dir: str | os.PathLike[str] | None = None,
        processes: bool = False,
        max_workers: int | None = None,
        live: bool = True,
        verify_replay: bool = False,
        progress: Callable[[dict[str, int]], None] | None = None,
        progress_interval: float = 2.0,
        db: str | os.PathLike[str] | None = None,
        synchronous: str = "full",
        clock: Callable[[], float] | None = None,
    ) -> None:
        if processes and transport is not None and not isinstance(transport, str):
            raise ConfigurationError(
                f"LocalEngine(processes=True) cannot send the transport object {transport!r} "
                "to worker processes: pass a registered transport name (for example "
                "transport='json' or 'msgpack+zstd') or register yours with "
                "flowwire.transport.register_transport"
            )
        if max_workers is not None and (isinstance(max_workers, bool) or max_workers < 1):
            raise ConfigurationError(f"max_workers must be at least 1, got {max_workers!r}")
        if synchronous not in SYNCHRONOUS:
            raise ConfigurationError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
        if clock is not None and db is not None:
            raise ConfigurationError(
                "LocalEngine(db=..., clock=...): a durable engine keeps wall-clock deadlines "
                "in its file; a clock (such as a VirtualClock) is for the in-memory engine"
            )
        self._clock = clock
        self._ignore = tuple(ignore)
        self._registry = TaskRegistry(scan(*tasks, ignore=self._ignore))
        self._offload_dir = None if offload_dir is None else os.fspath(offload_dir)
        self._default_name = transport if isinstance(transport, str) else None
        self.rule = local_rule(transport, self._offload_dir, self._registry.get)
        self._processes = processes
        self._max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._live = live
        self._verify = verify_replay
        self._progress = progress
        self._progress_interval = max(progress_interval, 0.01)
        self._kernel: Kernel | None = None
        self.histories: dict[str, list[Event]] = {}
        """The histories of the runs of the last ``run`` (root, children, restarts), by
        run id; for inspection and tests. Empty with ``db``: read them from ``store``
        (:meth:`~flowwire.runtime.sqlite.SQLiteStore.history`)."""
        self.store: HistoryStore | None = None
        """The history store of the last ``run`` (its runs' records, with results and
        failures as the transports wrote them); for inspection and tests. With ``db``: the
        :class:`~flowwire.runtime.sqlite.SQLiteStore` of the file."""
        self.db = None if db is None else os.fspath(db)
        """The SQLite file of the durable engine, or ``None``."""
        self._durable = None if self.db is None else Durable(self, self.db, synchronous)

    # -- public API ---------------------------------------------------------------------

    def register(self, *tasks: type | ModuleType | str) -> None:
        """Add task classes (or the decorated classes of modules/packages).

        Raises:
            RegistrationError: missing metadata or a duplicate (kind, name, version).
        """
        for cls in scan(*tasks, ignore=self._ignore):
            self._registry.register(cls)

    def client(self) -> LocalCompletionClient:
        """The async-completion client for activities that raised ``SuspendTask``."""
        return LocalCompletionClient(self)

    def transport_for(self, cls: type) -> Transport:
        """The transport of task class ``cls`` on this engine: its own, else the engine's,
        else JSON, with the engine's offload store (see
        :class:`~flowwire.transport_rule.TransportRule`)."""
        return self.rule.of(type_of(cls))

    def uses_offload_store(self, workflow: type[Workflow]) -> bool:
        """Whether a run of ``workflow`` would give the engine's offload store (``offload_dir``)
        to any transport: the engine's own for types that chose none, when it is a name with
        an ``offload`` stage, or a type's own with an ``offload`` stage without a store.
        The types are ``workflow``, the targets of its proxies and the registered ones."""
        types = {id(t): t for t in self._types_of(workflow)}
        for task_type in self._registry:
            types.setdefault(id(task_type), task_type)
        return any(self.rule.declares_offload(t) for t in types.values())

    def run(self, workflow: type[TaskClass[_P, _R]], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """Run ``workflow`` with these arguments to the end and return its decoded result.

        For type checkers the arguments are ``workflow.run``'s and the result is of its
        return type.

        The input is serialized by the workflow class's ``_serialize_arguments`` and the result
        deserialized by its ``_deserialize_result`` (by default: its type's transport), exactly
        as a starter on SWF does. Restarts (continue-as-new) are followed.

        With ``db``, the run is a new durable execution (its id is ``NAME-<hex>``); use
        :meth:`execute` to give it an id you can resume it by.

        Raises:
            TaskError: the workflow failed (the error names it and what failed inside), or
                ``TaskTimedOutError`` when it exceeded its ``workflow_duration``.
            Cancelled: the execution was cancelled (:meth:`cancel`) and closed as cancelled.
            RegistrationError: ``workflow`` is not a decorated workflow, or a duplicate.
            ConfigurationError: the arguments do not bind to the workflow's ``run`` signature
                (checked before anything starts; the message names the workflow), or a
                transport needs an offload store the engine cannot give it.
            EncodeError: the arguments cannot be carried by the workflow's transport.
            StoreError: (``db``) the file cannot be used or written; what was committed
                before stays, so the execution can be resumed.
            KeyboardInterrupt: the run was interrupted; workers are stopped first (worker
                processes killed), so nothing is left running.
        """
        if self._durable is not None:
            return cast(_R, self.execute(workflow, args, kwargs))
        task_type, transport, payload = self._prepare(workflow, args, kwargs)
        if self._kernel is not None:
            raise RuntimeError("this LocalEngine is already running a workflow")
        store = self.store = MemoryStore()
        self.histories = store.histories
        kernel = self._kernel = Kernel(
            store=store,
            types=self._registry,
            rule=self.rule,
            workers=self._workers,
            live=self._live,
            verify=self._verify,
            clock=self._clock or time.time,
        )
        interrupted = False
        try:
            run_id = kernel.start(task_type, payload)
            record = kernel.wait(run_id, progress=self._progress, interval=self._progress_interval)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            kernel.stop(kill=interrupted)
            self._kernel = None
        return cast(_R, _outcome(record, transport, task_type))

    # -- the durable engine (db=...) ----------------------------------------------------

    def execute(
        self,
        workflow: type[TaskClass[..., _R]] | type[Workflow],
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        workflow_id: str | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> Any:
        """Run the durable execution ``workflow_id`` of ``workflow(*args, **kwargs)`` to its
        end here and return its decoded result; the same call after a crash resumes it.

        * a new id (or ``None``: a fresh ``NAME-<hex>``) starts a new execution;
        * an id whose run is open and held by no live process (its worker died) is taken
          over: its stored history is replayed, and attempts that were in flight are retried
          (``WORKER_LOST``, like a timeout, within the proxy's ``retry``);
        * an id held by another live process (a ``flowwire worker``) is waited for;
        * an id that already closed returns its outcome (or raises its error) without running
          anything again.

        ``notice`` receives one line when the execution is resumed, waited for, or closed
        already. Needs ``db``.

        Raises:
            ConfigurationError: the id is an execution of another workflow type, or was
                started with other arguments.
            StoreError: the file cannot be used or written; and what ``run`` raises.
        """
        durable = self._need_durable("execute")
        task_type, transport, payload = self._prepare(workflow, tuple(args), kwargs or {})
        if self._kernel is not None:
            raise RuntimeError("this LocalEngine is already running a workflow")
        self.histories = {}
        record = durable.execute(task_type, payload, transport, workflow_id, notice)
        return _outcome(record, transport, task_type)

    def start(
        self,
        workflow: type[Workflow],
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        workflow_id: str | None = None,
        attach: bool = False,
    ) -> Started:
        """Record a new durable execution for a worker (:meth:`work`, ``flowwire worker``)
        to run; returns its ids at once. Starting an id that is running raises
        ``StoreError``, unless ``attach``: then the running one is returned
        (``existing=True``). An id that closed may be started again (a new run). Needs ``db``.

        Raises:
            StoreError: the id is running (without ``attach``); the file cannot be used.
            ConfigurationError, EncodeError: as for ``run``.
        """
        durable = self._need_durable("start")
        task_type, _, payload = self._prepare(workflow, tuple(args), kwargs or {})
        return durable.start(task_type, payload, workflow_id, attach)

    def result(
        self,
        workflow: type[Workflow],
        workflow_id: str,
        *,
        timeout: float | None = None,
        interval: float = 0.1,
    ) -> Any:
        """Wait for the durable execution ``workflow_id`` (run by any process sharing the
        file) to close, and return its result decoded by ``workflow``'s transport.

        Raises:
            TaskError: it failed (``TaskTimedOutError``: it timed out).
            Cancelled: it closed as cancelled.
            TimeoutError: ``timeout`` seconds passed first.
            StoreError: no such execution, or the file cannot be read.
        """
        durable = self._need_durable("result")
        self.register(workflow, sys.modules[workflow.__module__])
        task_type = type_of(workflow)
        assert task_type is not None
        record = durable.wait(workflow_id, timeout, interval)
        return _outcome(record, self.rule.of(task_type), task_type)

    def work(
        self,
        stop: threading.Event | None = None,
        *,
        interval: float = 0.1,
        max_runs: int = 1000,
        grace: float = 30.0,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        """Be a worker on the engine's file until ``stop`` is set: take over every open
        execution whose workflow types are registered here and that no live process holds
        (started by :meth:`start`, or left by a worker that died), at most ``max_runs`` at a
        time, looking every ``interval`` seconds; decide for them and run their activities.
        Several workers may share one file: each execution is held by exactly one. On stop,
        no new attempts start, those running get ``grace`` seconds to finish, and the
        executions are released for another worker. Needs ``db``.

        Raises:
            StoreError: the file cannot be used or written.
        """
        durable = self._need_durable("work")
        if self._kernel is not None:
            raise RuntimeError("this LocalEngine is already running a workflow")
        durable.work(
            stop or threading.Event(),
            interval=interval,
            max_runs=max_runs,
            grace=grace,
            notice=notice,
        )

    def signal(self, execution_id: str, name: str, value: Any = None) -> None:
        """Send the signal ``name`` with ``value`` to the open execution ``execution_id`` (a
        workflow id, or a run id); a ``wait_signal(name)`` in its ``run`` receives it. The
        value is encoded by the transport of the execution's workflow type. In memory, the
        execution must be one the engine is running now (``run`` on another thread, or an
        activity of it); ids are as :meth:`executions` lists them (the run started by
        ``run`` is ``NAME-1``). With ``db``, the signal is queued in the file's inbox for
        whichever worker holds the execution (any process).

        Raises:
            UnknownExecutionError: no open execution has that id (unknown, or closed).
            ConfigurationError: ``name`` is not a signal name SWF accepts.
            EncodeError: the value cannot be carried by the transport.
            StoreError: (``db``) the file cannot be used or written.
        """
        check_signal_name(name, "LocalEngine.signal()")
        if self._durable is not None:
            self._durable.signal(execution_id, name, value)
            return
        kernel = self._kernel
        task_type = None if kernel is None else kernel.run_type(execution_id)
        if kernel is None or task_type is None:
            raise unknown_execution(execution_id)
        transport = kernel.rule.of(task_type)
        payload = retry_writes(lambda: transport.serialize_result(value))
        if not kernel.signal(execution_id, name, payload):
            raise unknown_execution(execution_id)

    def cancel(self, execution_id: str) -> None:
        """Ask the open execution ``execution_id`` (a workflow id, or a run id) to cancel: its
        ``run`` gets :class:`~flowwire.errors.Cancelled` at its next wait, may clean up, and
        the execution closes as cancelled if ``Cancelled`` leaves ``run`` (whoever waits for
        it then gets ``Cancelled`` too); its running activities see ``heartbeat()`` answer
        ``False``, and its child workflows are asked to cancel (unless their proxy says
        ``cancel_with_parent=False``). A second request changes nothing. In memory, the
        execution must be one the engine is running now, as for :meth:`signal`; with ``db``,
        the request is queued in the file's inbox for whichever worker holds the execution
        (any process, now or after a restart).

        Raises:
            UnknownExecutionError: no open execution has that id (unknown, or closed).
            StoreError: (``db``) the file cannot be used or written.
        """
        if self._durable is not None:
            self._durable.cancel(execution_id)
            return
        kernel = self._kernel
        if kernel is None or not kernel.cancel(execution_id):
            raise unknown_execution(execution_id)

    def executions(self) -> list[RunRecord]:
        """Every run recorded in the engine's file, oldest first; in memory, the runs of the
        running (or last) ``run``."""
        if self._durable is None:
            return [] if self.store is None else self.store.runs()
        store = SQLiteStore(self._need_durable("executions").path, readonly=True)
        try:
            return store.runs()
        finally:
            store.close()

    def _need_durable(self, method: str) -> Durable:
        if self._durable is None:
            raise ConfigurationError(
                f"LocalEngine.{method}() needs a durable engine: LocalEngine(db='flow.db')"
            )
        return self._durable

    def _prepare(
        self, workflow: type, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[TaskType, Transport, str]:
        """Register ``workflow`` and its targets, check and encode its arguments."""
        if not isinstance(workflow, type) or not issubclass(workflow, Workflow):
            raise TypeError(f"run() needs a Workflow subclass, got {workflow!r}")
        self.register(workflow, sys.modules[workflow.__module__])  # no metadata: raises
        task_type = type_of(workflow)
        assert task_type is not None
        for target in proxy_targets(workflow):
            if type_of(target) is not None:
                self._registry.register(target)
        task_type.bind_arguments(args, kwargs)
        for each in self._types_of(workflow):
            self.rule.of(each)  # an offload stage without a store fails here, not mid-run
        transport = self.rule.of(task_type)
        try:  # an unavailable store is written again with backoff, within its write_wait
            payload = retry_writes(
                lambda: workflow._serialize_arguments(
                    tuple(args), dict(kwargs), transport=transport
                )
            )
        except PayloadTooLarge as exc:
            exc.what = f"input of {task_type.describe()} ({exc.what})"
            raise
        except StoreWriteFailed as exc:
            raise StoreWriteFailed(
                f"input of {task_type.describe()}: {exc}",
                store=exc.store,
                key=exc.key,
                size=exc.size,
            ) from exc
        return task_type, transport, payload

    # -- internals ----------------------------------------------------------------------

    def _types_of(self, workflow: type[Workflow]) -> list[TaskType]:
        found = [type_of(c) for c in (workflow, *proxy_targets(workflow))]
        return [t for t in found if t is not None]

    def _workers(self, kernel: Kernel) -> Workers:
        if self._processes:
            return ProcessWorkers(
                self._max_workers,
                kernel.finished,
                kernel.lost,
                kernel.heartbeat,
                default=self._default_name,
                offload_dir=self._offload_dir,
            )
        return ThreadWorkers(self._max_workers, kernel.finished_next, kernel.heartbeat)


def _outcome(record: RunRecord, transport: Transport, task_type: TaskType) -> Any:
    """The decoded result of a closed run, or its error raised."""
    what = task_type.describe()
    if record.status == "completed":
        return task_type.cls._deserialize_result(
            record.result or "", transport=transport, type_hint=task_type.return_hint()
        )
    if record.status == "cancelled":
        raise Cancelled(
            f"{what} ({record.workflow_id}) was cancelled"
            + (f": {record.details}" if record.details else ""),
            workflow_id=record.workflow_id,
            details=record.details or "",
        )
    if record.status == "timed_out":
        raise TaskTimedOutError(
            f"timed out after its workflow_duration of "
            f"{round(record.deadline - record.started_at)}s",
            task=what,
        )
    error = transport.deserialize_error(record.reason or "", record.details or "")
    error.task = error.task or what
    raise error


class LocalCompletionClient:
    """Finishes activities that raised ``flowwire.SuspendTask``, from any thread.

    Tokens are the strings activities read from ``Activity.token``. ``complete`` and ``fail``
    raise :class:`~flowwire.UnknownTaskError` (a ``LookupError``) for a token that is unknown
    or already closed (completed, failed or timed out), as the SWF client does.
    """

    def __init__(self, engine: LocalEngine) -> None:
        self._engine = engine

    def _kernel_and_attempt(self, token: str) -> tuple[Kernel, Any]:
        kernel = self._engine._kernel
        attempt = None if kernel is None else kernel.attempt(token)
        if kernel is None or attempt is None:
            raise UnknownTaskError(f"no open activity task has the token {token!r}")
        return kernel, attempt

    def complete(self, token: str, result: Any = None) -> None:
        """Complete the task with ``result``, encoded by the activity type's transport.

        Raises:
            UnknownTaskError: unknown or closed token.
            EncodeError: the result cannot be carried by the transport.
        """
        kernel, attempt = self._kernel_and_attempt(token)
        transport = kernel.rule.of(attempt.task_type)
        payload = retry_writes(lambda: transport.serialize_result(result))
        kernel.complete(token, ActivityOutcome("completed", result=payload))

    def fail(self, token: str, reason: str | BaseException) -> None:
        """Fail the task with an exception, or a message (carried as a ``TaskError``); the
        workflow sees a ``TaskError`` carrying it.

        Raises:
            UnknownTaskError: unknown or closed token.
        """
        kernel, attempt = self._kernel_and_attempt(token)
        exc = reason if isinstance(reason, BaseException) else TaskError(str(reason))
        transport = kernel.rule.of(attempt.task_type)
        why, details = retry_writes(lambda: transport.serialize_error(exc))
        kernel.complete(token, ActivityOutcome("failed", reason=why, details=details))

    def heartbeat(self, token: str, details: str | None = None) -> bool:
        """Record a heartbeat; ``False`` when the task is no longer open (timed out, closed)."""
        kernel = self._engine._kernel
        return False if kernel is None else kernel.heartbeat(token)


def run_workflow(
    workflow: type[TaskClass[..., _R]],
    *args: Any,
    transport: Transport | str | None = None,
    tasks: Iterable[type | ModuleType | str] = (),
    **kwargs: Any,
) -> _R:
    """Run ``workflow(*args, **kwargs)`` on a fresh ``LocalEngine`` and return its result.

    For type checkers the result is of the return type of ``workflow.run``; its arguments are
    not checked here (``transport`` and ``tasks`` sit between them), ``LocalEngine.run``
    checks them too.

    Activities and child workflows are found in the workflow's module and in ``tasks``
    (classes, modules, package names). ``transport`` is the engine default for task types
    that chose none. ``transport`` and ``tasks`` are therefore reserved: to pass workflow
    arguments with those names, use ``LocalEngine(...).run(workflow, ...)``.

    Raises:
        TaskError: the workflow failed (see ``LocalEngine.run``).
    """
    return LocalEngine(tasks, transport=transport).run(workflow, *args, **kwargs)
