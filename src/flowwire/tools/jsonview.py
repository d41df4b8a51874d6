"""Any decoded value as valid JSON text: how the command line prints values.

The text is flowwire's *tagged JSON* (the JSON codec's tagged form, specified on the envelope
page): plain JSON for everything JSON can say, and single-key escape objects for the rest, so
the output is always valid JSON (RFC 8259) and never loses a value:

* NaN and the infinities: ``{"$float": "nan"}``, ``{"$float": "inf"}``, ``{"$float": "-inf"}``;
* ``bytes``: ``{"$bytes": "<standard base64>"}``;
* integers outside [-2**63, 2**64): ``{"$int": "<decimal digits>"}``;
* an object with exactly one key that starts with ``$``: wrapped as ``{"$dict": {...}}``;
* extended types in their lowered form (the value-model page): ``datetime`` as ISO 8601 text,
  ``Decimal`` and ``UUID`` as text, tuples and sets as arrays, dataclasses as objects, enums as
  their values;
* anything the JSON codec cannot carry at all (an object outside the value model):
  ``{"$repr": "<its repr()>"}``, so printing never fails.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from flowwire.errors import EncodeError
from flowwire.transport.codecs.json import JSONCodec

__all__ = ["to_json"]

_CODEC = JSONCodec()


def to_json(value: Any, *, indent: bool = False) -> str:
    """``value`` as tagged JSON text (see the module docstring): one line with the usual
    ``", "`` and ``": "`` separators, or with ``indent`` two spaces a level."""
    try:
        body = _CODEC.encode_tagged(value)[1:]  # drop the body-form prefix "$"
    except EncodeError:
        body = orjson.dumps({"$repr": repr(value)})
    if indent:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode()
    return json.dumps(orjson.loads(body), ensure_ascii=False)
