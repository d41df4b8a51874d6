"""A custom codec: CBOR (RFC 8949) through cbor2, worked end to end.

This module is the example of the "Writing a custom transport" documentation page. It shows
everything a third-party codec needs:

* a class with a ``name`` and ``encode``/``decode`` over the base value model;
* extended types (tuple, datetime, Decimal, dataclasses, ...) lowered with
  :func:`flowwire.transport.lower_fully`, so the transport rebuilds them from annotations
  exactly as it does for the built-in codecs;
* errors of the library wrapped at the boundary (:class:`~flowwire.EncodeError` with the value's
  path, :class:`~flowwire.DecodeError` for anything wrong with the input);
* a decoder that is safe on hostile input: before cbor2 sees a byte, :func:`check_structure`
  walks the item headers and refuses declared lengths larger than what is left of the input,
  nesting deeper than ``max_depth``, indefinite lengths, semantic tags other than big integers,
  ``undefined`` and simple values, non-text map keys, duplicate keys and trailing bytes.

Run it from the repository root to see a payload and the conformance check pass::

    python examples/cbor_transport.py

Needs ``pip install cbor2`` (tested with cbor2 6.3; the structure check does not rely on how a
given cbor2 version allocates, and the codec uses only ``dumps``, ``loads`` and the error classes).
"""

from __future__ import annotations

from typing import Any

import cbor2

from flowwire.errors import DecodeError, EncodeError
from flowwire.transport import MAX_DEPTH, CodecTransport, lower_fully, register_codec

__all__ = ["CBORCodec", "CBORTransport", "check_structure", "register"]

#: Semantic tags the decoder accepts: 2 and 3, positive and negative big integers (RFC 8949
#: section 3.4.3), the only tags this codec writes. Every other tag is refused: cbor2 would
#: otherwise build objects outside the value model (regular expressions, MIME messages, shared
#: and cyclic references, ...).
BIGNUM_TAGS = frozenset({2, 3})
#: Major type 7 items accepted: false, true, null and half/single/double floats. Refused:
#: ``undefined`` (23), the other simple values and the "break" code (31).
_SIMPLE_OK = frozenset({20, 21, 22, 25, 26, 27})
_ARGUMENT_SIZE = {24: 1, 25: 2, 26: 4, 27: 8}


