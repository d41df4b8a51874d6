"""The reference candidates: the raw libraries the built-in codecs build on, and a memory copy.

These need nothing beyond flowwire's own dependencies, so ``flowwire bench`` always has them:
they fill the "x raw lib" and "x base" columns. Comparisons with other libraries (msgspec,
pydantic, Temporal's converter, ...) are not part of the package: they live in the
repository's ``bench/`` directory (``python bench/run.py``).

* ``orjson``: ``orjson.dumps`` / ``orjson.loads`` with default options.
* ``msgpack``: ``packb(use_bin_type=True)`` / ``unpackb(raw=False)``.
* ``protobuf``: typed messages with ``SerializeToString`` / ``FromString`` of their own class;
  other values through the well-known ``google.protobuf.Value`` (``Struct.update`` /
  ``ListValue.extend``, read back by a direct walk, faster than ``json_format.MessageToDict``).
  Struct has no bytes and stores every number as a double, so integers come back as floats:
  the runner reports that conversion.
* ``memcopy``: ``bytearray(x)`` / ``bytes(x)``, one copy each way, for ``bytes`` payloads only;
  it bounds what any codec can reach on them.

Each encode raises ``TypeError`` (or the library's own error) for a value the library cannot
carry; the runner then lists the pair as unsupported with that message.
"""

from __future__ import annotations

from typing import Any

import msgpack
import orjson
from google.protobuf import struct_pb2

from flowwire.benchmark.candidates import UNTYPED_KINDS, Candidate

__all__ = ["reference_candidates"]

_Value = struct_pb2.Value


def _orjson_decode(data: Any, type_hint: Any) -> Any:
    return orjson.loads(data)


def _msgpack_encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


def _msgpack_decode(data: Any, type_hint: Any) -> Any:
    return msgpack.unpackb(data, raw=False)


def _protobuf_encode(value: Any) -> bytes:
    if hasattr(value, "SerializeToString") and hasattr(value, "DESCRIPTOR"):
        return value.SerializeToString()  # type: ignore[no-any-return]
    msg = _Value()
    if isinstance(value, dict):
        msg.struct_value.update(value)
    elif isinstance(value, list):
        msg.list_value.extend(value)
    elif isinstance(value, str):
        msg.string_value = value
    else:
        raise TypeError(f"google.protobuf.Value cannot carry {type(value).__name__}")
    return msg.SerializeToString()


def _python(msg: Any) -> Any:
    kind = msg.WhichOneof("kind")
    if kind == "struct_value":
        return {key: _python(item) for key, item in msg.struct_value.fields.items()}
    if kind == "list_value":
        return [_python(item) for item in msg.list_value.values]
    if kind == "null_value":
        return None
    return getattr(msg, kind)


def _protobuf_decode(data: Any, type_hint: Any) -> Any:
    if type_hint is not None:
        return type_hint.FromString(data)
    return _python(_Value.FromString(data))


def _memcopy_encode(value: Any) -> bytes | bytearray:
    if type(value) is not bytes:
        raise TypeError(
            f"memcopy is the reference for bytes payloads only, not {type(value).__name__}"
        )
    return bytearray(value)


def _memcopy_decode(data: Any, type_hint: Any) -> bytes:
    return bytes(data)


def reference_candidates() -> list[Candidate]:
    """The four reference candidates, in display order (memcopy first). Their ``group`` is
    ``"reference"`` for the memory copy and ``"peer"`` for the raw libraries (the group names
    of the results document)."""
    return [
        Candidate(
            name="memcopy",
            group="reference",
            library="python",
            encode=_memcopy_encode,
            decode=_memcopy_decode,
            note="bytearray(value) to encode, bytes(data) to decode: one memory copy each way",
            kinds=UNTYPED_KINDS,
        ),
        Candidate(
            name="orjson",
            group="peer",
            library="orjson",
            encode=orjson.dumps,
            decode=_orjson_decode,
            note="orjson.dumps(value) / orjson.loads(data), default options",
            kinds=UNTYPED_KINDS,
        ),
        Candidate(
            name="msgpack",
            group="peer",
            library="msgpack",
            encode=_msgpack_encode,
            decode=_msgpack_decode,
            note="msgpack.packb(value, use_bin_type=True) / msgpack.unpackb(data, raw=False)",
            kinds=UNTYPED_KINDS,
        ),
        Candidate(
            name="protobuf",
            group="peer",
            library="protobuf",
            encode=_protobuf_encode,
            decode=_protobuf_decode,
            note="typed: SerializeToString/FromString; others: google.protobuf.Value (Struct), "
            "ints -> double",
            kinds=UNTYPED_KINDS,
        ),
    ]
