"""Binds workflow and activity classes to the SWF workers: the engine's only contact with the
core (:mod:`flowwire.task`, :mod:`flowwire.replay`).

* :class:`TaskRegistry` is the engines' task registry
  (:class:`flowwire.tasktype.TaskRegistry`) with the SWF engine's transport rule: it finds the
  classes by SWF type ``(name, version)`` and turns their decorator metadata into
  registration specs.
* :class:`WorkflowReplayer` answers decision tasks. It keeps a *live* execution per run
  (:class:`flowwire.replay.Execution` with ``live=True``) between decision tasks, so a decision
  costs what changed rather than the whole history; any doubt (first sight of a run in this
  process, a failed answer, a history rebuilt) falls back to a fresh execution over the whole
  history, which the core guarantees decides identically.
* :func:`activity_runner` runs an activity task through :func:`flowwire.task.run_activity`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from flowwire.decision import (
    CancelWorkflow,
    CompleteWorkflow,
    ContinueAsNew,
    Decision,
    FailWorkflow,
)
from flowwire.engines.swf.registration import ActivityTypeSpec, WorkflowTypeSpec
from flowwire.engines.swf.worker import ActivityTask, Failed, Outcome, Runner
from flowwire.errors import RegistrationError, StoreOutage, TaskError
from flowwire.history import Event
from flowwire.replay import Execution, forget
from flowwire.task import (
    Activity,
    ActivityMeta,
    Workflow,
    WorkflowMeta,
    meta_of,
    run_activity,
)
from flowwire.tasktype import TaskRegistry as _TaskRegistry
from flowwire.tasktype import TaskType, type_of
from flowwire.transport import Transport, TransportContext
from flowwire.transport_rule import TransportRule

__all__ = ["TaskRegistry", "WorkflowReplayer", "activity_runner", "workflow_spec"]

TypeKey = tuple[str, str]


class TaskRegistry(_TaskRegistry):
    """The task registry of the SWF engine: :class:`flowwire.tasktype.TaskRegistry` (the one
    registry of every engine), its workflow and activity classes also by SWF type
    ``(name, version)``, and the engine's transport rule.

    ``transport`` is the engine default for task types that chose none (``None``: JSON);
    ``store`` is the engine's offload store (a :class:`~flowwire.transport.stages.BlobStore`),
    given to every ``offload`` stage configured without one. Raises
    :class:`RegistrationError` for an undecorated class or two classes with the same kind,
    name and version.
    """

    def __init__(
        self,
        classes: Iterable[type],
        *,
        transport: Transport | str | None = None,
        store: Any = None,
    ) -> None:
        self.workflows: dict[TypeKey, type[Workflow]] = {}
        self.activities: dict[TypeKey, type[Activity]] = {}
        super().__init__(classes)
        self.rule = TransportRule(transport, context=TransportContext(store=store), lookup=self.get)
        self.transport = self.rule.default

    def add(self, cls: type | TaskType) -> TaskType:
        task_type = super().add(cls)
        workflow = task_type.kind == "workflow"
        table: dict[TypeKey, Any] = self.workflows if workflow else self.activities
        table[task_type.name, task_type.version] = task_type.cls
        return task_type

    def transport_for(self, cls: type) -> Transport:
        """The transport of task class ``cls`` on this engine: its own, else the engine's,
        else JSON, with the engine's offload store (see
        :class:`~flowwire.transport_rule.TransportRule`); the same rule as
        :meth:`flowwire.LocalEngine.transport_for`."""
        return self.rule.of(type_of(cls))

    def task_lists(self, kind: str) -> list[str]:
        """The task lists the registered ``"workflow"`` or ``"activity"`` types default to."""
        table: dict[TypeKey, Any] = self.workflows if kind == "workflow" else self.activities
        lists: list[str] = []
        for cls in table.values():
            meta = meta_of(cls)
            if meta is not None and meta.task_list not in lists:
                lists.append(meta.task_list)
        return lists

    def specs(self) -> list[ActivityTypeSpec | WorkflowTypeSpec]:
        """Registration specs of every class, with the decorators' defaults."""
        specs: list[ActivityTypeSpec | WorkflowTypeSpec] = []
        for cls in self.workflows.values():
            wmeta = meta_of(cls)
            assert isinstance(wmeta, WorkflowMeta)
            specs.append(workflow_spec(wmeta))
        for acls in self.activities.values():
            ameta = meta_of(acls)
            assert isinstance(ameta, ActivityMeta)
            specs.append(
                ActivityTypeSpec(
                    ameta.name,
                    ameta.version,
                    ameta.task_list,
                    heartbeat=ameta.heartbeat,
                    schedule_to_close=ameta.schedule_to_close,
                    schedule_to_start=ameta.schedule_to_start,
                    start_to_close=ameta.start_to_close,
                )
            )
        return specs