def check_structure(data: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Check that ``data`` is exactly one CBOR item of the subset this codec writes.

    The walk reads item headers only (strings are skipped, not decoded) and uses no recursion,
    so it costs time in proportion to the number of items and no memory beyond the open
    containers. A count of array items, map entries or string bytes is checked against the
    bytes that remain before anything is allocated for it: a five-byte input cannot make the
    decoder reserve gigabytes. Depth counts nested containers, as ``lower_fully`` and the
    built-in codecs do: ``max_depth`` arrays and maps may nest, one more is refused (the
    top-level item is at depth 0, and a container may start at depth ``max_depth - 1`` at most).

    Raises:
        DecodeError: naming the problem and the byte offset where it was found.
    """
    end = len(data)
    pos = 0
    # one frame per open container: [items left, is a map, raw keys seen (maps only)]
    stack: list[list[Any]] = [[1, False, None]]
    while stack:
        frame = stack[-1]
        if frame[0] == 0:
            stack.pop()
            if stack:
                stack[-1][0] -= 1
            continue
        is_key = frame[1] and frame[0] % 2 == 0
        start = pos
        major, argument, pos = _header(data, pos, end)
        if is_key and major != 3:
            raise DecodeError(f"CBOR map key at byte {start} is not a text string")
        if major in (2, 3):
            if argument > end - pos:
                raise DecodeError(
                    f"CBOR string at byte {start} declares {argument} bytes, "
                    f"only {end - pos} remain"
                )
            if is_key:
                key = data[pos : pos + argument]
                if key in frame[2]:
                    raise DecodeError(f"CBOR map has a duplicate key at byte {start}")
                frame[2].add(key)
            pos += argument
        elif major == 4 or major == 5:
            slots = argument if major == 4 else 2 * argument
            if slots > end - pos:
                raise DecodeError(
                    f"CBOR {'array' if major == 4 else 'map'} at byte {start} declares "
                    f"{argument} items, only {end - pos} bytes remain"
                )
            if len(stack) > max_depth:  # this container is at depth len(stack) - 1
                raise DecodeError(f"CBOR nesting deeper than max_depth={max_depth} at byte {start}")
            stack.append([slots, major == 5, set() if major == 5 else None])
            continue  # the container counts as done when its frame is popped
        elif major == 6:
            if argument not in BIGNUM_TAGS:
                raise DecodeError(f"CBOR tag {argument} at byte {start} is not accepted")
            inner, size, pos = _header(data, pos, end)
            if inner != 2 or size > end - pos:
                raise DecodeError(f"CBOR big integer at byte {start} is malformed")
            pos += size
        elif major == 7 and (data[start] & 31) not in _SIMPLE_OK:
            raise DecodeError(f"CBOR simple value {argument} at byte {start} is not accepted")
        frame[0] -= 1
    if pos != end:
        raise DecodeError(f"{end - pos} trailing bytes after the CBOR item (at byte {pos})")


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """``(major type, argument, position after the header)`` of the item at ``pos``.

    For floats (major type 7, additional information 25-27) the argument is the raw bits.
    """
    if pos >= end:
        raise DecodeError(f"CBOR data truncated at byte {pos}")
    initial = data[pos]
    major, info = initial >> 5, initial & 31
    if info < 24:
        return major, info, pos + 1
    size = _ARGUMENT_SIZE.get(info)
    if size is None:  # 28-30 are reserved, 31 marks indefinite lengths and "break"
        raise DecodeError(
            f"CBOR item at byte {pos} uses additional information {info} "
            "(indefinite lengths and reserved values are not accepted)"
        )
    if pos + 1 + size > end:
        raise DecodeError(f"CBOR data truncated in the header at byte {pos}")
    return major, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


class CBORCodec:
    """CBOR through cbor2: the base value model natively, extended types lowered.

    ``None``, ``bool``, ``int`` of any size (tags 2 and 3 beyond 64 bits), ``float`` (NaN,
    infinities and -0.0 included), ``str``, ``bytes``, ``list`` and ``dict`` with ``str`` keys
    round-trip exactly. Extended types are lowered to the forms of the value-model page and are
    rebuilt by the transport from annotations.

    Args:
        max_depth: the maximum nesting depth (see :func:`check_structure`), enforced on encode
            and on decode.
    """

    name = "cbor"

    def __init__(self, *, max_depth: int = MAX_DEPTH) -> None:
        if max_depth < 0:
            raise ValueError(f"max_depth must be >= 0, got {max_depth}")
        self.max_depth = max_depth

    def __repr__(self) -> str:
        return f"CBORCodec(max_depth={self.max_depth})"

    def encode(self, value: Any) -> bytes:
        """CBOR bytes of ``value``.

        Raises:
            EncodeError: a value outside the model, a non-``str`` key, text that is not valid
                UTF-8, or nesting deeper than ``max_depth``; the message names the value's path.
        """
        # Raises EncodeError with the path for types outside the model, non-str keys, text
        # that is not valid UTF-8 and nesting deeper than max_depth.
        lowered = lower_fully(value, "$", max_depth=self.max_depth)
        try:
            return cbor2.dumps(lowered)
        except (cbor2.CBOREncodeError, UnicodeError, ValueError, TypeError) as exc:
            raise EncodeError(f"cannot encode as CBOR: {exc}") from exc

    def decode(self, data: bytes) -> Any:
        """The value of one CBOR item, as written by :meth:`encode` or a foreign writer.

        Raises:
            DecodeError: anything :func:`check_structure` refuses, invalid UTF-8, or any
                other error cbor2 reports; never another exception type.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(f"CBOR body must be bytes, got {type(data).__name__}")
        data = bytes(data)
        check_structure(data, self.max_depth)
        try:
            return cbor2.loads(data)
        except (cbor2.CBORError, UnicodeError, ValueError, TypeError, OverflowError) as exc:
            raise DecodeError(f"malformed CBOR payload: {exc}") from exc


class CBORTransport(CodecTransport):
    """A transport whose codec is :class:`CBORCodec` (payloads are always enveloped).

    Takes the options of :class:`~flowwire.CodecTransport` except the codec; ``max_depth`` is
    passed to the codec too.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(CBORCodec(max_depth=options.get("max_depth", MAX_DEPTH)), **options)


def register() -> None:
    """Register the codec as ``"cbor"`` (then ``get_transport("cbor")`` works, and so do
    ``transport="cbor"`` and ``"cbor+zstd"``). Registering the same class twice is allowed.

    Raises:
        RegistrationError: another codec is already registered as ``"cbor"``.
    """
    register_codec("cbor", CBORCodec)


def main() -> None:
    from decimal import Decimal

    from flowwire.testing import check_transport

    transport = CBORTransport()
    payload = transport.serialize_arguments(("hello", 42), {"price": Decimal("9.99")})
    print(f"payload: {payload}")
    print(f"decoded: {transport.deserialize_arguments(payload)}")
    check_transport(transport)
    print("check_transport(CBORTransport()) passed")


if __name__ == "__main__":
    main()
