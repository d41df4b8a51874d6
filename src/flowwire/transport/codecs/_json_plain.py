"""Plain JSON text through orjson, and the checks that make it exact.

orjson writes some values its own way, and two of them can lose information: NaN and
infinities become ``null``, and a dataclass is written from its instance ``__dict__``, so
fields whose names start with ``_`` are dropped and attributes that are not fields are added.
:func:`plain` returns orjson's text only when neither happened, and otherwise either ``None``
(the value needs the tagged form) or the text written with every dataclass lowered by
flowwire (its fields by name, through the type adapters).

The checks: where the C extension is built, one walk (``_speedups.json_exact``) through plain
containers and the classes orjson writes itself answers, given :data:`classes`, what this
module learnt about each class; what it does not know is walked here once, which teaches it
the classes met. Without the extension, dataclasses are always lowered by flowwire and the
``null`` count of the text tells whether a float may have been lost.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from itertools import repeat
from operator import is_
from typing import Any
from uuid import UUID

import orjson

from flowwire.transport.model import _model, adapters, evolution
from flowwire.transport.model._model import MAX_DEPTH, lower

__all__ = [
    "BUDGET",
    "OPTIONS",
    "c_exact",
    "classes",
    "default",
    "learn_classes",
    "mark_unsafe",
    "plain",
    "protobuf_json",
]

OPTIONS = _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
_LOWERED = _OPTIONS | orjson.OPT_PASSTHROUGH_DATACLASS
_dumps = orjson.dumps
#: the default depth budget of the walks: the default max_depth (codecs pass their own)
BUDGET = _BUDGET = MAX_DEPTH
_NONE = repeat(None)

_c_all_finite: Callable[[Any, int], bool | None] | None
c_exact: Callable[[Any, int, dict[int, int]], bool | None] | None
try:  # the optional C checks (setup.py builds them where a C compiler is available)
    from flowwire.transport._speedups import all_finite as _c_all_finite
    from flowwire.transport._speedups import json_exact as c_exact
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _c_all_finite = c_exact = None

#: What the C walk knows of a class, by ``id(class)`` (a class is never kept alive by this
#: table: an entry goes with its class, see ``_learn``): n >= 0, a dataclass orjson writes
#: exactly from an ``__dict__`` of n entries; -1 an enum; -2 a type holding no float; -3
#: lowered by flowwire.
classes: dict[int, int] = {id(t): -2 for t in (Decimal, datetime, date, time, timedelta, UUID)}
_watchers: dict[int, weakref.ref[Any]] = {}
_ENUM, _LEAF, _LOWER = -1, -2, -3


def _learn(cls: type, code: int) -> None:
    ident = id(cls)
    if ident not in _watchers and ident not in classes:

        def drop(_: object, ident: int = ident) -> None:
            classes.pop(ident, None)
            _watchers.pop(ident, None)

        _watchers[ident] = weakref.ref(cls, drop)
    classes[ident] = code


class NeedsTags(Exception):
    """Raised inside orjson's default hook: the value needs the tagged form."""


def protobuf_json(message: Any) -> Any:
    from google.protobuf import json_format

    return json_format.MessageToDict(message)


def _datetime(value: datetime) -> str:
    return _model.format_datetime(value, "$")


#: The lowerings orjson asks for most, looked up before the general ``lower``.
_DIRECT: dict[type, Callable[[Any], Any]] = {Decimal: str, datetime: _datetime}


