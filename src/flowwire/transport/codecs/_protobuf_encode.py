"""Writing the ``flowwire.v1`` protobuf schema by hand (see :mod:`.protobuf`).

The field numbers and wire types of ``proto/flowwire/v1/value.proto``, precomputed tag and
length bytes, and the encoder: one function per message shape, with inlined paths for the
short scalars that make up most records. :class:`Fail` carries a problem and its location out
of nested values; the codec turns it into :class:`~flowwire.EncodeError` /
:class:`~flowwire.DecodeError` with the value path.
"""

from __future__ import annotations

import struct
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from flowwire.errors import EncodeError
from flowwire.transport.model import _model
from flowwire.transport.model._model import path_key

# -- wire constants ------------------------------------------------------------------------------
# Field numbers of Value.kind (see value.proto); T_* are the precomputed tag bytes.
F_NULL, F_BOOL, F_INT, F_BIG_INT, F_DOUBLE, F_STRING, F_BYTES = 1, 2, 3, 4, 5, 6, 7
F_LIST, F_MAP, F_TUPLE, F_SET, F_FROZENSET = 8, 9, 10, 11, 12
F_DATETIME, F_DATE, F_TIME, F_TIMEDELTA, F_BIG_TIMEDELTA = 13, 14, 15, 16, 17
F_UUID, F_DECIMAL, F_MESSAGE = 18, 19, 20

WIRE_VARINT, WIRE_I64, WIRE_LEN = 0, 1, 2
#: the wire type each kind must use: length-delimited except these
KIND_WIRE = dict.fromkeys(range(F_NULL, F_MESSAGE + 1), WIRE_LEN) | {
    F_NULL: WIRE_VARINT,
    F_BOOL: WIRE_VARINT,
    F_INT: WIRE_VARINT,
    F_DOUBLE: WIRE_I64,
    F_TIMEDELTA: WIRE_VARINT,
}


