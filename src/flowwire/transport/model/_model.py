"""The value model shared by every built-in codec.

Base types (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list``, ``dict`` with
``str`` keys) are carried by each codec natively or with the codec's own escapes. Extended types
are *lowered* to base types by :func:`lower` the same way in every codec that has no native
form for them, and rebuilt from annotations by :mod:`flowwire.transport.model._typing`:

=============  ==========================================================================
type           lowered form
=============  ==========================================================================
tuple          list of items (named tuples too)
set/frozenset  list of items, sorted when the items are mutually orderable
datetime       ISO 8601 text; aware values keep their UTC offset; a ``zoneinfo.ZoneInfo``
               zone is appended in brackets (RFC 9557):
               ``2024-03-10T02:30:00-05:00[America/New_York]``; a naive value with
               ``fold=1`` gets the suffix tag ``[fold=1]``: ``2024-11-03T01:30:00[fold=1]``
date           ``YYYY-MM-DD``
time           ISO 8601 text with optional offset, ``[fold=1]`` appended when ``fold`` is 1
timedelta      integer number of microseconds
UUID           canonical hyphenated lower-case text
Decimal        ``str(d)`` (keeps precision, exponent, sign of zero, NaN and infinities)
Enum           its ``value`` (lowered in turn)
dataclass      object of its fields, by field name
protobuf msg   deterministic binary serialization (``bytes``); the JSON codec uses the
               message's canonical JSON mapping instead
subclasses     of str, int, float, list, dict, bytes: their base-type value
=============  ==========================================================================

Nothing here imports or calls code named by a payload.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import zoneinfo
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.transport.model import _lowerers as _adapters

__all__ = [
    "FOLD_TAG",
    "MAX_DEPTH",
    "check_depth",
    "check_max_depth",
    "contains_nonfinite",
    "deeper_than",
    "format_datetime",
    "format_time",
    "is_protobuf_message",
    "is_protobuf_message_class",
    "lower",
    "lower_fully",
    "nesting_depth",
    "parse_date",
    "parse_datetime",
    "parse_time",
    "path_key",
    "sorted_items",
    "timedelta_from_micros",
    "timedelta_micros",
    "zone",
]

#: Default maximum nesting depth of containers in a value.
MAX_DEPTH = 100


class _NoMessage:
    """Stands for ``google.protobuf.message.Message`` until protobuf is imported: no value is
    an instance of it, as no protobuf message exists before its runtime is loaded."""


_pb_message: type = _NoMessage


def _message_class() -> type:
    """``google.protobuf.message.Message`` once something imported protobuf, else a class
    nothing is an instance of: this module does not import protobuf itself."""
    global _pb_message
    if _pb_message is _NoMessage:
        module = sys.modules.get("google.protobuf.message")
        if module is not None:
            _pb_message = module.Message
    return _pb_message


def is_protobuf_message(value: object) -> bool:
    return isinstance(value, _message_class())


def path_key(path: str, key: object) -> str:
    """Extend a value path: ``$.args`` + 0 -> ``$.args[0]``; + "price" -> ``$["price"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}[{_quote(str(key))}]"


def _quote(text: str) -> str:
    if len(text) > 40:
        text = text[:37] + "..."
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- datetimes -------------------------------------------------------------------------------


#: The suffix tag of a naive datetime or a time whose ``fold`` is 1 (RFC 9557 syntax).
FOLD_TAG = "[fold=1]"
#: IANA time zone keys: ``/``-separated components of ASCII letters, digits, ``.``, ``_``,
#: ``+`` and ``-``, each starting with a letter or digit (so never ``.`` or ``..``).
_ZONE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*(?:/[A-Za-z0-9][A-Za-z0-9._+-]*)*\Z")
_ZONE_KEY_MAX = 64  # the longest IANA key today has 32 characters


