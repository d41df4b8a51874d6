"""The embedded local engine: runs workflows, their activities and child workflows in-process.

Everything an engine does with SWF happens here in memory, with the same contracts: the
history of every run is a list of ``flowwire.history`` events holding payload *strings*
made by the task classes' transports, and decisions come from ``flowwire.replay``. So a
per-workflow, per-activity or per-proxy codec choice is exercised exactly as it would be on
SWF.

One loop (the thread that called ``LocalEngine.run``) owns all state. Activity attempts
run on a thread pool (or a process pool); they, timers and the completion client post messages
to the loop, which appends events and asks each affected run for its next decision. Each run
keeps a live ``flowwire.replay.Execution`` (its ``run`` parked on a thread between
decisions), so a decision costs what changed, not the length of the history. ``live=False``
makes every decision a full replay instead; ``verify_replay=True`` computes both and raises
``AssertionError`` if they ever differ (a test aid).

Private helpers: ``_local_transports`` picks each task class's transport and gives it the
engine's offload store, ``_local_workers`` runs activity attempts, ``_local_state`` holds the
records of runs and attempts.
"""

from __future__ import annotations

import heapq
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from flowwire.decision import (
    CompleteWorkflow,
    ContinueAsNew,
    Decision,
    FailWorkflow,
    ScheduleActivity,
    StartChildWorkflow,
    StartTimer,
)
from flowwire.engines._local_state import Attempt as _Attempt
from flowwire.engines._local_state import Run as _Run
from flowwire.engines._local_transports import EngineTransports
from flowwire.engines._local_workers import ActivityWorkers
from flowwire.errors import PayloadTooLarge, TaskError, TaskTimedout
from flowwire.history import (
    Event,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowStarted,
)
from flowwire.proxy import proxy_targets
from flowwire.replay import Execution, forget, replay
from flowwire.scanner import Registry, scan
from flowwire.task import (
    ActivityMeta,
    ActivityOutcome,
    Workflow,
    WorkflowMeta,
    bind_run_arguments,
    declared_transport,
    meta_of,
    return_hint,
)
from flowwire.transport import Transport

__all__ = ["LocalCompletionClient", "LocalEngine", "run_workflow"]


