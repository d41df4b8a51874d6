"""msgspec's MessagePack encoder and decoder (untyped): the near-limit anchor."""

from __future__ import annotations

from typing import Any

import msgspec

NAME = "msgspec.msgpack"
LIBRARY = "msgspec"
NOTE = "reused msgspec.msgpack.Encoder() / Decoder() (untyped, returns builtins)"

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def decode(data: Any, type_hint: Any = None) -> Any:
    return _decoder.decode(data)
