"""Task proxies: class attributes of a workflow that schedule activities and child workflows.

::

    class Checkout(Workflow):
        charge = ActivityProxy("charge", "1", retry=2, delay=5)
        ship = ActivityProxy(ShipActivity)          # name, version, defaults from its decorator

        def run(self, order):
            receipt = self.charge(order)             # a TaskResult
            urgent = self.ship.options(start_to_close=30)
            return urgent(order, receipt)            # waits for the charge, then ships

Every call gets a deterministic key ``<attribute>-<call number>-<retry number>``, for example
``charge-3-0``; keys stay within ``[A-Za-z0-9_.:-]``, so they are valid SWF activity and timer
ids. Options left at ``None`` take the registered defaults of the task type; ``options(...)``
overrides the proxy's for the calls made through what it returns (:class:`BoundProxy`).

Every mistake in a proxy (name, version, options, target) raises ``RegistrationError`` when the
``Workflow`` subclass holding it is defined (:func:`check_proxies`, called by
``Workflow.__init_subclass__``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload

from flowwire._checks import check_name, check_seconds, check_version
from flowwire.decision import ScheduleActivity, StartChildWorkflow
from flowwire.errors import RegistrationError
from flowwire.retry import RetryPolicy, check_retry
from flowwire.task import (
    Activity,
    ActivityMeta,
    Workflow,
    WorkflowMeta,
    resolve_transport,
)
from flowwire.tasktype import TaskType, type_of
from flowwire.transport import Transport

if TYPE_CHECKING:
    pass

__all__ = [
    "ActivityProxy",
    "BoundProxy",
    "ProxySpec",
    "TaskClass",
    "WorkflowProxy",
    "check_proxies",
    "proxy_targets",
]

P = ParamSpec("P")
R = TypeVar("R", covariant=True)


class TaskClass(Protocol[P, R]):
    """For type checkers: a task class whose ``run`` takes ``P`` and returns ``R``.

    A proxy given such a class (``ActivityProxy(Charge)``) is typed by its ``run``: calling
    ``self.charge(...)`` in a workflow is checked against ``Charge.run``'s parameters and
    gives a value of its return type (at run time a ``TaskResult`` that stands for it), so a
    type checker flags a wrong argument or a misused result. A proxy given a name and a
    version takes any arguments and gives ``Any``.
    """

    def run(self, *args: P.args, **kwargs: P.kwargs) -> R: ...


_KEY_PREFIX = re.compile(r"[A-Za-z0-9_]{1,200}\Z")

#: the options each kind of task takes (timeouts in seconds), as the decisions carry them
TASK_OPTIONS = {
    "activity": (
        "task_list",
        "heartbeat",
        "schedule_to_close",
        "schedule_to_start",
        "start_to_close",
    ),
    "workflow": ("task_list", "workflow_duration", "decision_duration"),
}
#: the options the decider itself applies to each call
CALL_OPTIONS = ("retry", "delay", "error_handling")
#: ``retry`` of a proxy that sets none and whose target sets none: three more attempts after
#: a timeout (failures are not retried)
DEFAULT_RETRY = 3
_A_CALL = {"activity": "an activity call", "workflow": "a child workflow call"}


def _check_task_options(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``options`` checked: ``task_list`` a name, every other one seconds; ``None`` = unset."""
    checked: dict[str, Any] = {}
    for field, value in options.items():
        if value is None:
            checked[field] = None
        elif field == "task_list":
            checked[field] = check_name("task_list", value, where)
        else:
            checked[field] = check_seconds(field, value, where)
    return checked


