"""The physical reference: copying the bytes once per direction (``bytearray(x)`` / ``bytes(x)``).

Only defined for ``bytes`` payloads; it bounds what any codec can reach on them.
"""

from __future__ import annotations

from typing import Any

NAME = "memcopy"
LIBRARY = "python"
NOTE = "bytearray(value) to encode, bytes(data) to decode: one memory copy each way"


def encode(value: Any) -> bytes | bytearray:
    if type(value) is not bytes:
        raise TypeError(
            f"memcopy is the reference for bytes payloads only, not {type(value).__name__}"
        )
    return bytearray(value)


def decode(data: Any, type_hint: Any = None) -> bytes:
    return bytes(data)
