"""Helpers shared by the protobuf codec tests (test_protobuf.py, test_protobuf_wire.py): the
generated test messages, and protobuf wire bytes written by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["field", "load_order_pb2", "varint"]

PROTOS = Path(__file__).resolve().parent / "protos"


def load_order_pb2() -> ModuleType:
    """The generated test messages (``tests/transport/protos/testdata_order.proto``), loaded by
    path so that no top-level package name is claimed; loaded once per process."""
    name = "testdata_order_pb2"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROTOS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def varint(n: int) -> bytes:
    """``n`` (>= 0) as a protobuf base-128 varint."""
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2): tag, length, payload."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload
