"""pydantic v2 on the typed payload: ``TypeAdapter(Order).dump_json`` / ``validate_json``
(into the same dataclasses). Typed payloads only."""

from __future__ import annotations

from typing import Any

import pydantic

NAME = "pydantic"
LIBRARY = "pydantic"
NOTE = "TypeAdapter(Order).dump_json(value) / .validate_json(data), one adapter per type"
KINDS = frozenset({"typed"})


_adapters: dict[Any, Any] = {}


def _adapter(hint: Any) -> Any:
    found = _adapters.get(hint)
    if found is None:
        found = _adapters[hint] = pydantic.TypeAdapter(hint)
    return found


def encode(value: Any) -> bytes:
    adapter: Any = _adapter(type(value))
    return adapter.dump_json(value)  # type: ignore[no-any-return]


def decode(data: Any, type_hint: Any = None) -> Any:
    adapter: Any = _adapter(type_hint)
    return adapter.validate_json(data)
