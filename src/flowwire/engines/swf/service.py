"""Running deciders and activity workers on threads, with a clean stop.

:class:`WorkerPool` starts ``deciders`` decider threads per decision task list and
``activity_threads`` activity threads per activity task list, all sharing one
:class:`~.bindings.TaskRegistry`. :meth:`WorkerPool.stop` asks every thread to stop after the
task in hand: a poll in flight still returns (within 60 s on SWF, 1 s on moto) and a task it
brings is finished and reported, never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer, activity_runner
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider, HistoryCache, default_identity
from flowwire.engines.swf.worker import ActivityWorker

__all__ = ["WorkerPool"]

log = logging.getLogger("flowwire.swf")


class WorkerPool:
    """Decider and activity worker threads over ``registry``.

    Task lists default to the ones the registered classes declare. Each thread gets its own
    identity (``host:pid:thread``) and its own boto3 client calls through ``swf`` (boto3
    clients are thread-safe). ``live`` is passed to :class:`~.bindings.WorkflowReplayer`.
    ``stagger`` spreads the first polls of each role's threads evenly over that many seconds,
    so they do not poll in lockstep (useful where empty polls return at a fixed period, as on
    moto, which answers an empty poll after 1 s instead of long polling).
    """

    def __init__(
        self,
        swf: SWF,
        registry: TaskRegistry,
        *,
        deciders: int = 1,
        activity_threads: int = 1,
        decision_task_lists: Sequence[str] | None = None,
        activity_task_lists: Sequence[str] | None = None,
        live: bool = True,
        stagger: float = 0.0,
    ) -> None:
        self.swf = swf
        self.stagger = stagger
        self.registry = registry
        self.stop_event = threading.Event()
        self.replayer = WorkflowReplayer(registry, live=live)
        self._threads: list[threading.Thread] = []
        runner = activity_runner(registry)
        lists = (
            registry.task_lists("workflow") if decision_task_lists is None else decision_task_lists
        )
        cache = HistoryCache()  # any decider thread may get a run's next decision task
        self.deciders = [
            Decider(
                swf, task_list, self.replayer, identity=f"{default_identity()}:d{i}", cache=cache
            )
            for task_list in lists
            for i in range(deciders if registry.workflows else 0)
        ]
        lists = (
            registry.task_lists("activity") if activity_task_lists is None else activity_task_lists
        )
        self.activity_workers = [
            ActivityWorker(swf, task_list, runner, identity=f"{default_identity()}:a{i}")
            for task_list in lists
            for i in range(activity_threads if registry.activities else 0)
        ]

    def start(self) -> WorkerPool:
        """Start every thread; returns ``self``."""
        workers: list[Decider | ActivityWorker] = [*self.deciders, *self.activity_workers]
        for number, worker in enumerate(workers):
            kind = "decider" if isinstance(worker, Decider) else "activity"
            group = self.deciders if isinstance(worker, Decider) else self.activity_workers
            delay = self.stagger * group.index(worker) / len(group)  # type: ignore[arg-type]
            thread = threading.Thread(
                target=self._run,
                args=(worker, delay),
                name=f"flowwire-swf-{kind}-{worker.task_list}-{number}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _run(self, worker: Decider | ActivityWorker, delay: float) -> None:
        if delay and self.stop_event.wait(delay):
            return
        try:
            worker.run(self.stop_event)
        except Exception:  # pragma: no cover - run() handles SWF errors itself
            log.exception("worker thread %s died", threading.current_thread().name)

    def stop(self, timeout: float | None = None) -> bool:
        """Ask every thread to stop after its task in hand and wait up to ``timeout`` seconds
        for them; True when all stopped."""
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        alive = any(thread.is_alive() for thread in self._threads)
        if not alive:
            self.replayer.close()
        return not alive

    def join(self) -> None:
        """Wait until :meth:`stop` is called and every thread ended."""
        while any(thread.is_alive() for thread in self._threads):
            for thread in self._threads:
                thread.join(0.5)

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
