"""``max_depth`` means the same in every codec, writing and reading: ``max_depth`` nested
containers are carried, one more is refused naming ``max_depth`` and the path; a library's own
hard limit is refused at construction, and a payload deeper than the library reads is a
``DecodeError`` naming that limit, never a raw exception (issue 16)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.transport import (
    CodecTransport,
    JSONTransport,
    MsgpackTransport,
    builtin_codecs,
    get_codec,
    get_transport,
)
from flowwire.transport.codecs.json import JSON_DEPTH_LIMIT, JSONCodec
from flowwire.transport.codecs.msgpack import MSGPACK_DEPTH_LIMIT, MsgpackCodec
from flowwire.transport.model._model import lower_fully, nesting_depth

CODECS = builtin_codecs()


@dataclasses.dataclass
class Box:
    inner: Any


def lists(n: int, leaf: Any = 0) -> Any:
    for _ in range(n):
        leaf = [leaf]
    return leaf


def dicts(n: int, leaf: Any = 0) -> Any:
    for _ in range(n):
        leaf = {"k": leaf}
    return leaf


def tuples(n: int, leaf: Any = 0) -> Any:
    for _ in range(n):
        leaf = (leaf,)
    return leaf


def boxes(n: int, leaf: Any = 0) -> Any:
    for _ in range(n):
        leaf = Box(leaf)
    return leaf


def mixed(n: int, leaf: Any = 0) -> Any:
    for i in range(n):
        leaf = [leaf] if i % 3 == 0 else ((leaf,) if i % 3 == 1 else {"$k": leaf})
    return leaf


SHAPES: dict[str, Callable[[int], Any]] = {
    "lists": lists,
    "dicts": dicts,
    "tuples": tuples,
    "dataclasses": boxes,
    "mixed": mixed,
    "bytes leaf": lambda n: lists(n, b"\x00"),
    "nan leaf": lambda n: dicts(n, float("nan")),
}


def same(a: Any, b: Any) -> bool:
    """Equal once lowered (JSON gives a tuple back as a list without a hint), NaN-safe."""
    return repr(lower_fully(a, max_depth=1_000)) == repr(lower_fully(b, max_depth=1_000))


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_exactly_max_depth_is_carried_and_one_more_is_refused(
    codec: str, shape: str, limit: int
) -> None:
    make = SHAPES[shape]
    transport = get_transport(codec, max_depth=limit)
    hint = Any if shape != "dataclasses" else Box
    at_limit = make(limit)
    payload = transport.serialize_result(at_limit)
    assert same(transport.deserialize_result(payload, type_hint=hint), at_limit)
    # one more: refused on encode, naming max_depth and where
    with pytest.raises(EncodeError, match=f"nesting deeper than max_depth={limit}") as info:
        transport.serialize_result(make(limit + 1))
    assert info.value.path is not None and info.value.path.startswith("$")
    # and on decode, written by a transport that allows it
    deeper = get_transport(codec, max_depth=limit + 1).serialize_result(make(limit + 1))
    with pytest.raises(DecodeError, match=f"max_depth={limit}"):
        transport.deserialize_result(deeper)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("limit", [3, 100])
def test_the_codecs_themselves_agree(codec: str, limit: int) -> None:
    shallow = get_codec(codec, max_depth=limit)
    deep = get_codec(codec, max_depth=limit + 1)
    for make in (lists, dicts, tuples, mixed):
        assert nesting_depth(shallow.decode(shallow.encode(make(limit)))) == limit
        with pytest.raises(EncodeError, match=f"max_depth={limit}"):
            shallow.encode(make(limit + 1))
        with pytest.raises(DecodeError, match=f"max_depth={limit}"):
            shallow.decode(deep.encode(make(limit + 1)))


@pytest.mark.parametrize("codec", CODECS)
def test_arguments_count_their_object_and_list_as_every_codec_does(codec: str) -> None:
    transport = get_transport(codec, max_depth=10)
    writer = get_transport(codec, max_depth=20)
    # {"args": [value]}: two levels before the value
    assert transport.deserialize_arguments(transport.serialize_arguments([lists(8)], {}))
    with pytest.raises(EncodeError, match=r"max_depth=10 \(at \$\.args\[0\]"):
        transport.serialize_arguments([lists(9)], {})
    with pytest.raises(DecodeError, match="max_depth=10"):
        transport.deserialize_arguments(writer.serialize_arguments([lists(9)], {}))


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("stages", [[], ["zstd"]], ids=["no-stages", "zstd"])
@pytest.mark.parametrize(
    ("args", "kwargs", "path"),
    [
        ([lists(9)], {}, "$.args[0]" + "[0]" * 8),
        ([0, dicts(9)], {}, '$.args[1]["k"]' + '["k"]' * 7),
        ([], {"when": lists(9)}, '$.kwargs["when"]' + "[0]" * 8),
    ],
    ids=["args", "second-arg", "kwargs"],
)
def test_a_too_deep_argument_is_named_by_the_same_path_in_every_codec(
    codec: str, stages: list[str], args: list[Any], kwargs: dict[str, Any], path: str
) -> None:
    """The path of a decoded argument is written as typed arguments and encoding errors
    write it (``$.args[0]``, ``$.kwargs["when"]``), never as a key of the arguments object
    (``$["args"][0]``), whichever codec carried it (and with or without stages)."""
    reader = get_transport(codec, max_depth=10, stages=stages)
    payload = get_transport(codec, max_depth=20, stages=stages).serialize_arguments(args, kwargs)
    with pytest.raises(DecodeError, match="max_depth=10") as info:
        reader.deserialize_arguments(payload)
    assert info.value.path == path


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("codec", CODECS)
def test_a_too_deep_value_is_refused_with_the_same_message_in_every_codec(codec: str) -> None:
    """Too deep is not malformed: every codec names max_depth and the path, and only them
    (protobuf said "malformed protobuf body: ...")."""
    reader = get_transport(codec, max_depth=10)
    writer = get_transport(codec, max_depth=20)
    with pytest.raises(DecodeError) as info:
        reader.deserialize_result(writer.serialize_result({"k": lists(10)}))
    assert str(info.value) == 'nesting deeper than max_depth=10 (at $["k"]' + "[0]" * 9 + ")"
    with pytest.raises(DecodeError) as info:
        reader.deserialize_arguments(writer.serialize_arguments([lists(9)], {}))
    assert str(info.value) == "nesting deeper than max_depth=10 (at $.args[0]" + "[0]" * 8 + ")"


@settings(max_examples=60, deadline=None)
@given(
    data=st.recursive(
        st.integers(0, 3),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(["a", "$b"]), inner, max_size=2),
            st.lists(inner, max_size=3).map(tuple),
        ),
        max_leaves=30,
    ),
    limit=st.integers(0, 8),
)
def test_every_codec_refuses_exactly_what_nests_deeper(data: Any, limit: int) -> None:
    """Oracle: the nesting depth of the value (containers, a scalar is 0)."""
    fits = nesting_depth(data) <= limit
    for codec in CODECS:
        transport = get_transport(codec, max_depth=limit)
        writer = get_transport(codec, max_depth=20)
        try:
            payload = transport.serialize_result(data)
        except EncodeError as exc:
            assert not fits and f"max_depth={limit}" in str(exc), (codec, exc)
        else:
            assert fits, codec
            assert same(transport.deserialize_result(payload), writer.deserialize_result(payload))
        read: Any = None
        try:
            read = transport.deserialize_result(writer.serialize_result(data))
        except DecodeError as exc:
            assert not fits and f"max_depth={limit}" in str(exc), (codec, exc)
        else:
            assert fits, (codec, read)


# -- plain JSON text, as another language writes it --------------------------------------------


@pytest.mark.parametrize("limit", [1, 50, 100, JSON_DEPTH_LIMIT])
def test_plain_json_text_at_and_over_max_depth(limit: int) -> None:
    transport = JSONTransport(max_depth=limit)
    text = "[" * limit + "]" * limit
    assert nesting_depth(transport.deserialize_result(text)) == limit
    over = "[" * (limit + 1) + "]" * (limit + 1)
    with pytest.raises(DecodeError, match=f"nesting deeper than max_depth={limit}") as info:
        transport.deserialize_result(over)
    assert info.value.path == "$" + "[0]" * limit
    objects = '{"a": ' * (limit + 1) + "1" + "}" * (limit + 1)
    with pytest.raises(DecodeError, match=f"max_depth={limit}"):
        transport.deserialize_result(objects)
    with pytest.raises(DecodeError, match=f"max_depth={limit}"):
        transport.deserialize_arguments('{"args": [' + over + '], "kwargs": {}}')
    # a big integer sends the text through Python's exact reader: the same limit holds
    with pytest.raises(DecodeError, match=f"max_depth={limit}"):
        transport.deserialize_result("[" * (limit + 1) + str(2**70) + "]" * (limit + 1))
    # plain JSON is written as plain text up to max_depth, and refused beyond
    assert transport.serialize_result(lists(limit)) == "[" * limit + "0" + "]" * limit
    with pytest.raises(EncodeError, match=f"max_depth={limit}"):
        transport.serialize_result(lists(limit + 1))


# -- the libraries' own limits ------------------------------------------------------------------


def test_max_depth_over_a_librarys_limit_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match=r"JSONCodec\(max_depth=127\) is over 126"):
        JSONCodec(max_depth=JSON_DEPTH_LIMIT + 1)
    with pytest.raises(ConfigurationError, match="orjson writes at most 254"):
        JSONTransport(max_depth=1_000)
    with pytest.raises(ConfigurationError, match=r"MsgpackCodec\(max_depth=1025\) is over 1024"):
        MsgpackCodec(max_depth=MSGPACK_DEPTH_LIMIT + 1)
    with pytest.raises(ConfigurationError, match="msgpack-python reads at most 1,024"):
        MsgpackTransport(max_depth=5_000)
    with pytest.raises(ConfigurationError, match=r"must be an int >= 0, got -1"):
        JSONCodec(max_depth=-1)
    with pytest.raises(ConfigurationError, match=r"must be an int >= 0, got '9'"):
        MsgpackCodec(max_depth="9")  # type: ignore[arg-type]
    assert JSONCodec(max_depth=JSON_DEPTH_LIMIT).max_depth == 126
    assert MsgpackCodec(max_depth=MSGPACK_DEPTH_LIMIT).max_depth == 1024
    assert get_codec("protobuf", max_depth=10**6).max_depth == 10**6  # type: ignore[attr-defined]


def test_json_at_its_limit_carries_the_worst_tagged_form() -> None:
    codec = JSONCodec(max_depth=JSON_DEPTH_LIMIT)
    # one-"$"-key objects are wrapped in {"$dict": ...}: two orjson levels for each, plus
    # the escape object of the bytes at the bottom
    worst = dicts(0, b"x")
    for _ in range(JSON_DEPTH_LIMIT):
        worst = {"$k": worst}
    assert codec.decode(codec.encode(worst)) == worst
    with pytest.raises(EncodeError, match="max_depth=126"):
        codec.encode({"$k": worst})


def test_a_reader_deeper_than_a_codecs_limit_says_why_it_cannot_read_that_codec() -> None:
    deep = get_transport("protobuf", max_depth=500)
    with pytest.raises(DecodeError, match=r"payload codec 'json' cannot read with .*max_depth=500"):
        deep.deserialize_result("[1]")
    assert deep.deserialize_result(deep.serialize_result(lists(400))) == lists(400)


def _armored(header: bytes, body: bytes) -> str:
    return "~" + base64.b64encode(header + body).decode()


DEEP = 100_000


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("json text", "[" * DEEP + "]" * DEEP, "more than 1,024 levels, where orjson stops"),
        (
            "json text, a big integer",
            "[" * DEEP + str(2**70) + "]" * DEEP,
            "more than 1,024 levels, where orjson stops",
        ),
        (
            "json plain body",
            _armored(b"FW\x01\x04json\x00=", b"[" * DEEP + b"]" * DEEP),
            "more than 1,024 levels, where orjson stops",
        ),
        (
            "json tagged body",
            _armored(b"FW\x01\x04json\x00$", b"[" * DEEP + b"]" * DEEP),
            "more than 1,024 levels, where orjson stops",
        ),
        (
            "msgpack arrays",
            _armored(b"FW\x01\x07msgpack\x00", b"\x91" * DEEP + b"\xc0"),
            "more than 1,024 levels, where msgpack-python stops",
        ),
        (
            "msgpack maps",
            _armored(b"FW\x01\x07msgpack\x00", b"\x81\xa1k" * DEEP + b"\xc0"),
            "more than 1,024 levels, where msgpack-python stops",
        ),
    ],
)
def test_deeper_than_the_library_reads_from_outside(name: str, payload: str, expected: str) -> None:
    for transport in (get_transport("json"), get_transport("msgpack"), get_transport("protobuf")):
        with pytest.raises(DecodeError, match=f"max_depth=100: {expected}"):
            transport.deserialize_result(payload)


@pytest.mark.parametrize("depth", [1_024, 1_025, 1_500])
def test_msgpack_at_its_limit_from_outside(depth: int) -> None:
    codec = MsgpackCodec(max_depth=MSGPACK_DEPTH_LIMIT)
    body = b"\x91" * depth + b"\xc0"
    if depth <= MSGPACK_DEPTH_LIMIT:
        assert nesting_depth(codec.decode(body)) == depth
    else:
        with pytest.raises(DecodeError, match="max_depth=1024: more than 1,024 levels"):
            codec.decode(body)


def test_deep_protobuf_from_outside_names_max_depth() -> None:
    writer = CodecTransport(get_codec("protobuf", max_depth=2_000))
    payload = writer.serialize_result(lists(450))
    with pytest.raises(DecodeError, match="max_depth=100"):
        get_transport("protobuf").deserialize_result(payload)


@pytest.mark.parametrize("make", [lists, tuples], ids=["lists", "tuples"])
def test_too_deep_for_the_python_stack_is_an_error_not_a_crash(make: Callable[[int], Any]) -> None:
    # max_depth at msgpack-python's limit; flowwire's Python walks give out first
    codec = MsgpackCodec(max_depth=MSGPACK_DEPTH_LIMIT)
    try:
        back = codec.decode(codec.encode(make(1_000)))
    except EncodeError as exc:
        assert "nested too deeply for the Python stack" in str(exc)
    else:
        assert back == make(1_000)
