"""The worked custom codec (examples/cbor_transport.py) passes the same conformance check as the
built-ins, registers by name, and refuses hostile CBOR with DecodeError before cbor2 allocates."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("cbor2", reason=reason("cbor2"))

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from examples.cbor_transport import (  # noqa: E402  (needs the path above)
    CBORCodec,
    CBORTransport,
    check_structure,
    register,
)
from flowwire import Codec, DecodeError, EncodeError, JSONTransport, get_transport  # noqa: E402
from flowwire.testing import TransportConformance, check_transport, values, values_equal  # noqa: E402


def test_conformance_in_one_line() -> None:
    check_transport(CBORTransport())


class TestCBORConformance(TransportConformance):
    """The same properties as pytest tests, one per property (shown on the testing page)."""

    max_examples = 30

    @pytest.fixture
    def transport(self) -> CBORTransport:
        return CBORTransport()


def test_is_a_codec_and_registers_by_name() -> None:
    assert isinstance(CBORCodec(), Codec)
    register()
    register()  # the same class again: allowed
    transport = get_transport("cbor")
    payload = transport.serialize_result({"n": 2**70, "b": b"\x00"})
    assert payload.startswith("~")
    assert transport.deserialize_result(payload) == {"n": 2**70, "b": b"\x00"}
    # a receiver on another codec reads it when its accept-list names "cbor" ...
    assert JSONTransport(accept={"json", "cbor"}).deserialize_result(payload)["n"] == 2**70
    # ... and refuses it otherwise
    with pytest.raises(DecodeError, match="'cbor' is not accepted"):
        JSONTransport().deserialize_result(payload)


def test_the_envelope_names_the_codec() -> None:
    from flowwire.transport import envelope

    env = envelope.unpack(envelope.dearmor(CBORTransport().serialize_result([1, "a"])))
    assert (env.codec, env.stages, env.body) == ("cbor", (), bytes.fromhex("82016161"))


@settings(max_examples=80, deadline=None)
@given(values())
def test_base_model_round_trips_through_the_codec(value: Any) -> None:
    codec = CBORCodec()
    assert values_equal(codec.decode(codec.encode(value)), value)


def test_special_floats_and_big_ints() -> None:
    codec = CBORCodec()
    for value in (math.inf, -math.inf, -0.0, 5e-324, 2**64, -(2**64) - 1, 2**64 - 1):
        assert values_equal(codec.decode(codec.encode(value)), value)
    assert math.isnan(codec.decode(codec.encode(math.nan)))


def test_encode_errors_name_the_path() -> None:
    codec = CBORCodec()
    with pytest.raises(EncodeError) as info:
        codec.encode({"a": [1, "\ud800"]})
    assert info.value.path == '$["a"][1]'
    with pytest.raises(EncodeError) as info:
        codec.encode({"a": {1: "x"}})
    assert info.value.path == '$["a"]'
    with pytest.raises(EncodeError, match="not part of the value model"):
        codec.encode([object()])


def _nested(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels - 1):
        value = [value]
    return value


def test_max_depth_is_the_same_on_both_sides() -> None:
    codec = CBORCodec(max_depth=5)
    allowed: Any
    deeper: Any
    for allowed in (_nested(6), [[[[[]]]]]):  # five lists, around a scalar or empty
        assert codec.decode(codec.encode(allowed)) == allowed
    for deeper in (_nested(7), [[[[[[]]]]]]):  # six lists: as the built-in codecs count
        with pytest.raises(EncodeError, match="max_depth=5"):
            codec.encode(deeper)
        with pytest.raises(DecodeError, match="max_depth=5"):
            codec.decode(CBORCodec().encode(deeper))


HOSTILE = {
    "array of 2**63 items": "9b7fffffffffffffff00",
    "array of 2**28 items": "9a1000000000",
    "map of 2**28 entries": "ba100000006161",
    "byte string of 4 GiB": "5affffffff00",
    "text of 1 GiB": "7a4000000061",
    "big integer of 1 GiB": "c25a4000000000",
    "indefinite array": "9f01ff",
    "indefinite byte string": "5f4101ff",
    "regular expression tag": "d8236161",
    "shared reference tags": "d81c81d81d00",
    "epoch datetime tag": "c11a00000001",
    "undefined": "f7",
    "simple value": "f0",
    "break code": "ff",
    "reserved additional info": "1c",
    "integer map key": "a10102",
    "array map key": "a18001",
    "duplicate keys": "a2616101616102",
    "trailing bytes": "0102",
    "truncated header": "1a0001",
    "empty input": "",
    "invalid UTF-8 text": "62c328",
    "too deep": "81" * 200 + "00",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_raises_decode_error(name: str) -> None:
    with pytest.raises(DecodeError):
        CBORCodec().decode(bytes.fromhex(HOSTILE[name]))


def test_declared_lengths_are_checked_before_cbor2_sees_them() -> None:
    with pytest.raises(DecodeError, match=r"declares 268435456 items, only 0 bytes remain"):
        check_structure(bytes.fromhex("9a10000000"))
    with pytest.raises(DecodeError, match=r"declares 4294967295 bytes, only 1 remain"):
        check_structure(bytes.fromhex("5affffffff00"))


def test_hostile_lengths_allocate_nothing_under_a_memory_limit() -> None:
    # A child process with 512 MiB of address space decodes every hostile input: a decoder that
    # reserved memory for a declared length would die with MemoryError instead of DecodeError.
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from examples.cbor_transport import CBORCodec\n"
        "from flowwire import DecodeError\n"
        f"for data in {sorted(HOSTILE.values())!r}:\n"
        "    try:\n"
        "        CBORCodec().decode(bytes.fromhex(data))\n"
        "    except DecodeError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit('decoded: ' + data)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def _in_model(value: Any) -> bool:
    if value is None or type(value) in (bool, int, float, str, bytes):
        return True
    if type(value) is list:
        return all(_in_model(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _in_model(v) for k, v in value.items())
    return False


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_decode_to_the_model_or_raise_decode_error(data: bytes) -> None:
    try:
        value = CBORCodec().decode(data)
    except DecodeError:
        return
    assert _in_model(value), value


def test_foreign_encodings_of_the_subset_decode() -> None:
    # half and single precision floats, one-byte lengths a Go or Java writer may choose
    codec = CBORCodec()
    assert codec.decode(bytes.fromhex("f93e00")) == 1.5
    assert codec.decode(bytes.fromhex("fa3fc00000")) == 1.5
    assert codec.decode(bytes.fromhex("a1616118 2a".replace(" ", ""))) == {"a": 42}
    assert codec.decode(bytes.fromhex("c349010000000000000000")) == -(2**64) - 1