def workflow_spec(meta: WorkflowMeta) -> WorkflowTypeSpec:
    """The registration spec of a workflow type's metadata."""
    return WorkflowTypeSpec(
        meta.name,
        meta.version,
        meta.task_list,
        workflow_duration=meta.workflow_duration,
        decision_duration=meta.decision_duration,
    )


_CLOSING = (CompleteWorkflow, FailWorkflow, ContinueAsNew, CancelWorkflow)


class WorkflowReplayer:
    """Decides for the workflow types of ``registry`` (see the module docstring).

    ``live`` keeps up to ``max_live`` runs alive between decision tasks (each one parks a
    thread); ``live=False`` replays the whole history at every decision task.
    """

    def __init__(self, registry: TaskRegistry, *, live: bool = True, max_live: int = 256) -> None:
        self.registry = registry
        self.live = live
        self.max_live = max_live
        self._live: OrderedDict[str, Execution] = OrderedDict()
        self._lock = threading.Lock()

    def decide(
        self, name: str, version: str, run_id: str, history: Sequence[Event]
    ) -> list[Decision]:
        """The decisions of workflow type ``(name, version)`` for run ``run_id`` at ``history``.

        Raises :class:`RegistrationError` for a workflow type this worker does not know, and
        :class:`~flowwire.StoreOutage` when a payload's store cannot be read or written for now
        (the live execution is kept: deciding again resumes it).
        """
        cls = self.registry.workflows.get((name, version))
        if cls is None:
            known = ", ".join(f"{n!r} v{v}" for n, v in self.registry.workflows) or "none"
            raise RegistrationError(
                f"this decider has no workflow {name!r} v{version} (it knows: {known})"
            )
        rule = self.registry.rule
        if not self.live:
            return Execution(cls, run_id=run_id, rule=rule).decide(history)
        with self._lock:
            execution = self._live.pop(run_id, None)  # private to this call until stored again
        if execution is None or execution.closed:
            execution = Execution(cls, run_id=run_id, rule=rule, live=True)
        try:
            decisions = execution.decide(history)
        except StoreOutage:  # the execution resumes where it stopped, at the next try
            with self._lock:
                self._live[run_id] = execution
            raise
        except BaseException:
            execution.close()
            raise
        if decisions and isinstance(decisions[-1], _CLOSING):
            execution.close()
            forget(run_id)
            return decisions
        evicted: list[Execution] = []
        with self._lock:
            self._live[run_id] = execution
            while len(self._live) > self.max_live:
                evicted.append(self._live.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return decisions

    def __call__(
        self, name: str, version: str, run_id: str, history: Sequence[Event]
    ) -> list[Decision]:
        return self.decide(name, version, run_id, history)

    def forget(self, run_id: str) -> None:
        """Discard what is kept for ``run_id``; its next decision replays the whole history."""
        with self._lock:
            execution = self._live.pop(run_id, None)
        if execution is not None:
            execution.close()

    def serialize_error(self, name: str, version: str, exc: BaseException) -> tuple[str, str]:
        """``(reason, details)`` of ``exc`` in workflow type ``(name, version)``'s transport (the
        engine default, then JSON, for a type this replayer does not know)."""
        task_type = self.registry.get("workflow", name, version)
        return self.registry.rule.of(task_type).serialize_error(exc)

    def close(self) -> None:
        """Discard every live execution (their parked threads unwind)."""
        with self._lock:
            executions = list(self._live.values())
            self._live.clear()
        for execution in executions:
            execution.close()


def activity_runner(registry: TaskRegistry) -> Runner:
    """A runner for :class:`~flowwire.engines.swf.worker.ActivityWorker` over ``registry``'s
    activities; an unknown type fails the task with a :class:`TaskError` that says so."""

    def run(task: ActivityTask) -> Outcome:
        cls = registry.activities.get((task.name, task.version))
        if cls is None:
            known = ", ".join(f"{n!r} v{v}" for n, v in registry.activities) or "none"
            error = TaskError(f"no activity {task.name!r} v{task.version} here (known: {known})")
            return Failed(*registry.rule.of(None).serialize_error(error))
        return run_activity(
            cls,
            task.input,
            token=task.token,
            heartbeat=task.heartbeat,
            transport=registry.transport_for(cls),
        )

    return run
