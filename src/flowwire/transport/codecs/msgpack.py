"""The MessagePack codec and :class:`MsgpackTransport`.

MessagePack carries the base model natively (``bin`` for bytes, float64 for every float
including NaN, infinities and -0.0) and the extended types as *ext* values, so they come back as
the same Python types even without annotations:

====  ==============  ===============================================================
code  type            ext data
====  ==============  ===============================================================
1     int > 64 bits   two's complement, big-endian, minimal length
2     tuple           a MessagePack array of the items
3     set             a MessagePack array of the items (sorted when orderable)
4     frozenset       as set
5     datetime        UTF-8 ISO 8601 text, as on the value-model page (offset, [Zone])
6     date            UTF-8 ``YYYY-MM-DD``
7     time            UTF-8 ISO 8601 text
8     timedelta       microseconds, two's complement, big-endian, minimal length
9     UUID            the 16 bytes
10    Decimal         UTF-8 ``str(d)``
====  ==============  ===============================================================

Enums, dataclasses and protobuf messages are lowered (value, map of fields, serialized bytes)
and rebuilt from annotations. Map keys must be strings. Unknown ext codes raise DecodeError.

Depth: ``max_depth`` (default 100) counts nested maps, arrays, tuples, sets and frozensets,
writing and reading: that many are carried, one more is an ``EncodeError`` or ``DecodeError``
naming ``max_depth`` and the path. msgpack-python reads at most 1,024 levels (deeper is a
``DecodeError`` naming that limit), so ``max_depth`` over :data:`MSGPACK_DEPTH_LIMIT` (1,024) is
refused at construction with ``ConfigurationError``. Tuples and sets nest through Python
calls: too deep for the Python stack, they are an error saying so.

Memory: MessagePack writes an empty map or array in one byte, and Python spends about 64 bytes
on each. A body over 512 KiB that holds more containers than one per 2 bytes of body (maps,
arrays, and tuples, sets and frozensets, a set weighing 4 as it costs about 4 times an empty
list) is therefore refused as a memory bomb, which keeps a 1 MiB body under about 50 MiB of
Python objects; a body of 512 KiB or less costs at most 64 times its size. The count comes from
a walk of the body's structure before it is read (``_speedups.msgpack_containers`` in C, which
skips str, bin and ext bodies by their lengths, so 1 MiB of bytes costs one step): with the C
extension every body over 4 KiB is walked, and the walk also refuses a container header that
claims more items than the rest of the body can hold, and a tuple or set after which the items
claimed around it cannot fit (msgpack-python preallocates 8 bytes per
claimed array item at the header, before it finds the body truncated: 1,000 nested headers
cost about 80 MB from a 16 KiB body). Without the C extension, a body over 512 KiB is walked in
Python up to 512 objects; one with more is read with an exact count of its containers as it
is built if a count of the bytes that could start a container (at C speed) says it might hold
too many. What array headers claim is then bounded instead of walked: only array 16 and 32
headers claim more than 15 items, and there are no more of them than bytes 0xdc and 0xdd in
the body, so a body over 4 KiB is read with msgpack-python's ``max_array_len`` (in its ext
data too) at 1 Mi items over the count of those bytes, and its arrays preallocate at most
8 MiB in all (maps preallocate nothing). An array longer than that bound, as in a long list
of floats whose bytes hold many such markers, has the whole body walked in Python (O(its
structure), str, bin and ext bodies skipped by their lengths), which refuses a claim beyond
the end as the C walk does; the body is then read again without the bound.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import msgpack
import orjson

from flowwire.errors import DecodeError, EncodeError
from flowwire.transport._protocols import CodecTraits
from flowwire.transport._transport import CodecTransport
from flowwire.transport.codecs import _json_plain
from flowwire.transport.model import _model
from flowwire.transport.model._model import MAX_DEPTH, lower

__all__ = ["MSGPACK_DEPTH_LIMIT", "MsgpackCodec", "MsgpackTransport"]

#: The largest ``max_depth`` the MessagePack codec takes: msgpack-python's reader stops at
#: 1,024 nested maps and arrays (``StackError``).
MSGPACK_DEPTH_LIMIT = 1024

EXT_BIGINT = 1
EXT_TUPLE = 2
EXT_SET = 3
EXT_FROZENSET = 4
EXT_DATETIME = 5
EXT_DATE = 6
EXT_TIME = 7
EXT_TIMEDELTA = 8
EXT_UUID = 9
EXT_DECIMAL = 10


_NATIVE = frozenset({dict, list, str, bytes, int, float, bool, type(None)})
_INT_MIN = -(2**63)
_INT_LIMIT = 2**64


def _str_keys(value: Any, budget: int = 1 << 30) -> bool:
    """True if every dict inside plain lists/dicts has only str keys (msgpack itself would
    happily write other keys, which the value model and the decoder refuse). Raises
    EncodeError when containers nest more than ``budget`` levels (the walk is there anyway)."""
    cls = type(value)
    if cls is dict:
        try:
            "".join(value)  # the C-speed way to ask "are all keys str?"
        except TypeError:
            return False
        items: Any = value.values()
    elif cls is list:
        items = value
    else:
        return True
    if budget <= 0:
        raise EncodeError("nesting deeper than max_depth")
    if _CONTAINERS.isdisjoint(map(type, items)):
        return True
    containers = _CONTAINERS
    for item in items:
        if type(item) in containers and not _str_keys(item, budget - 1):
            return False
    return True


_CONTAINERS = frozenset({dict, list})
_EXT_CONTAINERS = frozenset({tuple, set, frozenset})
_BIN_MARKERS = (0xC4, 0xC5, 0xC6)  # bin 8/16/32: the only way a bytes key can be written


def _ignore(obj: Any) -> None:
    return None


_orjson_dumps = orjson.dumps
#: Up to this many packed bytes, map keys are checked through orjson rather than walked.
_ORJSON_CHECK_MAX_BYTES = 64 * 1024


def _deeper_than(value: Any, budget: int) -> bool:
    """Whether containers nest deeper than ``budget`` in ``value`` as it is written, lowered
    values included: ``_speedups.json_exact`` answers True (within budget, and exactly
    writable as JSON) at C speed for plain containers, tuples and the dataclasses the JSON
    codec has learnt; otherwise the JSON codec's walk learns the classes met, and the Python
    walk decides."""
    if _json_plain.c_exact is not None and _json_plain.c_exact(value, budget, _json_plain.classes):
        return False
    if _json_plain.c_exact is not None:
        _json_plain.learn_classes(value, budget)
    return _model.deeper_than(value, budget)


_c_str_keys: Callable[[Any, int], bool | None] | None
try:  # the optional C check (setup.py builds it where a C compiler is available)
    from flowwire.transport._speedups import str_keys as _c_str_keys
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _c_str_keys = None


def _only_str_keys(obj: dict[Any, Any]) -> dict[Any, Any]:
    # strict_map_key=True still lets bytes keys through; the value model has str keys only.
    try:
        "".join(obj)
    except TypeError:
        raise DecodeError("map keys must be strings, got a bytes key") from None
    return obj


#: Bodies longer than this are refused when they hold more containers than one per 2 bytes.
_COUNT_ABOVE = 512 * 1024
#: With the C extension, bodies longer than this are walked before they are read.
_WALK_ABOVE = 4 * 1024
#: Without it, the Python walk of a body over _COUNT_ABOVE gives up after this many objects.
_PY_WALK_STEPS = 512
_SET_WEIGHT = 4  # a set or frozenset costs about 4 times an empty list
#: ``bytes.translate`` delete-tables keeping only the bytes that can start a map or an array
#: (fixmap, fixarray, map 16/32, array 16/32), and those that can start an ext value.
_NOT_CONTAINER = bytes(b for b in range(256) if not (0x80 <= b <= 0x9F or 0xDC <= b <= 0xDF))
_NOT_EXT = bytes(b for b in range(256) if not (0xC7 <= b <= 0xC9 or 0xD4 <= b <= 0xD8))

#: Without the C extension, the most that the arrays of a body may preallocate in all: an array
#: header makes msgpack-python allocate 8 bytes per claimed item before it reads any of them.
_CLAIM_BUDGET = 8 * 1024 * 1024

_c_containers: Callable[[bytes, int, int], int | None] | None
try:
    from flowwire.transport._speedups import msgpack_containers as _c_containers
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _c_containers = None


def _may_be_a_bomb(data: bytes) -> bool:
    """True if ``data`` could hold more than one container per 2 bytes (an upper bound: the
    marker bytes may also be inside strings, numbers and binary values). O(bytes), at C speed:
    only for bodies the structure walk gave up on."""
    most = len(data.translate(None, _NOT_CONTAINER))
    most += _SET_WEIGHT * len(data.translate(None, _NOT_EXT))
    return most > len(data) // 2


def _array_limit(data: bytes) -> int:
    """The most items an array header of ``data`` may claim (msgpack-python's
    ``max_array_len``) for all its arrays together to preallocate at most ``_CLAIM_BUDGET``
    bytes, whatever its structure: only array 16 and 32 headers claim more than 15 items, and
    there are no more of them than bytes 0xdc and 0xdd in the body. O(bytes), at C speed:
    the cheap bound that spares most bodies a walk in Python."""
    headers = data.count(b"\xdc") + data.count(b"\xdd")
    return _CLAIM_BUDGET // 8 // max(headers, 1)


def _fixed_sizes() -> tuple[int, ...]:
    """Per first byte: the size of an object that it alone determines (0: read its length)."""
    sizes = [0] * 256
    for b in (*range(0x00, 0x80), *range(0xE0, 0x100), 0xC0, 0xC2, 0xC3):
        sizes[b] = 1  # fixint, nil, false, true
    for b in range(0xA0, 0xC0):
        sizes[b] = 1 + (b & 0x1F)  # fixstr
    for b, size in zip(range(0xCA, 0xD4), (5, 9, 2, 3, 5, 9, 2, 3, 5, 9), strict=True):
        sizes[b] = size  # float 32/64, uint 8..64, int 8..64
    return tuple(sizes)


_FIXED = _fixed_sizes()
_LENGTH_WIDTH = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}  # bin, str
_EXT_WIDTH = {0xC7: 1, 0xC8: 2, 0xC9: 4}
_COUNT_WIDTH = {0xDC: 2, 0xDD: 4, 0xDE: 2, 0xDF: 4}  # array 16/32, map 16/32


def _walk(data: bytes, stop: int, steps: int) -> int | None:
    """``_speedups.msgpack_containers`` in Python (see _speedups.c), giving up (None) after
    ``steps`` objects: the containers msgpack-python builds from ``data`` (an overestimate
    where the body is truncated or malformed, as the unpacker stops there), more than
    ``stop`` once it stops early, or ``-1 - offset`` for a header claiming more items than the
    rest of its document holds."""
    count = 0
    i, end, pending = 0, len(data), 1
    outer: list[tuple[int, int, int]] = []  # around an ext value's data: (next, end, pending)
    fixed = _FIXED
    while True:
        if pending > 0 and i >= end:
            return count  # truncated (here or in ext data): the unpacker stops here
        if pending <= 0:
            if not outer:
                return count
            i, end, pending = outer.pop()
            continue
        steps -= 1
        if steps < 0:
            return None
        start = i
        c = data[i]
        i += 1
        pending -= 1
        size = fixed[c]
        if size:
            i += size - 1
            if i > end:
                return count  # truncated: the unpacker stops here
            continue
        n = -1
        if 0x80 <= c <= 0x9F:
            n = (c & 0x0F) * (2 if c <= 0x8F else 1)
        elif c in _COUNT_WIDTH:
            width = _COUNT_WIDTH[c]
            if end - i < width:
                return count
            n = int.from_bytes(data[i : i + width], "big") * (2 if c >= 0xDE else 1)
            i += width
        else:
            if c in _LENGTH_WIDTH or c in _EXT_WIDTH:
                width = _LENGTH_WIDTH.get(c) or _EXT_WIDTH[c]
                if end - i < width:
                    return count
                skip = int.from_bytes(data[i : i + width], "big")
                i += width
            elif 0xD4 <= c <= 0xD8:
                skip = 1 << (c - 0xD4)  # fixext
            else:
                return count  # 0xc1, never used: the unpacker stops here
            if c >= 0xC7 and c <= 0xD8:  # an ext value: its type, then its data
                if i >= end:
                    return count
                code = data[i]
                i += 1
                if skip > end - i:
                    return count
                if 2 <= code <= 4:  # tuple, set, frozenset: one MessagePack object inside
                    count += 1 if code == 2 else _SET_WEIGHT
                    if count > stop:
                        return count
                    if pending > end - (i + skip):  # what is claimed around it cannot fit
                        return -1 - start  # after it (its data's claims count its bytes)
                    outer.append((i + skip, end, pending))
                    end, pending = i + skip, 1
                    continue
            if skip > end - i:
                return count
            i += skip
            continue
        count += 1
        if count > stop:
            return count
        if n > end - i - pending:  # certainly truncated
            return -1 - start
        pending += n


def _judge(found: int | None, size: int) -> None:
    """Raise DecodeError for what a walk of a body of ``size`` bytes found: a claim beyond
    the end (``found < 0``) or more containers than one per 2 bytes of a long body."""
    if found is None:
        return
    if found < 0:
        raise DecodeError(
            f"malformed MessagePack payload: the containers open at byte {-1 - found:,} "
            "claim more items than the rest of the body can hold (truncated)"
        )
    if size > _COUNT_ABOVE and found > size // 2:
        _Budget(size).take(found)  # raises


class _Budget:
    """How many containers a counted read may still build."""

    __slots__ = ("left", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.left = size // 2

    def take(self, weight: int = 1) -> None:
        self.left -= weight
        if self.left < 0:
            raise DecodeError(
                f"MessagePack body of {self.size:,} bytes holds more than {self.size // 2:,} "
                "containers (one per 2 bytes): refused as a memory bomb"
            )


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)


class MsgpackCodec:
    """MessagePack through msgpack-python. See the module docstring for the ext types."""

    name = "msgpack"
    #: Binary; the ext types of the module docstring come back without annotations.
    traits = CodecTraits(
        native=frozenset({tuple, set, frozenset, datetime, date, time, timedelta, UUID, Decimal})
    )

    def __init__(self, *, max_depth: int = MAX_DEPTH) -> None:
        self.max_depth = _model.check_max_depth(
            "MsgpackCodec",
            max_depth,
            MSGPACK_DEPTH_LIMIT,
            "msgpack-python reads at most 1,024 nested maps and arrays",
        )
        self._local = threading.local()  # nesting depth of ext values, per thread
        self._encoders: dict[type, Callable[[Any], msgpack.ExtType]] = {
            int: lambda v: msgpack.ExtType(EXT_BIGINT, _int_bytes(v)),
            tuple: lambda v: msgpack.ExtType(EXT_TUPLE, self._nested(list(v))),
            set: lambda v: msgpack.ExtType(EXT_SET, self._nested(_model.sorted_items(v))),
            frozenset: lambda v: msgpack.ExtType(
                EXT_FROZENSET, self._nested(_model.sorted_items(v))
            ),
            datetime: lambda v: msgpack.ExtType(
                EXT_DATETIME, _model.format_datetime(v, "$").encode()
            ),
            date: lambda v: msgpack.ExtType(EXT_DATE, v.isoformat().encode()),
            time: lambda v: msgpack.ExtType(EXT_TIME, _model.format_time(v, "$").encode()),
            timedelta: lambda v: msgpack.ExtType(
                EXT_TIMEDELTA, _int_bytes(_model.timedelta_micros(v))
            ),
            UUID: lambda v: msgpack.ExtType(EXT_UUID, v.bytes),
            Decimal: lambda v: msgpack.ExtType(EXT_DECIMAL, str(v).encode()),
        }

    # -- encoding ------------------------------------------------------------------------

    def _default(self, obj: Any) -> Any:
        # msgpack calls this hook once per object, so lower until the result is packable.
        for _ in range(16):
            encoder = self._encoders.get(type(obj))
            if encoder is not None:
                if type(obj) in _EXT_CONTAINERS:
                    self._local.nested = True  # encode() checks the depth of the whole value
                return encoder(obj)
            if isinstance(obj, tuple):  # named tuples travel as tuples
                self._local.nested = True
                return self._encoders[tuple](obj)
            obj = lower(obj)
            if type(obj) is dict or type(obj) is list:
                self._local.nested = True
                if not _str_keys(obj):
                    raise TypeError("map keys must be strings")  # encode() finds the path
            if type(obj) in _NATIVE and (type(obj) is not int or _INT_MIN <= obj < _INT_LIMIT):
                return obj
        raise EncodeError(f"a value of type {type(obj).__qualname__} does not lower to the model")

    def _nested(self, items: list[Any]) -> bytes:
        depth = self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            if depth > self.max_depth:
                raise EncodeError(f"nesting deeper than max_depth={self.max_depth}")
            if not _str_keys(items, self.max_depth - depth + 1):  # items: the tuple's level
                raise TypeError("map keys must be strings")
            return msgpack.packb(items, default=self._default, strict_types=True, use_bin_type=True)  # type: ignore[no-any-return]
        finally:
            self._local.depth = depth - 1

    def encode(self, value: Any) -> bytes:
        local = self._local.__dict__  # this thread's: ext nesting depth, idle Packer
        budget = self.max_depth - local.get("depth", 0)
        outer = local.get("nested", False)
        local["nested"] = False  # set by _default for a tuple, set or lowered container
        try:
            # A Packer is taken out while in use: a value whose lowering encodes another value
            # on this codec and thread gets a fresh one.
            packer = local.pop("packer", None) or msgpack.Packer(
                default=self._default, strict_types=True, use_bin_type=True
            )
            try:
                data: bytes = packer.pack(value)
            finally:
                local["packer"] = packer
            # msgpack-python writes map keys of any type; the model takes str keys only.
            # Checked after packing, by the first of these that can answer:
            # - the C extension (_speedups.str_keys): exact, its cost grows with items;
            # - without it, for payloads up to 64 KiB, orjson, which refuses non-str keys
            #   anywhere in plain containers, tuples and dataclasses (what it hands to
            #   ``default`` cannot hold a dict; msgpack's hook re-checks what it lowers); its
            #   "[" and "{" count bounds the depth. Packing first keeps orjson away from
            #   tuples nested thousands deep (the ext hook bounds them; orjson does not);
            # - the Python walk, which decides everything else and names the problem.
            checked = False
            if _c_str_keys is not None:
                checked = _c_str_keys(value, budget) is True
            elif len(data) <= _ORJSON_CHECK_MAX_BYTES and type(value) in _CONTAINERS:
                try:
                    out = _orjson_dumps(value, default=_ignore)
                    checked = (
                        len(out) <= 2 * budget  # each container writes 2 bytes at least
                        or out.count(b"[") + out.count(b"{") <= budget
                    )
                except TypeError:  # non-str key, int beyond 64 bits, over orjson's depth...
                    pass
            if not checked and not _str_keys(value, budget):
                raise TypeError("map keys must be strings")
            # The checks above count plain maps and arrays; through tuples, sets and lowered
            # values (dataclasses...) the JSON codec's C walk counts every level where it knows
            # the classes, else the Python walk of the whole value.
            if local.get("nested") and _deeper_than(value, budget):
                raise EncodeError(f"nesting deeper than max_depth={self.max_depth}")
            return data
        except (EncodeError, TypeError, ValueError, OverflowError, RecursionError) as exc:
            try:  # raises EncodeError with the offending value's path
                _model.lower_fully(value, max_depth=self.max_depth)
            except RecursionError:
                raise EncodeError(
                    f"value nested too deeply for the Python stack (max_depth={self.max_depth})"
                    "; lower max_depth"
                ) from exc
            if isinstance(exc, EncodeError):
                raise
            raise EncodeError(f"cannot encode as MessagePack: {exc}") from exc
        finally:
            local["nested"] = outer

    # -- decoding ------------------------------------------------------------------------

    def _ext_hook(self, code: int, data: bytes) -> Any:
        try:
            if code in (EXT_TUPLE, EXT_SET, EXT_FROZENSET):
                self._local.read_ext = True  # decode() checks the depth of the whole value
                budget: _Budget | None = getattr(self._local, "budget", None)
                if budget is not None:
                    budget.take(1 if code == EXT_TUPLE else _SET_WEIGHT)
                items = self._unpack(data)
                if code == EXT_TUPLE:
                    return tuple(items)
                return set(items) if code == EXT_SET else frozenset(items)
            if code == EXT_BIGINT:
                return int.from_bytes(data, "big", signed=True)
            if code == EXT_DATETIME:
                return _model.parse_datetime(data.decode(), "$")
            if code == EXT_DATE:
                return _model.parse_date(data.decode(), "$")
            if code == EXT_TIME:
                return _model.parse_time(data.decode(), "$")
            if code == EXT_TIMEDELTA:
                return _model.timedelta_from_micros(int.from_bytes(data, "big", signed=True), "$")
            if code == EXT_UUID:
                if len(data) != 16:
                    raise DecodeError(f"UUID ext must be 16 bytes, got {len(data)}")
                return UUID(bytes=bytes(data))
            if code == EXT_DECIMAL:
                return Decimal(data.decode())
        except (UnicodeDecodeError, InvalidOperation, TypeError) as exc:
            raise DecodeError(f"malformed msgpack ext type {code}: {exc}") from exc
        except DecodeError as exc:  # the hook cannot know the path: do not claim "$"
            if exc.reason.startswith("msgpack ext type"):  # said by a nested hook
                raise
            raise DecodeError(f"msgpack ext type {code}: {exc.reason}") from exc
        raise DecodeError(f"unknown msgpack ext type {code}")

    def _unpack(self, data: bytes) -> Any:
        depth = self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            if depth > self.max_depth:
                raise DecodeError(f"nesting deeper than max_depth={self.max_depth}")
            return self._unpackb(data)
        finally:
            self._local.depth = depth - 1

    def _unpackb(self, data: bytes) -> Any:
        local = self._local
        budget: _Budget | None = getattr(local, "budget", None)
        limit: int = getattr(local, "array_limit", -1)  # set by _read_within for long bodies
        if limit >= len(data):
            limit = -1  # msgpack-python's default, the length of the data: never raised
        if budget is not None:
            return self._counted(data, budget, limit)
        # timestamp=3: MessagePack's own timestamp (ext -1) reads as an aware UTC datetime.
        return msgpack.unpackb(
            data,
            ext_hook=self._ext_hook,
            raw=False,
            strict_map_key=True,
            timestamp=3,
            object_hook=_only_str_keys,
            max_array_len=limit,
        )

    def _counted(self, data: bytes, budget: _Budget, limit: int) -> Any:
        """``_unpackb``, counting every map and array against ``budget``."""

        def on_map(obj: dict[Any, Any]) -> dict[Any, Any]:
            budget.left -= 1
            if budget.left < 0:
                budget.take(0)  # raises
            return _only_str_keys(obj) if obj else obj

        def on_list(obj: list[Any]) -> list[Any]:
            budget.left -= 1
            if budget.left < 0:
                budget.take(0)  # raises
            return obj

        return msgpack.unpackb(
            data,
            ext_hook=self._ext_hook,
            raw=False,
            strict_map_key=True,
            timestamp=3,
            object_hook=on_map,
            list_hook=on_list,
            max_array_len=limit,
        )

    def decode(self, data: bytes) -> Any:
        if len(data) <= self.max_depth:  # cannot nest deeper: a byte a level at least
            return self._read(data)
        local = self._local
        local.read_ext = False  # set by _ext_hook for a tuple, set or frozenset
        value = self._read(data)
        # One C walk counts maps and arrays; through tuples and sets only the Python walk does.
        if local.read_ext or _c_str_keys is None or _c_str_keys(value, self.max_depth) is not True:
            _model.check_depth(value, self.max_depth)
        return value

    def _read(self, data: bytes) -> Any:
        try:
            if len(data) > _WALK_ABOVE:
                return self._read_long(data)
            if _BIN_MARKERS[0] in data or _BIN_MARKERS[1] in data or _BIN_MARKERS[2] in data:
                return self._unpackb(data)  # maybe a bytes key: every map goes through the hook
            # No bin marker byte anywhere, so no bytes value at all, let alone a bytes key.
            # (raw=False and strict_map_key=True are msgpack-python's defaults since 1.0.)
            return msgpack.unpackb(data, ext_hook=self._ext_hook, timestamp=3)
        except DecodeError:
            raise
        except msgpack.StackError as exc:  # msgpack-python's own depth limit
            raise DecodeError(
                f"MessagePack body nested deeper than max_depth={self.max_depth}: more than "
                f"{MSGPACK_DEPTH_LIMIT:,} levels, where msgpack-python stops reading"
            ) from exc
        except RecursionError as exc:  # tuples and sets nest through the ext hook's calls
            raise DecodeError(
                f"MessagePack body nested too deeply for the Python stack "
                f"(max_depth={self.max_depth})"
            ) from exc
        except Exception as exc:  # ExtraData, FormatError, ValueError, ...
            detail = str(exc) or type(exc).__name__
            raise DecodeError(f"malformed MessagePack payload: {detail}") from exc

    def _read_long(self, data: bytes) -> Any:
        """``_read`` for a body over ``_WALK_ABOVE`` bytes: checked before it is read."""
        counted, limit = self._check_size(data)
        try:
            return self._read_within(data, counted=counted, limit=limit)
        except (DecodeError, msgpack.StackError):
            raise
        except ValueError:
            if limit < 0:
                raise
        # Maybe an array claims more items than the bound allows (msgpack-python says so only
        # in its message's words, which are not relied on): only a walk of the whole body (in
        # Python, O(its structure)) tells a bomb from a long array. A body malformed otherwise
        # is walked too (no dearer than a long array), then fails again, uncapped, as it is.
        size = len(data)
        _judge(_walk(data, size // 2 if size > _COUNT_ABOVE else sys.maxsize, sys.maxsize), size)
        return self._read_within(data, counted=False, limit=-1)

    def _read_within(self, data: bytes, *, counted: bool, limit: int) -> Any:
        """Read ``data``, counting its containers if ``counted``, with at most ``limit`` items
        per array (-1: msgpack-python's default, the length of the data) in ext data too."""
        local = self._local
        local.array_limit = limit
        if counted:
            local.budget = _Budget(len(data))
        try:
            if (
                counted
                or _BIN_MARKERS[0] in data
                or _BIN_MARKERS[1] in data
                or _BIN_MARKERS[2] in data
            ):
                return self._unpackb(data)  # maybe a bytes key: every map goes through the hook
            # No bin marker byte anywhere, so no bytes value at all, let alone a bytes key.
            # (raw=False and strict_map_key=True are msgpack-python's defaults since 1.0.)
            return msgpack.unpackb(
                data,
                ext_hook=self._ext_hook,
                timestamp=3,
                max_array_len=limit if limit < len(data) else -1,
            )
        finally:
            local.budget = None
            local.array_limit = -1

    @staticmethod
    def _check_size(data: bytes) -> tuple[bool, int]:
        """Walk a body over ``_WALK_ABOVE`` bytes (see the module docstring): raises
        DecodeError for a memory bomb or a claim beyond the end. Returns whether the body must
        be read with a count of its containers (the walk gave up and it may be a bomb), and
        the most items an array may claim while it is read (-1: msgpack-python's default)."""
        size = len(data)
        counted = size > _COUNT_ABOVE
        stop = size // 2 if counted else sys.maxsize
        if _c_containers is not None:
            found = _c_containers(data, _SET_WEIGHT, stop)
        elif counted:
            found = _walk(data, stop, _PY_WALK_STEPS)
        else:
            found = None
        if found is None:  # not walked, or the walk gave up
            return counted and _may_be_a_bomb(data), _array_limit(data)
        _judge(found, size)
        return False, -1


class MsgpackTransport(CodecTransport):
    """A transport whose codec is :class:`MsgpackCodec` (payloads are always enveloped)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(MsgpackCodec(max_depth=options.get("max_depth", MAX_DEPTH)), **options)
