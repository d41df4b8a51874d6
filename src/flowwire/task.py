"""Task classes (``Activity``, ``Workflow``), their decorators and metadata.

A task class carries its registration metadata (name, version, task list, default timeouts) in
``__flowwire_meta__``, set by ``activity`` or ``workflow``. Values cross the task
boundary only as payload strings made by the class's ``transport``; the underscore methods
``_deserialize_arguments``, ``_serialize_result`` and ``_serialize_restart_arguments`` are the
documented override points and call that transport by default.

Nothing here imports an engine: engines call ``run_activity`` with a payload string and get
an ``ActivityOutcome`` back; workflows are driven by ``flowwire.replay``.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from flowwire._backoff import outage_delay, retry_writes
from flowwire._checks import check_name, check_seconds, check_version
from flowwire.errors import (
    RegistrationError,
    StoreOutage,
    StoreUnavailable,
    StoreWriteFailed,
    StoreWriteUnavailable,
)
from flowwire.result import SuspendTask
from flowwire.retry import RetryPolicy, check_retry
from flowwire.tasktype import TaskType, check_binding, run_signature, type_of
from flowwire.transport import Transport, get_transport
from flowwire.transport_rule import DEFAULT_TRANSPORT

if TYPE_CHECKING:
    from flowwire.replay import Execution

__all__ = [
    "Activity",
    "ActivityMeta",
    "ActivityOutcome",
    "Workflow",
    "WorkflowMeta",
    "activity",
    "bind_run_arguments",
    "declared_transport",
    "describe_task",
    "meta_of",
    "resolve_transport",
    "return_hint",
    "run_activity",
    "workflow",
]

if TYPE_CHECKING:  # a type checker's TypeVar; at runtime the docs show the plain name
    T = TypeVar("T", bound=type)

_DEFAULT_TRANSPORT: Transport = get_transport(DEFAULT_TRANSPORT)


def resolve_transport(transport: Transport | str | None) -> Transport | None:
    """Return ``transport`` as an object: a registered name is looked up, ``None`` stays ``None``.

    Raises:
        UnknownTransportError: the name is not registered.
    """
    if transport is None or not isinstance(transport, str):
        return transport
    return get_transport(transport)


@dataclass(frozen=True, slots=True)
class ActivityMeta:
    """Registration metadata of an activity type; timeouts are whole seconds."""

    name: str
    version: str
    task_list: str
    heartbeat: int | None = None
    schedule_to_close: int = 420
    schedule_to_start: int = 120
    start_to_close: int = 300
    retry: int | RetryPolicy | None = None  # proxies' default; None: theirs

    @property
    def kind(self) -> str:
        return "activity"


@dataclass(frozen=True, slots=True)
class WorkflowMeta:
    """Registration metadata of a workflow type; durations are whole seconds."""

    name: str
    version: str
    task_list: str
    workflow_duration: int = 3600
    decision_duration: int = 60
    retry: int | RetryPolicy | None = None  # proxies' default (as a child); None: theirs

    @property
    def kind(self) -> str:
        return "workflow"


def meta_of(cls: object) -> ActivityMeta | WorkflowMeta | None:
    """The metadata a decorator attached to ``cls`` itself (not inherited), or ``None``."""
    if not isinstance(cls, type):
        return None
    meta = cls.__dict__.get("__flowwire_meta__")
    return cast("ActivityMeta | WorkflowMeta | None", meta)


def declared_transport(cls: type) -> Transport | None:
    """The transport ``cls`` chose (by decorator or class attribute), or ``None`` for the default.

    A transport set on ``Activity``/``Workflow`` themselves counts as the default, so
    an engine may substitute its own default transport for classes that did not choose one.
    """
    for klass in cls.__mro__:
        if klass in (Activity, Workflow):
            return None
        if "transport" in klass.__dict__:
            return resolve_transport(klass.__dict__["transport"])
    return None


def return_hint(cls: type) -> Any:
    """The return annotation of ``cls.run`` (``Any`` when absent or unresolvable); for a
    decorated class, its task type's (resolved once)."""
    task_type = type_of(cls)
    if task_type is not None:
        return task_type.return_hint()
    try:
        return typing.get_type_hints(getattr(cls, "run")).get("return", Any)  # noqa: B009
    except Exception:  # unresolvable forward references: decode without a type
        return Any