def zone(key: str, path: str) -> ZoneInfo:
    """The ``ZoneInfo`` of a key read from a payload, looked up only once the key is known
    to name a zone: its grammar is IANA's and it is a file under ``zoneinfo.TZPATH`` or in
    the list the ``tzdata`` package ships. ``ZoneInfo`` itself would import a ``tzdata``
    sub-package named after the key, so a key alone must never choose what is imported.
    Raises DecodeError."""
    if len(key) > _ZONE_KEY_MAX or not _ZONE_KEY.match(key):
        raise DecodeError(f"invalid time zone key {key[:_ZONE_KEY_MAX]!r}", path=path)
    if not _known_zone(key, zoneinfo.TZPATH):
        raise DecodeError(f"unknown time zone {key!r}", path=path)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise DecodeError(f"unknown time zone {key!r}", path=path) from exc


@functools.lru_cache(maxsize=1024)
def _known_zone(key: str, tzpath: tuple[str, ...]) -> bool:
    for root in tzpath:
        if os.path.isfile(os.path.join(root, key)):
            return True
    return key in _tzdata_keys()


@functools.lru_cache(maxsize=1)
def _tzdata_keys() -> frozenset[str]:
    """The keys the ``tzdata`` package lists (its ``zones`` file), empty without it."""
    try:
        from importlib import resources

        text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except Exception:  # not installed, or unreadable: no key is known through it
        return frozenset()
    return frozenset(text.split())


def format_datetime(value: datetime, path: str) -> str:
    tz = value.tzinfo
    if tz is None:
        return value.isoformat() + FOLD_TAG if value.fold else value.isoformat()
    if type(tz) is timezone:
        if tz.tzname(None) != timezone(tz.utcoffset(None)).tzname(None):
            raise EncodeError(
                f"datetime with a named fixed-offset timezone {tz.tzname(None)!r} cannot be "
                "carried exactly (the name would be lost); use datetime.timezone(offset) "
                "without a name or a zoneinfo.ZoneInfo",
                path=path,
            )
        return value.isoformat()
    if isinstance(tz, ZoneInfo) and tz.key:
        return f"{value.isoformat()}[{tz.key}]"
    raise EncodeError(
        f"datetime with tzinfo of type {type(tz).__qualname__} cannot be carried exactly; "
        "use datetime.timezone or zoneinfo.ZoneInfo (with a key)",
        path=path,
    )


def parse_datetime(text: str, path: str) -> datetime:
    zone_key = None
    if text.endswith("]"):
        cut = text.rfind("[")
        if cut <= 0:
            raise DecodeError(f"malformed datetime {text[:64]!r}", path=path)
        zone_key = text[cut + 1 : -1]
        text = text[:cut]
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DecodeError(f"malformed datetime {text[:64]!r}: {exc}", path=path) from exc
    if zone_key is None:
        return value
    if zone_key == "fold=1":
        if value.tzinfo is not None:
            raise DecodeError(
                f"the [fold=1] tag is for naive datetimes, got {text[:64]!r}", path=path
            )
        return value.replace(fold=1)
    if value.tzinfo is None:
        raise DecodeError(f"datetime with zone {zone_key[:64]!r} has no UTC offset", path=path)
    tz = zone(zone_key, path)
    offset = value.utcoffset()
    wall = value.replace(tzinfo=None)
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=tz, fold=fold)
        if candidate.utcoffset() == offset:
            return candidate
    raise DecodeError(
        f"datetime offset {offset} does not occur in zone {zone_key!r} at {wall.isoformat()}",
        path=path,
    )


