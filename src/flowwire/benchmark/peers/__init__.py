"""Peer candidates: one module per library, each exporting the same small interface.

Every module defines ``NAME`` (the label in tables), ``LIBRARY`` (the distribution whose version
is reported), ``NOTE`` (one line: how the library is used), ``encode(value) -> bytes | str`` and
``decode(data, type_hint=None) -> value``. ``encode`` raises ``TypeError`` (or the library's own
error) for a value the library cannot carry; the runner then lists the pair as unsupported with
that message. A module whose library is not installed fails to import and is skipped with a note.
Optional: ``KINDS`` (the payload kinds it runs on; default: all but ``"typed"``), ``prepare``
(the payload value in the peer's own types, made once before timing) and ``normalize`` (a
decoded value back in the payload's types, for the round-trip check).
"""

from __future__ import annotations

__all__ = ["PEER_MODULES"]

#: Peer modules in display order (import names relative to this package).
PEER_MODULES = (
    "memcopy",
    "orjson_raw",
    "msgpack_raw",
    "protobuf_raw",
    "msgspec_msgpack",
    "msgspec_json",
    "pydantic_typed",
    "msgspec_struct",
    "flowy_json",
    "temporal",
)
