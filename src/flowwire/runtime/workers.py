"""Where the kernel runs activity attempts: worker threads (default) or worker processes.

Only payload strings and the class's import location cross into a worker process; the class is
imported there from the engine's registry entry (never from a payload), and the process builds
the attempt's transport with the same rule as the engine (:class:`~flowwire.transport_rule.
TransportRule` from the engine's default transport *name* and offload directory). Heartbeats
from processes travel back through a multiprocessing queue.

A worker process that dies (killed, crashed, out of memory) loses the attempts it was running:
each is reported to ``lost`` and the engine retries it like a timed-out attempt; the pool is
started again for the attempts that follow. A task failure is only ever what the activity
itself raised.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import queue
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowwire.runtime.store import AttemptRecord
from flowwire.task import ActivityOutcome, run_activity
from flowwire.transport import Transport

if TYPE_CHECKING:  # ProcessWorkers imports them when it starts (22-29 ms a thread run saves)
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["ProcessWorkers", "ThreadWorkers", "Workers"]

Done = Callable[[AttemptRecord, ActivityOutcome], None]
#: reports an outcome and returns the attempt the reporting thread runs next, if any
DoneNext = Callable[[AttemptRecord, ActivityOutcome], "tuple[AttemptRecord, Transport] | None"]
Lost = Callable[[AttemptRecord, str], None]
Beat = Callable[[str], bool]


class Workers:
    """What the kernel needs from a worker pool: ``capacity`` attempts at once."""

    capacity: int

    def submit(self, attempt: AttemptRecord, transport: Transport) -> None:
        raise NotImplementedError

    def shutdown(self, *, kill: bool = False) -> None:
        raise NotImplementedError


class ThreadWorkers(Workers):
    """``capacity`` daemon threads that run attempts and report with ``done``.

    ``done`` returns the attempt the thread runs next, if any (the kernel's
    :meth:`~flowwire.runtime.Kernel.finished_next`: when the reporting thread ran the
    cycle, the first attempt that cycle claimed), so a sequential chain runs on one thread
    without a switch; submitted attempts go to a shared queue.
    """

    def __init__(self, capacity: int, done: DoneNext, heartbeat: Beat) -> None:
        self.capacity = capacity
        self._done = done
        self._heartbeat = heartbeat
        self._queue: queue.SimpleQueue[tuple[AttemptRecord, Transport] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, attempt: AttemptRecord, transport: Transport) -> None:
        threads = self._threads
        if len(threads) < self.capacity:
            thread = threading.Thread(
                target=self._work, name=f"flowwire-activity-{len(threads)}", daemon=True
            )
            threads.append(thread)
            thread.start()
        self._queue.put((attempt, transport))

    def _work(self) -> None:
        get, done, beat = self._queue.get, self._done, self._heartbeat
        item: tuple[AttemptRecord, Transport] | None = None
        while True:
            if item is None:
                item = get()
                if item is None:
                    return
            attempt, transport = item
            try:
                outcome = run_activity(
                    attempt.task_type.cls,
                    attempt.input,
                    token=attempt.token,
                    heartbeat=functools.partial(beat, attempt.token),
                    transport=transport,
                )
            except BaseException as exc:  # even serializing the error failed: still report
                outcome = ActivityOutcome("failed", reason=f"worker: {exc!r}"[:256])
            item = done(attempt, outcome)  # the next attempt, when this thread claimed one

    def shutdown(self, *, kill: bool = False) -> None:
        for _ in self._threads:
            self._queue.put(None)  # threads running an attempt finish it (daemon threads)


_heartbeats: Any = None  # the multiprocessing queue, in worker processes
_rules: dict[tuple[str | None, str | None], Any] = {}


def _init_process(beats: Any) -> None:
    global _heartbeats
    _heartbeats = beats
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle


def _process_heartbeat(token: str) -> Callable[[], bool]:
    def beat() -> bool:
        _heartbeats.put(token)
        return True

    return beat


def _rule_in_process(default: str | None, offload_dir: str | None) -> Any:
    rule = _rules.get((default, offload_dir))
    if rule is None:
        from flowwire.engines.local import local_rule

        rule = _rules[(default, offload_dir)] = local_rule(default, offload_dir)
    return rule


def _run_in_process(
    module: str, qualname: str, payload: str, token: str, default: str | None, store: str | None
) -> ActivityOutcome:
    from flowwire.tasktype import type_of

    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    transport = _rule_in_process(default, store).of(type_of(target))
    return run_activity(
        target, payload, token=token, heartbeat=_process_heartbeat(token), transport=transport
    )


class ProcessWorkers(Workers):
    """A pool of ``capacity`` forked worker processes (activity classes must be importable by
    module and name; the engine's default transport, if any, a registered name)."""

    def __init__(
        self,
        capacity: int,
        done: Done,
        lost: Lost,
        heartbeat: Beat,
        *,
        default: str | None,
        offload_dir: str | None,
    ) -> None:
        self.capacity = capacity
        self._done = done
        self._lost = lost
        self._heartbeat = heartbeat
        self._default = default
        self._offload_dir = offload_dir
        import multiprocessing  # only process mode needs it (a thread-mode run never loads it)
        from concurrent.futures.process import BrokenProcessPool

        self._pool_died: type[BaseException] = BrokenProcessPool
        self._context = multiprocessing.get_context("fork")
        self._beats: Any = self._context.Queue()
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[int, AttemptRecord] = {}  # by id of the future
        self._reader = threading.Thread(
            target=self._read_heartbeats, name="flowwire-heartbeats", daemon=True
        )
        self._reader.start()
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        pool = self._pool
        if pool is None:
            from concurrent.futures import ProcessPoolExecutor

            pool = self._pool = ProcessPoolExecutor(
                self.capacity,
                mp_context=self._context,
                initializer=_init_process,
                initargs=(self._beats,),
            )
        return pool

    def submit(self, attempt: AttemptRecord, transport: Transport) -> None:
        cls = attempt.task_type.cls
        args = (cls.__module__, cls.__qualname__, attempt.input, attempt.token)
        with self._lock:
            try:
                future = self._executor().submit(
                    _run_in_process, *args, self._default, self._offload_dir
                )
            except self._pool_died:  # died since the last attempt: start a new pool
                self._pool = None
                future = self._executor().submit(
                    _run_in_process, *args, self._default, self._offload_dir
                )
            self._running[id(future)] = attempt
        future.add_done_callback(self._finish)

    def _finish(self, future: Future[ActivityOutcome]) -> None:
        with self._lock:
            attempt = self._running.pop(id(future), None)
        if attempt is None:
            return
        try:
            outcome = future.result()
        except self._pool_died as exc:
            with self._lock:
                if self._pool is not None and getattr(self._pool, "_broken", False):
                    self._pool = None  # the next submit starts a new one
            if not self._closed:
                self._lost(attempt, f"worker process died ({exc})")
            return
        except BaseException as exc:  # the class could not be imported, ...: a failure
            outcome = ActivityOutcome("failed", reason=f"worker process: {exc!r}"[:256])
        self._done(attempt, outcome)

    def _read_heartbeats(self) -> None:
        while True:
            try:
                token = self._beats.get()
            except (EOFError, OSError):
                return
            if token is None:
                return
            self._heartbeat(token)

    def pids(self) -> list[int]:
        """The pids of the live worker processes (for tests and operators)."""
        return self.pids_of(self._pool)

    def shutdown(self, *, kill: bool = False) -> None:
        """Stop the pool. Worker processes still running an attempt (whose result nobody
        waits for any more) are killed, so no process outlives the engine."""
        self._closed = True
        pool = self._pool
        self._pool = None
        if pool is not None:
            if kill or self._running:
                for pid in self.pids_of(pool):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            pool.shutdown(wait=True, cancel_futures=True)
        self._beats.put(None)
        self._reader.join(timeout=1)

    @staticmethod
    def pids_of(pool: ProcessPoolExecutor | None) -> list[int]:
        processes = getattr(pool, "_processes", None) or {}
        return [p.pid for p in processes.values() if p.pid is not None]
