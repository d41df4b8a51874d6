"""Hostile payloads of issue 16: bounded decompression, the accept-list, protobuf Arguments,
malformed escapes. Each test here failed before its fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from _extras import requires

from flowwire import get_transport
from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport import (
    JSONTransport,
    MsgpackTransport,
    ProtobufTransport,
    builtin_codecs,
    envelope,
)
from flowwire.transport._protocols import DEFAULT_MAX_DECODED_BYTES

zstandard = requires("zstandard")

# A child process builds a bomb without holding its expansion (streamed compression), then
# measures what reading it costs: peak RSS over the baseline taken just before, and time.
_BOMB = textwrap.dedent(
    """
    import resource, struct, sys, time, zstandard
    from flowwire import get_transport
    from flowwire.errors import DecodeError
    from flowwire.transport import envelope

    codec, size, declared, content_size, options = sys.argv[1:6]
    size, declared = int(size), int(declared)


    def body(codec, size):
        # a document of exactly ``size`` bytes made of the costliest shape per byte
        if codec == "json":  # [[],[],...,0    ]
            n = (size - 4) // 3
            yield b"=["
            yield from chunks(b"[],", n)
            yield b"0" + b" " * (size - 4 - 3 * n) + b"]"
        elif codec == "msgpack":  # an array32 of empty arrays
            yield b"\\xdd" + struct.pack(">I", size - 5)
            yield from chunks(b"\\x90", size - 5)
        else:  # a list_value of empty set_value items, one padding string first
            head = b"\\x42" + struct.pack(">I", 0)  # placeholder, fixed below
            varint = bytearray()
            left = size - 1
            length = left - 5  # a 5-byte varint length
            v = length
            while True:
                varint.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
                v >>= 7
                if not v:
                    break
            varint = bytes(varint).ljust(5, b"\\0")
            varint = bytes(b | 0x80 for b in varint[:4]) + varint[4:]
            yield b"\\x42" + varint
            r = length % 4
            if r:
                n = r + 4
                yield bytes([0x0A, n + 2, 0x32, n]) + b"p" * n
                length -= n + 4
            yield from chunks(b"\\x0a\\x02\\x5a\\x00", length // 4)


    def chunks(unit, count):
        block = unit * (1 << 16)
        while count > 0:
            take = min(count, 1 << 16)
            yield block[: take * len(unit)]
            count -= take


    cobj = zstandard.ZstdCompressor(
        level=19, write_content_size=content_size == "1"
    ).compressobj(size=size if content_size == "1" else -1)
    frame = b"".join(cobj.compress(part) for part in body(codec, size)) + cobj.flush()
    payload = envelope.armor(
        envelope.pack(codec, [("zstd", struct.pack(">Q", declared))], frame), "base64"
    )
    transport = get_transport(codec, **eval(options))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        value = transport.deserialize_result(payload)
        outcome = "value"
    except DecodeError as exc:
        outcome = "DecodeError: " + str(exc)
    took = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(len(payload), grown * 1024, round(took, 3), outcome, sep="\\t")
    """
)


def _read_bomb(
    codec: str, size: int, declared: int, *, content_size: bool = True, **options: Any
) -> tuple[int, int, float, str]:
    flag = "1" if content_size else "0"
    argv = [codec, str(size), str(declared), flag, repr(options)]
    done = subprocess.run(
        [sys.executable, "-c", _BOMB.format(), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    length, grown, took, outcome = done.stdout.strip().split("\t")
    return int(length), int(grown), float(took), outcome


MiB = 1 << 20


@pytest.mark.parametrize("content_size", [True, False], ids=["header-size", "no-header-size"])
def test_a_small_bomb_is_refused_without_expanding(content_size: bool) -> None:
    # 256 MiB in about 30,000 characters (an SWF field), honestly declared in the params.
    length, grown, took, outcome = _read_bomb(
        "json", 256 * MiB, 256 * MiB, content_size=content_size
    )
    assert length < 40_000
    assert outcome.startswith("DecodeError: zstd frame of result declares 268,435,456")
    assert "max_decoded_bytes" in outcome and "1,048,576" in outcome
    assert grown < 16 * MiB, f"reading a {length}-character bomb grew the process {grown:,} B"
    assert took < 1.0


def test_a_frame_larger_than_it_declares_is_refused_bounded() -> None:
    # The params claim 1 KiB; the frame (without a content size) holds 256 MiB.
    _, grown, _, outcome = _read_bomb("msgpack", 256 * MiB, 1024, content_size=False)
    assert outcome.startswith("DecodeError: cannot decompress zstd frame"), outcome
    assert grown < 16 * MiB


@pytest.mark.parametrize("codec", builtin_codecs())
def test_a_document_up_to_the_limit_costs_under_64_mib(codec: str) -> None:
    # The worst shapes per byte: empty containers (protobuf: zero bytes, a cheap shape, only
    # the bound on expansion matters there).
    _, grown, took, outcome = _read_bomb(codec, DEFAULT_MAX_DECODED_BYTES, MiB)
    assert grown < 64 * MiB, f"{codec}: {grown:,} bytes over the baseline ({outcome[:80]})"
    assert took < 5.0


def test_a_larger_limit_is_an_explicit_option() -> None:
    _, _, _, outcome = _read_bomb("json", 3 * MiB, 3 * MiB)
    assert "over the limit of 1,048,576" in outcome
    _, _, _, outcome = _read_bomb("json", 3 * MiB, 3 * MiB, max_decoded_bytes=4 * MiB)
    assert outcome == "value"


def test_zstd_round_trips_up_to_the_limit() -> None:
    t = get_transport("json", stages=["zstd"], max_payload_chars=None)
    value = ["x" * 100] * 10_000  # about 1 MiB of JSON
    payload = t.serialize_result(value)
    assert t.deserialize_result(payload) == value


@pytest.mark.parametrize("bad", [-1, 1.5, None])
def test_max_decoded_bytes_is_checked(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_decoded_bytes"):
        get_transport("json", max_decoded_bytes=bad)


def test_a_stage_that_ignores_max_output_is_caught() -> None:
    class Inflate:
        name = "inflate"
        redacts = False

        def encode(self, data: bytes, ctx: Any) -> tuple[bytes, bytes]:
            return data, b""

        def decode(self, data: bytes, params: bytes, ctx: Any) -> bytes:
            return b"=" + b"[" + b"0," * (ctx.max_output // 2) + b"0]"

    t = JSONTransport(stages=[Inflate()])
    with pytest.raises(DecodeError, match="stage 'inflate' produced 1,048,580 bytes"):
        t.deserialize_result(t.serialize_result([1]))


# -- the accept-list gates the transport's own codec ------------------------------------------

_TRANSPORTS = {"json": JSONTransport, "msgpack": MsgpackTransport, "protobuf": ProtobufTransport}


@pytest.mark.parametrize("codec", sorted(_TRANSPORTS))
@pytest.mark.parametrize("value", [1, [1, b"x"], {"a": None}])
def test_accept_list_refuses_the_transports_own_codec(codec: str, value: Any) -> None:
    other = "msgpack" if codec != "msgpack" else "json"
    writer = _TRANSPORTS[codec]()
    reader = _TRANSPORTS[codec](accept={other})
    for payload in (writer.serialize_result(value), writer.serialize_arguments([value], {})):
        for read in (reader.deserialize_result, reader.deserialize_arguments):
            with pytest.raises(DecodeError) as info:
                read(payload)
            assert f"payload codec {codec!r} is not accepted here" in str(info.value)
            assert f"(accepted: {other})" in str(info.value)
    # what it does accept still reads
    assert reader.deserialize_result(_TRANSPORTS[other]().serialize_result(value)) == value


def test_plain_json_text_is_refused_when_json_is_not_accepted() -> None:
    with pytest.raises(DecodeError, match=r"'json' is not accepted here \(accepted: none\)"):
        JSONTransport(accept=()).deserialize_result('{"a": 1}')
    assert JSONTransport(accept={"json"}).deserialize_result('{"a": 1}') == {"a": 1}


# -- protobuf Arguments ------------------------------------------------------------------------


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("value", [None, 0, 7, True, "x", [1, 2], {"a": 1}, 1.5, b"b", ()])
def test_a_protobuf_result_read_as_arguments_is_refused(value: Any) -> None:
    t = ProtobufTransport()
    with pytest.raises(DecodeError, match="not an Arguments message") as info:
        t.deserialize_arguments(t.serialize_result(value))
    assert "result payload read as arguments" in str(info.value)


@pytest.mark.usefixtures("implementation")
def test_protobuf_arguments_still_read() -> None:
    t = ProtobufTransport()
    assert t.deserialize_arguments(t.serialize_arguments([], {})) == ((), {})
    assert t.deserialize_arguments(t.serialize_arguments([1, [2]], {"k": {"a": None}})) == (
        (1, [2]),
        {"k": {"a": None}},
    )


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("kind", [b"\x5a", b"\x62"], ids=["set", "frozenset"])
def test_protobuf_arguments_of_empty_sets_are_refused_as_a_bomb(kind: bytes) -> None:
    # 1 MiB of args that are each an empty set (4 bytes of wire, over 200 bytes of Python):
    # read as a result this was refused, read as arguments it cost 62 MB.
    t = ProtobufTransport(armor="latin-1", max_payload_chars=None)
    header = t._bare_header
    body = (b"\x0a\x02" + kind + b"\x00") * ((MiB - len(header)) // 4)
    with pytest.raises(DecodeError, match=r"empty sets.*refused as a memory bomb"):
        t.deserialize_arguments(envelope.armor(header + body, "latin-1"))
    few = (b"\x0a\x02" + kind + b"\x00") * 3
    assert t.deserialize_arguments(envelope.armor(header + few, "latin-1"))[0] == (
        (set(), set(), set()) if kind == b"\x5a" else (frozenset(),) * 3
    )


# -- malformed JSON escapes --------------------------------------------------------------------


def _tagged(text: str) -> str:
    return envelope.armor(envelope.pack("json", (), b"$" + text.encode()), "base64")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"$float":["x"]}', "$"),
        ('[1, {"$float":{"a":1}}]', "$[1]"),
        ('{"k": {"$float": null}}', '$["k"]'),
        ('{"$float": 1.5}', "$"),
    ],
)
def test_malformed_float_escape_is_a_decode_error_with_a_path(text: str, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        JSONTransport().deserialize_result(_tagged(text))
    assert info.value.path == path
    assert "$float" in str(info.value)
