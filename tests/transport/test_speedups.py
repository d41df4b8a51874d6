"""The optional C checks (``flowwire.transport._speedups``) against the Python walks they stand
in for: whenever C answers (True or False), the Python walk must answer the same; C may say
"not sure" (None), never the opposite of the truth."""

from __future__ import annotations

import dataclasses
import math
import os
from decimal import Decimal
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import EncodeError
from flowwire.transport.codecs import protobuf
from flowwire.transport.codecs.msgpack import _str_keys
from flowwire.transport.model import _model

if not protobuf.C_ACCELERATED:  # pragma: no cover - installs without a C compiler
    if os.environ.get("FLOWWIRE_REQUIRE_C_EXT") == "1":
        raise AssertionError("the C extension flowwire.transport._speedups was not built")
    pytest.skip("the optional C checks are not built here", allow_module_level=True)

from flowwire.transport._speedups import all_finite, str_keys  # only where it was built


@dataclasses.dataclass
class Point:
    x: float


KEYS = st.one_of(st.text(max_size=3), st.integers(-2, 2), st.just(None), st.binary(max_size=2))
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities included
    st.text(max_size=4),
    st.binary(max_size=4),
    st.decimals(allow_nan=False).map(Decimal),
    st.floats().map(Point),
)
TREES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=3)
    ),
    max_leaves=25,
)


def python_str_keys(value: Any, budget: int) -> bool | None:
    try:
        return _str_keys(value, budget)
    except EncodeError:
        return None  # too deep: the codec reports it


@settings(max_examples=1500, deadline=None)
@given(TREES, st.integers(0, 6))
def test_str_keys_never_contradicts_the_python_walk(value: Any, budget: int) -> None:
    answer = str_keys(value, budget)
    if answer is not None:
        assert answer == python_str_keys(value, budget)
    else:  # only depth makes C unsure, and then the Python walk cannot pass the value either
        assert python_str_keys(value, budget) is not True


@settings(max_examples=1500, deadline=None)
@given(TREES)
def test_all_finite_never_contradicts_the_python_walk(value: Any) -> None:
    answer = all_finite(value, 200)
    if answer is not None:
        assert answer is not _model.contains_nonfinite(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": [1, {"b": 2}]}, True),
        ({"a": [1, {2: "b"}]}, False),
        ([{"a": 1}, {b"k": 1}], False),
        ({"a": ({1: 2},)}, True),  # tuples are the ext hook's to check
        ([[[[]]]], True),
    ],
)
def test_str_keys_examples(value: Any, expected: bool) -> None:
    assert str_keys(value, 100) is expected


def test_str_keys_is_unsure_past_its_budget_and_its_own_cap() -> None:
    deep: Any = []
    for _ in range(10):
        deep = [deep]
    assert str_keys(deep, 11) is True
    assert str_keys(deep, 10) is None
    very: Any = []
    for _ in range(5_000):
        very = [very]
    assert str_keys(very, 10**9) is None  # C stops at 200 levels; the Python walk decides


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": None, "b": [1.5, "x"]}, True),
        ({"a": None, "b": [math.nan]}, False),
        ((1, (2, (-math.inf,))), False),
        ([Point(math.nan)], None),  # a dataclass: the Python walk lowers it
        ([Decimal("1")], None),
        (float("inf"), False),
        (True, True),
    ],
)
def test_all_finite_examples(value: Any, expected: bool | None) -> None:
    assert all_finite(value, 200) is expected


def test_bad_arguments_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        str_keys({})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        all_finite([], "100")  # type: ignore[arg-type]