def default(obj: Any) -> Any:
    """orjson's hook: the lowered form of what orjson does not write itself."""
    direct = _DIRECT.get(type(obj))
    if direct is not None:
        return direct(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        raise NeedsTags
    return lower(obj, protobuf=protobuf_json)


def mark_unsafe(cls: type) -> None:
    """Instances of ``cls`` must be lowered by flowwire (they carry kept unknown fields)."""
    _learn(cls, _LOWER)


evolution.on_keep(mark_unsafe)


def plain(value: Any, budget: int = BUDGET) -> bytes | None:
    """Plain JSON for ``value``, exact, or None when it needs the tagged form.

    orjson is called only once a walk bounded by depth has seen the whole value: orjson stops
    lists and dicts at 254 levels but recurses into tuples without limit, and a tuple nested
    10,000 deep overflows the C stack. ``budget`` is the codec's ``max_depth``: a value whose
    containers nest deeper goes to the tagged form, which raises EncodeError naming the depth,
    the limit and the path."""
    if adapters.user_adapters or c_exact is None:
        return _lowered(value, budget)
    exact = c_exact(value, budget, classes)
    if exact is False:
        return None
    if exact is None:  # an extended value, or deeper than the C walk goes
        verdict = _walk(value, 0, budget)
        if verdict == "nan":
            return None
        if verdict == "lower":
            return _lowered(value, budget)
    try:
        return _dumps(value, default=default, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None  # bytes, big ints, non-str keys, unsupported types: the tagged form


def _lowered(value: Any, budget: int = BUDGET) -> bytes | None:
    """orjson's text with dataclasses lowered by flowwire; None if it needs the tagged form."""
    if not (_c_all_finite is not None and _c_all_finite(value, budget) is not None) and (
        not _within_budget(value, 0, budget)
    ):
        return None  # too deep for orjson (see plain): the tagged form raises EncodeError
    try:
        out = _dumps(value, default=default, option=_LOWERED)
    except TypeError:
        return None
    if b"null" in out and not _safe_nulls(value, out):
        return None
    return out


def _class_code(cls: type) -> int | None:
    if issubclass(cls, Enum):
        return _ENUM
    if not dataclasses.is_dataclass(cls):
        return None
    from flowwire.transport.model._builtin_adapters import DataclassAdapter

    names = [f.name for f in dataclasses.fields(cls)]
    if (
        not isinstance(adapters.adapter_for(cls), DataclassAdapter)
        or cls.__dictoffset__ == 0
        or any(name.startswith("_") for name in names)
    ):
        return _LOWER
    return len(names)


def _walk(value: Any, depth: int, budget: int = BUDGET) -> str:
    """ "ok" (orjson's text is exact), "nan" (a float was lost, or containers nest deeper than
    ``budget``: the tagged form decides) or "lower" (a dataclass must be lowered by flowwire);
    learns the classes it meets."""
    cls = type(value)
    if cls is float:
        return "ok" if math.isfinite(value) else "nan"
    if value is None or cls is str or cls is int or cls is bool or cls is bytes:
        return "ok"
    if depth >= budget:
        return "nan"  # too deep: the tagged form checks max_depth
    if cls is dict:
        items: Any = value.values()
    elif cls is list or cls is tuple:
        items = value
    else:
        code = classes.get(id(cls))
        if code is None:
            code = _class_code(cls)
            if code is not None:
                _learn(cls, code)
        if code == _LEAF:
            return "ok"
        if code == _LOWER:
            return "lower"
        if code == _ENUM:
            return _walk(value.value, depth + 1, budget)
        if code is not None:
            d = value.__dict__
            if len(d) != code or any(k.startswith("_") for k in d):
                return "lower"
            items = d.values()
        else:  # written through ``default`` (lowered by flowwire): walk what it becomes
            try:
                lowered = lower(value)
            except Exception:
                return "ok"  # orjson's default raised already had it mattered
            if lowered is value:
                return "ok"
            return _walk(lowered, depth + 1, budget)
    worst = "ok"
    for item in items:
        verdict = _walk(item, depth + 1, budget)
        if verdict == "nan":
            return "nan"
        if verdict == "lower":
            worst = "lower"
    return worst


def learn_classes(value: Any, budget: int = BUDGET) -> None:
    """Teach the C walk the classes inside ``value`` (the MessagePack codec's depth check
    reads its answers through the same table)."""
    _walk(value, 0, budget)


_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def _within_budget(value: Any, depth: int, budget: int = BUDGET) -> bool:
    """True if ``value`` nests at most ``budget`` containers deep, lowered values included (the
    path without the C walk; its recursion stops at the budget)."""
    cls = type(value)
    if cls is dict:
        items: Any = value.values()
    elif cls is list or cls is tuple:
        items = value
    elif cls in _SCALARS:
        return True
    else:
        try:
            lowered = lower(value)
        except Exception:
            return True  # orjson's default raises on it before any depth matters
        if lowered is value:
            return True
        return _within_budget(lowered, depth + 1, budget)
    if depth >= budget:
        return False
    scalars = _SCALARS
    return all(type(item) in scalars or _within_budget(item, depth + 1, budget) for item in items)


def _safe_nulls(value: Any, out: bytes) -> bool:
    """True if no NaN or infinity of ``value`` became ``null`` in ``out``, its plain JSON.

    orjson writes NaN and infinities as ``null``. Each ``None`` writes one ``null`` token, as
    does each NaN or infinity, and text inside strings can only add occurrences. So when the
    ``None`` items of ``value`` itself (or of its ``args`` and ``kwargs``, for an arguments
    object) account for every occurrence, no float was lost and the value need not be walked.
    ``None`` is counted by identity, at C speed: no ``__eq__`` is ever called.

    First, where the C extension is built, one C walk over plain containers answers directly
    when it can (it knows no extended type: those are left to the checks below).
    """
    if _c_all_finite is not None:
        finite = _c_all_finite(value, _BUDGET)
        if finite is not None:
            return finite
    nulls = out.count(b"null")
    cls = type(value)
    if cls is dict:
        if len(value) == 2 and "args" in value and "kwargs" in value:
            args, kwargs = value["args"], value["kwargs"]
            if type(args) in (list, tuple) and type(kwargs) is dict:
                nones = sum(map(is_, args, _NONE)) + sum(map(is_, kwargs.values(), _NONE))
            else:
                nones = sum(map(is_, value.values(), _NONE))
        else:
            nones = sum(map(is_, value.values(), _NONE))
    elif cls is list or cls is tuple:
        nones = sum(map(is_, value, _NONE))
    else:
        nones = 1 if value is None else 0
    return nulls == nones or not _model.contains_nonfinite(value)
