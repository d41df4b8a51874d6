"""Temporal's Python SDK default data converter (``temporalio.converter.default()``).

``DataConverter.encode`` is a coroutine; with the default converter it only runs the payload
converter (there is no payload codec), so this module calls the synchronous
``payload_converter.to_payloads`` / ``from_payloads`` directly and serializes the resulting
``temporal.api.common.v1.Payloads`` message, which is what travels to the Temporal server.
Typed protobuf messages go through Temporal's protobuf JSON converter and come back via the
type hint.
"""

from __future__ import annotations

from typing import Any

import temporalio.converter
from temporalio.api.common.v1 import Payloads

NAME = "temporal"
LIBRARY = "temporalio"
NOTE = "default().payload_converter.to_payloads/from_payloads + Payloads protobuf bytes"

_converter = temporalio.converter.default().payload_converter


def encode(value: Any) -> bytes:
    return Payloads(payloads=_converter.to_payloads([value])).SerializeToString()


def decode(data: Any, type_hint: Any = None) -> Any:
    payloads = Payloads.FromString(data).payloads
    return _converter.from_payloads(payloads, None if type_hint is None else [type_hint])[0]
