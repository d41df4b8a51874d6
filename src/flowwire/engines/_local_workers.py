"""Where the local engine runs activity attempts: a thread pool (default) or a process pool.

Only payload strings and the class's import location cross into a worker process; the
activity class is imported there from the engine's own registry entry (never from a payload).
Heartbeats from processes travel back through a multiprocessing queue.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from flowwire.task import Activity, ActivityOutcome, declared_transport, run_activity
from flowwire.transport import Transport

__all__ = [
    "ActivityWorkers",
    "default_offload_dir",
    "has_storeless_offload",
    "transport_by_name",
    "uses_offload_store",
    "with_default_store",
]

_heartbeats: Any = None  # the multiprocessing queue, in worker processes


def _init_process(queue: Any) -> None:
    global _heartbeats
    _heartbeats = queue


def _process_heartbeat(token: str) -> Callable[[], bool]:
    def beat() -> bool:
        _heartbeats.put(token)
        return True

    return beat


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


def transport_by_name(name: str, offload_dir: str | os.PathLike[str] | None) -> Transport:
    """Build the registered transport ``name`` as the local engine uses it.

    Every ``offload`` stage in a ``codec+stage`` name becomes ``Offload(LocalDirectoryStore(
    offload_dir))`` (the store named ``"local"``), so ``"json+offload"`` works without further
    configuration; other names are exactly :func:`~flowwire.transport.get_transport`.

    Raises:
        UnknownTransportError: the name or one of its stages is not registered.
        ConfigurationError: ``offload_dir`` exists and is not a directory.
    """
    from flowwire.transport import get_transport

    base, *stage_names = name.split("+")
    if "offload" not in stage_names:
        return get_transport(name)
    from flowwire.transport.stages import LocalDirectoryStore, Offload

    directory = default_offload_dir() if offload_dir is None else offload_dir
    stage = Offload(LocalDirectoryStore(directory))
    stages: list[Any] = [stage if s == "offload" else s for s in stage_names]
    return get_transport(base, stages=stages)


def has_storeless_offload(transport: object) -> bool:
    """Whether ``transport`` has an ``offload`` stage without a store (``"json+offload"`` built
    by :func:`~flowwire.transport.get_transport`, which has no store to give it)."""
    from flowwire.transport.stages import UnconfiguredOffload

    return any(isinstance(s, UnconfiguredOffload) for s in getattr(transport, "stages", ()))


def with_default_store(transport: Transport, offload_dir: str | None) -> Transport:
    """``transport`` with every store-less ``offload`` stage replaced by ``Offload(
    LocalDirectoryStore(offload_dir or default_offload_dir()))``, every other stage and option
    kept; ``transport`` itself when it has no such stage or is not a built-in
    :class:`~flowwire.transport.CodecTransport` (which the engine cannot rebuild)."""
    from flowwire.transport import CodecTransport, JSONTransport, MsgpackTransport
    from flowwire.transport.stages import LocalDirectoryStore, Offload, UnconfiguredOffload

    if not has_storeless_offload(transport) or not isinstance(transport, CodecTransport):
        return transport
    kind = type(transport)
    protobuf = sys.modules.get("flowwire.transport.protobuf")  # loaded if transport is one
    builtin = (JSONTransport, MsgpackTransport, getattr(protobuf, "ProtobufTransport", None))
    if kind is not CodecTransport and kind not in builtin:
        return transport  # a subclass may take other options: the engine cannot rebuild it
    directory = default_offload_dir() if offload_dir is None else offload_dir
    store = Offload(LocalDirectoryStore(directory))
    options: dict[str, Any] = {
        "stages": [store if isinstance(s, UnconfiguredOffload) else s for s in transport.stages],
        "accept": transport.accept,
        "max_payload_chars": transport.max_payload_chars,
        "max_depth": transport.max_depth,
        "name": transport.name,
        "armor": transport.armor,
    }
    if kind is CodecTransport:
        return CodecTransport(transport.codec, **options)
    return kind(**options)


def uses_offload_store(
    classes: Iterable[type], engine_transport: Transport | None, engine_name: str | None
) -> bool:
    """Whether the local engine's offload store would serve any of ``classes``: through the
    engine's transport (``engine_transport``, built from ``engine_name`` if it is a name) for
    a class that chose none, or through a class's own transport with a store-less stage."""
    engine_uses = "offload" in (engine_name or "").split("+")[1:] or has_storeless_offload(
        engine_transport
    )
    for cls in classes:
        declared = declared_transport(cls)
        if engine_uses if declared is None else has_storeless_offload(declared):
            return True
    return False


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


def monotonic() -> float:
    return time.monotonic()
