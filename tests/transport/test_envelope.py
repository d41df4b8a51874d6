"""The envelope, version 1, byte by byte as ``flowwire.transport.envelope``'s docstring specifies
it, and every way a header can be wrong."""

from __future__ import annotations

import base64
import json
import struct

import msgpack
import pytest

from flowwire.errors import DecodeError, EncodeError
from flowwire.transport import (
    CodecTransport,
    JSONTransport,
    MsgpackCodec,
    MsgpackTransport,
    StageContext,
    envelope,
)

pytestmark = pytest.mark.usefixtures("implementation")

J = JSONTransport()
M = MsgpackTransport()


class Reverse:
    """A real (if useless) stage: reverses the bytes and records a marker as its params."""

    name = "reverse"
    redacts = False

    def __init__(self, params: bytes = b"pp", skip: bool = False) -> None:
        self.params = params
        self.skip = skip

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes] | None:
        return None if self.skip else (data[::-1], self.params)

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        if params != self.params:
            raise DecodeError(f"reverse stage: unexpected params {params!r}")
        return data[::-1]


def header(codec: bytes, *stages: tuple[bytes, bytes], version: int = 1) -> bytes:
    """A binary envelope header written straight from the spec table."""
    out = struct.pack(">2sBB", b"FW", version, len(codec)) + codec + struct.pack(">B", len(stages))
    for name, params in stages:
        out += struct.pack(">B", len(name)) + name + struct.pack(">H", len(params)) + params
    return out


def arm(data: bytes) -> str:
    return "~" + base64.b64encode(data).decode("ascii")


def decode_error(transport: CodecTransport, payload: str) -> str:
    with pytest.raises(DecodeError) as info:
        transport.deserialize_result(payload)
    with pytest.raises(DecodeError):
        transport.deserialize_arguments(payload)
    return str(info.value)


# -- what the encoder writes -----------------------------------------------------------------


def test_msgpack_payload_bytes() -> None:
    payload = M.serialize_result([1, "a"])
    assert payload == "~" + base64.b64encode(b"FW\x01\x07msgpack\x00\x92\x01\xa1a").decode()
    assert payload == "~RlcBB21zZ3BhY2sAkgGhYQ=="


def test_json_tagged_payload_bytes() -> None:
    payload = J.serialize_result(b"\x01")
    assert envelope.dearmor(payload) == b'FW\x01\x04json\x00${"$bytes":"AQ=="}'


def test_plain_json_has_no_envelope() -> None:
    assert J.serialize_result({"a": 1}) == '{"a":1}'


def test_stage_is_recorded_in_the_header() -> None:
    t = CodecTransport(MsgpackCodec(), stages=[Reverse()])
    payload = t.serialize_result([1, 2])
    body = msgpack.packb([1, 2])
    expected = b"FW\x01\x07msgpack\x01\x07reverse\x00\x02pp" + body[::-1]
    assert envelope.dearmor(payload) == expected
    assert t.deserialize_result(payload) == [1, 2]


def test_json_with_a_stage_is_always_enveloped() -> None:
    t = CodecTransport(J.codec, stages=[Reverse(b"")])
    payload = t.serialize_result({"a": 1})
    assert envelope.dearmor(payload) == b"FW\x01\x04json\x01\x07reverse\x00\x00" + b'}1:"a"{='
    assert t.deserialize_result(payload) == {"a": 1}


def test_skipped_stage_is_not_recorded() -> None:
    t = CodecTransport(MsgpackCodec(), stages=[Reverse(skip=True)])
    assert envelope.dearmor(t.serialize_result(7)) == b"FW\x01\x07msgpack\x00\x07"


def test_pack_matches_the_spec_table() -> None:
    stages = [("zstd", b"\x01\x02"), ("aes.gcm", b"")]
    data = envelope.pack("msgpack", stages, b"BODY")
    assert data == header(b"msgpack", (b"zstd", b"\x01\x02"), (b"aes.gcm", b"")) + b"BODY"
    assert envelope.header_size("msgpack", stages) == len(data) - 4
    parsed = envelope.unpack(data)
    assert (parsed.codec, parsed.stages, parsed.body) == ("msgpack", tuple(stages), b"BODY")


