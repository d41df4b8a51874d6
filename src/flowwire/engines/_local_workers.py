"""Where the local engine runs activity attempts: a thread pool (default) or a process pool.

Only payload strings and the class's import location cross into a worker process; the
activity class is imported there from the engine's own registry entry (never from a payload).
Heartbeats from processes travel back through a multiprocessing queue. A worker process
builds the attempt's transport with the helpers of ``_local_transports``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from flowwire.engines._local_transports import transport_by_name, with_default_store
from flowwire.task import Activity, ActivityOutcome, declared_transport, run_activity
from flowwire.transport import Transport

__all__ = ["ActivityWorkers"]

_heartbeats: Any = None  # the multiprocessing queue, in worker processes


def _init_process(queue: Any) -> None:
    global _heartbeats
    _heartbeats = queue


def _process_heartbeat(token: str) -> Callable[[], bool]:
    def beat() -> bool:
        _heartbeats.put(token)
        return True

    return beat


def _run_in_process(
    module: str,
    qualname: str,
    payload: str,
    token: str,
    transport_name: str | None,
    offload_dir: str | None,
) -> ActivityOutcome:
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    transport: Transport | None
    if transport_name:
        transport = transport_by_name(transport_name, offload_dir)
    else:  # the class's own; a store-less offload stage gets the engine's store
        declared = declared_transport(target)
        transport = None if declared is None else with_default_store(declared, offload_dir)
    return run_activity(
        target, payload, token=token, heartbeat=_process_heartbeat(token), transport=transport
    )


class ActivityWorkers:
    """Runs attempts and reports each outcome with ``done(token, outcome)`` (any thread).

    ``heartbeat(token)`` is called for every heartbeat and returns whether the attempt is
    still wanted. In process mode the attempt's transport must be a registered name (the
    engine's default, built in the worker with :func:`transport_by_name` and ``offload_dir``)
    or the class's own.
    """

    def __init__(
        self,
        *,
        processes: bool,
        max_workers: int | None,
        done: Callable[[str, ActivityOutcome], None],
        heartbeat: Callable[[str], bool],
        offload_dir: str | None = None,
    ) -> None:
        self._offload_dir = offload_dir
        self._done = done
        self._heartbeat = heartbeat
        self._processes = processes
        self._queue: Any = None
        self._reader: threading.Thread | None = None
        self._executor: Executor
        if processes:
            context = multiprocessing.get_context("fork")
            self._queue = context.Queue()
            self._executor = ProcessPoolExecutor(
                max_workers, mp_context=context, initializer=_init_process, initargs=(self._queue,)
            )
            self._reader = threading.Thread(
                target=self._read_heartbeats, name="flowwire-heartbeats", daemon=True
            )
            self._reader.start()
        else:
            self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="flowwire-activity")

    def submit(
        self,
        cls: type[Activity],
        payload: str,
        token: str,
        transport: Transport | None,
        transport_name: str | None,
        on_start: Callable[[], None],
    ) -> None:
        if self._processes:
            future: Future[ActivityOutcome] = self._executor.submit(
                _run_in_process,
                cls.__module__,
                cls.__qualname__,
                payload,
                token,
                transport_name,
                self._offload_dir,
            )
            on_start()
            future.add_done_callback(lambda f: self._finish(token, f))
            return

        def work() -> None:
            on_start()
            try:
                outcome = run_activity(
                    cls,
                    payload,
                    token=token,
                    heartbeat=lambda: self._heartbeat(token),
                    transport=transport,
                )
            except BaseException as exc:  # even serializing the error failed: still report
                outcome = ActivityOutcome("failed", reason=f"worker: {exc!r}"[:256])
            self._done(token, outcome)

        self._executor.submit(work)

    def _finish(self, token: str, future: Future[ActivityOutcome]) -> None:
        try:
            outcome = future.result()
        except Exception as exc:  # the worker process died or the class could not be imported
            outcome = ActivityOutcome("failed", reason=f"worker process: {exc!r}"[:256])
        self._done(token, outcome)

    def _read_heartbeats(self) -> None:
        while True:
            token = self._queue.get()
            if token is None:
                return
            self._heartbeat(token)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._queue is not None:
            self._queue.put(None)
            if self._reader is not None:
                self._reader.join(timeout=1)