def _varint(n: int) -> bytes:
    """Unsigned varint of ``0 <= n < 2**64``."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tag(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


_N = 4096  # lengths below this use the precomputed tables
_V = [_varint(n) for n in range(_N)]  # length varints
_ITEM = [b"\x0a" + v for v in _V]  # field 1 (ValueList.items, ValueMap.entries, ...) + length
_KWARG = [b"\x12" + v for v in _V]  # Arguments.kwargs + length
_STR = [b"\x32" + v for v in _V]  # Value.string_value + length
# strings under 126 bytes: a whole list item's head (item length, tag, string length) ...
_ITEM_STR = [b"\x0a" + bytes((n + 2, 0x32, n)) for n in range(126)]
# ... and in a MapEntry the Value field's length followed by the string's tag and length
_ENTRY_STR = [bytes((n + 2, 0x32, n)) for n in range(126)]
_NONE = b"\x08\x00"
_TRUE = b"\x10\x01"
_FALSE = b"\x10\x00"
_T_INT, _T_BIG_INT, _T_DOUBLE, _T_BYTES = b"\x18", b"\x22", b"\x29", b"\x3a"
_T_LIST, _T_MAP, _T_TUPLE, _T_SET, _T_FROZENSET = b"\x42", b"\x4a", b"\x52", b"\x5a", b"\x62"
_T_DATETIME, _T_DATE, _T_TIME = b"\x6a", b"\x72", b"\x7a"
_T_TIMEDELTA, _T_BIG_TIMEDELTA = _tag(F_TIMEDELTA, WIRE_VARINT), _tag(F_BIG_TIMEDELTA, WIRE_LEN)
_T_UUID, _T_DECIMAL, _T_MESSAGE = (
    _tag(F_UUID, WIRE_LEN),
    _tag(F_DECIMAL, WIRE_LEN),
    _tag(F_MESSAGE, WIRE_LEN),
)
_INT_MIN, _INT_END = -(2**63), 2**63
_SMALL_INTS = {v: _T_INT + _varint(v << 1 if v >= 0 else (-v << 1) - 1) for v in range(-64, 1024)}
# in a MapEntry: the Value field's length + the Value, for small ints and the constants
_ENTRY_INTS = {v: bytes((len(b),)) + b for v, b in _SMALL_INTS.items()}
_ENTRY_NONE, _ENTRY_TRUE, _ENTRY_FALSE = b"\x02\x08\x00", b"\x02\x10\x01", b"\x02\x10\x00"
_ENTRY_DOUBLE = b"\x09\x29"
_ITEM_INTS = {v: b"\x0a" + b for v, b in _ENTRY_INTS.items()}
_ITEM_DOUBLE = b"\x0a\x09\x29"
_pack_double = struct.Struct("<d").pack

# str key -> (MapEntry.key field + the tag of MapEntry.value, its length)
_key_prefixes: dict[str, tuple[bytes, int]] = {}
_KEY_CACHE_SIZE, _KEY_CACHE_LEN = 2048, 64
_LONG_KEY = _N - 200  # key prefixes this long skip the table-driven fast paths


class Fail(Exception):
    """Internal: a problem inside a value; containers add their key while it unwinds, so paths
    cost nothing on the success path."""

    def __init__(self, reason: str, *, here: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.keys: list[object] = []
        self.here = here  # raised for the container itself (a bad key), not for an item

    def add(self, key: object) -> None:
        if self.here:
            self.here = False
        else:
            self.keys.append(key)

    def path(self, root: str) -> str:
        for key in reversed(self.keys):
            root = path_key(root, key)
        return root


def relocate(exc: Exception, key: object) -> Fail:
    """``exc``, raised for the item at ``key`` of a container, as a ``Fail`` located there
    (``key`` None: the container itself, for example a map key that is not valid UTF-8)."""
    if isinstance(exc, Fail):
        fail = exc
    elif isinstance(exc, UnicodeError):
        fail = Fail(f"string is not valid UTF-8: {getattr(exc, 'reason', exc)}")
    else:
        fail = Fail(getattr(exc, "reason", str(exc)))
    if key is not None:
        fail.add(key)
    return fail


def _signed_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)


# -- encoding ------------------------------------------------------------------------------------


def _length_prefixed(tag: bytes, body: bytes) -> bytes:
    n = len(body)
    return tag + (_V[n] if n < _N else _varint(n)) + body


def _int_value(v: int) -> bytes:
    if _INT_MIN <= v < _INT_END:
        return _T_INT + _varint(v << 1 if v >= 0 else (-v << 1) - 1)
    return _length_prefixed(_T_BIG_INT, _signed_bytes(v))


def _timedelta_value(v: timedelta) -> bytes:
    micros = _model.timedelta_micros(v)
    if _INT_MIN <= micros < _INT_END:
        return _T_TIMEDELTA + _varint(micros << 1 if micros >= 0 else (-micros << 1) - 1)
    return _length_prefixed(_T_BIG_TIMEDELTA, _signed_bytes(micros))


def _message_value(v: Any) -> bytes:
    name = v.DESCRIPTOR.full_name.encode()
    try:
        data = v.SerializeToString(deterministic=True)
    except Exception as exc:  # google.protobuf.message.EncodeError: missing proto2 required fields
        raise Fail(
            f"protobuf message {v.DESCRIPTOR.full_name} cannot be serialized: {exc}"
        ) from None
    body = (_length_prefixed(b"\x0a", name) if name else b"") + (
        _length_prefixed(b"\x12", data) if data else b""
    )
    return _length_prefixed(_T_MESSAGE, body)


def _key_prefix(key: Any) -> tuple[bytes, int]:
    """``MapEntry.key`` (omitted when empty, as proto3 does) followed by the tag of
    ``MapEntry.value``; cached for short keys."""
    if type(key) is not str:
        if not isinstance(key, str):
            raise Fail(f"map keys must be str, got {type(key).__name__} key {key!r:.40}", here=True)
        key = str.__str__(key)
    try:
        raw = key.encode()
    except UnicodeEncodeError as exc:
        raise Fail(
            f"map key {key!r:.40} is not valid UTF-8 text: {exc.reason}", here=True
        ) from None
    kp = _length_prefixed(b"\x0a", raw) + b"\x12" if raw else b"\x12"
    prefix = (kp, len(kp))
    if len(raw) <= _KEY_CACHE_LEN and len(_key_prefixes) < _KEY_CACHE_SIZE:
        _key_prefixes[key] = prefix
    return prefix


def _scalar(v: Any, cls: type) -> bytes | None:
    """The Value of a non-container exact base or native type, else None."""
    if cls is str:
        try:
            raw: bytes = v.encode()
        except UnicodeEncodeError as exc:
            raise Fail(f"string is not valid UTF-8 text: {exc.reason}") from None
        n = len(raw)
        return (_STR[n] if n < _N else b"\x32" + _varint(n)) + raw
    if cls is int:
        return _SMALL_INTS.get(v) or _int_value(v)
    if cls is float:
        return _T_DOUBLE + _pack_double(v)
    if v is None:
        return _NONE
    if cls is bool:
        return _TRUE if v else _FALSE
    if cls is bytes:
        return _length_prefixed(_T_BYTES, v)
    if cls is datetime:
        return _length_prefixed(_T_DATETIME, _model.format_datetime(v, "$").encode())
    if cls is date:
        return _length_prefixed(_T_DATE, v.isoformat().encode())
    if cls is time:
        return _length_prefixed(_T_TIME, _model.format_time(v, "$").encode())
    if cls is timedelta:
        return _timedelta_value(v)
    if cls is UUID:
        uuid_bytes: bytes = v.bytes
        return _T_UUID + b"\x10" + uuid_bytes
    if cls is Decimal:
        return _length_prefixed(_T_DECIMAL, str(v).encode())
    return None


def encode_value(v: Any, depth: int, limit: int) -> bytes:
    """One serialized Value for ``v`` (containers nested at ``depth``)."""
    cls = type(v)
    if cls is dict:
        if depth >= limit:
            raise Fail(f"nesting deeper than max_depth={limit}")
        return _length_prefixed(_T_MAP, encode_entries(v, depth + 1, limit))
    if cls is list:
        if depth >= limit:
            raise Fail(f"nesting deeper than max_depth={limit}")
        return _length_prefixed(_T_LIST, encode_items(v, depth + 1, limit))
    try:
        out = _scalar(v, cls)
        if out is not None:
            return out
        if cls is tuple or cls is set or cls is frozenset:
            if depth >= limit:
                raise Fail(f"nesting deeper than max_depth={limit}")
            tag = _T_TUPLE if cls is tuple else _T_SET if cls is set else _T_FROZENSET
            items = v if cls is tuple else _model.sorted_items(v)
            return _length_prefixed(tag, encode_items(items, depth + 1, limit))
        if isinstance(v, tuple):  # named tuples travel as tuples, as in msgpack
            return encode_value(tuple(v), depth, limit)
        if _model.is_protobuf_message(v):
            return _message_value(v)
        lowered = _model.lower(v)
    except EncodeError as exc:  # from the _model helpers, which know no path
        raise Fail(exc.reason) from None
    return encode_value(lowered, depth, limit)


def encode_items(items: Any, depth: int, limit: int) -> bytes:
    """The body of a ValueList (also Arguments.args: same field number and type)."""
    parts: list[bytes] = []
    i = 0
    try:
        for i, v in enumerate(items):  # noqa: B007 - i names the item in errors
            cls = type(v)
            if cls is str:
                raw = v.encode()
                n = len(raw)
                if n < 126:
                    parts += (_ITEM_STR[n], raw)
                    continue
                vb = (_STR[n] if n < _N else b"\x32" + _varint(n)) + raw
            elif cls is int and v in _ITEM_INTS:
                parts.append(_ITEM_INTS[v])
                continue
            elif cls is float:
                parts += (_ITEM_DOUBLE, _pack_double(v))
                continue
            else:
                vb = encode_value(v, depth, limit)
            n = len(vb)
            parts += (_ITEM[n] if n < _N else b"\x0a" + _varint(n), vb)
    except (Fail, UnicodeError) as exc:
        raise relocate(exc, i) from None
    return b"".join(parts)


def encode_entries(d: dict[Any, Any], depth: int, limit: int, tag: bytes = b"\x0a") -> bytes:
    """The body of a ValueMap (or Arguments.kwargs with ``tag`` 0x12): one MapEntry per item.

    Short scalar entries are written from precomputed pieces (entry head, cached key prefix,
    value head, value) with no intermediate concatenation.
    """
    parts: list[bytes] = []
    heads = _ITEM if tag == b"\x0a" else _KWARG
    prefixes = _key_prefixes
    key: Any = None
    try:
        for key, v in d.items():
            kp, k = prefixes.get(key) or _key_prefix(key)
            cls = type(v)
            if k < _LONG_KEY:
                if cls is str:
                    raw = v.encode()
                    n = len(raw)
                    if n < 126:
                        parts += (heads[k + 3 + n], kp, _ENTRY_STR[n], raw)
                        continue
                elif cls is int:
                    pre = _ENTRY_INTS.get(v)
                    if pre is None and _INT_MIN <= v < _INT_END:
                        vb = _T_INT + _varint(v << 1 if v >= 0 else (-v << 1) - 1)
                        pre = _V[len(vb)] + vb
                    if pre is not None:
                        parts += (heads[k + len(pre)], kp, pre)
                        continue
                elif cls is float:
                    parts += (heads[k + 10], kp, _ENTRY_DOUBLE, _pack_double(v))
                    continue
                elif v is None:
                    parts += (heads[k + 3], kp, _ENTRY_NONE)
                    continue
                elif cls is bool:
                    parts += (heads[k + 3], kp, _ENTRY_TRUE if v else _ENTRY_FALSE)
                    continue
            vb = encode_value(v, depth, limit)
            n = len(vb)
            head = kp + (_V[n] if n < _N else _varint(n))
            n += len(head)
            parts += (heads[n] if n < _N else tag + _varint(n), head, vb)
    except (Fail, UnicodeError) as exc:
        raise relocate(exc, key) from None
    return b"".join(parts)
