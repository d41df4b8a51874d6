"""Retry policies: when a failed or timed-out task is tried again, and how long after.

``retry=`` (on ``@activity``/``@workflow``, on a proxy, in ``proxy.options(...)``) takes either
an integer, as always (that many more attempts after a *timeout*, ``delay`` seconds apart), or
a :class:`RetryPolicy`, which also retries *failures*, with a delay that grows from one attempt
to the next. Either way the decision is replay's (``flowwire.replay``), so every engine retries
alike, and each delay is a durable timer in the history (``TimerStarted`` records its seconds).

Policies are checked where they are written (:func:`check_retry`), so a bad one raises
``RegistrationError`` when the class is defined, naming the class, the attribute and the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flowwire.errors import RegistrationError

__all__ = ["MAX_INTERVAL", "RetryPolicy", "check_retry", "retry_delay", "retryable"]

MAX_INTERVAL = 31_536_000
"""The longest delay between two attempts, in seconds: one year, Amazon SWF's timer limit."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a task that failed or timed out is tried again.

    Attributes:
        maximum_attempts: attempts in all, the first one included (``1``: never retried);
            ``None``: no limit (the workflow's duration still ends it).
        initial_interval: seconds (or a ``timedelta``) between the first attempt's end and the
            second attempt.
        backoff_coefficient: each further delay is the previous one times this (``1``: the same
            delay every time).
        maximum_interval: the longest delay (seconds or a ``timedelta``); ``None``: 100 times
            ``initial_interval``, at most :data:`MAX_INTERVAL`.
        non_retryable_errors: the exception type names (or exception classes, which stand for
            their ``__qualname__``) never retried; they are matched against the type name the
            failure's details recorded, exactly. A failure whose exception set
            ``non_retryable`` (see ``flowwire.ApplicationError``) is never retried either.

    The delay before attempt ``n + 1`` (``n`` >= 1 attempts so far) is
    ``min(initial_interval * backoff_coefficient ** (n - 1), maximum_interval)``, rounded up
    to whole seconds (timers are whole seconds on every engine); a delay of 0 starts the next
    attempt at once. Timeouts are retried like failures. When the attempts are used up, the
    last attempt's error (``TaskError``, ``TaskTimedOutError``) is what the workflow sees.
    """

    maximum_attempts: int | None = 3
    initial_interval: float | timedelta = 1
    backoff_coefficient: float = 2.0
    maximum_interval: float | timedelta | None = None
    non_retryable_errors: Iterable[str | type[BaseException]] = ()

    def delay(self, attempts: int) -> int:
        """Whole seconds to wait after ``attempts`` attempts (1 for the first) before the next;
        assumes a policy :func:`check_retry` accepted."""
        initial = _seconds(self.initial_interval)
        cap = _seconds(self.maximum_interval) if self.maximum_interval is not None else None
        if cap is None:
            cap = min(initial * 100, MAX_INTERVAL)
        if initial == 0:
            return 0
        coefficient = float(self.backoff_coefficient)
        grown = initial
        if coefficient > 1 and attempts > 1:
            exponent = attempts - 1
            # past this exponent the delay is over the cap: stop before a float overflows
            if exponent > math.log(cap / initial) / math.log(coefficient) + 1:
                return math.ceil(cap)
            try:
                grown = initial * coefficient**exponent
            except OverflowError:
                return math.ceil(cap)
        return math.ceil(min(grown, cap))

    def never_retries(self, type_name: str | None) -> bool:
        """Whether a failure of exception type ``type_name`` is in ``non_retryable_errors``
        (a renamed flowwire error matches under its old name and its new one)."""
        if type_name is None:
            return False
        names = {_RENAMED.get(n, n) for n in _names(self.non_retryable_errors)}
        return _RENAMED.get(type_name, type_name) in names


#: Type names flowwire's own errors were recorded under before a rename: ``{old: new}``. A
#: history written before the rename still decides the same way.
_RENAMED = {"TaskTimedout": "TaskTimedOutError"}


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _names(errors: Iterable[str | type[BaseException]]) -> tuple[str, ...]:
    return tuple(e if isinstance(e, str) else e.__qualname__ for e in errors)


def _interval(field: str, value: object, where: str, *, optional: bool = False) -> float:
    """``value`` as finite seconds >= 0 and <= MAX_INTERVAL, or a RegistrationError."""
    shown = f"{where}: retry policy {field}"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        none = " or None" if optional else ""
        raise RegistrationError(
            f"{shown} must be seconds (a number or a timedelta){none}, got {value!r} "
            f"({type(value).__name__})"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise RegistrationError(f"{shown} must be finite and >= 0, got {value!r}")
    if seconds > MAX_INTERVAL:
        raise RegistrationError(
            f"{shown} must be at most {MAX_INTERVAL:,} seconds (one year, the longest timer "
            f"Amazon SWF runs), got {value!r}"
        )
    return seconds


def check_policy(policy: RetryPolicy, where: str) -> RetryPolicy:
    """``policy`` checked, its error names normalised to a tuple of strings.

    Raises:
        RegistrationError: a policy that can never succeed (fewer than one attempt), an
            interval that is negative, not finite, not seconds or over a year, a coefficient
            under 1 (or not finite), a maximum interval under the initial one, or error names
            that are not names; the message starts with ``where`` and names the field and value.
    """
    attempts = policy.maximum_attempts
    if attempts is not None and (
        isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1
    ):
        hint = " (no attempt would ever run)" if isinstance(attempts, int) else ""
        raise RegistrationError(
            f"{where}: retry policy maximum_attempts must be a whole number >= 1 or None (no "
            f"limit), got {attempts!r}{hint}"
        )
    initial = _interval("initial_interval", policy.initial_interval, where)
    coefficient = policy.backoff_coefficient
    if (
        isinstance(coefficient, bool)
        or not isinstance(coefficient, int | float)
        or not math.isfinite(coefficient)
        or coefficient < 1
    ):
        raise RegistrationError(
            f"{where}: retry policy backoff_coefficient must be a finite number >= 1 (delays "
            f"never shrink), got {coefficient!r}"
        )
    if policy.maximum_interval is not None:
        cap = _interval("maximum_interval", policy.maximum_interval, where, optional=True)
        if cap < initial:
            raise RegistrationError(
                f"{where}: retry policy maximum_interval ({policy.maximum_interval!r}) must not "
                f"be shorter than initial_interval ({policy.initial_interval!r})"
            )
    errors = policy.non_retryable_errors
    if isinstance(errors, str | bytes) or not isinstance(errors, Iterable):
        raise RegistrationError(
            f"{where}: retry policy non_retryable_errors must be a list of exception type "
            f"names or classes, got {errors!r}"
            + (f"; did you mean ({errors!r},)?" if isinstance(errors, str) else "")
        )
    names: list[str] = []
    for item in errors:
        if isinstance(item, type) and issubclass(item, BaseException):
            names.append(item.__qualname__)
        elif isinstance(item, str) and item and item.strip() == item:
            names.append(item)
        else:
            raise RegistrationError(
                f"{where}: retry policy non_retryable_errors must hold exception type names "
                f"or classes, got {item!r}"
            )
    return RetryPolicy(
        maximum_attempts=attempts,
        initial_interval=policy.initial_interval,
        backoff_coefficient=coefficient,
        maximum_interval=policy.maximum_interval,
        non_retryable_errors=tuple(names),
    )


def check_retry(value: object, where: str, *, delay: int = 0) -> int | RetryPolicy:
    """``retry=`` checked: a whole number >= 0 (extra attempts after a timeout) or a
    :class:`RetryPolicy` (:func:`check_policy`). ``delay`` is the ``delay=`` given with it: a
    policy has its own intervals, so a delay with a policy is refused.

    Raises:
        RegistrationError: naming ``where``, the option and the bad value.
    """
    if isinstance(value, RetryPolicy):
        if delay:
            raise RegistrationError(
                f"{where}: delay={delay!r} applies to an integer retry; a RetryPolicy sets "
                "its own initial_interval"
            )
        return check_policy(value, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RegistrationError(
            f"{where}: retry must be a whole number >= 0 or a flowwire.RetryPolicy, got {value!r}"
        )
    return value


def retry_delay(retry: int | RetryPolicy, delay: int, attempt: int) -> int:
    """Whole seconds of the timer before attempt number ``attempt`` (0 is the first, which
    never waits) of a call with these ``retry``/``delay`` options."""
    if attempt <= 0:
        return 0
    if isinstance(retry, RetryPolicy):
        return retry.delay(attempt)
    return delay


def retryable(
    retry: int | RetryPolicy,
    attempt: int,
    *,
    timed_out: bool,
    type_name: Any = None,
    non_retryable: bool = False,
) -> bool:
    """Whether attempt number ``attempt`` (0 is the first) of a call, which timed out
    (``timed_out``) or failed with an error of ``type_name``, is followed by another."""
    if isinstance(retry, RetryPolicy):
        limit = retry.maximum_attempts
        if limit is not None and attempt + 1 >= limit:
            return False
        if timed_out:
            return True
        return not non_retryable and not retry.never_retries(type_name)
    return timed_out and attempt < retry
