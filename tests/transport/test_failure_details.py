"""Failure details through every built-in transport: an exception's type name, message,
traceback, its own simple attributes and its non-retryable flag reach the ``TaskError`` the
workflow catches, as values (nothing is pickled, nothing names code to import)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire import ApplicationError, TaskError, get_transport
from flowwire.transport import CodecTransport, builtin_codecs

#: what an exception's attribute may hold and still travel (containers of these too)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
    | st.binary(max_size=30)
)
simple = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: n not in ("message", "non_retryable")
)


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (the value model carries NaN exactly)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class PaymentDeclined(Exception):
    """A user exception with attributes of its own and a class-level non-retryable flag."""

    non_retryable = True

    def __init__(self, code: str, amount: int) -> None:
        super().__init__(f"declined: {code}")
        self.code = code
        self.amount = amount
        self.limits = (10, 20)  # a tuple travels as a list
        self.session = object()  # not simple: left out
        self._private = "secret"  # private: left out


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


@pytest.mark.parametrize("codec", builtin_codecs())
@settings(max_examples=60, deadline=None)
@given(
    attributes=st.dictionaries(names, simple, max_size=5),
    message=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    flag=st.booleans(),
)
def test_application_error_round_trips(
    codec: str, attributes: dict[str, Any], message: str, flag: bool
) -> None:
    transport = get_transport(codec)
    exc = raised(ApplicationError(message, non_retryable=flag, **attributes))
    reason, details = transport.serialize_error(exc)
    error = transport.deserialize_error(reason, details)
    assert isinstance(error, TaskError)
    assert (error.type_name, error.message, error.non_retryable) == (
        "ApplicationError",
        message or reason,
        flag,
    )
    assert same(error.attributes, attributes)
    assert error.traceback is not None and "ApplicationError" in error.traceback


def test_own_attributes_of_any_exception_travel_and_others_are_left_out(
    transport: CodecTransport,
) -> None:
    reason, details = transport.serialize_error(raised(PaymentDeclined("card", 1200)))
    error = transport.deserialize_error(reason, details)
    assert error.type_name == "PaymentDeclined"
    assert error.attributes == {"amount": 1200, "code": "card", "limits": [10, 20]}
    assert error.non_retryable is True
    assert reason == "PaymentDeclined: declined: card"


def test_plain_exceptions_have_no_attributes_and_may_be_retried(
    transport: CodecTransport,
) -> None:
    error = transport.deserialize_error(*transport.serialize_error(raised(KeyError("sku"))))
    assert (error.attributes, error.non_retryable) == ({}, False)


def test_a_task_error_passes_on_the_remote_attributes(transport: CodecTransport) -> None:
    first = transport.deserialize_error(
        *transport.serialize_error(raised(ApplicationError("no", non_retryable=True, code=7)))
    )
    again = transport.deserialize_error(*transport.serialize_error(first))
    assert (again.type_name, again.attributes, again.non_retryable) == (
        "ApplicationError",
        {"code": 7},
        True,
    )


def test_an_attribute_the_codec_refuses_is_dropped_not_the_report(
    transport: CodecTransport,
) -> None:
    exc = raised(ApplicationError("bad text", note="\ud800"))  # a lone surrogate: not text
    error = transport.deserialize_error(*transport.serialize_error(exc))
    assert (error.type_name, error.message, error.attributes) == (
        "ApplicationError",
        "bad text",
        {},
    )


def test_huge_attributes_give_way_to_the_limit(codec_name: str) -> None:
    limited = type(get_transport(codec_name))(max_payload_chars=2_000)
    assert isinstance(limited, CodecTransport)
    exc = raised(ApplicationError("big", blob="x" * 10_000))
    reason, details = limited.serialize_error(exc)
    assert len(details) <= 2_000
    error = limited.deserialize_error(reason, details)
    assert error.type_name == "ApplicationError" and error.attributes == {}


@pytest.mark.parametrize("value", [float("nan"), float("-inf"), -0.0, 2**100, b"\x00\xff"])
def test_exact_values_stay_exact(transport: CodecTransport, value: Any) -> None:
    exc = raised(ApplicationError("v", value=value))
    error = transport.deserialize_error(*transport.serialize_error(exc))
    assert same(error.attributes["value"], value)
