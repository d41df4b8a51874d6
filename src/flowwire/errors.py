"""The one error tree of flowwire.

::

    FlowwireError
    ├── ConfigurationError          a setup mistake found before anything runs
    │   ├── RegistrationError       duplicate or missing task metadata, bad targets
    │   └── UnknownTransportError   a transport/codec/stage name nobody registered
    ├── TransportError              something went wrong turning values into payloads
    │   ├── EncodeError             a value the transport cannot carry exactly
    │   ├── DecodeError             a payload the transport cannot read back
    │   │   └── StoreUnavailable    ... for now: its offload store is down (transient)
    │   ├── StoreOutage             an offload store did not answer, for now (transient)
    │   │   └── StoreWriteUnavailable  ... while a payload was offloaded
    │   ├── StoreWriteFailed        an offload store stayed down past the write budget
    │   └── PayloadTooLarge         a payload over the backend's field limit
    ├── ApplicationError            raised by task code on purpose: attributes, no retry
    ├── TaskError                   a task (activity or child workflow) failed
    │   └── TaskTimedOutError       ... because it timed out (after its retries)
    ├── NondeterminismError         the history no longer matches the workflow code
    ├── UnknownTaskError            a completion token no open activity task has
    ├── UnknownExecutionError       a signal or cancel to an execution unknown or closed
    ├── Cancelled                   the execution was asked to cancel (not a TaskError)
    └── BackendError                the engine's backend (for example SWF) refused a call
        └── StoreError              a durable store's file cannot be used

Every message names what was wrong and where: a value path such as
``$.args[0]["price"]``, a task name, or a size and its limit. Third-party exceptions are
wrapped at the boundary with ``raise ... from exc`` so the original stays in ``__cause__``.

``TaskTimedout``, the earlier spelling of :class:`TaskTimedOutError`, is a deprecated alias of
it: the same class, and reading the name warns with ``DeprecationWarning``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

__all__ = [
    "ApplicationError",
    "BackendError",
    "Cancelled",
    "ConfigurationError",
    "DecodeError",
    "EncodeError",
    "FlowwireError",
    "NondeterminismError",
    "PayloadTooLarge",
    "RegistrationError",
    "StoreError",
    "StoreOutage",
    "StoreUnavailable",
    "StoreWriteFailed",
    "StoreWriteUnavailable",
    "TaskError",
    "TaskTimedOutError",
    "TransportError",
    "UnknownExecutionError",
    "UnknownTaskError",
    "UnknownTransportError",
]


class FlowwireError(Exception):
    """Base class of every error flowwire raises on purpose."""


class ConfigurationError(FlowwireError):
    """A setup mistake: wrong options, missing optional dependency, bad names."""


class RegistrationError(ConfigurationError):
    """A task class cannot be registered (duplicate name/version, missing metadata, ...)."""


class UnknownTransportError(ConfigurationError, LookupError):
    """A transport, codec or stage name that is not registered."""


class TransportError(FlowwireError):
    """A value could not be turned into a payload, or a payload back into a value."""


class EncodeError(TransportError, TypeError):
    """A value cannot be carried exactly by the chosen codec.

    ``path`` is the location of the offending value, for example ``$.args[0]["price"]``.
    """

    def __init__(self, message: str, *, path: str = "$") -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{message} (at {path})")


class DecodeError(TransportError, ValueError):
    """A payload cannot be read: malformed, truncated, tampered, unknown codec/stage/version,
    or a value that does not fit the annotated type. ``path`` is set when the problem is a
    value inside a well-formed payload."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.reason = message
        super().__init__(message if path is None else f"{message} (at {path})")


class StoreOutage(TransportError):
    """An offload store failed to answer *for now* (a network error, a throttled or failing
    S3, a directory that is missing or unreadable): transient, the engines retry with backoff.

    Two kinds: :class:`StoreUnavailable` (reading an offloaded payload) and
    :class:`StoreWriteUnavailable` (offloading one). ``store`` and ``key`` name the object; the
    store's exception is the ``__cause__``. Catch this class to handle both.
    """

    store: str
    key: str


class StoreUnavailable(DecodeError, StoreOutage):
    """An offloaded payload cannot be read *for now*: its blob store failed to answer (a
    network error, a throttled or failing S3, a directory that is missing or unreadable).

    The object itself is not known to be bad, so this is transient, unlike the other
    :class:`DecodeError` cases (a missing object, a size or hash mismatch, a malformed
    reference), which are permanent. The engines treat it that way: a decision that hits it
    is retried with backoff instead of failing the run, and an activity retries reading its
    input. ``store`` and ``key`` name the object; the store's exception is the ``__cause__``.
    ``read_wait`` is the offload stage's (``Offload(read_wait=...)``): how long an activity
    keeps reading its input again; None when the error does not come from an offload stage.
    """

    def __init__(
        self, message: str, *, store: str, key: str, read_wait: float | None = None
    ) -> None:
        self.store = store
        self.key = key
        self.read_wait = read_wait
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_unavailable, (self.reason, self.store, self.key, self.read_wait))


