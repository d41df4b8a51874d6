"""Limits: payload size (PayloadTooLarge with size, limit and advice), error details that shed
their traceback instead of failing, and the nesting depth (EncodeError / DecodeError, never
RecursionError or a crash)."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from _without import C_EXTENSIONS, blocking

from flowwire import get_transport
from flowwire.errors import DecodeError, EncodeError, PayloadTooLarge
from flowwire.transport import DEFAULT_MAX_PAYLOAD_CHARS, CodecTransport, JSONTransport

pytestmark = pytest.mark.usefixtures("implementation")

LIMIT = DEFAULT_MAX_PAYLOAD_CHARS


def nested(depth: int, kind: type = list, leaf: Any = 0) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = kind([value])
    return value


def test_default_limit_is_swf_field_limit(transport: CodecTransport) -> None:
    assert LIMIT == 32_768
    assert transport.max_payload_chars == LIMIT


# -- payload size ----------------------------------------------------------------------------


def check_too_large(exc: PayloadTooLarge, what: str, limit: int = LIMIT) -> None:
    assert exc.limit == limit
    assert exc.size > limit
    assert exc.what == what
    text = str(exc)
    assert f"{exc.size:,} characters" in text and f"limit of {limit:,}" in text
    assert "offload" in text.lower()


def test_result_too_large(transport: CodecTransport) -> None:
    with pytest.raises(PayloadTooLarge) as info:
        transport.serialize_result("x" * 40_000)
    check_too_large(info.value, "result")


def test_arguments_too_large(transport: CodecTransport) -> None:
    with pytest.raises(PayloadTooLarge) as info:
        transport.serialize_arguments(("x" * 20_000,), {"more": b"y" * 20_000})
    check_too_large(info.value, "arguments")
    with pytest.raises(PayloadTooLarge) as info:
        transport.serialize_restart_arguments(("x" * 40_000,), {})
    check_too_large(info.value, "restart arguments")


def test_error_message_too_large_even_without_traceback_is_shortened_visibly(
    transport: CodecTransport,
) -> None:
    # Reporting the failure beats failing to report it: the message is cut with a marker.
    reason, details = transport.serialize_error(RuntimeError("m" * 40_000))
    assert len(details) <= transport.max_payload_chars  # type: ignore[operator]
    err = transport.deserialize_error(reason, details)
    assert err.type_name == "RuntimeError"
    assert err.message.startswith("mmmm")
    assert "message of 40,000 characters shortened" in err.message
    assert "traceback of" in (err.traceback or "")


def test_reported_size_is_the_payload_length(transport: CodecTransport) -> None:
    unlimited = get_transport(transport.codec.name, max_payload_chars=None)
    for value in ("x" * 40_000, b"\x00" * 30_000, ["é" * 40_000]):
        expected = len(unlimited.serialize_result(value))
        with pytest.raises(PayloadTooLarge) as info:
            transport.serialize_result(value)
        assert info.value.size == expected


def test_limit_is_inclusive_and_counts_characters_not_bytes() -> None:
    t = JSONTransport(max_payload_chars=100)
    assert len(t.serialize_result("x" * 98)) == 100
    assert len(t.serialize_result("é" * 98)) == 100  # 198 UTF-8 bytes, 100 characters
    assert len(t.serialize_result("\U0001f600" * 98)) == 100  # 4 bytes each
    with pytest.raises(PayloadTooLarge) as info:
        t.serialize_result("é" * 99)
    assert (info.value.size, info.value.limit) == (101, 100)


def test_limit_applies_to_armored_payloads(transport: CodecTransport) -> None:
    small = get_transport(transport.codec.name, max_payload_chars=64)
    payload = small.serialize_result(b"\x00" * 8)
    assert len(payload) <= 64
    with pytest.raises(PayloadTooLarge) as info:
        small.serialize_result(b"\x00" * 64)
    assert info.value.limit == 64 and info.value.size > 64


def test_no_limit(transport: CodecTransport) -> None:
    unlimited = get_transport(transport.codec.name, max_payload_chars=None)
    value = {"text": "x" * 600_000, "blob": bytes(range(256)) * 2048}
    payload = unlimited.serialize_result(value)
    assert len(payload) > 1_000_000
    assert unlimited.deserialize_result(payload, type_hint=dict[str, Any]) == value
    args, _ = unlimited.deserialize_arguments(unlimited.serialize_arguments([value], {}))
    assert args == (value,)
    reason, details = unlimited.serialize_error(RuntimeError("m" * 100_000))
    assert unlimited.deserialize_error(reason, details).message == "m" * 100_000


def test_huge_traceback_is_dropped_visibly(transport: CodecTransport) -> None:
    try:
        try:
            raise ValueError("inner " + "z" * 50_000)
        except ValueError as inner:
            raise RuntimeError("payment failed") from inner
    except RuntimeError as exc:
        reason, details = transport.serialize_error(exc)
    assert len(details) <= LIMIT
    assert reason == "RuntimeError: payment failed"
    err = transport.deserialize_error(reason, details)
    assert err.type_name == "RuntimeError" and err.message == "payment failed"
    assert err.traceback is not None
    assert "omitted" in err.traceback and "over the limit of 32,768" in err.traceback


def test_small_traceback_is_kept(transport: CodecTransport) -> None:
    try:
        raise KeyError("k")
    except KeyError as exc:
        reason, details = transport.serialize_error(exc)
    err = transport.deserialize_error(reason, details)
    assert err.traceback is not None and "raise KeyError" in err.traceback


def test_reason_is_cut_to_256_characters_visibly(transport: CodecTransport) -> None:
    reason, details = transport.serialize_error(ValueError("v" * 1000))
    assert len(reason) == 256 and reason.endswith("\u2026")
    assert transport.deserialize_error(reason, details).message == "v" * 1000


# -- nesting depth ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [list, tuple], ids=["list", "tuple"])
def test_values_within_max_depth_round_trip(transport: CodecTransport, kind: type) -> None:
    value = nested(90, kind)
    back = transport.deserialize_result(transport.serialize_result(value), type_hint=Any)
    for _ in range(90):
        assert len(back) == 1
        back = back[0]
    assert back == 0


@pytest.mark.parametrize("depth", [101, 150, 260, 5_000])
def test_lists_deeper_than_max_depth_raise_encode_error(
    transport: CodecTransport, depth: int
) -> None:
    with pytest.raises(EncodeError) as info:
        transport.serialize_result(nested(depth))
    assert "nesting" in str(info.value) or "deep" in str(info.value)


@pytest.mark.parametrize("depth", [101, 5_000])
def test_dicts_deeper_than_max_depth_raise_encode_error(
    transport: CodecTransport, depth: int
) -> None:
    value: Any = 0
    for _ in range(depth):
        value = {"k": value}
    with pytest.raises(EncodeError, match="max_depth=100"):
        transport.serialize_result(value)


def test_custom_max_depth_is_enforced(transport: CodecTransport) -> None:
    shallow = get_transport(transport.codec.name, max_depth=10)
    shallow.serialize_result(nested(9))
    with pytest.raises(EncodeError):
        shallow.serialize_result(nested(15))
    with pytest.raises(EncodeError):
        shallow.serialize_result(nested(15, leaf=b"x"))  # the tagged JSON form too
    deep_payload = get_transport(transport.codec.name).serialize_result(nested(15))
    with pytest.raises(DecodeError):
        shallow.deserialize_result(deep_payload)


def test_payloads_deeper_than_max_depth_raise_decode_error(transport: CodecTransport) -> None:
    # A receiver must refuse what a sender with the same configuration could not have written.
    deep_writer = get_transport(transport.codec.name, max_depth=120)
    payload = deep_writer.serialize_result(nested(110))
    with pytest.raises(DecodeError):
        transport.deserialize_result(payload)


def test_very_deep_payloads_raise_decode_error(transport: CodecTransport) -> None:
    depth = 100_000
    with pytest.raises(DecodeError):
        transport.deserialize_result("[" * depth + "]" * depth)
    header = {"json": b"FW\x01\x04json\x00$", "msgpack": b"FW\x01\x07msgpack\x00"}
    body = {"json": b"[" * depth + b"]" * depth, "msgpack": b"\x91" * depth + b"\xc0"}
    for codec in header:
        payload = "~" + base64.b64encode(header[codec] + body[codec]).decode()
        with pytest.raises(DecodeError):
            transport.deserialize_result(payload)


#: A child process's first lines, after ``blocking(*C_EXTENSIONS)`` where it must be pure Python
#: (as on an install without a compiler): it checks which implementation it got.
_IMPLEMENTATION = textwrap.dedent(
    """
    from flowwire.transport.codecs import _json_plain, msgpack

    assert (_json_plain.c_exact is None) is {pure!r}, "the C checks are (not) in use"
    assert (msgpack._c_str_keys is None) is {pure!r}, "the C checks are (not) in use"
    """
)

_DEEP_TUPLE_SCRIPT = textwrap.dedent(
    """
    from flowwire import get_transport
    from flowwire.errors import EncodeError
    value = 0
    for _ in range({depth}):
        value = (value,)
    transport = get_transport({codec!r})
    for write in (transport.serialize_result, lambda v: transport.serialize_arguments([v], {{}})):
        try:
            write(value)
        except EncodeError as exc:
            print("EncodeError:", exc.reason, exc.path[:6])
        else:
            print("encoded")
    """
)


@pytest.mark.parametrize("depth", [300, 10_000, 100_000])
def test_deep_tuples_raise_encode_error_without_crashing(
    codec_name: str, depth: int, implementation: str
) -> None:
    # Run in a child process: a C-level stack overflow (orjson has no tuple limit: 10,000
    # levels aborted the process, 100,000 segfaulted) must fail this test, not the suite. The
    # child encodes with the C extensions (skipped where they are not built) and without them
    # (always), as the parametrisation of ``implementation`` says.
    pure = implementation == "pure-python"
    script = (blocking(*C_EXTENSIONS) if pure else "") + (
        _IMPLEMENTATION + _DEEP_TUPLE_SCRIPT
    ).format(depth=depth, codec=codec_name, pure=pure)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"the process died ({done.returncode}): {done.stderr[-300:]}"
    lines = done.stdout.splitlines()
    reason = "EncodeError: nesting deeper than max_depth=100"
    assert lines == [f"{reason} $[0][0", f"{reason} $.args"], lines