def _check_count(what: str, value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RegistrationError(f"{where}: {what} must be a whole number >= 0, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """Everything the decider needs to know about one proxy (resolved once).

    ``target`` is the task type of the class the proxy was given (``None`` for a name and a
    version): its class's ``_serialize_arguments`` / ``_deserialize_result`` encode the calls
    and decode the results. ``transport`` is the proxy's own ``transport=`` (``None``: the
    engine's transport rule picks the target type's).
    """

    kind: str  # "activity" or "workflow"
    attribute: str
    name: str
    version: str
    transport: Transport | None  # the proxy's own transport=, if it has one
    target: TaskType | None  # the target's task type, when the proxy was given a class
    returns: Any
    retry: int | RetryPolicy
    delay: int
    error_handling: bool
    options: dict[str, Any]
    #: (child workflows) cancel the child when the workflow calling it is told to cancel
    cancel_with_parent: bool = True

    def describe(self, key: str) -> str:
        """Name the task for error messages: ``activity 'charge' v1 (charge-3-0)``."""
        return f"{self.kind} {self.name!r} v{self.version} ({key})"

    def decision(self, key: str, payload: str) -> ScheduleActivity | StartChildWorkflow:
        if self.kind == "activity":
            return ScheduleActivity(key, self.name, self.version, payload, **self.options)
        return StartChildWorkflow(key, self.name, self.version, payload, **self.options)

    def with_options(self, overrides: Mapping[str, Any], where: str) -> ProxySpec:
        """This spec with the per-call ``overrides`` (``None`` leaves an option as it is),
        checked exactly as proxy options are.

        Raises:
            RegistrationError: an unknown option (with the closest known one) or a bad value,
                naming the option and the value.
        """
        allowed = (*TASK_OPTIONS[self.kind], *CALL_OPTIONS)
        task: dict[str, Any] = {}
        call: dict[str, Any] = {}
        for field, value in overrides.items():
            if field not in allowed:
                close = difflib.get_close_matches(field, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise RegistrationError(
                    f"{where}: {field!r} is not an option of {_A_CALL[self.kind]} (options: "
                    f"{', '.join(allowed)}){hint}"
                )
            if value is None:
                continue
            if field == "error_handling":
                call[field] = bool(value)
            elif field == "delay":
                call[field] = _check_count(field, value, where)
            elif field == "retry":
                call[field] = value  # checked below, with the delay it goes with
            else:
                task[field] = value
        if "retry" in call or "delay" in call:
            retry = call.get("retry", self.retry)
            delay = call.get("delay", 0 if isinstance(retry, RetryPolicy) else self.delay)
            call["retry"] = check_retry(retry, where, delay=delay)
            call["delay"] = delay
        if not task and not call:
            return self
        options = {**self.options, **_check_task_options(task, where)}
        return dataclasses.replace(self, options=options, **call)


class _ProxyCore:
    """What ``ActivityProxy`` and ``WorkflowProxy`` share (composition keeps the public
    classes free of a private base).

    Everything that can be wrong with a proxy is found in ``__init__`` and kept; it is raised
    by :meth:`check` when the owning ``Workflow`` subclass is created (its
    ``__init_subclass__``), where the class and the attribute are known. (``__set_name__``
    cannot raise it: Python 3.11 wraps its exceptions in ``RuntimeError``.)
    """

    def __init__(
        self,
        kind: str,
        base: type,
        defaults: Callable[[Any], dict[str, Any]],
        owner_name: str,
        name: str | type,
        version: str | int | None,
        *,
        options: dict[str, Any],
        retry: int | RetryPolicy | None,
        delay: int,
        error_handling: bool,
        transport: Transport | str | None,
        returns: Any,
        cancel_with_parent: bool = True,
    ) -> None:
        self._kind = kind
        self._base = base
        self._defaults = defaults
        self._owner_name = owner_name
        self._target = name
        self._given_version = version
        self._retry = retry
        self._delay = delay
        self._error_handling = bool(error_handling)
        self._transport = resolve_transport(transport)
        self._returns = returns
        self._cancel_with_parent = cancel_with_parent
        self._attribute: str | None = None
        self._spec: ProxySpec | None = None
        self._error: str | None = None
        self._name = self._version = ""
        self._options: dict[str, Any] = {}
        try:
            self._resolve(options)
        except RegistrationError as exc:
            self._error = str(exc)

    def _label(self) -> str:
        target = self._target
        if isinstance(target, type):
            return f"{self._owner_name}({target.__qualname__})"
        return f"{self._owner_name}({target!r}, {self._given_version!r})"

    def _resolve(self, options: dict[str, Any]) -> None:
        where = self._label()
        _check_count("delay", self._delay, where)
        if not isinstance(self._cancel_with_parent, bool):
            raise RegistrationError(
                f"{where}: cancel_with_parent must be True or False, got "
                f"{self._cancel_with_parent!r}"
            )
        if self._retry is not None:
            self._retry = check_retry(self._retry, where, delay=self._delay)
        options = _check_task_options(options, where)
        target = self._target
        if isinstance(target, type):
            task_type = type_of(target)
            meta = None if task_type is None else task_type.meta
            if not issubclass(target, self._base) or meta is None:
                raise RegistrationError(
                    f"{where}: the target must be a decorated flowwire.{self._base.__name__} "
                    f"subclass (a @{self._kind}(...) class), got {target.__qualname__}"
                )
            if self._given_version is not None:
                raise RegistrationError(
                    f"{where}: a task class brings its own version; got version "
                    f"{self._given_version!r} too"
                )
            self._name, self._version = meta.name, meta.version
            if self._retry is None and meta.retry is not None:  # the type's default
                self._retry = meta.retry
                if isinstance(meta.retry, RetryPolicy) and self._delay:
                    raise RegistrationError(
                        f"{where}: delay={self._delay!r} applies to an integer retry; the "
                        f"retry policy of {target.__qualname__} sets its own initial_interval"
                    )
            for field, value in self._defaults(meta).items():
                if options.get(field) is None:
                    options[field] = value
        else:
            if not isinstance(target, str):
                raise RegistrationError(
                    f"{where}: give a task class, or a name (a string) and a version, "
                    f"got {target!r}"
                )
            if self._given_version is None:
                raise RegistrationError(f"{where}: a proxy given a name needs a version too")
            self._name = check_name("name", target, where)
            self._version = check_version(self._given_version, where)
        self._options = {k: v for k, v in options.items() if v is not None}

    def set_name(self, owner: type, name: str) -> None:
        self._attribute = name

    def check(self, owner: type, name: str) -> None:
        """Raise what is wrong with this proxy as the attribute ``name`` of ``owner``.

        Raises:
            RegistrationError: naming ``owner.name``, the proxy and the bad value.
        """
        where = f"{owner.__qualname__}.{name}"
        if self._error is not None:
            raise RegistrationError(f"{where} = {self._error}")
        if not _KEY_PREFIX.match(name):
            raise RegistrationError(
                f"{where} = {self._label()}: call keys derive from the attribute name, so it "
                "must match [A-Za-z0-9_]{1,200}"
            )

    def spec(self) -> ProxySpec:
        """Resolve the proxy against its target once; raises ``RegistrationError``."""
        if self._spec is not None:
            return self._spec
        if self._error is not None:
            raise RegistrationError(self._error)
        if self._attribute is None:
            raise RegistrationError(
                f"{self._label()} must be a class attribute of a Workflow subclass to be called"
            )
        target = self._target if isinstance(self._target, type) else None
        task_type = None if target is None else type_of(target)  # checked in _resolve
        returns = self._returns
        if task_type is not None and returns is Any:
            returns = task_type.return_hint()
        self._spec = ProxySpec(
            kind=self._kind,
            attribute=self._attribute,
            name=self._name,
            version=self._version,
            transport=self._transport,
            target=task_type,
            returns=returns,
            retry=DEFAULT_RETRY if self._retry is None else self._retry,
            delay=self._delay,
            error_handling=self._error_handling,
            options=dict(self._options),
            cancel_with_parent=self._cancel_with_parent,
        )
        return self._spec

    def bind(self, instance: object) -> BoundProxy[..., Any]:
        execution = getattr(instance, "_fw_execution", None)
        if execution is None:
            raise RuntimeError(
                f"{self._label()} can only be called from the run() of a workflow that an "
                "engine is executing"
            )
        return BoundProxy(execution.call, self.spec(), type(instance).__qualname__)


class BoundProxy(Generic[P, R]):
    """What ``self.<proxy>`` is inside a workflow's ``run``.

    Calling it schedules the task and returns a ``TaskResult``; ``options(...)`` returns the
    same proxy with other options for the calls made through it, for example
    ``self.charge.options(start_to_close=30, retry=3)(order)``.
    """

    __slots__ = ("_call", "_owner", "_spec")

    def __init__(
        self,
        call: Callable[[ProxySpec, tuple[Any, ...], dict[str, Any]], Any],
        spec: ProxySpec,
        owner: str,
    ) -> None:
        self._call = call
        self._spec = spec
        self._owner = owner

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        # A TaskResult that stands for the value: typed as the value, as code uses it (an
        # annotation, not typing.cast, which would be a function call per task).
        result: R = self._call(self._spec, args, kwargs)
        return result

    def options(self, **options: Any) -> BoundProxy[P, R]:
        """This proxy with ``options`` overriding its own for the calls made through the
        returned object (call keys and call numbers are the proxy's, as for any call).

        Takes the options of the proxy's kind (``task_list`` and the timeouts, whole seconds)
        and ``retry``, ``delay``, ``error_handling``; ``None`` leaves an option as it is.
        The task options a call used are recorded in its ``TaskScheduled`` event.

        Raises:
            RegistrationError: an unknown option or a bad value, naming it (checked as
                proxy options are).
        """
        where = f"{self._owner}.{self._spec.attribute}.options(...)"
        return BoundProxy(self._call, self._spec.with_options(options, where), self._owner)


class _Proxy(Generic[P, R]):
    """What both proxies share: a descriptor over a :class:`_ProxyCore`."""

    _core: _ProxyCore

    def _fw_check_owner(self, owner: type, name: str) -> None:
        """Raise what is wrong with this proxy as the attribute ``name`` of ``owner``; called
        by ``Workflow.__init_subclass__`` (task.py finds this method by name, so that it need
        not import this module)."""
        self._core.check(owner, name)

    def __set_name__(self, owner: type, name: str) -> None:
        self._core.set_name(owner, name)

    @typing.overload
    def __get__(self, instance: None, owner: type | None = None) -> _Proxy[P, R]: ...
    @typing.overload
    def __get__(self, instance: object, owner: type | None = None) -> BoundProxy[P, R]: ...
    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        bound = self._core.bind(instance)
        # the next self.<proxy> of this run finds it in the instance: no descriptor call (an
        # instance without __dict__, of a class with __slots__, just binds every time)
        with contextlib.suppress(TypeError):
            vars(instance)[bound._spec.attribute] = bound
        return bound

    def _spec(self) -> ProxySpec:
        """Resolve the proxy against its target (once). Raises ``RegistrationError``."""
        return self._core.spec()


def check_proxies(owner: type) -> None:
    """Check the proxies defined in the body of ``owner`` (not inherited ones, which were
    checked with their own class). Called by ``Workflow.__init_subclass__``.

    Raises:
        RegistrationError: the first bad proxy, naming the class, the attribute and the value.
    """
    for name, value in vars(owner).items():
        if isinstance(value, _Proxy):
            value._fw_check_owner(owner, name)


class ActivityProxy(_Proxy[P, R]):
    """Schedules an activity from a workflow's ``run``; calling it returns a ``TaskResult``.

    Give either ``(name, version)`` or a decorated ``flowwire.Activity`` subclass (its
    name, version, defaults, transport and ``run`` return type are used). Timeouts are whole
    seconds overriding the registered defaults. ``retry`` is either the number of extra
    attempts after a *timeout* (failures are not retried), with ``delay`` seconds between
    attempts, or a ``flowwire.RetryPolicy``, which retries failures too, with growing delays;
    left ``None``, it is the target class's ``retry=`` (its decorator's), else ``3``.
    With ``error_handling=False`` a failed task fails the workflow; with ``True`` touching its
    result raises ``flowwire.TaskError``, which ``run`` may catch. ``transport``
    encodes the arguments and decodes the result (default: the task class's, else the
    workflow's). ``returns`` is the type the result is rebuilt as. A class target's
    ``_serialize_arguments``/``_deserialize_result`` encode the calls and decode the results.

    ``version`` is a string or a whole number >= 0, normalised as the decorators do (``2`` is
    ``"2"``). Inside ``run``, ``self.<proxy>.options(...)`` overrides options for one call.

    Raises:
        RegistrationError: bad options, version or target, when the ``Workflow`` subclass that
            holds the proxy is defined; the message names the class, the attribute and the
            bad value.
    """

    @overload
    def __init__(
        self: ActivityProxy[P, R],
        name: type[TaskClass[P, R]],
        version: str | int | None = None,
        heartbeat: int | None = None,
        schedule_to_close: int | None = None,
        schedule_to_start: int | None = None,
        start_to_close: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
    ) -> None: ...
    @overload
    def __init__(
        self: ActivityProxy[..., Any],
        name: str,
        version: str | int | None = None,
        heartbeat: int | None = None,
        schedule_to_close: int | None = None,
        schedule_to_start: int | None = None,
        start_to_close: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
    ) -> None: ...
    def __init__(
        self,
        name: str | type[Activity] | type[TaskClass[P, R]],
        version: str | int | None = None,
        heartbeat: int | None = None,
        schedule_to_close: int | None = None,
        schedule_to_start: int | None = None,
        start_to_close: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
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


class WorkflowProxy(_Proxy[P, R]):
    """Starts a child workflow from a workflow's ``run``; calling it returns a ``TaskResult``.

    Same conventions as ``ActivityProxy``; ``workflow_duration`` and
    ``decision_duration`` (seconds) override the child type's registered defaults, and a
    child that exceeds its duration counts as a timeout (retried as ``retry`` says).
    ``cancel_with_parent`` (default ``True``): when the calling workflow is told to cancel
    (:class:`~flowwire.errors.Cancelled`), its children started through this proxy and still
    open are asked to cancel too; ``False`` leaves them running.
    """

    @overload
    def __init__(
        self: WorkflowProxy[P, R],
        name: type[TaskClass[P, R]],
        version: str | int | None = None,
        decision_duration: int | None = None,
        workflow_duration: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
        cancel_with_parent: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: WorkflowProxy[..., Any],
        name: str,
        version: str | int | None = None,
        decision_duration: int | None = None,
        workflow_duration: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
        cancel_with_parent: bool = True,
    ) -> None: ...
    def __init__(
        self,
        name: str | type[Workflow] | type[TaskClass[P, R]],
        version: str | int | None = None,
        decision_duration: int | None = None,
        workflow_duration: int | None = None,
        task_list: str | None = None,
        retry: int | RetryPolicy | None = None,
        delay: int = 0,
        error_handling: bool = False,
        transport: Transport | str | None = None,
        *,
        returns: Any = Any,
        cancel_with_parent: bool = True,
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
            cancel_with_parent=cancel_with_parent,
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
    kinds = (ActivityProxy, WorkflowProxy)  # (a tuple: ``A | B`` would be built per value)
    while todo:
        cls = todo.pop()
        for klass in cls.__mro__:
            if klass in _NO_PROXIES:  # flowwire's base classes (and object) hold none
                continue
            for value in vars(klass).values():
                if not isinstance(value, kinds):
                    continue
                target = value._core._target
                if isinstance(target, type) and id(target) not in found:
                    found[id(target)] = target
                    todo.append(target)
    return list(found.values())


_NO_PROXIES = frozenset((*Workflow.__mro__, *Activity.__mro__))
