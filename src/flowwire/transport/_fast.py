"""Fast decode plans: the no-path twin of a checked converter.

A checked converter ``(value, path) -> value`` names the path of any problem, so containers
build path text for every item they visit. Its *fast plan* ``(value) -> value`` builds none:
it returns the same value as the checked converter on the common shapes and raises
:data:`RETRY` (or any other exception) for everything else, including every invalid value.
:func:`run` tries the fast plan and, on any exception, runs the checked converter, which
decides and names the path; so a fast plan may always give up, but must never return a value
the checked converter would not.

Scalar converters build no path on success: their fast plan is the checked converter called
with a constant path. Containers, unions and records attach a real fast plan with
:func:`set_fast` when they are compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowwire.errors import DecodeError

__all__ = ["RETRY", "Retry", "fast_call", "fast_of", "run", "set_fast"]


class Retry(Exception):
    """Raised by a fast plan that leaves the value to the checked converter."""


RETRY = Retry()


def set_fast(conv: Any, fast: Callable[[Any], Any]) -> None:
    conv.__flowwire_fast__ = fast


def fast_of(conv: Any) -> Callable[[Any], Any] | None:
    """The fast plan attached to ``conv`` (None for scalar converters, which need none)."""
    return getattr(conv, "__flowwire_fast__", None)


def fast_call(conv: Any) -> Callable[[Any], Any]:
    """A one-argument function running ``conv``'s fast plan (or ``conv`` itself)."""
    fast = fast_of(conv)
    if fast is not None:
        return fast

    def scalar(value: Any, _conv: Any = conv) -> Any:
        return _conv(value, "$")

    return scalar


def run(conv: Any, value: Any, path: str) -> Any:
    """``conv(value, path)``, through its fast plan when the value allows; raises only
    DecodeError (with the value's path) whatever the hint and the value."""
    fast = getattr(conv, "__flowwire_fast__", None)
    if fast is not None:
        try:
            return fast(value)
        except Exception:
            pass
    return checked(conv, value, path)


def checked(conv: Any, value: Any, path: str) -> Any:
    """``conv(value, path)``, with any exception other than DecodeError turned into one."""
    try:
        return conv(value, path)
    except DecodeError:
        raise
    except RecursionError:
        raise DecodeError("value nested too deeply for its annotation", path=path) from None
    except Exception as exc:
        raise DecodeError(
            f"cannot convert the value under its annotation: {type(exc).__name__}", path=path
        ) from exc
