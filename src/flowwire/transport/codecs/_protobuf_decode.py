"""Reading the ``flowwire.v1`` protobuf schema by hand (see :mod:`.protobuf`).

Every length is checked against the end of its enclosing message before any bytes are taken,
so malformed input raises :class:`~flowwire.transport.codecs._protobuf_encode.Fail` (turned into
:class:`~flowwire.DecodeError` by the codec) and memory use stays proportional to the input.
The fast paths for short items may peek at bytes past an item's end; they only use what their
checks confirm, and fall back to the general field reader otherwise.

The general reader reads what Google's runtime reads, the way it reads it (a differential test
checks this against the generated classes): an unknown field, or a known one with another
wire type, is skipped, groups included; a message field given more than once is merged (which
is reading the concatenation of its occurrences: a ``list_value`` twice is one list of both
item sequences, a map entry's ``value`` twice is the merge of both Values); the last
occurrence of a scalar wins, every occurrence of a string is checked to be UTF-8; a varint's
bits beyond 64 are dropped. Where flowwire has no value for what the runtime reads (a Value
with no kind, a map with a key twice), it raises.

Memory: an empty set or frozenset is 2 bytes of wire and over 200 bytes of Python. While
:func:`limit_empty_sets` has set a limit for this thread, the reader builds at most that many
and raises :class:`TooManyEmptySets` instead of building one more (the C reader keeps the same
count; the codec sets the limit for long bodies).
"""

from __future__ import annotations

import struct
import threading
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from flowwire.errors import DecodeError
from flowwire.transport.codecs._protobuf_encode import (
    F_BIG_INT,
    F_BIG_TIMEDELTA,
    F_BOOL,
    F_BYTES,
    F_DATE,
    F_DATETIME,
    F_DECIMAL,
    F_DOUBLE,
    F_FROZENSET,
    F_INT,
    F_LIST,
    F_MAP,
    F_MESSAGE,
    F_NULL,
    F_SET,
    F_STRING,
    F_TIME,
    F_TIMEDELTA,
    F_TUPLE,
    F_UUID,
    KIND_WIRE,
    WIRE_I64,
    WIRE_LEN,
    WIRE_VARINT,
    Fail,
    relocate,
)
from flowwire.transport.model import _model

_unpack_double = struct.Struct("<d").unpack_from

# -- decoding ------------------------------------------------------------------------------------


class TooManyEmptySets(Exception):
    """More empty sets than :func:`limit_empty_sets` allows: the body is refused whole (not a
    problem of one value, so containers do not add their keys to it)."""


#: .empty_sets: how many more may be built (< 0 or unset: any); .limit: what it started at.
_limits = threading.local()


def limit_empty_sets(count: int) -> int:
    """From now on, on this thread, build at most ``count`` empty sets and frozensets (< 0:
    any number); returns the previous limit, to be set back."""
    previous: int = getattr(_limits, "limit", -1)
    _limits.empty_sets = _limits.limit = count
    return previous


def rearm_empty_sets() -> None:
    """Start the count again (a reader that failed reads again, to locate the problem)."""
    _limits.empty_sets = getattr(_limits, "limit", -1)


def _take_empty_set() -> None:
    left: int = getattr(_limits, "empty_sets", -1)
    if left >= 0:
        if left == 0:
            raise TooManyEmptySets
        _limits.empty_sets = left - 1


WIRE_START_GROUP = 3
WIRE_END_GROUP = 4
_MASK64 = (1 << 64) - 1