def describe_task(cls: type) -> str:
    """``workflow 'name' v1`` for a decorated class, else ``workflow module.Class``."""
    meta = meta_of(cls)
    if meta is not None:
        return f"{meta.kind} {meta.name!r} v{meta.version}"
    kind = "activity" if isinstance(cls, type) and issubclass(cls, Activity) else "workflow"
    return f"{kind} {getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"


def bind_run_arguments(cls: type, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Check that ``cls().run(*args, **kwargs)`` accepts these arguments, before a start sends
    them anywhere (``inspect.Signature.bind``; types are the transport's business). For a
    decorated class this is its task type's :meth:`~flowwire.tasktype.TaskType.bind_arguments`.

    Raises:
        ConfigurationError: they do not bind; the message names the task, its ``run``
            signature and the problem, the ``TypeError`` of ``bind`` is the ``__cause__``.
    """
    task_type = type_of(cls)
    if task_type is not None:
        task_type.bind_arguments(args, kwargs)
    else:
        check_binding(run_signature(cls), args, kwargs, describe_task(cls))


def _transport_of(task: object) -> Transport:
    transport = getattr(task, "transport", _DEFAULT_TRANSPORT)
    return get_transport(transport) if isinstance(transport, str) else transport


class _Task:
    """What activities and workflows share: the transport and its override points."""

    transport: ClassVar[Transport | str] = _DEFAULT_TRANSPORT

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Subclasses must override this with the task's body."""
        raise NotImplementedError(f"{type(self).__qualname__} must override run()")

    def _transport(self) -> Transport:
        return _transport_of(self)

    def _deserialize_arguments(self, payload: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Decode the input payload into ``(args, kwargs)`` for ``run``, rebuilding typed
        values from ``run``'s annotations. Raises ``flowwire.DecodeError``."""
        return _transport_of(self).deserialize_arguments(payload, signature=type(self).run)

    def _serialize_result(self, value: Any) -> str:
        """Encode the value ``run`` returned. Raises ``flowwire.EncodeError``."""
        return _transport_of(self).serialize_result(value)

    # The starter side. Classmethods, so that a starter (or a proxy whose target is this
    # class) never builds an instance of a user class just to encode a call: the instance
    # methods above run where the task runs, these wherever it is started or called from.

    @classmethod
    def _serialize_arguments(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any], *, transport: Transport
    ) -> str:
        """Encode the input of a call of this task: what ``_deserialize_arguments`` reads.

        A classmethod, called by every starter (``run_workflow``, ``LocalEngine.run``, the
        SWF ``start``, ``flowwire run``, ``flowwire swf start``) and by every proxy whose target
        is this class. ``transport`` is the one the caller chose for this class (the class's
        own, an engine default, or the proxy's); the default implementation encodes with it.
        Raises ``flowwire.EncodeError`` (or ``PayloadTooLarge``).
        """
        return transport.serialize_arguments(args, kwargs)

    @classmethod
    def _deserialize_result(cls, payload: str, *, transport: Transport, type_hint: Any) -> Any:
        """Decode a result of this task: what ``_serialize_result`` wrote.

        A classmethod, called where ``_serialize_arguments`` is. ``type_hint`` is the type the
        caller expects (the return annotation of ``run``, or a proxy's ``returns=``); the
        default implementation decodes with ``transport`` and that hint.
        Raises ``flowwire.DecodeError``.
        """
        return transport.deserialize_result(payload, type_hint=type_hint)


class Activity(_Task):
    """Base class of activities: override ``run`` with any signature.

    An unhandled exception in ``run`` fails the task; the error travels through the class's
    transport and reaches the workflow as a ``flowwire.TaskError``. Raising
    ``flowwire.SuspendTask`` leaves the task open, to be finished later through the
    engine's completion client with ``token``.
    """

    _fw_token: str | None = None
    _fw_heartbeat: Callable[[], bool] | None = None

    @property
    def token(self) -> str:
        """The engine-specific string identifying this task attempt.

        Raises:
            RuntimeError: the activity is not running under an engine.
        """
        if self._fw_token is None:
            raise RuntimeError(f"{type(self).__qualname__} is not running under an engine")
        return self._fw_token

    def heartbeat(self) -> bool:
        """Report progress. Returns ``False`` once the task timed out or was cancelled, in which
        case ``run`` should stop soon: its result will be ignored."""
        callback = self._fw_heartbeat
        return True if callback is None else callback()


class Workflow(_Task):
    """Base class of workflows: override ``run``; call task proxies (class attributes) in it.

    ``run`` is replayed against the execution history at every decision, so it must be
    deterministic: same inputs and task results, same task calls in the same order. Read the
    "Execution model" section of the workflows page before writing one.
    """

    _fw_execution: Execution | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check the task proxies defined in the class body, so that a bad proxy raises
        ``RegistrationError`` where the class is defined, not when the workflow first runs."""
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():  # the proxies (see flowwire.proxy.check_proxies)
            check = getattr(type(value), "_fw_check_owner", None)
            if check is not None:
                check(value, cls, name)

    def _serialize_restart_arguments(self, *args: Any, **kwargs: Any) -> str:
        """Encode the arguments of ``flowwire.restart`` (continue-as-new input)."""
        return self._transport().serialize_restart_arguments(args, kwargs)


_DEFAULT_READ = _Task._deserialize_arguments
_DEFAULT_WRITE = _Task._serialize_result

# -- decorators --------------------------------------------------------------------------


def _apply(
    cls: object, base: type, kind: str, build: Callable[[str], ActivityMeta | WorkflowMeta]
) -> ActivityMeta | WorkflowMeta:
    """Check ``cls`` and its metadata (built by ``build(where)``), attach it, return it."""
    shown = getattr(cls, "__qualname__", None) or repr(cls)
    where = f"@{kind}(...) on {shown}"
    if not isinstance(cls, type):
        raise RegistrationError(f"@{kind}(...) must decorate a class, got {cls!r}")
    if not issubclass(cls, base):
        raise RegistrationError(
            f"@{kind}(...) must decorate a subclass of flowwire.{base.__name__}, got {shown}"
        )
    if meta_of(cls) is not None:
        raise RegistrationError(f"{shown} is already decorated: {meta_of(cls)}")
    meta = build(where)
    cls.__flowwire_meta__ = meta  # type: ignore[attr-defined]
    return meta


def _attach_type(cls: type, meta: ActivityMeta | WorkflowMeta) -> None:
    """Build the class's task type, once, after its transport is set."""
    cls.__flowwire_type__ = TaskType(cls, meta, declared_transport(cls))  # type: ignore[attr-defined]


def activity(
    name: str,
    version: str | int,
    task_list: str,
    heartbeat: int | None = None,
    schedule_to_close: int = 420,
    schedule_to_start: int = 120,
    start_to_close: int = 300,
    transport: Transport | str | None = None,
    retry: int | RetryPolicy | None = None,
) -> Callable[[T], T]:
    """Attach activity metadata (and optionally a transport) to an ``Activity`` subclass.

    ``version`` is a string or a whole number >= 0 (``1`` is the version ``"1"``). Names,
    versions and task lists follow Amazon SWF's rules on every engine (1 to 256 characters, 64
    for a version; no leading or trailing whitespace, no ``:``, ``/``, ``|`` or control
    characters; not ``"arn"``). Timeouts are whole seconds; ``heartbeat=None`` means no
    heartbeat timeout. ``retry`` (an integer or a ``flowwire.RetryPolicy``) is the default of
    every proxy of this class that sets no ``retry`` of its own.

    Raises:
        RegistrationError: when the class is decorated, naming the class, the parameter and the
            bad value: bad names, versions or timeouts, a target that is not an ``Activity``
            subclass, or a class decorated twice.
        UnknownTransportError: ``transport`` names no registered transport (at once).
    """
    resolved = resolve_transport(transport)

    def build(where: str) -> ActivityMeta:
        return ActivityMeta(
            name=check_name("name", name, where),
            version=check_version(version, where),
            task_list=check_name("task_list", task_list, where),
            heartbeat=check_seconds("heartbeat", heartbeat, where, optional=True),
            schedule_to_close=_seconds("schedule_to_close", schedule_to_close, where),
            schedule_to_start=_seconds("schedule_to_start", schedule_to_start, where),
            start_to_close=_seconds("start_to_close", start_to_close, where),
            retry=None if retry is None else check_retry(retry, where),
        )

    def decorate(cls: T) -> T:
        meta = _apply(cls, Activity, "activity", build)
        if resolved is not None:
            cls.transport = resolved  # type: ignore[attr-defined]
        _attach_type(cls, meta)
        return cls

    return decorate


def _seconds(what: str, value: object, where: str) -> int:
    checked = check_seconds(what, value, where)
    assert checked is not None
    return checked


def workflow(
    name: str,
    version: str | int,
    task_list: str,
    workflow_duration: int = 3600,
    decision_duration: int = 60,
    transport: Transport | str | None = None,
    retry: int | RetryPolicy | None = None,
) -> Callable[[T], T]:
    """Attach workflow metadata (and optionally a transport) to a ``Workflow`` subclass.

    Names, versions and task lists follow the rules of :func:`activity`; durations are whole
    seconds; ``retry`` is the default of the proxies that start it as a child workflow.

    Raises:
        RegistrationError: when the class is decorated, naming the class, the parameter and the
            bad value: bad names, versions or durations, a target that is not a ``Workflow``
            subclass, or a class decorated twice.
        UnknownTransportError: ``transport`` names no registered transport (at once).
    """
    resolved = resolve_transport(transport)

    def build(where: str) -> WorkflowMeta:
        return WorkflowMeta(
            name=check_name("name", name, where),
            version=check_version(version, where),
            task_list=check_name("task_list", task_list, where),
            workflow_duration=_seconds("workflow_duration", workflow_duration, where),
            decision_duration=_seconds("decision_duration", decision_duration, where),
            retry=None if retry is None else check_retry(retry, where),
        )

    def decorate(cls: T) -> T:
        meta = _apply(cls, Workflow, "workflow", build)
        if resolved is not None:
            cls.transport = resolved  # type: ignore[attr-defined]
        _attach_type(cls, meta)
        return cls

    return decorate


# -- running an activity -----------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class ActivityOutcome:
    """What running an activity produced: ``status`` is ``"completed"`` (``result`` set),
    ``"failed"`` (``reason``/``details`` set) or ``"suspended"`` (left open)."""

    status: str
    result: str = ""
    reason: str = ""
    details: str = ""


def run_activity(
    cls: type[Activity],
    payload: str,
    *,
    token: str,
    heartbeat: Callable[[], bool] | None = None,
    transport: Transport | None = None,
) -> ActivityOutcome:
    """Run one attempt of activity ``cls`` on the input ``payload``; never raises for errors of
    the activity itself (they become a ``"failed"`` outcome through the transport).

    ``transport`` replaces the class's transport (an engine default for classes that chose
    none); ``heartbeat`` is called by ``Activity.heartbeat``.

    An input whose offload store is unavailable (:class:`~flowwire.StoreUnavailable`) is read
    again with backoff, heartbeating in between, for up to the offload stage's ``read_wait``
    (60 seconds by default) or until the heartbeat answers that the attempt is over; only then
    does the attempt fail, with that error.

    A result (or a failure's details) whose store is unavailable while it is written
    (:class:`~flowwire.StoreWriteUnavailable`) is written again with backoff, heartbeating in
    between: the work is done, so ``run`` is not called again. The offload stage's
    ``write_wait`` bounds the retries; past it the attempt fails with
    :class:`~flowwire.StoreWriteFailed`, naming the store, object and size. A failure whose
    details cannot be stored is reported by its type name alone, with the reason why.
    """
    try:
        instance = cls()
    except Exception as exc:
        chosen = transport or resolve_transport(cls.transport) or _DEFAULT_TRANSPORT
        return _failed(chosen, exc, None)
    if transport is not None:
        instance.transport = transport  # type: ignore[misc]
    instance._fw_token = token
    instance._fw_heartbeat = heartbeat
    # The override points, or (not overridden, an engine's transport given) the transport's
    # methods themselves: the same calls, without two method frames and two transport
    # look-ups per attempt.
    write: Callable[[Any], str]
    if transport is not None and cls._serialize_result is _DEFAULT_WRITE:
        write = transport.serialize_result
    else:
        write = instance._serialize_result
    try:
        try:  # read once; only an unavailable store enters the retries
            if transport is not None and cls._deserialize_arguments is _DEFAULT_READ:
                args, kwargs = transport.deserialize_arguments(payload, signature=cls.run)
            else:
                args, kwargs = instance._deserialize_arguments(payload)
        except StoreUnavailable as exc:
            args, kwargs = _read_again(instance._deserialize_arguments, payload, instance, exc)
        value = instance.run(*args, **kwargs)
        try:  # written once; only an unavailable store enters the retries
            return ActivityOutcome("completed", write(value))
        except StoreWriteUnavailable as exc:
            outage = exc  # retried outside this handler: a later error is not chained to it
        result = retry_writes(lambda: write(value), keep_going=instance.heartbeat, failed=outage)
        return ActivityOutcome("completed", result)
    except SuspendTask:
        return ActivityOutcome("suspended")
    except Exception as exc:
        return _failed(instance._transport(), exc, instance.heartbeat)


def _failed(
    transport: Transport, exc: BaseException, keep_going: Callable[[], bool] | None
) -> ActivityOutcome:
    """The ``"failed"`` outcome of ``exc``; its details are written again while their store
    is unavailable, and left out (the reason says so) once that has not worked."""
    try:
        reason, details = retry_writes(
            lambda: transport.serialize_error(exc), keep_going=keep_going
        )
    except (StoreOutage, StoreWriteFailed) as lost:
        reason = (
            f"{type(exc).__qualname__} (its error details were not stored: "
            f"{type(lost).__name__} in store {lost.store!r})"
        )[:_REASON_LIMIT]
        details = ""
    return ActivityOutcome("failed", reason=reason, details=details)


_REASON_LIMIT = 256  # characters of a failure's reason (SWF's limit, as the transports keep)

ARGUMENT_OUTAGE_WAIT = 60.0
"""Seconds an activity attempt keeps retrying to read an input whose store is unavailable
when the error does not carry the offload stage's ``read_wait`` (``Offload(read_wait=...)``,
default 60, is what bounds it otherwise)."""


def _read_again(
    read: Callable[[str], tuple[tuple[Any, ...], dict[str, Any]]],
    payload: str,
    instance: Activity,
    failed: StoreUnavailable,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The input read again (``read(payload)``) with backoff after its first read ``failed``
    because its store is unavailable, heartbeating in between, for up to the offload stage's
    ``read_wait``."""
    failures, waited, exc = 0, 0.0, failed
    while True:
        wait = ARGUMENT_OUTAGE_WAIT if exc.read_wait is None else exc.read_wait
        failures += 1
        delay = outage_delay(failures)
        if waited + delay > wait:
            raise StoreUnavailable(  # the wait first: a reason is cut at 256 characters
                f"gave up reading after the offload stage's read_wait of {wait:g} s: {exc.reason}",
                store=exc.store,
                key=exc.key,
                read_wait=exc.read_wait,
            ) from exc
        if not instance.heartbeat():
            raise exc
        time.sleep(delay)
        waited += delay
        try:
            return read(payload)
        except StoreUnavailable as again:
            exc = again
