"""Raw orjson: ``orjson.dumps`` / ``orjson.loads`` with default options."""

from __future__ import annotations

from typing import Any

import orjson

NAME = "orjson"
LIBRARY = "orjson"
NOTE = "orjson.dumps(value) / orjson.loads(data), default options"


def encode(value: Any) -> bytes:
    return orjson.dumps(value)


def decode(data: Any, type_hint: Any = None) -> Any:
    return orjson.loads(data)
