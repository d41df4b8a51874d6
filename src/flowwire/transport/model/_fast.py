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
:func:`set_fast` when they are compiled: where the C extension is built, a ``Plan`` object of
``_speedups`` (:func:`c_plan`) for records, lists, optionals and str-keyed dicts, whose items
are checked inline (str, int, bool, Decimal text) or handed to their own fast plans; else a
Python function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowwire.errors import DecodeError

__all__ = ["RETRY", "Retry", "c_plan", "fast_call", "fast_of", "item_spec", "run", "set_fast"]

_make_plan: Callable[..., Any] | None
try:  # the optional C plans (setup.py builds them where a C compiler is available)
    from flowwire.transport._speedups import make_plan as _make_plan
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _make_plan = None

MODE_RECORD, MODE_LIST, MODE_OPTIONAL, MODE_DICT = 0, 1, 2, 3
_KINDS = {"none": 0, "str": 1, "int": 2, "bool": 3, "decimal": 4}
_CALL = 5


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


def item_spec(conv: Any) -> tuple[int, Any]:
    """``(kind, converter)`` of one item for a C plan: an inline check, or a call."""
    from decimal import Decimal

    from flowwire.transport.model._converters import to_decimal, to_int

    if conv is None:
        return 0, None
    kind = getattr(conv, "__flowwire_kind__", None)
    if kind is None:
        kind = "int" if conv is to_int else "decimal" if conv is to_decimal else None
    if kind in _KINDS:
        return _KINDS[kind], Decimal if kind == "decimal" else None
    return _CALL, fast_call(conv)


def c_plan(
    mode: int,
    items: list[Any],
    *,
    names: tuple[str, ...] = (),
    required: int = 0,
    keywords: tuple[str, ...] = (),
    cls_ref: Any = None,
    direct: bool = False,
) -> Callable[[Any], Any] | None:
    """A C fast plan over the converters ``items`` (None where the C extension is not
    built, or the shape is not one it takes). ``direct``: the record's class is built, when
    every field is present, by setting its instance dict (see ``_records.sets_dict_only``)."""
    if _make_plan is None or len(items) > 64:
        return None
    specs = [item_spec(c) for c in items]
    kinds = tuple(k for k, _ in specs)
    convs = tuple(c for _, c in specs)
    plan: Callable[[Any], Any] = _make_plan(
        mode, kinds, convs, names, required, keywords, cls_ref, RETRY, direct
    )
    return plan
