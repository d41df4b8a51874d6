"""pydantic v2 on the typed payload: ``TypeAdapter(Order).dump_json`` / ``validate_json``
(into the same dataclasses). Typed payloads only."""

from __future__ import annotations

from functools import cache
from typing import Any

import pydantic

NAME = "pydantic"
LIBRARY = "pydantic"
NOTE = "TypeAdapter(Order).dump_json(value) / .validate_json(data), one adapter per type"
KINDS = frozenset({"typed"})


@cache
def _adapter(hint: Any) -> Any:
    return pydantic.TypeAdapter(hint)


def encode(value: Any) -> bytes:
    return _adapter(type(value)).dump_json(value)  # type: ignore[no-any-return]


def decode(data: Any, type_hint: Any = None) -> Any:
    return _adapter(type_hint).validate_json(data)
