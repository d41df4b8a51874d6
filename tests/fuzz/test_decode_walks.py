"""The memory bound of MessagePack and Protobuf bodies, checked by walking their structure (or
counting as they are read) instead of scanning their bytes: inputs made to defeat a walk that
skips str, bin and ext bodies by their lengths, with the C extensions and without them.

See the module docstrings of ``flowwire.transport.codecs.msgpack`` and ``.protobuf``, and
docs/security.md (memory and time bounds).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgpack
import pytest

from flowwire.errors import DecodeError
from flowwire.transport import envelope, get_transport
from flowwire.transport.codecs import msgpack as msgpack_codec
from flowwire.transport.codecs import protobuf as protobuf_codec
from flowwire.transport.codecs.msgpack import MsgpackCodec, _walk
from flowwire.transport.codecs.protobuf import ProtobufCodec

from ._runner import MEMORY_LIMIT, TIME_LIMIT

MiB = 2**20
BIG = 2**62  # a walk's "stop" that never stops it


@pytest.fixture(params=["c", "pure-python"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """With the optional C extensions (where built) and without them."""
    if request.param == "pure-python":
        monkeypatch.setattr(msgpack_codec, "_c_containers", None)
        monkeypatch.setattr(msgpack_codec, "_c_str_keys", None)
        monkeypatch.setattr(protobuf_codec, "_fast_decode", None)
        monkeypatch.setattr(protobuf_codec, "_fast_arguments", None)
    elif msgpack_codec._c_containers is None or not protobuf_codec.C_ACCELERATED:
        if os.environ.get("FLOWWIRE_REQUIRE_C_EXT") == "1":  # pragma: no cover
            raise AssertionError("the C extensions of flowwire were not built")
        pytest.skip("the C extensions are not built here")  # pragma: no cover
    return str(request.param)


def _bounded(decode: Callable[[], Any]) -> Any:
    """``decode()``'s value, or the DecodeError it raised, after checking that it stays in
    the issue's bounds: a tracemalloc peak under MEMORY_LIMIT, CPU time under TIME_LIMIT
    (taken without tracing, the faster of two when the first is over, as the runner does)."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = decode()
        except DecodeError as exc:
            outcome = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= MEMORY_LIMIT, f"tracemalloc peak {peak:,} bytes"
    seconds = float("inf")
    for _ in range(2):
        start = time.thread_time()
        with contextlib.suppress(DecodeError):
            decode()
        seconds = min(seconds, time.thread_time() - start)
        if seconds <= TIME_LIMIT:
            break
    assert seconds <= TIME_LIMIT, f"{seconds:.2f} s of CPU time"
    return outcome


def _refused(decode: Callable[[], Any], match: str) -> None:
    outcome = _bounded(decode)
    assert isinstance(outcome, DecodeError), f"read a value: {type(outcome).__name__}"
    assert any(part in str(outcome) for part in match.split("|")), str(outcome)


# -- the walk itself -----------------------------------------------------------------------------


def _exact_count(data: bytes) -> int:
    """The containers msgpack-python builds from ``data``, counted by hooks as the codec's
    counted read does (a set weighs 4), reading ext tuples, sets and frozensets inside."""
    count = 0

    def container(obj: Any) -> Any:
        nonlocal count
        count += 1
        return obj

    def ext(code: int, inner: bytes) -> Any:
        nonlocal count
        if code in (2, 3, 4):
            count += 1 if code == 2 else msgpack_codec._SET_WEIGHT
            return tuple(unpack(inner))
        return None

    def unpack(body: bytes) -> Any:
        return msgpack.unpackb(
            body,
            ext_hook=ext,
            list_hook=container,
            object_hook=container,
            strict_map_key=False,
            timestamp=3,
        )

    unpack(data)
    return count