class LocalEngine:
    """Runs workflows on this machine; nothing else to install or start.

    Args:
        tasks: task classes, modules or package names to find activities and child workflows
            in (see ``flowwire.scanner.scan``); the workflow passed to ``run`` and its
            module are always searched too.
        ignore: module names or patterns skipped while scanning.
        transport: the transport (object or registered name) for every task class that did
            not choose one itself (default: each class's, JSON). In a name, every ``offload``
            stage (``"json+offload"``) stores into ``LocalDirectoryStore(offload_dir)``; so
            does every ``offload`` stage without a store in a transport a task class (or a
            proxy) declares, for example ``transport = "json+offload"``.
        offload_dir: directory of the engine's offload store, given to those ``offload``
            stages; default ``$FLOWWIRE_OFFLOAD_DIR``, else
            ``$XDG_CACHE_HOME/flowwire/offload`` (``~/.cache/flowwire/offload``). Objects
            are content-addressed and never deleted by the engine. Only the local engine has
            this default; other engines need a configured ``Offload`` stage.
        processes: run activities in worker processes instead of threads (activity classes
            must then be importable by module and name; the transport, if given, a name).
        max_workers: size of the activity pool.
        live: keep each run's ``run`` alive between decisions (default). ``False``: full
            replay at every decision, as a stateless SWF decider does.
        verify_replay: also compute every live decision by full replay and raise
            ``AssertionError`` on any difference.
        progress: called about every ``progress_interval`` seconds with counters:
            ``decisions``, ``activities_done``, ``activities_running``, ``runs_open``.

    Raises:
        ConfigurationError: ``transport`` is neither a transport nor a string, or is an object
            while ``processes=True`` (worker processes build the transport from its name);
            ``UnknownTransportError`` when the name is not registered. ``run`` raises it for a
            task whose store-less offload stage the engine cannot give its store to.
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
    ) -> None:
        self._ignore = tuple(ignore)
        self._registry = Registry(scan(*tasks, ignore=self._ignore))
        self._offload_dir = None if offload_dir is None else os.fspath(offload_dir)
        self._transports = EngineTransports(transport, self._offload_dir, processes)
        self._adapt = self._transports.adapt  # the engine's offload store into transports
        self._processes = processes
        self._max_workers = max_workers
        self._live = live
        self._verify = verify_replay
        self._progress = progress
        self._progress_interval = max(progress_interval, 0.01)
        self._messages: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._ids = itertools.count(1)
        self._attempts: dict[str, _Attempt] = {}
        self._dirty: dict[int, _Run] = {}
        self._open_runs: dict[int, _Run] = {}
        self._runs_open = 0
        self._decisions_made = 0
        self._activities_done = 0
        self._lock = threading.Lock()
        self._running = False
        self.histories: dict[str, list[Event]] = {}
        """The histories of the runs of the last ``run`` (root, children, restarts), by
        run id; for inspection and tests."""

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
        """The transport the engine uses for task class ``cls``: its own, else the engine's,
        with the engine's offload store in any ``offload`` stage that has none."""
        return self._transports.for_class(cls)

    def uses_offload_store(self, workflow: type[Workflow]) -> bool:
        """Whether a run of ``workflow`` would give the engine's offload store (``offload_dir``)
        to any transport: the engine's own for classes that chose none, when it is a name with
        an ``offload`` stage, or a class's own with an ``offload`` stage without a store.
        The classes are ``workflow``, the targets of its proxies and the registered ones."""
        return self._transports.uses_offload_store(workflow, self._registry)

    def run(self, workflow: type[Workflow], *args: Any, **kwargs: Any) -> Any:
        """Run ``workflow`` with these arguments to the end and return its decoded result.

        The input is serialized by the workflow class's ``_serialize_arguments`` and the result
        deserialized by its ``_deserialize_result`` (by default: its transport), exactly as a
        starter on SWF does. Restarts (continue-as-new) are followed.

        Raises:
            TaskError: the workflow failed (the error names it and what failed inside), or
                ``TaskTimedout`` when it exceeded its ``workflow_duration``.
            RegistrationError: ``workflow`` is not a decorated workflow, or a duplicate.
            ConfigurationError: the arguments do not bind to the workflow's ``run`` signature
                (checked before anything starts; the message names the workflow).
            EncodeError: the arguments cannot be carried by the workflow's transport.
        """
        if not isinstance(workflow, type) or not issubclass(workflow, Workflow):
            raise TypeError(f"run() needs a Workflow subclass, got {workflow!r}")
        self.register(workflow, sys.modules[workflow.__module__])  # no metadata: raises
        meta = meta_of(workflow)
        for target in proxy_targets(workflow):
            if meta_of(target) is not None:
                self._registry.register(target)
        assert isinstance(meta, WorkflowMeta)
        bind_run_arguments(workflow, args, kwargs)
        self._transports.check_offload_stores(workflow)
        transport = self.transport_for(workflow)
        try:
            payload = workflow._serialize_arguments(tuple(args), dict(kwargs), transport=transport)
        except PayloadTooLarge as exc:
            exc.what = f"input of workflow {meta.name!r} v{meta.version} ({exc.what})"
            raise
        outcome: list[tuple[str, Any]] = []
        with self._lock:
            if self._running:
                raise RuntimeError("this LocalEngine is already running a workflow")
            self._running = True
        workers = ActivityWorkers(
            processes=self._processes,
            max_workers=self._max_workers,
            done=self._activity_done,
            heartbeat=self._heartbeat,
            offload_dir=self._offload_dir,
        )
        self._workers = workers
        self.histories = {}
        self._timers, self._attempts, self._dirty, self._open_runs = [], {}, {}, {}
        try:
            self._start_run(workflow, meta, transport, payload, None, None, outcome)
            self._loop(outcome)
        finally:
            workers.shutdown()
            for run in self._open_runs.values():  # children left running by a finished root
                if run.execution is not None:
                    run.execution.close()
            self._open_runs = {}
            self._running = False
        status, value = outcome[0]
        if status == "completed":
            hint = return_hint(workflow)
            return workflow._deserialize_result(value, transport=transport, type_hint=hint)
        error: TaskError = value
        error.task = error.task or f"workflow {meta.name!r} v{meta.version}"
        raise error

    # -- the loop -----------------------------------------------------------------------

    def _post(self, message: Callable[[], None]) -> None:
        self._messages.put(message)

    def _after(self, seconds: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._timer_seq), action))

    def _loop(self, outcome: list[tuple[str, Any]]) -> None:
        next_report = time.monotonic() + self._progress_interval
        while not outcome:
            self._decide_dirty()
            if outcome:
                break
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                heapq.heappop(self._timers)[2]()
            if self._dirty or outcome:
                continue
            wait = self._timers[0][0] - now if self._timers else None
            if self._progress is not None:
                wait = min(wait, next_report - now) if wait is not None else next_report - now
            try:
                message = self._messages.get(timeout=None if wait is None else max(wait, 0))
                message()
                while True:
                    self._messages.get_nowait()()
            except queue.Empty:
                pass
            if self._progress is not None and time.monotonic() >= next_report:
                next_report = time.monotonic() + self._progress_interval
                self._progress(
                    {
                        "decisions": self._decisions_made,
                        "activities_done": self._activities_done,
                        "activities_running": len(self._attempts),
                        "runs_open": self._runs_open,
                    }
                )

    def _decide_dirty(self) -> None:
        while self._dirty:
            runs = list(self._dirty.values())
            self._dirty.clear()
            for run in runs:
                if not run.closed:
                    self._decide(run)

    def _decide(self, run: _Run) -> None:
        self._decisions_made += 1
        if run.execution is not None:
            decisions = run.execution.decide(run.history)
            if self._verify:
                expected = replay(
                    run.cls, run.history, transport=run.transport, adapt_transport=self._adapt
                )
                if decisions != expected:
                    raise AssertionError(
                        f"live decisions {decisions} differ from replay {expected} for run "
                        f"{run.run_id} after {len(run.history)} events"
                    )
        else:
            decisions = replay(
                run.cls,
                run.history,
                run_id=run.run_id,
                transport=run.transport,
                adapt_transport=self._adapt,
            )
        for decision in decisions:
            self._apply(run, decision)

    def _mark(self, run: _Run) -> None:
        self._dirty[id(run)] = run

    # -- runs ---------------------------------------------------------------------------

    def _start_run(
        self,
        cls: type[Workflow],
        meta: WorkflowMeta,
        transport: Transport,
        payload: str,
        parent: tuple[_Run, str] | None,
        duration: int | None,
        outcome: list[tuple[str, Any]] | None,
    ) -> _Run:
        run_id = f"{meta.name}-{next(self._ids)}"
        execution = Execution(
            cls, run_id=run_id, transport=transport, live=True, adapt_transport=self._adapt
        )
        run = _Run(
            run_id=run_id,
            cls=cls,
            meta=meta,
            transport=transport,
            history=[WorkflowStarted(payload)],
            execution=execution if self._live else None,
            parent=parent,
            workflow_duration=duration or meta.workflow_duration,
        )
        self.histories[run_id] = run.history
        self._open_runs[id(run)] = run
        self._runs_open += 1
        if outcome is not None:
            self._root_outcome = outcome
        self._after(run.workflow_duration, lambda: self._run_timed_out(run))
        self._mark(run)
        return run

    def _close_run(self, run: _Run) -> None:
        run.closed = True
        self._open_runs.pop(id(run), None)
        self._runs_open -= 1
        if run.execution is not None:
            run.execution.close()
        forget(run.run_id)

    def _run_timed_out(self, run: _Run) -> None:
        if run.closed:
            return
        self._close_run(run)
        if run.parent is None:
            error = TaskTimedout(
                f"timed out after its workflow_duration of {run.workflow_duration}s"
            )
            self._root_outcome.append(("failed", error))
        else:
            parent, key = run.parent
            self._event(parent, TaskTimedOut(key, "START_TO_CLOSE"))

    def _event(self, run: _Run, event: Event) -> None:
        if not run.closed:
            run.history.append(event)
            self._mark(run)

    def _apply(self, run: _Run, decision: Decision) -> None:
        if isinstance(decision, ScheduleActivity):
            self._schedule_activity(run, decision)
        elif isinstance(decision, StartChildWorkflow):
            self._start_child(run, decision)
        elif isinstance(decision, StartTimer):
            run.history.append(TimerStarted(decision.key))
            self._after(decision.seconds, lambda: self._event(run, TimerFired(decision.key)))
        elif isinstance(decision, CompleteWorkflow):
            self._finish(run, TaskCompleted, decision.result)
        elif isinstance(decision, FailWorkflow):
            self._finish(run, TaskFailed, decision.reason, decision.details)
        elif isinstance(decision, ContinueAsNew):
            self._close_run(run)
            self._start_run(
                run.cls,
                run.meta,
                run.transport,
                decision.input,
                run.parent,
                decision.workflow_duration or run.workflow_duration,
                None,
            )

    def _finish(self, run: _Run, kind: type[TaskCompleted | TaskFailed], *fields: str) -> None:
        self._close_run(run)
        if run.parent is not None:
            parent, key = run.parent
            self._event(parent, kind(key, *fields))
        elif kind is TaskCompleted:
            self._root_outcome.append(("completed", fields[0]))
        else:
            self._root_outcome.append(("failed", run.transport.deserialize_error(*fields)))

    def _start_child(self, run: _Run, decision: StartChildWorkflow) -> None:
        cls = self._registry.workflow(decision.name, decision.version)
        meta = meta_of(cls)
        options = _requested(decision, ("task_list", "workflow_duration", "decision_duration"))
        if cls is None or not isinstance(meta, WorkflowMeta):
            self._refuse(run, decision, "workflow", options)
            return
        options = {
            "task_list": decision.task_list or meta.task_list,
            "workflow_duration": decision.workflow_duration or meta.workflow_duration,
            "decision_duration": decision.decision_duration or meta.decision_duration,
        }
        run.history.append(
            TaskScheduled(decision.key, decision.name, decision.version, "workflow", options)
        )
        self._start_run(
            cls,
            meta,
            self.transport_for(cls),
            decision.input,
            (run, decision.key),
            decision.workflow_duration,
            None,
        )

    # -- activities ---------------------------------------------------------------------

    def _schedule_activity(self, run: _Run, decision: ScheduleActivity) -> None:
        key = decision.key
        cls = self._registry.activity(decision.name, decision.version)
        meta = meta_of(cls)
        if cls is None or not isinstance(meta, ActivityMeta):
            self._refuse(run, decision, "activity", _requested(decision, _ACTIVITY_OPTIONS))
            return
        heartbeat = decision.heartbeat if decision.heartbeat is not None else meta.heartbeat
        schedule_to_close = decision.schedule_to_close or meta.schedule_to_close
        start_to_close = decision.start_to_close or meta.start_to_close
        options = {
            "task_list": decision.task_list or meta.task_list,
            "heartbeat": heartbeat,
            "schedule_to_close": schedule_to_close,
            "schedule_to_start": decision.schedule_to_start or meta.schedule_to_start,
            "start_to_close": start_to_close,
        }
        run.history.append(TaskScheduled(key, decision.name, decision.version, "activity", options))
        token = f"{run.run_id}:{key}"
        attempt = _Attempt(
            token=token,
            run=run,
            key=key,
            cls=cls,
            transport=self.transport_for(cls),
            heartbeat=heartbeat,
            start_to_close=start_to_close,
        )
        self._attempts[token] = attempt
        self._after(schedule_to_close, lambda: self._timeout(attempt, "SCHEDULE_TO_CLOSE"))
        self._after(attempt.start_to_close, lambda: self._check_start_to_close(attempt))
        if attempt.heartbeat is not None:
            self._after(attempt.heartbeat, lambda: self._check_heartbeat(attempt))
        transport_name = None
        if declared_transport(cls) is None and self._transports.name is not None:
            transport_name = self._transports.name

        def on_start() -> None:
            attempt.started_at = attempt.last_beat = time.monotonic()

        self._workers.submit(
            cls, decision.input, token, attempt.transport, transport_name, on_start
        )

    def _refuse(
        self,
        run: _Run,
        decision: ScheduleActivity | StartChildWorkflow,
        kind: str,
        options: dict[str, Any],
    ) -> None:
        """Record a task whose type nobody registered, and its refusal, as SWF would."""
        name, version = decision.name, decision.version
        run.history.append(TaskScheduled(decision.key, name, version, kind, options))
        code = "ACTIVITY" if kind == "activity" else "WORKFLOW"
        cause = f"{code}_TYPE_DOES_NOT_EXIST: {self._registry.missing(kind, name, version)}"
        self._event(run, TaskScheduleFailed(decision.key, cause))

    def _check_start_to_close(self, attempt: _Attempt) -> None:
        if attempt.closed:
            return
        started = attempt.started_at
        if started is None:  # still queued for a worker
            self._after(attempt.start_to_close, lambda: self._check_start_to_close(attempt))
            return
        remaining = started + attempt.start_to_close - time.monotonic()
        if remaining > 0:
            self._after(remaining, lambda: self._check_start_to_close(attempt))
        else:
            self._timeout(attempt, "START_TO_CLOSE")

    def _check_heartbeat(self, attempt: _Attempt) -> None:
        if attempt.closed or attempt.heartbeat is None:
            return
        last = attempt.last_beat if attempt.started_at is not None else time.monotonic()
        remaining = last + attempt.heartbeat - time.monotonic()
        if remaining > 0:
            self._after(remaining, lambda: self._check_heartbeat(attempt))
        else:
            self._timeout(attempt, "HEARTBEAT")

    def _timeout(self, attempt: _Attempt, timeout_type: str) -> None:
        if attempt.closed:
            return
        self._close_attempt(attempt)
        self._event(attempt.run, TaskTimedOut(attempt.key, timeout_type))

    def _close_attempt(self, attempt: _Attempt) -> None:
        attempt.closed = True
        self._attempts.pop(attempt.token, None)
        self._activities_done += 1

    def _heartbeat(self, token: str) -> bool:
        attempt = self._attempts.get(token)
        if attempt is None or attempt.closed:
            return False
        attempt.last_beat = time.monotonic()
        return True

    def _activity_done(self, token: str, outcome: ActivityOutcome) -> None:
        self._post(lambda: self._record(token, outcome))

    def _record(self, token: str, outcome: ActivityOutcome) -> None:
        attempt = self._attempts.get(token)
        if attempt is None or attempt.closed or outcome.status == "suspended":
            return
        self._close_attempt(attempt)
        if outcome.status == "completed":
            self._event(attempt.run, TaskCompleted(attempt.key, outcome.result))
        else:
            self._event(attempt.run, TaskFailed(attempt.key, outcome.reason, outcome.details))


