"""Timers and signals: what a workflow's ``run`` can wait on besides tasks.

::

    @workflow("approval", 1, "approvals", workflow_duration=3 * 86400)
    class Approval(Workflow):
        def run(self, request):
            answer = wait_signal("approval")            # a result, like a task's
            if first(answer, timer(timedelta(hours=48))) is not answer:
                return "expired"
            return "approved" if answer else "rejected"

* :func:`sleep` waits for a duration; :func:`timer` returns a result that finishes (with
  ``None``) when the duration has passed, so ``first``/``finish_order``/``wait`` take it
  like a task's result.
* :func:`wait_signal` returns a result that finishes with the value of the next signal of that
  name sent to the execution (``LocalEngine.signal``, ``flowwire signal``, SWF's
  ``SignalWorkflowExecution``, or :func:`send_signal` from another workflow). Signals of one
  name are handed out in arrival order: the first ``wait_signal("x")`` gets the first signal
  ``"x"``, the second the second, whenever each was sent (a signal that arrived before the code
  waited for it is kept).
* :func:`send_signal` sends a signal to another execution; its result finishes with ``None``
  once delivered and raises :class:`~flowwire.errors.UnknownExecutionError` when touched if
  the execution is unknown or closed.

Timers are history events with deterministic keys like proxy calls: the ``N``-th timer of a
run (``sleep`` or ``timer``) is ``timer.N``; a retry's delay timer is ``<call key>.delay``,
so the two never mix. Durations are whole seconds on every engine (a fraction is rounded up;
SWF's timers count whole seconds). These functions work only inside ``Workflow.run``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flowwire.errors import ConfigurationError, FlowwireError, UnknownExecutionError

if TYPE_CHECKING:
    from flowwire.replay import Execution

__all__ = [
    "MAX_SIGNAL_NAME",
    "check_duration",
    "check_signal_name",
    "is_user_timer",
    "send_signal",
    "sleep",
    "timer",
    "wait_signal",
]

WAITING, OPEN, DONE, ERROR = 0, 1, 2, 3
"""The states of a call or wait record (shared with :mod:`flowwire.replay`)."""

MAX_SIGNAL_NAME = 256
"""SWF's limit for a signal name, in characters."""

_FORBIDDEN = re.compile(r"[:/|\x00-\x1f\x7f-\x9f]")
_TIMER = "timer."

_CURRENT = threading.local()


def is_user_timer(key: str) -> bool:
    """Whether ``key`` is the key of a :func:`sleep`/:func:`timer` timer (not a retry delay)."""
    return key.startswith(_TIMER)


def check_duration(value: object, where: str) -> int:
    """``value`` (seconds as an ``int``/``float``, or a ``timedelta``) as whole seconds, a
    fraction rounded up.

    Raises:
        ConfigurationError: negative, NaN or infinite, or not a number nor a ``timedelta``;
            the message starts with ``where``.
    """
    if isinstance(value, timedelta):
        seconds: float = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value) if isinstance(value, float) else value
    else:
        raise ConfigurationError(
            f"{where}: a duration must be seconds (int or float) or a timedelta, got "
            f"{value!r} ({type(value).__name__})"
        )
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ConfigurationError(f"{where}: a duration must be finite, got {value!r}")
    if seconds < 0:
        raise ConfigurationError(f"{where}: a duration must not be negative, got {value!r}")
    return math.ceil(seconds)


def check_signal_name(value: object, where: str) -> str:
    """``value`` checked as a signal name under SWF's rules (1 to 256 characters, no leading
    or trailing whitespace, no ``:`` ``/`` ``|`` or control character, not ``arn``), which
    every engine applies so that a workflow that runs locally also runs on SWF.

    Raises:
        ConfigurationError: the name breaks a rule (the message says which, after ``where``).
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{where}: a signal name must be a string, got {value!r} ({type(value).__name__})"
        )
    problem = None
    if not value:
        problem = "must not be empty"
    elif len(value) > MAX_SIGNAL_NAME:
        problem = f"is {len(value)} characters, over SWF's limit of {MAX_SIGNAL_NAME}"
    elif value != value.strip():
        problem = "starts or ends with whitespace, which SWF refuses"
    elif (bad := _FORBIDDEN.search(value)) is not None:
        problem = f"contains {bad.group()!r}, which SWF refuses (: / | and controls)"
    elif value == "arn":
        problem = "must not be the literal string 'arn' (SWF refuses it)"
    if problem is not None:
        raise ConfigurationError(f"{where}: signal name {value[:80]!r} {problem}")
    return value


class Record:
    """What the decider keeps of one thing ``run`` can wait on (private): a proxy call
    (``flowwire.replay._Call``) or a :class:`Wait`. It is what a ``TaskResult`` and the
    result helpers need of it (``flowwire.result``), and what argument scanning reads:
    ``state``, ``index``, ``error``. ``value`` is read by :meth:`read_value` the first time
    :meth:`get` needs it, unless ``decoded``."""

    __slots__ = ("decoded", "error", "execution", "index", "key", "state", "value")

    execution: Execution
    key: str
    state: int
    index: int  # the history index it finished at (-1: not yet)
    error: FlowwireError | None
    value: Any
    decoded: bool

    def finished(self) -> bool:
        return self.state >= DONE

    def visible(self) -> bool:
        """Finished before the execution's horizon (see ``flowwire.replay``)."""
        return self.state >= DONE and self.index < self.execution.horizon

    def finish_index(self) -> int:
        return self.index

    def block_until(self, ready: Callable[[], bool]) -> None:
        self.execution.block_until(ready)

    def journal(self) -> list[Any]:
        return self.execution.settled()

    def horizon(self) -> int:
        return self.execution.horizon

    def get(self) -> Any:
        if self.state < DONE or self.index >= self.execution.horizon:
            self.execution.suspend_until(self.visible)
        if self.state == ERROR:
            assert self.error is not None
            raise self.error.with_traceback(None)
        if not self.decoded:
            self.value = self.read_value()
            self.decoded = True
        return self.value

    def read_value(self) -> Any:
        """The value of a record that finished (``get`` calls it once, when it succeeds)."""
        raise NotImplementedError


