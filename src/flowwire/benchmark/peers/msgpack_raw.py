"""Raw msgpack-python: ``packb(use_bin_type=True)`` / ``unpackb(raw=False)``."""

from __future__ import annotations

from typing import Any

import msgpack

NAME = "msgpack"
LIBRARY = "msgpack"
NOTE = "msgpack.packb(value, use_bin_type=True) / msgpack.unpackb(data, raw=False)"


def encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


def decode(data: Any, type_hint: Any = None) -> Any:
    return msgpack.unpackb(data, raw=False)
