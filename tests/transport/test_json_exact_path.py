"""The JSON transport's short paths for arguments and results that are exactly their
annotated int, str or bool: the same values and errors as the general path, without the digit
scan or the typed conversion (counted)."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from flowwire import DecodeError
from flowwire.transport.codecs import json as json_codec
from flowwire.transport.codecs.json import JSONTransport
from flowwire.transport.model import _typing
from flowwire.transport.model._typing import ArgumentTypes


def scalars(self: object, a: int, b: str, c: bool = False) -> int:
    return a


def untyped(self: object, a: Any) -> Any:
    return a


@dataclasses.dataclass
class Point:
    x: int


def typed(self: object, p: Point) -> Point:
    return p


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"scan": 0, "apply": 0}
    scan, apply = json_codec._may_hold_big_int, ArgumentTypes.apply

    def counting_scan(data: Any) -> bool:
        calls["scan"] += 1
        return scan(data)

    def counting_apply(self: ArgumentTypes, args: Any, kwargs: Any) -> Any:
        calls["apply"] += 1
        return apply(self, args, kwargs)

    monkeypatch.setattr(json_codec, "_may_hold_big_int", counting_scan)
    monkeypatch.setattr(ArgumentTypes, "apply", counting_apply)
    return calls


def test_exact_types_of_signatures() -> None:
    assert ArgumentTypes.of(scalars).exact == (int, str, bool)
    assert ArgumentTypes.of(untyped).exact is None
    assert ArgumentTypes.of(typed).exact is None
    assert _typing.cached(scalars) is ArgumentTypes.of(scalars)


@pytest.mark.parametrize(
    "value",
    [
        {"args": [1, "x"], "kwargs": {}},
        {"args": [1, "x", True], "kwargs": {}},
        {"args": [], "kwargs": {}},
    ],
)
def test_read_exact_takes_exact_arguments(value: dict[str, Any]) -> None:
    types_ = ArgumentTypes.of(scalars)
    assert types_.read_exact(value) == types_.apply(value["args"], value["kwargs"])


@pytest.mark.parametrize(
    "value",
    [
        {"args": [1.0, "x"], "kwargs": {}},  # a float: maybe an integer beyond 64 bits
        {"args": [True, "x"], "kwargs": {}},  # a bool is no int here
        {"args": [1, "x", 1], "kwargs": {}},
        {"args": [1, "x", True, 4], "kwargs": {}},  # too many: run decides
        {"args": [1], "kwargs": {"b": "x"}},
        {"args": [1]},
        {"args": [1], "kwargs": {}, "more": 1},
        {"args": (1,), "kwargs": {}},
        [1, "x"],
    ],
)
def test_read_exact_leaves_anything_else(value: Any) -> None:
    assert ArgumentTypes.of(scalars).read_exact(value) is None


@pytest.mark.parametrize(
    "value",
    [
        {"args": [1, "x"], "kwargs": {}},
        {"args": [1, "x", True], "kwargs": {}},
        {"args": [], "kwargs": {}},
        {"args": [1.0, "x"], "kwargs": {}},
        {"args": [True, "x"], "kwargs": {}},
        {"args": [1, "x", 1], "kwargs": {}},
        {"args": [1, "x", True, 4], "kwargs": {}},
        {"args": [1], "kwargs": {"b": "x"}},
        {"args": [1], "kwargs": []},
        {"args": {"a": 1}, "kwargs": {}},
        {"args": [1]},
        {"args": [1], "kwargs": {}, "more": 1},
        [1, "x"],
    ],
)
def test_the_transport_takes_the_short_path_where_read_exact_does(
    value: Any, counted: dict[str, int]
) -> None:
    """JSONTransport.deserialize_arguments inlines read_exact: the same arguments, and only
    those, skip the scan and the conversion."""
    types_ = ArgumentTypes.of(scalars)
    exact = types_.read_exact(value)
    try:
        got: Any = JSONTransport().deserialize_arguments(
            orjson.dumps(value).decode(), signature=scalars
        )
    except DecodeError:
        got = None
    if exact is not None:
        assert got == exact and counted == {"scan": 0, "apply": 0}
    else:
        assert counted["scan"] == 1


def test_exact_arguments_skip_the_scan_and_conversion(counted: dict[str, int]) -> None:
    transport = JSONTransport()
    ArgumentTypes.of(scalars)  # compiled: the short path only reads the cache
    payload = transport.serialize_arguments((5, "x"), {})
    assert transport.deserialize_arguments(payload, signature=scalars) == ((5, "x"), {})
    assert counted == {"scan": 0, "apply": 0}
    # keywords, or an untyped parameter: the general path, scan and all
    payload = transport.serialize_arguments((5,), {"b": "x"})
    assert transport.deserialize_arguments(payload, signature=scalars) == ((5,), {"b": "x"})
    assert transport.deserialize_arguments(payload, signature=untyped) == ((5,), {"b": "x"})
    assert counted == {"scan": 2, "apply": 2}


@pytest.mark.parametrize("big", [2**64, -(2**63) - 1, 10**30, -(10**40)])
def test_big_integer_arguments_stay_exact(big: int) -> None:
    transport = JSONTransport()
    ArgumentTypes.of(scalars)
    for payload in (
        transport.serialize_arguments((big, "x"), {}),
        f'{{"args":[{big},"x"],"kwargs":{{}}}}',
    ):
        args, kwargs = transport.deserialize_arguments(payload, signature=scalars)
        assert args == (big, "x") and type(args[0]) is int and kwargs == {}


def test_wrong_exact_arguments_keep_their_errors() -> None:
    transport = JSONTransport()
    ArgumentTypes.of(scalars)
    with pytest.raises(DecodeError) as caught:
        transport.deserialize_arguments('{"args":[1.5,"x"],"kwargs":{}}', signature=scalars)
    assert caught.value.path == "$.args[0]"
    with pytest.raises(DecodeError) as caught:
        transport.deserialize_arguments('{"args":[1,2],"kwargs":{}}', signature=scalars)
    assert caught.value.path == "$.args[1]"


def test_deep_arguments_are_refused_on_every_path() -> None:
    transport = JSONTransport(max_depth=1)
    ArgumentTypes.of(scalars)
    with pytest.raises(DecodeError, match="max_depth"):
        transport.deserialize_arguments('{"args":[1,"x"],"kwargs":{}}', signature=scalars)


@pytest.mark.parametrize(
    ("payload", "hint", "expected"),
    [("6", int, 6), ('"x"', str, "x"), ("true", bool, True), ("null", None, None), ("6", Any, 6)],
)
def test_scalar_results_skip_the_scan(
    counted: dict[str, int], payload: str, hint: Any, expected: Any
) -> None:
    value = JSONTransport().deserialize_result(payload, type_hint=hint)
    assert value == expected and type(value) is type(expected)
    assert counted["scan"] == 0


@pytest.mark.parametrize(
    ("payload", "hint", "path"), [("6", str, "$"), ("true", int, "$"), ('"6"', int, "$")]
)
def test_scalar_results_keep_their_errors(payload: str, hint: Any, path: str) -> None:
    with pytest.raises(DecodeError) as caught:
        JSONTransport().deserialize_result(payload, type_hint=hint)
    assert caught.value.path == path


@pytest.mark.parametrize("big", [2**64, -(2**63) - 1, 10**30])
def test_big_integer_results_stay_exact(big: int) -> None:
    transport = JSONTransport()
    for hint in (int, Any):
        assert transport.deserialize_result(str(big), type_hint=hint) == big
        assert transport.deserialize_result(transport.serialize_result(big), type_hint=hint) == big


@pytest.mark.parametrize("value", [0, 1, -1, 2**63 - 1, 2**64 - 1, -(2**63), 10**18])
def test_int_results_are_orjson_text(value: int) -> None:
    assert JSONTransport().serialize_result(value) == orjson.dumps(value).decode()


def test_int_results_keep_the_limit_and_the_tagged_form() -> None:
    from flowwire import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        JSONTransport(max_payload_chars=3).serialize_result(12345)
    big = JSONTransport().serialize_result(2**64)
    assert big[0] == "~" and JSONTransport().deserialize_result(big) == 2**64
    assert JSONTransport().serialize_result(True) == "true"