def _rebuild_unavailable(
    message: str, store: str, key: str, read_wait: float | None = None
) -> StoreUnavailable:
    return StoreUnavailable(message, store=store, key=key, read_wait=read_wait)


if TYPE_CHECKING:
    _Mixin = Exception  # what the mixin below is mixed into, for the type checker
else:
    _Mixin = object  # at run time a plain mixin: the tree, and each class's bases, stay as drawn


class _StoreWrite(_Mixin):
    """What both write errors share: ``store``, ``key`` and the object's ``size`` in bytes,
    kept across ``copy`` and a pickle round trip (the default one loses keyword-only
    arguments). A mixin, listed first so that its ``__init__`` runs; each subclass takes its
    place in the tree from its other base."""

    def __init__(self, message: str, *, store: str, key: str, size: int) -> None:
        self.store = store
        self.key = key
        self.size = size
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_write, (type(self), str(self), self.store, self.key, self.size))


def _rebuild_write(
    cls: type[_StoreWrite], message: str, store: str, key: str, size: int
) -> _StoreWrite:
    return cls(message, store=store, key=key, size=size)


class StoreWriteUnavailable(_StoreWrite, StoreOutage):
    """A payload cannot be offloaded *for now*: its blob store failed to answer a write.

    Transient: the write is tried again with backoff (by the activity worker for a result, by
    the engine for a decision, by the starter for a start's input) until it succeeds or the
    offload stage's ``write_wait`` has passed since the first failure; then the stage raises
    :class:`StoreWriteFailed` instead. Not an :class:`EncodeError`: the value is fine.
    ``size`` is the object's size in bytes.
    """


class StoreWriteFailed(_StoreWrite, TransportError):
    """A payload could not be offloaded: its store stayed unavailable for longer than the
    offload stage's ``write_wait``. Permanent for this write; the message names the store, the
    object (key and size), the payload, how long and how often it was tried."""


class PayloadTooLarge(TransportError):
    """A payload is larger than the limit of the field that must carry it.

    ``size`` and ``limit`` are in characters of the final payload string; ``what`` names the
    payload (for example ``"result of activity 'resize' v1"``) and may be filled in by the
    layer that knows the task.
    """

    def __init__(self, size: int, limit: int, *, what: str = "payload") -> None:
        self.size = size
        self.limit = limit
        self.what = what
        super().__init__(size, limit, what)

    def __str__(self) -> str:
        return (
            f"{self.what} is {self.size:,} characters, over the limit of {self.limit:,}; "
            "configure an offload stage (flowwire.transport.stages.Offload) to carry large "
            "payloads by reference"
        )


class ApplicationError(FlowwireError):
    """An error task code raises on purpose, to say more than an exception's type and message.

    ``attributes`` (keyword arguments) become attributes of the error and travel with the
    failure: the workflow reads them on the ``TaskError`` it catches (``error.attributes``).
    ``non_retryable=True`` tells a retry policy not to try the task again. Any other exception
    class can do the same with a ``non_retryable = True`` attribute (on the class or the
    instance) and attributes of its own; ``ApplicationError`` is the ready-made one.

    ::

        raise ApplicationError("card declined", non_retryable=True, code="card_declined")
    """

    def __init__(self, message: str = "", *, non_retryable: bool = False, **attributes: Any):
        self.message = message
        self.non_retryable = bool(non_retryable)
        for name, value in attributes.items():
            setattr(self, name, value)
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class TaskError(FlowwireError):
    """A task failed. Raised in workflow code when a failed result is used.

    Attributes:
        task: the task's identity, for example ``"activity 'charge' v1 (charge-3)"``.
        type_name: the exception class name raised remotely (a name only: nothing is imported).
        message: the remote exception's message.
        traceback: the remote traceback text, if the worker sent one.
        reason: the short reason string the backend carried.
        attributes: the remote exception's own simple attributes (``None``, ``bool``, ``int``,
            ``float``, ``str``, ``bytes``, and lists and ``str``-keyed dicts of those), for
            example ``{"code": "card_declined"}``; others were left out by the worker.
        non_retryable: the remote exception said it must not be retried (its
            ``non_retryable`` attribute, see :class:`ApplicationError`).
    """

    def __init__(
        self,
        message: str = "",
        *,
        task: str | None = None,
        type_name: str | None = None,
        traceback: str | None = None,
        reason: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        non_retryable: bool = False,
    ) -> None:
        self.message = message
        self.task = task
        self.type_name = type_name
        self.traceback = traceback
        self.reason = reason
        self.attributes: dict[str, Any] = dict(attributes or {})
        self.non_retryable = bool(non_retryable)
        super().__init__(message)

    def __str__(self) -> str:
        head = f"{self.type_name}: {self.message}" if self.type_name else self.message
        return f"{self.task} failed: {head}" if self.task else head

    def __reduce__(self) -> tuple[object, ...]:  # keep attributes across copy/pickle-free uses
        return (
            _rebuild_task_error,
            (
                type(self),
                self.message,
                self.task,
                self.type_name,
                self.traceback,
                self.reason,
                self.attributes,
                self.non_retryable,
            ),
        )