class Wait(Record):
    """The decider's record of one timer, signal wait or signal send (private)."""

    __slots__ = ("decode", "payload")

    def __init__(self, execution: Execution, key: str) -> None:
        self.execution = execution
        self.key = key
        self.state = OPEN
        self.index = -1
        self.value = None
        self.decoded = True  # a timer's or a send's value is None
        self.payload: str | None = None
        self.decode: Callable[[str], Any] | None = None
        self.error = None

    def settle(self, index: int, payload: str | None = None) -> None:
        """Finished at history ``index`` (with a signal's ``payload`` to decode on use)."""
        self.state, self.index, self.payload = DONE, index, payload
        self.decoded = payload is None
        journal = self.execution.journal
        if journal is not None:
            journal.append(self)

    def fail(self, index: int, error: FlowwireError) -> None:
        self.state, self.index, self.error = ERROR, index, error
        journal = self.execution.journal
        if journal is not None:
            journal.append(self)

    def read_value(self) -> Any:
        decode, payload = self.decode, self.payload
        if decode is None or payload is None:
            return self.value
        # an empty payload: a signal sent without a value (SWF's input left out)
        value = decode(payload) if payload else None
        self.decode = None
        return value


def current(what: str) -> Execution:
    """The execution whose ``run`` is running on this thread.

    Raises:
        RuntimeError: called outside ``Workflow.run``.
    """
    execution: Execution | None = getattr(_CURRENT, "execution", None)
    if execution is None:
        raise RuntimeError(
            f"flowwire.{what}() works only inside a workflow's run(), while an engine runs it"
        )
    return execution


def set_current(execution: Execution | None) -> Execution | None:
    """Make ``execution`` the current one on this thread; returns the previous one."""
    previous: Execution | None = getattr(_CURRENT, "execution", None)
    _CURRENT.execution = execution
    return previous


def timer(duration: float | timedelta) -> Any:
    """A result that finishes with ``None`` once ``duration`` (seconds, or a ``timedelta``)
    has passed; give it to ``first``/``finish_order``/``wait`` like a task's result.

    Raises:
        ConfigurationError: a negative, NaN or infinite duration (the workflow fails with it
            unless ``run`` catches it).
        RuntimeError: called outside ``Workflow.run``.
    """
    seconds = check_duration(duration, "timer()")
    return current("timer").start_timer(seconds)


def sleep(duration: float | timedelta) -> None:
    """Wait ``duration`` (seconds, or a ``timedelta``) in ``run``: a durable timer, so no
    thread is held and the wait survives restarts (``wait(timer(duration))``).

    Raises:
        ConfigurationError: a negative, NaN or infinite duration.
        RuntimeError: called outside ``Workflow.run``.
    """
    seconds = check_duration(duration, "sleep()")
    current("sleep").start_timer(seconds)._fw_call.get()


def wait_signal(name: str, *, returns: Any = Any) -> Any:
    """A result that finishes with the value of the next signal ``name`` sent to this
    execution (decoded by the workflow's transport, with ``returns`` as the type hint).

    Raises:
        ConfigurationError: ``name`` is not a signal name SWF accepts.
        RuntimeError: called outside ``Workflow.run``.
    """
    checked = check_signal_name(name, "wait_signal()")
    return current("wait_signal").receive_signal(checked, returns)


def send_signal(
    workflow_id: str, name: str, value: Any = None, *, workflow: type | None = None
) -> Any:
    """Send the signal ``name`` with ``value`` to the execution ``workflow_id`` (its open
    run). The value is encoded by the transport of ``workflow`` (the target's class), else
    of the sending workflow. Returns a result that finishes with ``None`` once the signal was
    delivered; touching it raises :class:`~flowwire.errors.UnknownExecutionError` when no
    open execution has that id (the send failing does not fail the workflow by itself).

    Raises:
        ConfigurationError: ``name`` is not a signal name SWF accepts, or ``workflow_id`` is
            empty.
        EncodeError: the value cannot be carried by the transport.
        RuntimeError: called outside ``Workflow.run``.
    """
    checked = check_signal_name(name, "send_signal()")
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ConfigurationError(
            f"send_signal(): the workflow id must be a non-empty string, got {workflow_id!r}"
        )
    return current("send_signal").send_signal(workflow_id, checked, value, workflow)


def unknown_execution(workflow_id: str, cause: str = "") -> UnknownExecutionError:
    """The error of a signal to ``workflow_id`` that no open execution has."""
    why = f" ({cause})" if cause else ""
    return UnknownExecutionError(
        f"no open execution has the workflow id {workflow_id!r}{why}: it is unknown or closed",
        workflow_id=workflow_id,
    )
