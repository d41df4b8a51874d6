"""The fuzz harness, short mode (every run, about half a minute): for every built-in codec
under every armor and stage chain, mutated and generated payloads only ever give a value or a
``DecodeError``, quickly and in bounded memory. ``--long`` runs the same loop over millions
of inputs (``test_fuzz_long.py``). See docs/security.md.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError
from flowwire.testing.strategies import typed_values
from flowwire.transport import builtin_codecs

from ._known import judge
from ._runner import Finding, replay, run
from ._targets import HINTS, by_name, target_names

SHORT_INPUTS = 1_500
"""Inputs per target in the short mode (the seeds first, then mutations)."""


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("name", target_names())
def test_mutated_payloads_give_a_value_or_a_decode_error(name: str) -> None:
    target = by_name(name)
    counts = run(target, 0, SHORT_INPUTS)
    assert counts.inputs == SHORT_INPUTS and counts.calls == 5 * SHORT_INPUTS
    assert counts.outcomes["DecodeError"] > SHORT_INPUTS  # the mutations do reach the decoder
    assert counts.outcomes["value"] >= len(target.seeds)  # and the seeds decode
    assert {"text", "envelope", "header", "inner"} <= set(counts.depths)
    judge(counts.findings)


@needs("crypto")
@needs("zstd")
def test_a_finding_is_reproduced_from_its_index() -> None:
    target = by_name("msgpack/zstd+aesgcm/base64")
    assert replay(target, 5_000) == replay(target, 5_000)
    assert [outcome for _, outcome, _ in replay(target, 0)][:1] == ["value"]  # a seed


_fast = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _decode_all(name: str, payload: str, hint: Any) -> None:
    transport = by_name(name).transport
    for call in (
        lambda: transport.deserialize_result(payload),
        lambda: transport.deserialize_result(payload, type_hint=hint),
        lambda: transport.deserialize_arguments(payload),
    ):
        with contextlib.suppress(DecodeError):
            call()
    transport.deserialize_error("Reason", payload)  # never raises


@needs("crypto")
@needs("zstd")
@_fast
@given(
    name=st.sampled_from(target_names()),
    pair=typed_values(),
    hint=st.sampled_from(HINTS),
)
def test_generated_values_decoded_under_another_type(name: str, pair: Any, hint: Any) -> None:
    """Generation: a valid payload of one type read under another annotation (a dataclass
    read as a datetime, an enum as a Decimal, ...): a value or a DecodeError naming it."""
    _, value = pair
    transport = by_name(name).transport
    payload = transport.serialize_result(value)
    _decode_all(name, payload, hint)


@needs("crypto")
@needs("zstd")
@_fast
@given(
    name=st.sampled_from(target_names()),
    data=st.binary(max_size=300),
    prefix=st.sampled_from(["~", "F", ""]),
    hint=st.sampled_from(HINTS),
)
def test_generated_envelopes(name: str, data: bytes, prefix: str, hint: Any) -> None:
    """Generation: a header that parses (``FW``, version 1, a codec name, stages) followed by
    arbitrary bytes, and arbitrary text, in each armor."""
    import base64

    body = b"FW\x01" + data
    if prefix == "~":
        payload = "~" + base64.b64encode(body).decode()
    elif prefix == "F":
        payload = body.decode("latin-1")
    else:
        payload = data.decode("latin-1")
    _decode_all(name, payload, hint)


_BOMB_TARGETS = [n for n in target_names() if "zstd" in n and n.endswith("/base64")]


def _measure(transport: Any, payload: str) -> tuple[int, float]:
    """``(peak bytes, CPU seconds)`` of decoding ``payload`` as a result. Memory is traced in
    one decode and time taken in others without tracing (tracemalloc multiplies the cost of
    every allocation): the thread time of the faster of two when the first is over the
    limit, to tell a slow input from a busy machine, as the fuzz runner does."""
    import tracemalloc

    from ._runner import TIME_LIMIT

    def decode() -> None:
        with contextlib.suppress(DecodeError):
            transport.deserialize_result(payload)

    tracemalloc.start()
    try:
        decode()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = float("inf")
    for _ in range(2):
        start = time.thread_time()
        decode()
        seconds = min(seconds, time.thread_time() - start)
        if seconds <= TIME_LIMIT:
            break
    return peak, seconds


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("name", _BOMB_TARGETS)
@pytest.mark.parametrize("mib", [16, 96])
def test_compressed_bombs_stay_within_the_memory_bound(name: str, mib: int) -> None:
    """Generation: a small payload whose zstd frame expands to ``mib`` MiB of one letter (a
    few kilobytes on the wire). Decoding it must give a DecodeError or a value without
    allocating more than the bound, and within the time bound."""

    from ._runner import MEMORY_LIMIT, TIME_LIMIT, Finding

    target = by_name(name)
    body = target.transport.codec.encode("a" * (mib * 2**20))
    payload = target.rewrap(body)
    del body
    assert len(payload) < 64 * 1024  # small on the wire
    findings: list[Finding] = []
    try:
        peak, seconds = _measure(target.transport, payload)
    finally:
        target.purge()
    if peak > MEMORY_LIMIT:
        findings.append(Finding(name, -1, "result", "memory", f"peak {peak:,}", payload[:200]))
    if seconds > TIME_LIMIT:
        findings.append(Finding(name, -1, "result", "slow", f"{seconds:.2f} s", payload[:200]))
    judge(findings)


def _flat(codec: str, size: int) -> str:
    """A payload of ``size`` characters (latin-1 armor for the binary codecs: a character is
    a byte) holding one list of the cheapest-to-write, costliest-to-build elements."""
    from flowwire.transport import envelope, get_transport

    if codec == "json":
        return "[" + "{}," * ((size - 4) // 3) + "{}]"
    transport = get_transport(codec, armor="latin-1")
    header = transport._bare_header
    room = size - len(header) - 16
    if codec == "msgpack":  # array32 of empty maps: one byte each
        body = b"\xdd" + room.to_bytes(4, "big") + b"\x80" * room
    else:  # protobuf Value{list_value{values: Value{list_value{}} x N}}: four bytes each
        count = room // 4
        body = _varint_field(b"\x0a\x02\x42\x00" * count, tag=0x42)  # field 8: list_value
    return envelope.armor(header + body, "latin-1")


def _varint_field(data: bytes, *, tag: int) -> bytes:
    length, out = len(data), bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes((tag,)) + bytes(out) + data


@pytest.mark.parametrize("codec", builtin_codecs())
def test_a_mebibyte_of_empty_containers_stays_within_the_memory_bound(codec: str) -> None:
    """Generation: the issue's bound, 1 MiB of payload may cost at most 64 MiB, against the
    densest documents: one list of a million empty containers."""

    from flowwire.transport import get_transport

    from ._runner import MEMORY_LIMIT, TIME_LIMIT, Finding

    payload = _flat(codec, 2**20)
    assert len(payload) <= 2**20
    transport = get_transport(codec, armor="latin-1", max_payload_chars=None)
    peak, seconds = _measure(transport, payload)
    name = f"{codec}/plain/latin-1"
    findings = []
    if peak > MEMORY_LIMIT:
        findings.append(Finding(name, -1, "result", "memory", f"peak {peak:,}", payload[:64]))
    if seconds > TIME_LIMIT:
        findings.append(Finding(name, -1, "result", "slow", f"{seconds:.2f} s", payload[:64]))
    judge(findings)
