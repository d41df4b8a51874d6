"""Raw protobuf: generated classes of the Python protobuf runtime (upb).

Typed messages use ``SerializeToString`` / ``FromString`` of their own class. Other values use
the well-known ``google.protobuf.Value`` (Struct/ListValue): ``Struct.update`` /
``ListValue.extend`` to encode and a direct walk over the decoded message to get Python values
back (faster than ``json_format.MessageToDict``). Struct has no bytes and stores every number as
a double, so integers come back as floats: the runner reports that conversion.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

NAME = "protobuf"
LIBRARY = "protobuf"
NOTE = "typed: SerializeToString/FromString; others: google.protobuf.Value (Struct), ints -> double"

_Value = struct_pb2.Value


def encode(value: Any) -> bytes:
    if hasattr(value, "SerializeToString") and hasattr(value, "DESCRIPTOR"):
        return value.SerializeToString()  # type: ignore[no-any-return]
    msg = _Value()
    if isinstance(value, dict):
        msg.struct_value.update(value)
    elif isinstance(value, list):
        msg.list_value.extend(value)
    elif isinstance(value, str):
        msg.string_value = value
    else:
        raise TypeError(f"google.protobuf.Value cannot carry {type(value).__name__}")
    return msg.SerializeToString()


def _python(msg: Any) -> Any:
    kind = msg.WhichOneof("kind")
    if kind == "struct_value":
        return {key: _python(item) for key, item in msg.struct_value.fields.items()}
    if kind == "list_value":
        return [_python(item) for item in msg.list_value.values]
    if kind == "null_value":
        return None
    return getattr(msg, kind)


def decode(data: Any, type_hint: Any = None) -> Any:
    if type_hint is not None:
        return type_hint.FromString(data)
    return _python(_Value.FromString(data))
