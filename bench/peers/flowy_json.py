"""stdlib ``json`` used the way flowy 0.4.1 serializes task data.

flowy 0.4.1 (``flowy/serialization.py``) walks the value first, turning bytes into
``{" b": <base64>}`` and UUIDs into ``{" u": <hex>}`` objects and tuples into lists, then calls
``json.dumps`` with default options; it reads with ``json.loads`` and an ``object_hook`` that
turns those one-key objects back. Task input is ``[args, kwargs]``. This module reproduces that
usage (it does not import flowy, which needs patches to import on Python 3.11).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

NAME = "flowy-json"
LIBRARY = "python"
NOTE = "json.dumps after a tagging walk (bytes -> base64), json.loads with an object_hook"


def _tagged(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {" u": value.hex}
    if isinstance(value, bytes):
        return {" b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_tagged(item) for item in value]
    if isinstance(value, dict):
        return {key: _tagged(item) for key, item in value.items()}
    return value


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, item),) = obj.items()
        if key == " b":
            return base64.b64decode(item)
        if key == " u":
            return uuid.UUID(item)
    return obj


def encode(value: Any) -> str:
    return json.dumps(_tagged(value))


def decode(data: Any, type_hint: Any = None) -> Any:
    return json.loads(data, object_hook=_hook)