def _values(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(15 if depth < 4 else 9)
    if kind == 0:
        return rng.randrange(-(2**63), 2**64)
    if kind == 1:
        return rng.random()
    if kind == 2:
        return rng.randbytes(rng.randrange(300)) if rng.random() < 0.9 else b"\x80" * 70_000
    if kind == 3:
        return "\x90é" * rng.randrange(40)
    if kind == 4:
        return None
    if kind == 5:
        return 2**70
    if kind == 6:
        return Decimal("1.5")
    if kind == 7:
        return datetime(2026, 12, 3, 9, 30)
    if kind == 8:
        return "x" * rng.choice([0, 31, 32, 255, 256, 65_536])
    if kind == 9:
        return [_values(rng, depth + 1) for _ in range(rng.randrange(20))]
    if kind == 10:
        return {str(i): _values(rng, depth + 1) for i in range(rng.randrange(20))}
    if kind == 11:
        return tuple(_values(rng, depth + 1) for _ in range(rng.randrange(5)))
    if kind == 12:
        return {rng.randrange(100) for _ in range(rng.randrange(5))}
    if kind == 13:
        return frozenset({"a", rng.random()})
    return [[], {}] * rng.randrange(3)


def test_the_walks_count_what_the_unpacker_builds() -> None:
    """The Python walk, and the C one where built, count exactly the containers the counted
    read counts, on valid bodies; and they agree with each other on truncated ones (where the
    unpacker stops at the cut, so the count is of what comes before it)."""
    rng = random.Random(16)
    codec = MsgpackCodec()
    c_walk = msgpack_codec._c_containers
    for _ in range(1_500):
        body = codec.encode(_values(rng))
        exact = _exact_count(body)
        assert _walk(body, BIG, BIG) == exact, body[:64]
        if c_walk is not None:
            assert c_walk(body, msgpack_codec._SET_WEIGHT, BIG) == exact, body[:64]
        cut = body[: rng.randrange(len(body) + 1)]
        if c_walk is not None:
            assert c_walk(cut, msgpack_codec._SET_WEIGHT, BIG) == _walk(cut, BIG, BIG)


def test_the_walks_agree_on_arbitrary_bytes() -> None:
    """Bytes drawn mostly from the markers of containers, lengths and ext types: both walks
    give the same count, stop, or claim beyond the end, early stop included."""
    c_walk = msgpack_codec._c_containers
    if c_walk is None:  # pragma: no cover - installs without a compiler
        pytest.skip("the C extension flowwire.transport._speedups is not built here")
    rng = random.Random(1616)
    markers = bytes.fromhex("9091808fdcdddedfc4c5c6c7c8c9d4d5d6d7d8d9dadb020304000180a1ffc1cbcc")
    for _ in range(50_000):
        body = bytes(
            rng.choice(markers) if rng.random() < 0.7 else rng.randrange(256)
            for _ in range(rng.randrange(1, 40))
        )
        stop = rng.choice([BIG, 3])
        assert c_walk(body, msgpack_codec._SET_WEIGHT, stop) == _walk(body, stop, BIG), body.hex()


def test_the_python_walk_gives_up_after_its_steps() -> None:
    body = msgpack.packb(list(range(100)))
    assert _walk(body, BIG, 100) is None
    assert _walk(body, BIG, 101) == 1
    assert _walk(msgpack.packb(os.urandom(MiB)), BIG, 1) == 0  # one step for 1 MiB of bytes


# -- MessagePack ---------------------------------------------------------------------------------


def _array32(items: bytes, count: int) -> bytes:
    return b"\xdd" + count.to_bytes(4, "big") + items


@pytest.mark.usefixtures("implementation")
def test_a_mebibyte_of_bytes_that_look_like_containers_is_read() -> None:
    """A bin and a str full of bytes that would start containers and ext values: values
    (their bodies are skipped by their lengths, never taken for structure)."""
    codec = MsgpackCodec()
    looks = bytes([0x80, 0xDD, 0xC7, 0x90, 0xDF, 0xD4, 0x03]) * (MiB // 7)
    for value in (looks, looks.decode("latin-1"), {"a": looks, "b": [looks[:1000]] * 3}):
        body = codec.encode(value)
        assert _bounded(lambda body=body: codec.decode(body)) == value


@pytest.mark.usefixtures("implementation")
def test_a_mebibyte_of_small_ints_is_read() -> None:
    codec = MsgpackCodec()
    value = [i % 128 for i in range(MiB - 8)]
    body = codec.encode(value)
    assert len(body) <= MiB
    assert _bounded(lambda: codec.decode(body)) == value


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("claimed", [2**31, 5_000, 2**20])
def test_a_bin_whose_length_runs_past_the_end_is_refused(claimed: int) -> None:
    codec = MsgpackCodec()
    body = b"\x92\xc6" + claimed.to_bytes(4, "big") + b"\x80" * (MiB - 5_000)
    if claimed == 5_000:  # runs past the end of the array: more items claimed than there
        body = b"\x92" + b"\xc6" + claimed.to_bytes(4, "big") + b"x" * 4_000
    _refused(lambda: codec.decode(body), "malformed MessagePack payload")


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("where", ["after", "inside a tuple after", "inside a map after"])
def test_empty_maps_hidden_after_a_large_bin_are_refused(where: str) -> None:
    """A walk that skips the bin must still see the containers after it."""
    codec = MsgpackCodec()
    blob = b"\xc6" + (300 * 1024).to_bytes(4, "big") + os.urandom(300 * 1024)
    count = MiB - len(blob) - 64
    dense = _array32(b"\x80" * count, count)
    if where == "after":
        body = b"\x92" + blob + dense
    elif where == "inside a tuple after":
        inner = b"\x92" + blob + dense
        body = b"\xc9" + len(inner).to_bytes(4, "big") + b"\x02" + inner  # ext 32, a tuple
    else:
        body = b"\x82\xa1a" + blob + b"\xa1b" + dense
    assert len(body) <= MiB
    _refused(lambda: codec.decode(body), "refused as a memory bomb")


@pytest.mark.usefixtures("implementation")
def test_empty_sets_hidden_after_a_large_bin_are_refused() -> None:
    codec = MsgpackCodec()
    blob = b"\xc6" + (300 * 1024).to_bytes(4, "big") + os.urandom(300 * 1024)
    count = (MiB - len(blob) - 64) // 3
    sets = _array32(b"\xd4\x03\x90" * count, count)  # fixext 1, a set of an empty array
    _refused(lambda: codec.decode(b"\x92" + blob + sets), "refused as a memory bomb")


@pytest.mark.usefixtures("implementation")
def test_few_containers_after_a_large_bin_are_read() -> None:
    codec = MsgpackCodec()
    value = [os.urandom(900 * 1024), [{}] * 1000, {"k": (set(), frozenset({1}))}]
    body = codec.encode(value)
    assert _bounded(lambda: codec.decode(body)) == value


def _nested_claims(size: int, depth: int = 1000) -> bytes:
    """``depth`` nested array headers each claiming as many items as the body has bytes
    (msgpack-python preallocates 8 bytes per claimed item at each header)."""
    body = _array32(b"", size) * depth
    return body + b"\xc0" * (size - len(body))


@pytest.mark.parametrize("size", [16 * 1024, MiB])
def test_nested_array_headers_claiming_more_than_the_body_are_refused(size: int) -> None:
    """Read plainly, 1,000 such headers cost about 68 MB from a 16 KiB body."""
    if msgpack_codec._c_containers is None:  # pragma: no cover - installs without a compiler
        pytest.skip("the C extension flowwire.transport._speedups is not built here")
    body = _nested_claims(size)
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.usefixtures("implementation")
def test_nested_array_headers_in_a_mebibyte_are_refused_by_either_walk() -> None:
    body = _nested_claims(MiB)
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.usefixtures("implementation")
def test_nested_array_headers_in_a_small_body_are_refused() -> None:
    """Without the C extension, bodies of 512 KiB or less were not walked: read plainly, this
    one cost about 80 MB (tracemalloc peak) from 16 KiB."""
    body = _nested_claims(16 * 1024)
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.usefixtures("implementation")
def test_nested_array_headers_inside_a_tuple_are_refused() -> None:
    """The ext hook reads a tuple's data with the same bound on what its arrays claim."""
    inner = _nested_claims(16 * 1024)
    body = b"\xc9" + len(inner).to_bytes(4, "big") + b"\x02" + inner  # ext 32, a tuple
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.usefixtures("implementation")
def test_nested_array_headers_after_the_python_walks_steps_are_refused() -> None:
    """In a body over 512 KiB, after more objects than the Python walk takes before it gives
    up (it then only counted the bytes that could start a container)."""
    ints = _array32(b"\x01" * 2 * msgpack_codec._PY_WALK_STEPS, 2 * msgpack_codec._PY_WALK_STEPS)
    body = b"\x92" + ints + _nested_claims(MiB - len(ints) - 1)
    assert len(body) == MiB
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("items", [20_000, 120_000])
def test_a_long_array_among_many_array_marker_bytes_is_read(items: int) -> None:
    """Floats whose bytes hold many 0xdc and 0xdd (array 16 and 32 markers): without the C
    extension, the array claims more items than the bound those bytes allow, and a walk of
    the whole body decides that it is a value."""
    rng = random.Random(items)
    value = [
        rng.choice([-1.0, 1.0]) * rng.random() * 2.0 ** rng.randrange(-60, 60) for _ in range(items)
    ]
    value += [{"k": value[:300]}, (value[:100],)]  # arrays in a map and in a tuple too
    body = MsgpackCodec().encode(value)
    assert body.count(b"\xdc") + body.count(b"\xdd") > 500  # the bound is under 2,100 items
    assert _bounded(lambda: MsgpackCodec().decode(body)) == value


def test_the_long_array_fallback_does_not_read_msgpack_pythons_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the C extension an array over the bound makes msgpack-python raise ValueError;
    the codec walks the body then, whatever the message says (its words are not an API), and
    a body malformed otherwise still fails as malformed."""
    monkeypatch.setattr(msgpack_codec, "_c_containers", None)
    unpackb = msgpack.unpackb

    def reworded(*args: Any, **kwargs: Any) -> Any:
        try:
            return unpackb(*args, **kwargs)
        except ValueError as exc:
            if type(exc) is not ValueError:
                raise
            raise ValueError("too many items") from None  # not the words "max_array_len"

    monkeypatch.setattr(msgpack, "unpackb", reworded)
    value = [float(i) + 0.5 for i in range(20_000)]
    body = MsgpackCodec().encode(value)
    assert msgpack_codec._array_limit(body) < 20_000  # so the capped read raises
    assert MsgpackCodec().decode(body) == value
    with pytest.raises(DecodeError, match="malformed MessagePack payload"):
        MsgpackCodec().decode(body[:-4])  # the last float cut short


def _claims_around_tuples(size: int, levels: int = 98, headers: int = 12) -> bytes:
    """``levels`` tuples nested in one another, each the first item of ``headers`` nested
    arrays claiming 10,000 items each, which the bytes after them can hold, but those bytes
    are the tuple's, whose own arrays claim them again."""
    filler = size - 5 - levels * (5 * headers + 6) - 5 * headers
    inner = _array32(b"", 10_000) * headers + b"\xdb" + filler.to_bytes(4, "big") + b"x" * filler
    for _ in range(levels):
        ext = b"\xc9" + len(inner).to_bytes(4, "big") + b"\x02" + inner  # ext 32, a tuple
        inner = _array32(b"", 10_000) * headers + ext
    return inner


@pytest.mark.usefixtures("implementation")
def test_array_headers_claiming_again_around_nested_tuples_are_refused() -> None:
    """The walks checked a tuple's data against its own bytes only, not against the items
    claimed around it: read plainly, about 108 MB (tracemalloc peak) from 128 KiB, 810 MB
    from 1 MB."""
    body = _claims_around_tuples(128 * 1024)
    _refused(lambda: MsgpackCodec().decode(body), "claim more items than the rest of the body")


@pytest.mark.parametrize("kind", [b"\x02", b"\x03"], ids=["tuple", "set"])
def test_a_tuple_after_which_the_items_claimed_around_it_cannot_fit_is_a_claim_beyond(
    kind: bytes,
) -> None:
    """An array of 3 whose first item is a tuple (or set) ending the body: refused at the
    tuple by both walks, before its data is walked."""
    body = b"\x93" + b"\xc7\x01" + kind + b"\x90"  # ext 8 of one byte: an empty array
    assert _walk(body, BIG, BIG) == -2
    if msgpack_codec._c_containers is not None:
        assert msgpack_codec._c_containers(body, msgpack_codec._SET_WEIGHT, BIG) == -2
    fits = b"\x92" + b"\xc7\x01" + kind + b"\x90" + b"\x01"  # the second item is there
    assert _walk(fits, BIG, BIG) == _exact_count(fits)


@pytest.mark.usefixtures("implementation")
def test_the_transport_refuses_containers_hidden_after_a_bin() -> None:
    transport = get_transport("msgpack", armor="latin-1", max_payload_chars=None)
    header = transport._bare_header
    blob = b"\xc6" + (400 * 1024).to_bytes(4, "big") + os.urandom(400 * 1024)
    count = MiB - len(header) - len(blob) - 64
    payload = envelope.armor(header + b"\x92" + blob + _array32(b"\x90" * count, count), "latin-1")
    assert len(payload) <= MiB
    _refused(lambda: transport.deserialize_result(payload), "refused as a memory bomb")


# -- Protobuf ------------------------------------------------------------------------------------


def _field(tag: int, body: bytes) -> bytes:
    n, length = len(body), bytearray()
    while True:
        length.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes((tag,)) + bytes(length) + body


_ITEM = 0x0A  # ValueList.items (and Arguments.args)
_LIST, _BYTES, _SET, _FROZENSET = 0x42, 0x3A, 0x5A, 0x62


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("kind", [_SET, _FROZENSET], ids=["set", "frozenset"])
def test_protobuf_empty_sets_hidden_after_large_bytes_are_refused(kind: int) -> None:
    blob = _field(_ITEM, _field(_BYTES, os.urandom(400 * 1024)))
    empty = _field(_ITEM, bytes((kind, 0)))
    body = _field(_LIST, blob + empty * ((MiB - len(blob) - 16) // len(empty)))
    assert len(body) <= MiB
    _refused(lambda: ProtobufCodec().decode(body), "empty sets")
    if kind == _SET:  # arguments are counted the same way (test_hostile_payloads: both kinds)
        arguments = blob + empty * ((MiB - len(blob)) // len(empty))
        _refused(lambda: ProtobufCodec().decode_arguments(arguments), "empty sets")


def test_protobuf_empty_sets_written_with_an_unknown_field_are_counted() -> None:
    """An empty set whose ValueList holds an unknown field (skipped, as protobuf does): 6 bytes
    in a list, not the 2-byte pair a count of the bytes would look for. (The C reader hands
    such sets to the Python reader, so this runs once.)"""
    empty = _field(_ITEM, _field(_SET, b"\x10\x00"))
    body = _field(_LIST, empty * ((600 * 1024) // len(empty)))
    with pytest.raises(DecodeError, match="empty sets"):
        ProtobufCodec().decode(body)


@pytest.mark.usefixtures("implementation")
def test_protobuf_bytes_that_look_like_empty_sets_are_read() -> None:
    """1 MiB of ``bytes`` made of the wire of empty sets: a value (a count of byte pairs took
    it for 512 Ki empty sets and refused it)."""
    codec = ProtobufCodec()
    value = b"\x5a\x00\x62\x00" * (MiB // 4)
    body = codec.encode(value)
    assert _bounded(lambda: codec.decode(body)) == value
    arguments = codec.encode_arguments([value], {"k": value[:1000]})
    assert _bounded(lambda: codec.decode_arguments(arguments)) == ([value], {"k": value[:1000]})


@pytest.mark.usefixtures("implementation")
def test_protobuf_a_few_empty_sets_in_a_long_body_are_read() -> None:
    codec = ProtobufCodec()
    value = [os.urandom(MiB - 1000), *([set(), frozenset()] * 50), (set(),)]
    body = codec.encode(value)
    assert _bounded(lambda: codec.decode(body)) == value


@pytest.mark.usefixtures("implementation")
def test_protobuf_the_limit_is_set_back_after_a_refusal() -> None:
    codec = ProtobufCodec()
    empty = _field(_ITEM, bytes((_SET, 0)))
    bomb = _field(_LIST, empty * ((MiB - 16) // len(empty)))
    with pytest.raises(DecodeError, match="empty sets"):
        codec.decode(bomb)
    small = codec.encode([set()] * 1000)  # short: no limit, whatever came before
    assert codec.decode(small) == [set()] * 1000


@pytest.mark.usefixtures("implementation")
def test_protobuf_a_malformed_body_with_empty_sets_is_named_malformed() -> None:
    """A reader that fails reads again to locate the problem; its count starts again too, so
    the error names what is wrong instead of taking the second reading for a bomb."""
    empty = _field(_ITEM, bytes((_SET, 0)))
    blob = _field(_ITEM, _field(_BYTES, os.urandom(320 * 1024)))
    body = _field(_LIST, empty * 70_000 + blob + b"\x0a\x05\x18")  # the last item is cut
    assert len(body) > 512 * 1024 and len(body) // 8 >= 70_000
    with pytest.raises(DecodeError, match="malformed protobuf body") as info:
        ProtobufCodec().decode(body)
    assert "empty sets" not in str(info.value)
    arguments = empty * 70_000 + blob + b"\x0a\x05\x18"
    with pytest.raises(DecodeError, match=r"malformed protobuf (Arguments|body)"):
        ProtobufCodec().decode_arguments(arguments)