def test_params_length_is_big_endian() -> None:
    params = bytes(range(256)) * 2
    data = envelope.pack("json", [("s", params)], b"=1")
    assert data[8:13] == b"\x01\x01s\x02\x00"  # count, name length, name, 512
    assert envelope.unpack(data).stages == (("s", params),)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 100, 101, 102])
def test_armored_size_is_exact(size: int) -> None:
    assert envelope.armored_size(size) == len(envelope.armor(bytes(size)))


# -- hand-made envelopes decode --------------------------------------------------------------


def test_hand_made_msgpack_envelope_decodes() -> None:
    body = msgpack.packb({"args": [1, b"\x00"], "kwargs": {"k": None}}, use_bin_type=True)
    payload = arm(header(b"msgpack") + body)
    assert J.deserialize_arguments(payload) == ((1, b"\x00"), {"k": None})


def test_hand_made_json_envelopes_decode() -> None:
    assert M.deserialize_result(arm(header(b"json") + b'=[{"$bytes":"AA=="}]')) == [
        {"$bytes": "AA=="}
    ]
    assert M.deserialize_result(arm(header(b"json") + b'$[{"$bytes":"AA=="}]')) == [b"\x00"]


def test_hand_made_staged_envelope_decodes() -> None:
    t = CodecTransport(MsgpackCodec(), stages=[Reverse()])
    data = header(b"msgpack", (b"reverse", b"pp")) + msgpack.packb("hi")[::-1]
    assert t.deserialize_result(arm(data)) == "hi"


@pytest.mark.parametrize(
    "text", ['"s"', "-1", "0", "7", "true", "false", "null", "{}", "[]", " 1", "\t1", "\r\n1"]
)
def test_every_plain_json_start_character_is_plain_json(text: str) -> None:
    assert text[0] in envelope.JSON_START
    for transport in (J, M):
        assert transport.deserialize_result(text) == json.loads(text)


# -- header errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_version(version: int) -> None:
    message = decode_error(J, arm(header(b"json", version=version) + b"=1"))
    assert f"unsupported envelope version {version}" in message


def test_wrong_magic() -> None:
    assert "magic" in decode_error(J, arm(b"FX\x01\x04json\x00=1"))


def test_unknown_codec_name() -> None:
    message = decode_error(J, arm(header(b"cbor-like") + b"\xa0"))
    assert "'cbor-like'" in message and "not accepted" in message


def test_accepted_but_not_installed_codec() -> None:
    t = JSONTransport(accept={"json", "zz-not-installed"})
    message = decode_error(t, arm(header(b"zz-not-installed") + b"\xa0"))
    assert "'zz-not-installed'" in message and "not installed" in message


def test_codec_outside_the_accept_list_is_refused() -> None:
    strict = JSONTransport(accept={"json"})
    message = decode_error(strict, M.serialize_result(1))
    assert "'msgpack' is not accepted here" in message and "json" in message
    assert strict.deserialize_result(J.serialize_result(b"\x00")) == b"\x00"


def test_unknown_stage() -> None:
    message = decode_error(J, arm(header(b"json", (b"zstdx", b"")) + b"=1"))
    assert "'zstdx'" in message and "not configured" in message


def test_stage_failure_is_a_decode_error_naming_the_stage() -> None:
    t = CodecTransport(MsgpackCodec(), stages=[Reverse()])
    message = decode_error(t, arm(header(b"msgpack", (b"reverse", b"xx")) + b"\x01"))
    assert "reverse" in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (header(b"JSON") + b"=1", "codec name"),
        (header(b"") + b"=1", "codec name"),
        (header(b"a" * 33) + b"=1", "codec name"),
        (header(b"js on") + b"=1", "codec name"),
        (header(b"json", (b"Zstd", b"")) + b"=1", "stage name"),
        (header(b"json", (b"", b"")) + b"=1", "stage name"),
        (b"FW\x01\x04json\x11" + b"=1", "17 stages"),
        (b"FW\x01\x04json\xff" + b"=1", "255 stages"),
    ],
)
def test_malformed_names_and_counts(data: bytes, fragment: str) -> None:
    assert fragment in decode_error(J, arm(data))


