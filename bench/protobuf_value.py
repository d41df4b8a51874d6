"""The protobuf section: the protobuf codec's generic Value against raw msgpack (issue 2's
targets).

Run by ``python bench/run.py --only protobuf``. Prints medians of interleaved rounds and the
ratios the issue asks for:

* record: encode+decode of a ~20-field record through ``ProtobufCodec`` vs ``msgpack.packb`` +
  ``msgpack.unpackb`` on the same value (target: within 4x), with the naive conversion through
  the generated protobuf classes for reference;
* 1 MiB of bytes through the codec vs a plain memory copy of the same bytes (target: >= 25%).

The generated classes are made from the repository's ``proto/flowwire/v1/value.proto`` with
grpcio-tools (the ``dev`` extra) into a temporary directory, so this module imports no private
module of the package.

Encode and decode are timed separately (each step on its own input) and added. Timing
``decode(encode(blob))`` as one step would mostly measure the C allocator: with two 1 MiB buffers
alive at once, glibc returns the memory to the system after every call and page-faults it back
in on the next one, which costs ~40x a copy on some machines for any library.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgpack

from flowwire.transport import ProtobufCodec

PROTO = Path(__file__).resolve().parents[1] / "proto"


def _generated() -> ModuleType:
    """``value_pb2``, generated from :data:`PROTO` by grpcio-tools' protoc.

    Raises:
        ImportError: if grpcio-tools is not installed (``pip install grpcio-tools``).
    """
    name = "flowwire_bench_value_pb2"
    if name in sys.modules:
        return sys.modules[name]
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory(prefix="flowwire-bench-proto-") as out:
        status = protoc.main(
            ["protoc", f"-I{PROTO}", f"--python_out={out}", "flowwire/v1/value.proto"]
        )
        if status != 0:
            raise RuntimeError(f"protoc failed on {PROTO}/flowwire/v1/value.proto: {status}")
        spec = importlib.util.spec_from_file_location(name, Path(out, "flowwire/v1/value_pb2.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


RECORD: dict[str, Any] = {
    "id": "ord-000123",
    "customer": "Ada Lovelace",
    "email": "ada@example.com",
    "quantity": 3,
    "price": 19.99,
    "discount": 0.15,
    "paid": True,
    "gift": False,
    "note": None,
    "tags": ["a", "bb", "ccc"],
    "sku": "SKU-77812",
    "warehouse": 12,
    "weight": 1.25,
    "country": "GB",
    "priority": 2,
    "express": False,
    "coupon": None,
    "address": {"street": "1 Main St", "city": "London", "zip": "N1 9GU"},
    "created": 1700000000,
    "status": "placed",
}
BLOB = bytes(range(256)) * 4096  # 1 MiB


def naive_encode(value: Any) -> bytes:
    """The per-node conversion through the generated classes (for reference only)."""
    return _to_pb(value).SerializeToString()


def naive_decode(data: bytes) -> Any:
    return _from_pb(_generated().Value.FromString(data))


def _to_pb(value: Any) -> Any:
    value_pb2 = _generated()
    out = value_pb2.Value()
    if value is None:
        out.null_value = value_pb2.NULL_VALUE
    elif type(value) is bool:
        out.bool_value = value
    elif type(value) is int:
        out.int_value = value
    elif type(value) is float:
        out.double_value = value
    elif type(value) is str:
        out.string_value = value
    elif type(value) is list:
        out.list_value.items.extend(_to_pb(v) for v in value)
    elif type(value) is dict:
        entries = out.map_value.entries
        for k, v in value.items():
            entries.add(key=k, value=_to_pb(v))
    else:
        raise TypeError(type(value))
    return out


def _from_pb(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "list_value":
        return [_from_pb(v) for v in value.list_value.items]
    if kind == "map_value":
        return {e.key: _from_pb(e.value) for e in value.map_value.entries}
    if kind == "null_value":
        return None
    return getattr(value, kind)


def _timed(func: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def run(rounds: int, *, quick: bool = False) -> dict[str, float]:
    """Median seconds per call of each measured step, interleaved over ``rounds`` rounds
    (``quick``: 100 times fewer calls per step, for a smoke test)."""
    codec = ProtobufCodec()
    encoded = codec.encode(RECORD)
    assert codec.decode(encoded) == RECORD
    assert naive_encode(RECORD) == encoded  # the same bytes as the generated classes
    assert naive_decode(encoded) == RECORD
    packed = msgpack.packb(RECORD)
    blob_encoded = codec.encode(BLOB)
    assert codec.decode(blob_encoded) == BLOB
    steps: dict[str, tuple[Callable[[], Any], int]] = {
        "record msgpack packb": (lambda: msgpack.packb(RECORD), 2000),
        "record msgpack unpackb": (lambda: msgpack.unpackb(packed), 2000),
        "record protobuf encode": (lambda: codec.encode(RECORD), 2000),
        "record protobuf decode": (lambda: codec.decode(encoded), 2000),
        "record naive encode": (lambda: naive_encode(RECORD), 500),
        "record naive decode": (lambda: naive_decode(encoded), 500),
        "1MiB memory copy": (lambda: bytearray(BLOB), 200),
        "1MiB protobuf encode": (lambda: codec.encode(BLOB), 200),
        "1MiB protobuf decode": (lambda: codec.decode(blob_encoded), 200),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):  # interleaved, so drifts hit every step alike
        for name, (func, number) in steps.items():
            samples[name].append(_timed(func, max(1, number // 100) if quick else number))
    return {name: statistics.median(times) for name, times in samples.items()}


def figures(quick: bool) -> dict[str, Any]:
    """The section's figures: the medians (seconds per call) and the two target ratios."""
    medians = run(3 if quick else 15, quick=quick)
    msgpack_rt = medians["record msgpack packb"] + medians["record msgpack unpackb"]
    record = (medians["record protobuf encode"] + medians["record protobuf decode"]) / msgpack_rt
    naive = (medians["record naive encode"] + medians["record naive decode"]) / msgpack_rt
    blob = medians["1MiB memory copy"] / (
        medians["1MiB protobuf encode"] + medians["1MiB protobuf decode"]
    )
    return {
        "medians_s": medians,
        "record_vs_msgpack": record,
        "naive_record_vs_msgpack": naive,
        "bytes_1mib_speed_vs_memcopy": blob,
    }


def render(console: Any, result: dict[str, Any]) -> None:
    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    say("protobuf codec's Value against raw msgpack and a memory copy (medians)")
    for name, seconds in result["medians_s"].items():
        say(f"  {name:<24} {seconds * 1e6:10.2f} us")
    say(
        f"record encode+decode vs raw msgpack: {result['record_vs_msgpack']:.2f}x (target <= 4x;"
        f" naive {result['naive_record_vs_msgpack']:.2f}x)"
    )
    say(
        f"1 MiB bytes encode+decode vs one memory copy: "
        f"{result['bytes_1mib_speed_vs_memcopy']:.0%} of its speed (target >= 25%)"
    )