def next_field(data: bytes, i: int, end: int) -> tuple[int, int, int, int, int]:
    """The field starting at ``data[i]``: ``(field, wire, a, b, next)``. For a varint ``a`` is its
    value; otherwise ``data[a:b]`` is the payload (a group's: up to its end-group tag). Raises
    ``Fail`` on anything malformed."""
    start = i
    key, i = _read_varint(data, i, end)
    field, wire = key >> 3, key & 7
    if field == 0 or key >> 32:
        raise Fail(f"field number {field} at byte {start}")
    if wire == WIRE_VARINT:
        value, i = _read_varint(data, i, end)
        return field, wire, value, 0, i
    if wire == WIRE_LEN:
        n, i = _read_varint(data, i, end)
        j = i + n
        if j > end:
            raise Fail(f"field {field} declares {n} bytes at byte {i}, only {end - i} are left")
        return field, wire, i, j, j
    if wire == WIRE_I64 or wire == 5:
        j = i + (8 if wire == WIRE_I64 else 4)
        if j > end:
            raise Fail(f"truncated fixed-size field {field} at byte {i}")
        return field, wire, i, j, j
    if wire == WIRE_START_GROUP:
        a = i
        b, i = _skip_group(data, i, end, field)
        return field, wire, a, b, i
    if wire == WIRE_END_GROUP:
        raise Fail(f"end of group {field} at byte {start} without its start")
    raise Fail(f"unsupported wire type {wire} for field {field} at byte {start}")


def _skip_group(data: bytes, i: int, end: int, field: int) -> tuple[int, int]:
    """Skip the fields of group ``field`` (nested groups included) from ``data[i]``: returns
    the offset of its end-group tag and the offset after it.

    Field number 0 is skipped here like any other, as Google's runtime (upb) skips it inside
    an unknown group; only in a message is it malformed (``next_field``)."""
    open_groups = [field]
    while i < end:
        tag_at = i
        key, i = _read_varint(data, i, end)
        number, wire = key >> 3, key & 7
        if key >> 32:
            raise Fail(f"field number {number} at byte {tag_at}")
        if wire == WIRE_END_GROUP:
            if number != open_groups[-1]:
                raise Fail(f"end of group {number} at byte {tag_at} inside group {open_groups[-1]}")
            open_groups.pop()
            if not open_groups:
                return tag_at, i
        elif wire == WIRE_START_GROUP:
            open_groups.append(number)
        elif wire == WIRE_VARINT:
            _, i = _read_varint(data, i, end)
        elif wire == WIRE_LEN:
            n, i = _read_varint(data, i, end)
            if i + n > end:
                raise Fail(
                    f"field {number} declares {n} bytes at byte {i}, only {end - i} are left"
                )
            i += n
        elif wire == WIRE_I64 or wire == 5:
            i += 8 if wire == WIRE_I64 else 4
            if i > end:
                raise Fail(f"truncated fixed-size field {number} at byte {tag_at}")
        else:
            raise Fail(f"unsupported wire type {wire} for field {number} at byte {tag_at}")
    raise Fail(f"group {open_groups[-1]} is not closed before the end of its message")


def _read_varint(data: bytes, i: int, end: int) -> tuple[int, int]:
    """A varint of at most 10 bytes; bits beyond 64 are dropped, as protobuf's runtime does."""
    result = shift = 0
    while i < end:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _MASK64, i
        shift += 7
        if shift >= 70:
            raise Fail(f"varint longer than 10 bytes at byte {i}")
    raise Fail(f"truncated varint at byte {i}")


#: Kinds whose occurrences merge (message fields); string kinds (each occurrence is UTF-8).
_MESSAGE_KINDS = frozenset({F_LIST, F_MAP, F_TUPLE, F_SET, F_FROZENSET, F_MESSAGE})
_STRING_KINDS = frozenset({F_STRING, F_DATETIME, F_DATE, F_TIME, F_DECIMAL})


#: The message fields and string fields of each message of the schema, for ``_check_wire``.
_VALUE, _LIST, _MAP, _ENTRY, _EMBEDDED = range(5)
_SCHEMA: dict[int, dict[int, int | None]] = {  # field -> the message it holds (None: a string)
    _VALUE: dict.fromkeys(_STRING_KINDS)
    | dict.fromkeys((F_LIST, F_TUPLE, F_SET, F_FROZENSET), _LIST)
    | {F_MAP: _MAP, F_MESSAGE: _EMBEDDED},
    _LIST: {1: _VALUE},
    _MAP: {1: _ENTRY},
    _ENTRY: {1: None, 2: _VALUE},
    _EMBEDDED: {1: None},
}
_CHECK_DEPTH = 200  # the runtime stops at 100 nested messages; this bounds the recursion


