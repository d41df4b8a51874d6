"""The two armors of an envelope: base64 (the default) and latin-1 (one character per byte).

Every transport writes the armor it is configured with and reads both, so a starter and a
worker may differ in armor and still agree on the wire format.
"""

from __future__ import annotations

import math

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire import get_transport
from flowwire.errors import ConfigurationError, DecodeError, PayloadTooLarge
from flowwire.testing import check_transport
from flowwire.testing.strategies import values, values_equal
from flowwire.transport import MsgpackTransport, builtin_codecs, envelope
from flowwire.transport.stages import Zstd

pytestmark = pytest.mark.usefixtures("implementation")

CODECS = tuple(builtin_codecs())


def test_latin1_payload_is_the_binary_envelope_itself() -> None:
    transport = MsgpackTransport(armor="latin-1")
    payload = transport.serialize_result([1, "a"])
    assert payload == "FW\x01\x07msgpack\x00\x92\x01\xa1a"
    assert payload.encode("latin-1") == envelope.pack("msgpack", (), b"\x92\x01\xa1a")
    assert transport.deserialize_result(payload) == [1, "a"]


def test_bytes_travel_one_character_per_byte() -> None:
    data = bytes(range(256)) * 64
    transport = MsgpackTransport(armor="latin-1", max_payload_chars=None)
    payload = transport.serialize_result(data)
    header = len("FW\x01\x07msgpack\x00")
    assert len(payload) == header + 3 + len(data)  # msgpack bin 16: marker + 2 length bytes
    assert transport.deserialize_result(payload) == data


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(("writer", "reader"), [("latin-1", "base64"), ("base64", "latin-1")])
def test_every_transport_reads_both_armors(codec: str, writer: str, reader: str) -> None:
    value = {"blob": b"\x00\xff" * 10, "n": -0.0, "big": 2**70}
    payload = get_transport(codec, armor=writer).serialize_result(value)
    assert payload[0] == ("F" if writer == "latin-1" else "~")
    back = get_transport(codec, armor=reader).deserialize_result(payload)
    assert values_equal(back, value)


@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
@settings(max_examples=40, deadline=None)
@given(value=values(max_leaves=12))
def test_latin1_round_trip_with_a_stage(codec: str, value: object) -> None:
    transport = get_transport(codec, armor="latin-1", stages=[Zstd(threshold=0)])
    payload = transport.serialize_result(value)
    assert payload.startswith("F")
    assert values_equal(transport.deserialize_result(payload), value)


@pytest.mark.parametrize("codec", CODECS)
def test_latin1_transports_pass_the_conformance_check(codec: str) -> None:
    check_transport(get_transport(codec, armor="latin-1"), max_examples=30)


def test_plain_json_text_is_unaffected_by_the_armor() -> None:
    transport = get_transport("json", armor="latin-1")
    assert transport.serialize_result({"a": [1, None]}) == '{"a":[1,null]}'
    # what JSON cannot say still needs an envelope, now latin-1-armored
    payload = transport.serialize_result({"a": math.inf})
    assert payload.startswith("FW\x01\x04json")
    assert transport.deserialize_result(payload) == {"a": math.inf}


def test_limit_counts_latin1_characters() -> None:
    transport = MsgpackTransport(armor="latin-1", max_payload_chars=1000)
    header = len("FW\x01\x07msgpack\x00")
    fits = b"x" * (1000 - header - 3)  # bin 16 header: 3 bytes
    assert len(transport.serialize_result(fits)) == 1000
    with pytest.raises(PayloadTooLarge) as info:
        transport.serialize_result(fits + b"x")
    assert (info.value.size, info.value.limit) == (1001, 1000)
    # base64 fits fewer bytes in the same number of characters
    with pytest.raises(PayloadTooLarge):
        MsgpackTransport(max_payload_chars=1000).serialize_result(fits)


def test_unknown_armor_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown armor 'base85'.*base64, latin-1"):
        MsgpackTransport(armor="base85")


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("FW\x01\x07msgpack\x00\u0100", "'\u0100' (U+0100) at offset 12"),
        ("F\u20ac", "(U+20AC) at offset 1"),
        ("F", "truncated"),
        ("FX\x01\x04json\x00=1", "magic"),
        ("FW\x02\x04json\x00=1", "version 2"),
        ("FW\x01\x07msgpack\x00\xc1", "malformed MessagePack"),
    ],
)
@pytest.mark.parametrize("codec", CODECS)
def test_bad_latin1_armor_is_a_decode_error(codec: str, payload: str, fragment: str) -> None:
    with pytest.raises(DecodeError) as info:
        get_transport(codec).deserialize_result(payload)
    assert fragment in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64).map(lambda b: "FW" + b.decode("latin-1")))
def test_garbage_after_the_latin1_magic_raises_only_decode_error(payload: str) -> None:
    for codec in CODECS:
        transport = get_transport(codec)
        try:
            transport.deserialize_result(payload)
            transport.deserialize_arguments(payload)
        except DecodeError:
            pass


# -- the base64 armor is exactly the standard's, whatever decoder does the work -----------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_base64_armor_is_standard_base64(data: bytes) -> None:
    import base64

    payload = envelope.armor(data)
    assert payload == "~" + base64.b64encode(data).decode("ascii")
    assert envelope.dearmor(payload) == data


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ABCDEFabcdef0123+/=-_ \n\u00e9", max_size=24)
    | st.binary(max_size=18).map(lambda b: __import__("base64").b64encode(b).decode())
)
def test_base64_armor_accepts_canonical_base64_and_nothing_strict_binascii_refuses(
    text: str,
) -> None:
    import base64
    import binascii

    try:
        expected: bytes | None = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        expected = None
    try:
        got: bytes | None = envelope.dearmor("~" + text)
    except DecodeError as exc:
        assert "not valid base64" in str(exc)
        got = None
    if expected is None:
        assert got is None  # never laxer than binascii's strict mode
    elif text == base64.b64encode(expected).decode():
        assert got == expected  # canonical text is always read
    else:
        assert got in (None, expected)  # e.g. "0000=": binascii takes it, the armor may not


@settings(max_examples=100, deadline=None)
@given(values(max_leaves=8))
def test_msgpack_payload_is_base64_of_the_whole_envelope(value: object) -> None:
    # The transport writes the header's base64 (12 bytes: whole quanta) and the body's base64
    # separately; the result must be the base64 of header + body, as the spec says.
    import base64

    transport = MsgpackTransport(max_payload_chars=None)
    payload = transport.serialize_result(value)
    body = transport.codec.encode(value)
    assert payload == "~" + base64.b64encode(envelope.pack("msgpack", (), body)).decode()


@pytest.mark.parametrize("tail", ["!", "AAA", "AA==AA=="])
def test_bad_base64_after_a_known_header_is_a_decode_error(tail: str) -> None:
    header = envelope.armor(envelope.pack("msgpack", (), b""))
    with pytest.raises(DecodeError, match="base64"):
        MsgpackTransport().deserialize_result(header + tail)