def _rebuild_task_error(
    cls: type[TaskError],
    message: str,
    task: str | None,
    type_name: str | None,
    traceback: str | None,
    reason: str | None,
    attributes: Mapping[str, Any] | None = None,
    non_retryable: bool = False,
) -> TaskError:
    return cls(
        message,
        task=task,
        type_name=type_name,
        traceback=traceback,
        reason=reason,
        attributes=attributes,
        non_retryable=non_retryable,
    )


class TaskTimedOutError(TaskError):
    """A task timed out (and its retries, if any, were used up): what a workflow sees for a
    :class:`flowwire.history.TaskTimedOut` event once the retry policy gives up.

    The failure it becomes, when a workflow does not handle it, records its type name,
    ``"TaskTimedOutError"`` (a retry policy's ``non_retryable_errors`` matches ``"TaskTimedout"``,
    the name recorded before 0.1.0, as the same error).
    """


class NondeterminismError(FlowwireError):
    """The execution history does not match what the workflow code does now."""


class UnknownTaskError(FlowwireError, LookupError):
    """A completion client was given a token that no open activity task has: unknown,
    already completed or failed, or timed out. Raised the same way by every engine."""


class UnknownExecutionError(FlowwireError, LookupError):
    """A signal or a cancellation request was sent to an execution that no engine runs:
    unknown, or already closed. ``workflow_id`` names it. Raised the same way by every engine
    (and, to a workflow that sent the signal, when it touches the send's result)."""

    def __init__(self, message: str, *, workflow_id: str = "") -> None:
        self.workflow_id = workflow_id
        super().__init__(message)


class Cancelled(FlowwireError):
    """The execution was asked to cancel (``LocalEngine.cancel``, ``flowwire cancel``, SWF's
    ``RequestCancelWorkflowExecution``, or the cancellation of its parent workflow).

    Inside ``Workflow.run`` it is raised at the first wait (touching a result that is not
    ready, ``wait``, ``first``, ``sleep``, ...) after the request, at the same point on every
    replay; ``run`` may catch it, clean up (call activities, wait for them) and return a value
    (the execution then completes) or raise it again (the execution closes as cancelled).
    Whoever waits for an execution that closed as cancelled (``LocalEngine.run``/``result``,
    SWF's ``WorkflowRun.result``) gets it too.

    It is deliberately not a :class:`TaskError`: ``except TaskError`` around a task's result
    does not swallow a cancellation by accident. ``workflow_id`` names the execution when it
    is known; ``details`` is what the workflow closed with (the message of the ``Cancelled``
    that left ``run``).
    """

    def __init__(self, message: str = "", *, workflow_id: str = "", details: str = "") -> None:
        self.message = message
        self.workflow_id = workflow_id
        self.details = details
        super().__init__(message)

    def __str__(self) -> str:
        return self.message or "the execution was cancelled"


class BackendError(FlowwireError):
    """The backend (for example Amazon SWF) refused or failed a call."""


class StoreError(BackendError):
    """A history store cannot be opened, read or written: the SQLite file is missing, read-only,
    on a full disk, corrupt, newer than this flowwire, or not a flowwire database; or an
    execution id is already running. ``path`` names the file (the message starts with it).
    Nothing half-written stays behind: a batch that could not be committed is rolled back."""

    def __init__(self, message: str, *, path: str = "") -> None:
        self.path = path
        super().__init__(message)


#: Deprecated names: ``{old: (new, the object)}``, read through the module ``__getattr__``.
_DEPRECATED: dict[str, tuple[str, type[FlowwireError]]] = {
    "TaskTimedout": ("TaskTimedOutError", TaskTimedOutError),
}


def deprecated(module: str, name: str) -> Any:
    """The object a deprecated ``flowwire`` error name stands for, after a
    ``DeprecationWarning`` naming the new name; ``AttributeError`` for any other name."""
    found = _DEPRECATED.get(name)
    if found is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    import warnings

    new, obj = found
    warnings.warn(
        f"{module}.{name} is deprecated, use {module}.{new} (the same class)",
        DeprecationWarning,
        stacklevel=3,
    )
    return obj


def __getattr__(name: str) -> Any:
    return deprecated(__name__, name)