def _check_wire(data: bytes, i: int, end: int, message: int, depth: int = 0) -> None:
    """Check what protobuf's runtime checks of a message it parses but flowwire does not read
    (a kind replaced by a later one): the wire format, groups, and UTF-8 of every string
    field, in every nested message. Raises ``Fail``."""
    if depth > _CHECK_DEPTH:
        raise Fail("messages nested too deeply")
    fields = _SCHEMA[message]
    while i < end:
        field, wire, a, b, i = next_field(data, i, end)
        if wire != WIRE_LEN or field not in fields:
            continue
        inner = fields[field]
        if inner is None:
            data[a:b].decode()
        else:
            _check_wire(data, a, b, inner, depth + 1)


def _joined(data: bytes, spans: list[tuple[int, int]]) -> tuple[bytes, int, int]:
    """One message from several occurrences of a message field: reading their concatenation is
    merging them (protobuf's rule)."""
    if len(spans) == 1:
        return data, spans[0][0], spans[0][1]
    merged = b"".join(data[a:b] for a, b in spans)
    return merged, 0, len(merged)


def decode_value(data: bytes, i: int, end: int, depth: int, limit: int) -> Any:
    """The Value in ``data[i:end]``; containers in it are nested at ``depth``."""
    if i + 1 < end:  # fast paths: one short scalar field filling the whole Value
        t = data[i]
        b = data[i + 1]
        if t == 0x32:
            if b < 0x80 and i + 2 + b == end:
                return data[i + 2 : end].decode()
        elif t == 0x18:
            if b < 0x80:
                if i + 2 == end:
                    return (b >> 1) ^ -(b & 1)
            else:
                b, j = _read_varint(data, i + 1, end)
                if j == end:
                    return (b >> 1) ^ -(b & 1)
        elif t == 0x29:
            if i + 9 == end:
                return _unpack_double(data, i + 1)[0]
        elif t == 0x10:
            if b < 0x80 and i + 2 == end:
                return b != 0
        elif t == 0x08:
            if b == 0 and i + 2 == end:
                return None
        elif t == 0x4A or t == 0x42:  # a map or list whose length takes one or two bytes
            if b < 0x80:
                s = i + 2
            elif i + 2 < end and data[i + 2] < 0x80:
                s = i + 3
                b = (b & 0x7F) | data[i + 2] << 7
            else:
                s = -1
            if s + b == end:
                if depth >= limit:
                    raise Fail(f"nesting deeper than max_depth={limit}")
                if t == 0x4A:
                    return decode_entries(data, s, end, depth + 1, limit)
                return decode_items(data, s, end, depth + 1, limit)
    # The kind is a oneof: a later kind replaces an earlier one, the same message kind again
    # merges into it, the same scalar kind again replaces it.
    found = 0
    spans: list[tuple[int, int]] = []
    while i < end:
        field, wire, a, b, i = next_field(data, i, end)
        if KIND_WIRE.get(field) != wire:
            continue  # an unknown field, or a known one of another wire type: skipped
        if field in _STRING_KINDS:
            data[a:b].decode()  # every occurrence must be UTF-8, not only the last
        if field == found and field in _MESSAGE_KINDS:
            spans.append((a, b))
        else:
            replaced = _SCHEMA[_VALUE].get(found)
            if replaced is not None:  # a message kind replaced: never read, but checked
                for x, y in spans:
                    _check_wire(data, x, y, replaced)
            found = field
            spans = [(a, b)]
    if not found:
        raise Fail("Value has no kind set")
    body, a, b = _joined(data, spans)
    return _decode_kind(body, found, a, b, depth, limit)