class LocalCompletionClient:
    """Finishes activities that raised ``flowwire.SuspendTask``, from any thread.

    Tokens are the strings activities read from ``Activity.token``. ``complete`` and
    ``fail`` raise ``LookupError`` for a token that is unknown or already closed (completed,
    failed or timed out).
    """

    def __init__(self, engine: LocalEngine) -> None:
        self._engine = engine

    def _attempt(self, token: str) -> _Attempt:
        attempt = self._engine._attempts.get(token)
        if attempt is None or attempt.closed:
            raise LookupError(f"no open activity task has the token {token!r}")
        return attempt

    def complete(self, token: str, result: Any = None) -> None:
        """Complete the task with ``result``, encoded by the activity's transport.

        Raises:
            LookupError: unknown or closed token.
            EncodeError: the result cannot be carried by the transport.
        """
        attempt = self._attempt(token)
        payload = attempt.transport.serialize_result(result)
        self._engine._activity_done(token, ActivityOutcome("completed", result=payload))

    def fail(self, token: str, reason: str) -> None:
        """Fail the task; the workflow sees a ``TaskError`` carrying ``reason``.

        Raises:
            LookupError: unknown or closed token.
        """
        attempt = self._attempt(token)
        reason_text, details = attempt.transport.serialize_error(TaskError(reason))
        self._engine._activity_done(
            token, ActivityOutcome("failed", reason=reason_text, details=details)
        )

    def heartbeat(self, token: str) -> bool:
        """Record a heartbeat; ``False`` when the task is no longer open (timed out, closed)."""
        return self._engine._heartbeat(token)


_ACTIVITY_OPTIONS = (
    "task_list",
    "heartbeat",
    "schedule_to_close",
    "schedule_to_start",
    "start_to_close",
)


def _requested(decision: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The options a decision asked for (those it set)."""
    return {f: getattr(decision, f) for f in fields if getattr(decision, f) is not None}


def run_workflow(
    workflow: type[Workflow],
    *args: Any,
    transport: Transport | str | None = None,
    tasks: Iterable[type | ModuleType | str] = (),
    **kwargs: Any,
) -> Any:
    """Run ``workflow(*args, **kwargs)`` on a fresh ``LocalEngine`` and return its result.

    Activities and child workflows are found in the workflow's module and in ``tasks``
    (classes, modules, package names). ``transport`` is the engine default for task classes
    that chose none. ``transport`` and ``tasks`` are therefore reserved: to pass workflow
    arguments with those names, use ``LocalEngine(...).run(workflow, ...)``.

    Raises:
        TaskError: the workflow failed (see ``LocalEngine.run``).
    """
    return LocalEngine(tasks, transport=transport).run(workflow, *args, **kwargs)
