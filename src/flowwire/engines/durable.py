"""The durable side of ``LocalEngine(db="flow.db")``: the kernel over a SQLite store.

What :class:`Durable` does for the engine:

* :meth:`~Durable.execute` runs an execution to its end in this process, or resumes it: an
  execution id whose run is open and held by no live process is taken over (its history
  replayed, attempts in flight when its last owner died retried as ``WORKER_LOST``); one held
  by another live process is waited for; one that already closed returns its outcome without
  running anything again.
* :meth:`~Durable.start` records a new execution for a worker to run (no kernel here).
* :meth:`~Durable.wait` waits for an execution any process runs, by reading the file.
* :meth:`~Durable.work` is a worker: it takes over every open execution it has the workflow
  types for (new ones and those of dead workers) and runs them until stopped.
* :meth:`~Durable.signal` queues a signal in the file's inbox (any process); the kernel that
  holds the execution reads the inbox as it polls (``execute`` and ``work`` both do) and
  records the signal in the execution's history.
* :meth:`~Durable.cancel` queues a cancellation request the same way (inbox kind ``cancel``), so
  a request made while no worker runs the execution is delivered when one takes it over.

Run ids are ``NAME-<12 hex digits>`` so that every process sharing the file makes unique ones.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowwire._backoff import retry_writes
from flowwire.errors import ConfigurationError, StoreError
from flowwire.history import WorkflowStarted
from flowwire.runtime.kernel import Kernel
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import Batch, InboxItem, RunRecord, StoredEvent
from flowwire.tasktype import TaskType
from flowwire.transport import Transport
from flowwire.waits import unknown_execution

if TYPE_CHECKING:
    from flowwire.engines.local import LocalEngine

__all__ = ["Durable", "Started", "new_run_id"]

Notice = Callable[[str], None]


def new_run_id(task_type: TaskType) -> str:
    """A run id unique across processes: ``NAME-<12 hex digits>``."""
    return f"{task_type.name}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class Started:
    """An execution recorded by :meth:`Durable.start`: its ids, and ``existing`` when it was
    already running (``attach=True``) rather than started now."""

    workflow_id: str
    run_id: str
    existing: bool = False


class Durable:
    """The SQLite-backed operations of one :class:`~flowwire.engines.local.LocalEngine`."""

    def __init__(self, engine: LocalEngine, path: str, synchronous: str) -> None:
        self.engine = engine
        self.path = path
        self.synchronous = synchronous

    def open(self, *, readonly: bool = False) -> SQLiteStore:
        """A store on the engine's file (``StoreError`` when it cannot be used)."""
        return SQLiteStore(self.path, synchronous=self.synchronous, readonly=readonly)

    def _kernel(self, store: SQLiteStore) -> Kernel:
        engine = self.engine
        kernel = Kernel(
            store=store,
            types=engine._registry,
            rule=engine.rule,
            workers=engine._workers,
            live=engine._live,
            verify=engine._verify,
            new_run_id=new_run_id,
        )
        kernel.elsewhere = store.is_open
        period = store.lease / 3

        def renew(now: float) -> None:
            store.renew()
            kernel.call_at(now + period, renew)

        kernel.call_at(time.time() + period, renew)
        return kernel

    # -- one execution, in this process ------------------------------------------------------

    def execute(
        self,
        task_type: TaskType,
        payload: str,
        transport: Transport,
        workflow_id: str | None,
        notice: Notice | None,
    ) -> RunRecord:
        """Run (or resume, or wait for) the execution ``workflow_id`` to its end; returns the
        record of its last run. See the module docstring.

        Raises:
            StoreError: the file cannot be used or written.
            ConfigurationError: ``workflow_id`` names an execution of another workflow type,
                or one started with other arguments.
        """
        engine = self.engine
        store = engine.store = self.open()
        workflow_id = workflow_id or new_run_id(task_type)
        existing = store.find(workflow_id)
        if existing is not None:
            self._check_same(store, existing, task_type, payload, transport)
            if not existing.is_open:
                if notice:
                    notice(f"{workflow_id} already closed ({existing.status}); not run again")
                return self._final(store, existing)
            holder = store.holder(existing.run_id)
            if holder is not None:
                if notice:
                    notice(f"{workflow_id} is running in process {holder.pid}; waiting for it")
                return self._poll(store, workflow_id, None, 0.1)
        with self._session(store) as kernel:
            if existing is None:
                run_id = kernel.start(task_type, payload, workflow_id=workflow_id)
            else:
                recovered = store.adopt(_any_type, workflow_id=workflow_id)
                if not recovered:  # another process took it over first: wait for that one
                    return self._poll(store, workflow_id, None, 0.1)
                if notice:
                    root = recovered[0]
                    notice(
                        f"resuming {workflow_id} (run {root.record.run_id}) from "
                        f"{len(root.history)} stored events"
                    )
                run_id = kernel.resume(recovered)[0]
            inbox = _Inbox(store, kernel)
            return kernel.wait(
                run_id,
                progress=engine._progress,
                interval=engine._progress_interval,
                poll=inbox.poll,
            )

    def _check_same(
        self,
        store: SQLiteStore,
        record: RunRecord,
        task_type: TaskType,
        payload: str,
        transport: Transport,
    ) -> None:
        first = store.chain(record.workflow_id)[0]
        if (first.name, first.version) != (task_type.name, task_type.version):
            raise ConfigurationError(
                f"{self.path}: execution {record.workflow_id!r} is a run of workflow "
                f"{first.name!r} v{first.version}, not of {task_type.describe()}"
            )
        if first.input != payload and transport.deserialize_arguments(
            first.input
        ) != transport.deserialize_arguments(payload):
            raise ConfigurationError(
                f"{self.path}: execution {record.workflow_id!r} was started with other "
                f"arguments ({first.input[:200]}); give the same arguments to resume it, or "
                "another id to start a new execution"
            )

    def _final(self, store: SQLiteStore, record: RunRecord) -> RunRecord:
        while record.next_run_id is not None:
            following = store.run(record.next_run_id)
            if following is None:
                break
            record = following
        return record

    def _poll(
        self, store: SQLiteStore, workflow_id: str, timeout: float | None, interval: float
    ) -> RunRecord:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = store.find(workflow_id)
            if record is None:
                raise StoreError(f"{self.path}: no execution {workflow_id!r}", path=self.path)
            if not record.is_open:
                final = self._final(store, record)
                if not final.is_open:
                    return final
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"execution {workflow_id!r} did not close within {timeout} s")
            time.sleep(interval)

    # -- starters and workers ----------------------------------------------------------------

    def start(
        self, task_type: TaskType, payload: str, workflow_id: str | None, attach: bool
    ) -> Started:
        """Record a new execution of ``task_type`` with input ``payload`` (no worker here).

        Raises:
            StoreError: ``workflow_id`` is already running (unless ``attach``: then that run
                is returned with ``existing=True``), or the file cannot be used.
        """
        store = self.open()
        try:
            workflow_id = workflow_id or new_run_id(task_type)
            existing = store.find(workflow_id)
            if existing is not None and existing.is_open:
                if attach:
                    return Started(workflow_id, existing.run_id, existing=True)
                raise _already_running(self.path, existing)
            meta: Any = task_type.meta
            now = time.time()
            record = RunRecord(
                run_id=new_run_id(task_type),
                workflow_id=workflow_id,
                name=task_type.name,
                version=task_type.version,
                task_list=task_type.task_list,
                input=payload,
                started_at=now,
                deadline=now + meta.workflow_duration,
            )
            event = StoredEvent(record.run_id, WorkflowStarted(payload), now)
            try:
                store.commit(Batch(runs=[record], events=[event]))
            except StoreError as exc:
                if "UNIQUE" in str(exc) and not attach:  # a concurrent start won
                    running = store.find(workflow_id)
                    if running is not None and running.is_open:
                        raise _already_running(self.path, running) from exc
                raise
            return Started(workflow_id, record.run_id)
        finally:
            store.close()

    def wait(self, workflow_id: str, timeout: float | None, interval: float) -> RunRecord:
        """The record of the last run of execution ``workflow_id`` once it closed (any
        process runs it). Raises ``TimeoutError`` after ``timeout`` seconds."""
        store = self.open(readonly=True)
        try:
            return self._poll(store, workflow_id, timeout, interval)
        finally:
            store.close()

    def work(
        self,
        stop: threading.Event,
        *,
        interval: float,
        max_runs: int,
        grace: float,
        notice: Notice | None,
    ) -> None:
        """Serve the file until ``stop`` is set (see the module docstring), then hand no new
        attempts to workers, wait up to ``grace`` seconds for those they hold, and release the
        runs (another worker may take them over at once)."""
        engine = self.engine
        store = engine.store = self.open()
        registry = engine._registry

        def accepts(name: str, version: str) -> bool:
            return registry.get("workflow", name, version) is not None

        def poll(kernel: Kernel, inbox: _Inbox) -> None:
            inbox.poll()
            room = max_runs - kernel.counters()["runs_open"]
            if room <= 0:
                return
            recovered = store.adopt(accepts, limit=room)
            if recovered:
                kernel.resume(recovered)
                if notice:
                    for item in recovered:
                        if item.record.parent is None:
                            notice(
                                f"took over {item.record.workflow_id} (run "
                                f"{item.record.run_id}, {len(item.history)} events)"
                            )

        try:
            with self._session(store) as kernel:
                inbox = _Inbox(store, kernel)
                kernel.serve(stop, poll=lambda: poll(kernel, inbox), interval=interval)
                kernel.drain()
                deadline = time.monotonic() + grace
                while kernel.running and time.monotonic() < deadline:
                    time.sleep(0.02)
        finally:
            store.close()

    def signal(self, execution_id: str, name: str, value: Any) -> None:
        """Queue the signal ``name`` with ``value`` for the open execution ``execution_id``
        (workflow id or run id), encoded by the transport of its workflow type (registered
        here; else the engine's default transport).

        Raises:
            UnknownExecutionError: no open execution has that id.
            StoreError: the file cannot be used or written.
        """
        store = self.open()
        try:
            found = store.find(execution_id)
            if found is None or not found.is_open:
                raise unknown_execution(execution_id)
            task_type = self.engine._registry.get("workflow", found.name, found.version)
            transport = self.engine.rule.of(task_type)
            payload = retry_writes(lambda: transport.serialize_result(value))
            try:
                store.enqueue(found.workflow_id, "signal", name, payload)
            except LookupError:  # it closed in between
                raise unknown_execution(execution_id) from None
        finally:
            store.close()

    def cancel(self, execution_id: str) -> None:
        """Queue a cancellation request for the open execution ``execution_id`` (workflow id
        or run id); the kernel that holds it (now, or the next to take it over) delivers it.

        Raises:
            UnknownExecutionError: no open execution has that id.
            StoreError: the file does not exist (nothing to cancel in it), or cannot be used
                or written.
        """
        if not os.path.exists(self.path):
            raise StoreError(
                f"{self.path}: no such file, so no execution to cancel in it", path=self.path
            )
        store = self.open()
        try:
            store.enqueue(execution_id, "cancel", None, None)
        except LookupError:  # unknown, or closed
            raise unknown_execution(execution_id) from None
        finally:
            store.close()

    @contextlib.contextmanager
    def _session(self, store: SQLiteStore) -> Iterator[Kernel]:
        """Register as an owner of ``store`` and run a kernel over it; afterwards stop it
        (worker processes killed on Ctrl-C) and release its runs for another process."""
        engine = self.engine
        store.register()
        kernel = engine._kernel = self._kernel(store)
        interrupted = False
        try:
            yield kernel
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            kernel.stop(kill=interrupted)
            engine._kernel = None
            with contextlib.suppress(StoreError):  # the error that stopped it says more
                store.release()


class _Inbox:
    """Hands the inbox entries of the executions a kernel holds to it, each once: an entry
    stays in the file until the commit that records it, so entries handed over but not yet
    committed are remembered and skipped."""

    def __init__(self, store: SQLiteStore, kernel: Kernel) -> None:
        self.store, self.kernel = store, kernel
        self._handed: set[int] = set()

    def poll(self) -> None:
        items: list[InboxItem] = self.store.inbox()
        waiting = {item.id for item in items}
        self._handed &= waiting  # the others were committed (deleted)
        new = [item for item in items if item.id not in self._handed]
        if new:
            self._handed.update(item.id for item in new)
            self.kernel.deliver(new)


def _any_type(name: str, version: str) -> bool:
    return True  # resuming a named execution: its type was checked already


def _already_running(path: str, record: RunRecord) -> StoreError:
    return StoreError(
        f"{path}: execution {record.workflow_id!r} is already running (run {record.run_id}, "
        f"workflow {record.name!r} v{record.version}); give another id, or attach to it",
        path=path,
    )