def _decode_kind(data: bytes, field: int, a: int, b: int, depth: int, limit: int) -> Any:
    if field == F_STRING:
        return data[a:b].decode()
    if field == F_INT:
        return (a >> 1) ^ -(a & 1)
    if field == F_DOUBLE:
        return _unpack_double(data, a)[0]
    if field == F_BOOL:
        return a != 0
    if field == F_NULL:  # an open enum: any number reads as the null kind, as in protobuf
        return None
    if field == F_BYTES:
        return data[a:b]
    if F_LIST <= field <= F_FROZENSET:
        if depth >= limit:
            raise Fail(f"nesting deeper than max_depth={limit}")
        if field == F_MAP:
            return decode_entries(data, a, b, depth + 1, limit)
        items = decode_items(data, a, b, depth + 1, limit)
        if field == F_LIST:
            return items
        if field == F_TUPLE:
            return tuple(items)
        if not items:
            _take_empty_set()
        try:
            return set(items) if field == F_SET else frozenset(items)
        except TypeError:  # unhashable (lowered) items: the annotation rebuilds them
            return items
    if field in (F_BIG_INT, F_BIG_TIMEDELTA):
        if a == b:
            raise Fail("big integer with no bytes")
        number = int.from_bytes(data[a:b], "big", signed=True)
        return number if field == F_BIG_INT else _model.timedelta_from_micros(number, "$")
    if field == F_TIMEDELTA:
        return _model.timedelta_from_micros((a >> 1) ^ -(a & 1), "$")
    if field == F_UUID:
        if b - a != 16:
            raise Fail(f"uuid_value must be 16 bytes, got {b - a}")
        return UUID(bytes=data[a:b])
    if field == F_MESSAGE:
        return _decode_message(data, a, b)
    text = data[a:b].decode()
    if field == F_DATETIME:
        return _model.parse_datetime(text, "$")
    if field == F_DATE:
        return _model.parse_date(text, "$")
    if field == F_TIME:
        return _model.parse_time(text, "$")
    try:  # F_DECIMAL, the last kind
        return Decimal(text)
    except (InvalidOperation, ValueError):
        raise Fail(f"malformed decimal {text[:64]!r}") from None


def _decode_message(data: bytes, i: int, end: int) -> bytes:
    """The ``data`` of an EmbeddedMessage (the last one); its ``type_name`` is never used for
    anything, but must be UTF-8 like any protobuf string."""
    payload = b""
    while i < end:
        field, wire, a, b, i = next_field(data, i, end)
        if wire == WIRE_LEN:
            if field == 2:
                payload = data[a:b]
            elif field == 1:
                data[a:b].decode()
    return payload


def decode_items(data: bytes, i: int, end: int, depth: int, limit: int) -> list[Any]:
    """The items of a ValueList in ``data[i:end]``.

    The fast path reads an item with a one-byte length holding a short string, a small int, a
    double or an empty set directly; its conditions imply that the item is well formed (every length
    is checked against the item's end). Everything else goes through :func:`decode_value`.
    """
    out: list[Any] = []
    append = out.append
    try:
        while i < end:
            try:
                n = data[i + 1]
                j = i + 2 + n  # an overrun past ``end`` is caught after the loop
                if data[i] == 0x0A and n < 0x80:
                    t = data[i + 2]
                    if t == 0x32 and data[i + 3] == n - 2:
                        append(data[i + 4 : j].decode())
                    elif t == 0x18 and n == 2 and data[i + 3] < 0x80:
                        b = data[i + 3]
                        append((b >> 1) ^ -(b & 1))
                    elif t == 0x29 and n == 9:
                        append(_unpack_double(data, i + 3)[0])
                    elif (t == 0x5A or t == 0x62) and n == 2 and data[i + 3] == 0:
                        _take_empty_set()  # an empty set or frozenset: counted, cheaply
                        append(set() if t == 0x5A else frozenset())
                    else:
                        append(decode_value(data, i + 2, j, depth, limit))
                    i = j
                    continue
            except IndexError:
                pass  # peeked past the end of the body: the general path says what is wrong
            field, wire, s, j, i = next_field(data, i, end)
            if field == 1 and wire == WIRE_LEN:
                append(decode_value(data, s, j, depth, limit))
            # other fields (or items of another wire type) are unknown: skipped, as protobuf
            # parsers do
    except IndexError:
        raise relocate(Fail(f"truncated list at byte {i}"), None) from None
    except (Fail, UnicodeError, DecodeError) as exc:
        raise relocate(exc, len(out)) from None
    if i != end:
        raise Fail(f"the last list item runs {i - end} bytes past the end of its list")
    return out