def parse_date(text: str, path: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError("expected YYYY-MM-DD")
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DecodeError(f"malformed date {text[:64]!r}: {exc}", path=path) from exc


def format_time(value: time, path: str) -> str:
    tz = value.tzinfo
    if tz is not None and type(tz) is not timezone:
        raise EncodeError(
            "time with a tzinfo other than datetime.timezone cannot be carried exactly", path=path
        )
    return value.isoformat() + FOLD_TAG if value.fold else value.isoformat()


def parse_time(text: str, path: str) -> time:
    fold = text.endswith(FOLD_TAG)
    if fold:
        text = text[: -len(FOLD_TAG)]
    try:
        value = time.fromisoformat(text)
    except ValueError as exc:
        raise DecodeError(f"malformed time {text[:64]!r}: {exc}", path=path) from exc
    return value.replace(fold=1) if fold else value


def timedelta_micros(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def timedelta_from_micros(micros: int, path: str) -> timedelta:
    try:
        return timedelta(microseconds=micros)
    except OverflowError as exc:
        amount = (
            f"{micros}" if micros.bit_length() < 200 else f"a {micros.bit_length():,}-bit number of"
        )
        raise DecodeError(f"timedelta of {amount} microseconds is out of range", path=path) from exc


# -- lowering --------------------------------------------------------------------------------


def sorted_items(items: set[Any] | frozenset[Any]) -> list[Any]:
    """Items of a set in a deterministic order when they are orderable."""
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _protobuf_bytes(value: Any) -> bytes:
    return value.SerializeToString(deterministic=True)  # type: ignore[no-any-return]


def lower(value: Any, path: str = "$", *, protobuf: Any = _protobuf_bytes) -> Any:
    """Lower one extended value one level, through its class's type adapter (see the module
    table and ``flowwire.transport.model.adapters``).

    The result may still contain extended values (a tuple of Decimals lowers to a list of
    Decimals); codecs lower recursively. ``protobuf`` turns a protobuf message into its lowered
    form (by default its deterministic binary serialization). Raises :class:`EncodeError` for
    a value outside the model.
    """
    if isinstance(value, _message_class()):
        return protobuf(value)
    fn = _adapters.lowerers.get(id(type(value)))
    if fn is None:  # a class met for the first time, or one without an adapter (raises)
        return _adapters.lower_with_adapter(value, path)
    try:
        return fn(value)
    except Exception:
        return _adapters.lower_with_adapter(value, path)  # again, to name the path


_PLAIN_SCALARS = frozenset({str, int, bool, type(None), bytes})


def contains_nonfinite(value: Any, depth: int = 0) -> bool:
    """True if a NaN or infinite float is anywhere inside ``value`` (extended types included).

    orjson writes NaN and infinities as ``null``; the JSON codec calls this only when its output
    contains ``null``, to tell a real ``None`` from a float JSON cannot carry.
    """
    cls = type(value)
    if cls is dict:
        items: Any = value.values()
    elif cls is list or cls is tuple:
        items = value
    elif cls is float:
        return bool(value - value != 0.0)  # NaN - NaN, inf - inf are NaN; finite - itself is 0
    elif cls in _PLAIN_SCALARS:
        return False
    else:
        return _extended_nonfinite(value, depth)
    if depth > MAX_DEPTH * 2:
        return True  # too deep to tell: take the tagged path, which checks max_depth
    plain = _PLAIN_SCALARS
    for item in items:
        kind = type(item)
        if kind in plain:
            continue
        if kind is float:
            if item - item != 0.0:
                return True
        elif contains_nonfinite(item, depth + 1):
            return True
    return False


def _extended_nonfinite(value: Any, depth: int) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    try:
        lowered = lower(value)
    except EncodeError:
        return False
    if lowered is value or type(lowered) in _PLAIN_SCALARS:
        return False
    return contains_nonfinite(lowered, depth + 1)


def is_protobuf_message_class(cls: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, _message_class())


def lower_fully(value: Any, path: str = "$", depth: int = 0, *, max_depth: int = MAX_DEPTH) -> Any:
    """Lower ``value`` recursively to base types only (what the JSON codec carries).

    Raises EncodeError naming the path of the first container nested deeper than
    ``max_depth`` (a container at ``depth`` max_depth or more: ``max_depth`` containers nest,
    one more does not), as every codec counts."""
    cls = type(value)
    if cls is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: no codec can carry it
            raise EncodeError(f"string is not valid UTF-8 text: {exc.reason}", path=path) from None
        return value
    if value is None or cls is int or cls is float or cls is bool or cls is bytes:
        return value
    if depth >= max_depth and (cls is list or cls is dict):
        raise EncodeError(f"nesting deeper than max_depth={max_depth}", path=path)
    if cls is list:
        return [
            lower_fully(v, path_key(path, i), depth + 1, max_depth=max_depth)
            for i, v in enumerate(value)
        ]
    if cls is dict:
        for key in value:
            if type(key) is not str:
                raise EncodeError(
                    f"object keys must be strings, got {type(key).__name__} key {key!r:.40}",
                    path=path,
                )
        return {
            k: lower_fully(v, path_key(path, k), depth + 1, max_depth=max_depth)
            for k, v in value.items()
        }
    return lower_fully(lower(value, path), path, depth, max_depth=max_depth)


_CONTAINER_TYPES = frozenset({dict, list, tuple, set, frozenset})


def check_depth(value: Any, max_depth: int) -> None:
    """Raise DecodeError naming the path of the first container in a decoded ``value`` that
    nests deeper than ``max_depth`` (the codecs' rule: ``max_depth`` containers nest, one more
    does not). Iterative: a value as deep as a library builds (1,024) is walked safely."""
    containers = _CONTAINER_TYPES
    if type(value) not in containers:
        return
    # (node, its depth, the trail to it: (parent trail, key) or None for the root)
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        node, depth, trail = stack.pop()
        if depth >= max_depth:
            keys = []
            while trail is not None:
                trail, key = trail
                keys.append(key)
            path = "$"
            for key in reversed(keys):
                path = path_key(path, key)
            raise DecodeError(f"nesting deeper than max_depth={max_depth}", path=path)
        items: Any = node.items() if type(node) is dict else enumerate(node)
        for key, item in items:
            if type(item) in containers:
                stack.append((item, depth + 1, (trail, key)))


def deeper_than(value: Any, max_depth: int) -> bool:
    """Whether containers nest deeper than ``max_depth`` in ``value`` as a codec writes it:
    extended values count as what they lower to (a tuple as a list, a dataclass as an
    object, at their own level). Iterative; what does not lower is left to the encoder."""
    scalars = _PLAIN_SCALARS
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        cls = type(node)
        if cls is dict:
            items: Any = node.values()
        elif cls is list or cls is tuple or cls is set or cls is frozenset:
            items = node
        elif cls in scalars or cls is float:
            continue
        else:
            try:
                lowered = lower(node)
            except Exception:
                continue  # the encoder names what cannot be carried
            if lowered is not node:
                stack.append((lowered, depth))
            continue
        if depth >= max_depth:
            return True
        stack.extend((item, depth + 1) for item in items if type(item) not in scalars)
    return False


def check_max_depth(owner: str, max_depth: Any, limit: int | None = None, why: str = "") -> int:
    """``max_depth`` if it is an int from 0 to ``limit``, else ConfigurationError naming
    ``owner`` (a codec class) and, over the limit, ``why`` it has one."""
    if type(max_depth) is not int or max_depth < 0:
        raise ConfigurationError(f"{owner}(max_depth=...) must be an int >= 0, got {max_depth!r}")
    if limit is not None and max_depth > limit:
        raise ConfigurationError(
            f"{owner}(max_depth={max_depth}) is over {limit}, the most it can enforce: {why}"
        )
    return max_depth


def nesting_depth(value: Any) -> int:
    """How many container levels ``value`` has (a scalar is 0, ``[]`` is 1), iteratively."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    containers = (dict, list, tuple, set, frozenset)
    while stack:
        node, depth = stack.pop()
        if type(node) in containers:
            depth += 1
            deepest = max(deepest, depth)
            items = node.values() if type(node) is dict else node
            stack.extend((item, depth) for item in items if type(item) in containers)
    return deepest