def test_stage_params_length_overflow() -> None:
    data = header(b"json")[:-1] + b"\x01\x04zstd\xff\xff" + b"abc"
    message = decode_error(J, arm(data))
    assert "'zstd' declares 65535 parameter bytes, 3 remain" in message


def test_encoder_refuses_params_over_65535_bytes() -> None:
    with pytest.raises(EncodeError, match="65536 bytes, over 65535"):
        envelope.pack("json", [("zstd", bytes(65536))], b"")
    assert envelope.unpack(envelope.pack("json", [("zstd", bytes(65535))], b"")).body == b""


@pytest.mark.parametrize(("codec", "stage"), [("JSON", "s"), ("json", "a" * 33), ("", "s")])
def test_encoder_refuses_bad_names(codec: str, stage: str) -> None:
    with pytest.raises(EncodeError, match="name"):
        envelope.pack(codec, [(stage, b"")], b"")


def test_encoder_refuses_more_than_16_stages() -> None:
    with pytest.raises(EncodeError, match="at most 16 stages"):
        envelope.pack("json", [("s", b"")] * 17, b"")


def test_truncated_headers_at_every_length() -> None:
    full = header(b"msgpack", (b"reverse", b"pp")) + b"\x01"
    t = CodecTransport(MsgpackCodec(), stages=[Reverse()])
    for cut in range(len(full)):
        message = decode_error(t, arm(full[:cut]))
        named = ("truncated", "name", "empty", "MessagePack")
        assert any(word in message for word in named), (cut, message)


def test_truncated_payloads_at_every_length_raise_decode_error() -> None:
    for transport, value in ((M, {"k": [1, 2.5, b"x", (1,)]}), (J, [b"x", {"a": 1}])):
        data = envelope.dearmor(transport.serialize_result(value))
        for cut in range(len(data)):
            decode_error(transport, arm(data[:cut]))


def test_truncated_plain_json_at_every_length() -> None:
    text = J.serialize_result({"a": [1, "x"], "b": None})
    for cut in range(1, len(text)):
        decode_error(J, text[:cut])


# -- armor -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("~RlcBB2pzb24A\u00e9", "base64"),
        ("~RlcBBGpzb24APTE", "base64"),  # missing padding
        ("~RlcBBGpzb24APTE=\n", "base64"),
        ("~RlcBBGpz\nb24APTE=", "base64"),
        ("~RlcBBGpzb24APT-_", "base64"),  # urlsafe alphabet
        ("~RlcBBGpzb24APTE=RlcB", "base64"),
        ("~", "truncated"),
        ("~~", "base64"),
    ],
)
def test_bad_armor(payload: str, fragment: str) -> None:
    for transport in (J, M):
        assert fragment in decode_error(transport, payload)


def test_empty_payload() -> None:
    for transport in (J, M):
        assert "empty" in decode_error(transport, "")


@pytest.mark.parametrize("payload", ["x1", "#", "\x00", "\u00e9", "=1", "GW", "\ufeff1", "+1"])
def test_payload_starting_with_an_invalid_character(payload: str) -> None:
    message = decode_error(M, payload)
    assert f"starts with {payload[0]!r}" in message
    decode_error(J, payload)


@pytest.mark.parametrize("payload", [b"[1]", None, 1, ["~"]])
def test_non_str_payload(payload: object) -> None:
    for transport in (J, M):
        with pytest.raises(DecodeError, match="must be a str"):
            transport.deserialize_result(payload)  # type: ignore[arg-type]


def test_errors_from_unreadable_details_still_give_a_task_error() -> None:
    err = J.deserialize_error("ValueError: x", "~!!")
    assert err.reason == "ValueError: x"
    assert "unreadable" in err.message and "base64" in err.message