def decode_entries(
    data: bytes, i: int, end: int, depth: int, limit: int, tag: int = 0x0A
) -> dict[str, Any]:
    """The entries of a ValueMap (or, with ``tag`` 0x12, the kwargs of an Arguments message).

    The fast path reads ``tag len 0x0a klen key 0x12 vlen value`` with one-byte lengths and
    inlines short scalar values; its conditions imply a well-formed entry (``data[k + 1]`` being
    the exact rest of the entry bounds the key inside it). Everything else goes through
    :func:`_decode_entry` and :func:`decode_value`.
    """
    out: dict[str, Any] = {}
    count = 0
    key: str | None = None
    number = tag >> 3
    try:
        while i < end:
            key = None
            try:
                n = data[i + 1]
                j = i + 2 + n  # an overrun past ``end`` is caught after the loop
                if data[i] == tag and n < 0x80 and data[i + 2] == 0x0A:
                    k = i + 4 + data[i + 3]
                    r = j - k
                    if data[k] == 0x12 and data[k + 1] == r - 2:
                        key = data[i + 4 : k].decode()
                        t = data[k + 2]
                        if t == 0x32 and data[k + 3] == r - 4:
                            out[key] = data[k + 4 : j].decode()
                        elif (
                            r == 4 and data[k + 3] < 0x80 and (t == 0x18 or t == 0x10 or t == 0x08)
                        ):
                            b = data[k + 3]
                            if t == 0x18:
                                out[key] = (b >> 1) ^ -(b & 1)
                            elif t == 0x10:
                                out[key] = b != 0
                            else:
                                out[key] = decode_value(data, k + 2, j, depth, limit)
                        elif t == 0x29 and r == 11:
                            out[key] = _unpack_double(data, k + 3)[0]
                        else:
                            out[key] = decode_value(data, k + 2, j, depth, limit)
                        count += 1
                        i = j
                        continue
            except IndexError:
                pass  # peeked past the end of the body: the general path says what is wrong
            field, wire, s, j, i = next_field(data, i, end)
            if field == number and wire == WIRE_LEN:
                k_, value = _decode_entry(data, s, j, depth, limit)
                out[k_] = value
                count += 1
            # other fields are unknown (or Arguments.args, read by the caller): skipped
    except IndexError:
        raise relocate(Fail(f"truncated map at byte {i}"), None) from None
    except (Fail, UnicodeError, DecodeError) as exc:
        raise relocate(exc, key) from None
    if i != end:
        raise Fail(f"the last map entry runs {i - end} bytes past the end of its map")
    if len(out) != count:
        raise Fail(f"map has duplicate keys ({count} entries, {len(out)} distinct keys)")
    return out


def _decode_entry(data: bytes, i: int, end: int, depth: int, limit: int) -> tuple[str, Any]:
    """A MapEntry in any field order: the last key wins, values given more than once merge
    (as in protobuf)."""
    key = ""
    spans: list[tuple[int, int]] = []
    while i < end:
        field, wire, a, b, i = next_field(data, i, end)
        if wire == WIRE_LEN:
            if field == 1:
                key = data[a:b].decode()
            elif field == 2:
                spans.append((a, b))
    if not spans:
        raise Fail(f"map entry {key!r:.40} has no value")
    try:
        body, a, b = _joined(data, spans)
        return key, decode_value(body, a, b, depth, limit)
    except (Fail, UnicodeError, DecodeError) as exc:
        raise relocate(exc, key) from None
