"""msgspec's JSON encoder and decoder (untyped). Bytes would come back as base64 text, so bytes
payloads are refused rather than silently converted."""

from __future__ import annotations

from typing import Any

import msgspec

NAME = "msgspec.json"
LIBRARY = "msgspec"
NOTE = "reused msgspec.json.Encoder() / Decoder() (untyped); bytes refused"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def encode(value: Any) -> bytes:
    if isinstance(value, bytes):
        raise TypeError("msgspec.json has no bytes type (it would return base64 text)")
    return _encoder.encode(value)


def decode(data: Any, type_hint: Any = None) -> Any:
    return _decoder.decode(data)
