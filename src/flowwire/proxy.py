"""Task proxies: class attributes of a workflow that schedule activities and child workflows.

::

    class Checkout(Workflow):
        charge = ActivityProxy("charge", "1", retry=2, delay=5)
        ship = ActivityProxy(ShipActivity)          # name, version, defaults from its decorator

        def run(self, order):
            receipt = self.charge(order)             # a TaskResult
            return self.ship(order, receipt)         # waits for the charge, then ships

Every call gets a deterministic key ``<attribute>-<call number>-<retry number>``, for example
``charge-3-0``; keys stay within ``[A-Za-z0-9_.:-]``, so they are valid SWF activity and timer
ids. Options left at ``None`` take the registered defaults of the task type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowwire.decision import ScheduleActivity, StartChildWorkflow
from flowwire.errors import RegistrationError
from flowwire.task import (
    Activity,
    ActivityMeta,
    Workflow,
    WorkflowMeta,
    resolve_transport,
)
from flowwire.tasktype import TaskType, type_of
from flowwire.transport import Transport

__all__ = ["ActivityProxy", "ProxySpec", "WorkflowProxy", "proxy_targets"]

_KEY_PREFIX = re.compile(r"[A-Za-z0-9_]{1,200}\Z")


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """Everything the decider needs to know about one proxy (resolved once)."""

    kind: str  # "activity" or "workflow"
    attribute: str
    name: str
    version: str
    transport: Transport | None  # the proxy's own transport=, if it has one
    target: TaskType | None  # the target's task type, when the proxy was given a class
    returns: Any
    retry: int
    delay: int
    error_handling: bool
    options: dict[str, Any]

    def describe(self, key: str) -> str:
        """Name the task for error messages: ``activity 'charge' v1 (charge-3-0)``."""
        return f"{self.kind} {self.name!r} v{self.version} ({key})"

    def decision(self, key: str, payload: str) -> ScheduleActivity | StartChildWorkflow:
        if self.kind == "activity":
            return ScheduleActivity(key, self.name, self.version, payload, **self.options)
        return StartChildWorkflow(key, self.name, self.version, payload, **self.options)


class _ProxyCore:
    """What ``ActivityProxy`` and ``WorkflowProxy`` share (composition keeps the public
    classes free of a private base)."""

    def __init__(
        self,
        kind: str,
        base: type,
        defaults: Callable[[Any], dict[str, Any]],
        owner_name: str,
        name: str | type,
        version: str | None,
        *,
        options: dict[str, Any],
        retry: int,
        delay: int,
        error_handling: bool,
        transport: Transport | str | None,
        returns: Any,
    ) -> None:
        self._kind = kind
        self._base = base
        self._defaults = defaults
        self._owner_name = owner_name
        self._target = name
        self._version = version
        self._options = options
        self._retry = retry
        self._delay = delay
        self._error_handling = bool(error_handling)
        self._transport = resolve_transport(transport)
        self._returns = returns
        self._attribute: str | None = None
        self._spec: ProxySpec | None = None
        for what, value in (("retry", retry), ("delay", delay)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RegistrationError(
                    f"{self._label()}: {what} must be a whole number >= 0, got {value!r}"
                )

    def _label(self) -> str:
        target = self._target
        shown = target.__qualname__ if isinstance(target, type) else repr(target)
        return f"{self._owner_name}({shown})"

    def set_name(self, owner: type, name: str) -> None:
        if not _KEY_PREFIX.match(name):
            raise RegistrationError(
                f"{self._label()} is bound to attribute {name!r} of {owner.__qualname__}; call "
                "keys derive from it, so it must match [A-Za-z0-9_]{1,200}"
            )
        self._attribute = name

    def spec(self) -> ProxySpec:
        """Resolve the proxy against its target once; raises ``RegistrationError``."""
        if self._spec is not None:
            return self._spec
        if self._attribute is None:
            raise RegistrationError(
                f"{self._label()} must be a class attribute of a Workflow subclass to be called"
            )
        target, options, returns = self._target, dict(self._options), self._returns
        task_type = None
        if isinstance(target, type):
            task_type = type_of(target)
            if not issubclass(target, self._base) or task_type is None:
                raise RegistrationError(
                    f"{self._label()}: the target must be a decorated "
                    f"flowwire.{self._base.__name__} subclass"
                )
            name, version = task_type.name, task_type.version
            for field, value in self._defaults(task_type.meta).items():
                if options.get(field) is None:
                    options[field] = value
            if returns is Any:
                returns = task_type.return_hint()
        else:
            if not isinstance(target, str) or not target or not isinstance(self._version, str):
                raise RegistrationError(
                    f"{self._label()}: give a task class, or a name and a version (strings)"
                )
            name, version = target, self._version
        self._spec = ProxySpec(
            kind=self._kind,
            attribute=self._attribute,
            name=name,
            version=version,
            transport=self._transport,
            target=task_type,
            returns=returns,
            retry=self._retry,
            delay=self._delay,
            error_handling=self._error_handling,
            options={k: v for k, v in options.items() if v is not None},
        )
        return self._spec

    def bind(self, instance: object) -> Any:
        execution = getattr(instance, "_fw_execution", None)
        if execution is None:
            raise RuntimeError(
                f"{self._label()} can only be called from the run() of a workflow that an "
                "engine is executing"
            )
        spec = self.spec()
        call: Callable[..., Any] = execution.call
        return lambda *args, **kwargs: call(spec, args, kwargs)


class _Proxy:
    """What both proxies share: a descriptor over a :class:`_ProxyCore`."""

    _core: _ProxyCore

    def __set_name__(self, owner: type, name: str) -> None:
        self._core.set_name(owner, name)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self if instance is None else self._core.bind(instance)

    def _spec(self) -> ProxySpec:
        """Resolve the proxy against its target (once). Raises ``RegistrationError``."""
        return self._core.spec()


class ActivityProxy(_Proxy):
    """Schedules an activity from a workflow's ``run``; calling it returns a ``TaskResult``.

    Give either ``(name, version)`` or a decorated ``flowwire.Activity`` subclass (its
    name, version, defaults, transport and ``run`` return type are used). Timeouts are whole
    seconds overriding the registered defaults. ``retry`` is the number of extra attempts after
    a *timeout* (failures are not retried), with ``delay`` seconds between attempts.
    With ``error_handling=False`` a failed task fails the workflow; with ``True`` touching its
    result raises ``flowwire.TaskError``, which ``run`` may catch. ``transport``
    encodes the arguments and decodes the result (default: the task class's, else the
    workflow's). ``returns`` is the type the result is rebuilt as.

    Raises:
        RegistrationError: bad options or target (when the proxy is first used).
    """

    def __init__(
        self,
        name: str | type[Activity],
        version: str | None = None,
        heartbeat: int | None = None,
        schedule_to_close: int | None = None,
        schedule_to_start: int | None = None,
        start_to_close: int | None = None,
        task_list: str | None = None,
        retry: int = 3,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
    ) -> None:
        self._core = _ProxyCore(
            "activity",
            Activity,
            _activity_defaults,
            "ActivityProxy",
            name,
            version,
            options={
                "task_list": task_list,
                "heartbeat": heartbeat,
                "schedule_to_close": schedule_to_close,
                "schedule_to_start": schedule_to_start,
                "start_to_close": start_to_close,
            },
            retry=retry,
            delay=delay,
            error_handling=error_handling,
            transport=transport,
            returns=returns,
        )


def _activity_defaults(meta: ActivityMeta) -> dict[str, Any]:
    return {
        "task_list": meta.task_list,
        "heartbeat": meta.heartbeat,
        "schedule_to_close": meta.schedule_to_close,
        "schedule_to_start": meta.schedule_to_start,
        "start_to_close": meta.start_to_close,
    }


class WorkflowProxy(_Proxy):
    """Starts a child workflow from a workflow's ``run``; calling it returns a ``TaskResult``.

    Same conventions as ``ActivityProxy``; ``workflow_duration`` and
    ``decision_duration`` (seconds) override the child type's registered defaults, and a
    child that exceeds its duration counts as a timeout (retried up to ``retry`` times).
    """

    def __init__(
        self,
        name: str | type[Workflow],
        version: str | None = None,
        decision_duration: int | None = None,
        workflow_duration: int | None = None,
        task_list: str | None = None,
        retry: int = 3,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
    ) -> None:
        self._core = _ProxyCore(
            "workflow",
            Workflow,
            _workflow_defaults,
            "WorkflowProxy",
            name,
            version,
            options={
                "task_list": task_list,
                "workflow_duration": workflow_duration,
                "decision_duration": decision_duration,
            },
            retry=retry,
            delay=delay,
            error_handling=error_handling,
            transport=transport,
            returns=returns,
        )


def _workflow_defaults(meta: WorkflowMeta) -> dict[str, Any]:
    return {
        "task_list": meta.task_list,
        "workflow_duration": meta.workflow_duration,
        "decision_duration": meta.decision_duration,
    }


def proxy_targets(workflow: type) -> list[type]:
    """The task classes that the proxies of ``workflow`` (and, recursively, of the child
    workflows it targets) were given, in discovery order; proxies given a name and version are
    skipped. Engines register these so a workflow's own classes need no explicit listing."""
    found: dict[int, type] = {}
    todo = [workflow]
    while todo:
        cls = todo.pop()
        for klass in cls.__mro__:
            for value in vars(klass).values():
                if not isinstance(value, ActivityProxy | WorkflowProxy):
                    continue
                target = value._core._target
                if isinstance(target, type) and id(target) not in found:
                    found[id(target)] = target
                    todo.append(target)
    return list(found.values())
