"""Result helpers on plain values (results of tasks are covered by the replay tests)."""

from __future__ import annotations

import operator

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given
from hypothesis import strategies as st

from flowwire.result import Restart, finish_order, first, parallel_reduce, restart, unwrap, wait


@given(st.lists(st.integers(), min_size=1))
def test_parallel_reduce_on_plain_values_is_a_reduction(values: list[int]) -> None:
    assert parallel_reduce(operator.add, values) == sum(values)
    assert parallel_reduce(operator.add, values, 7) == sum(values) + 7


def test_parallel_reduce_of_nothing() -> None:
    assert parallel_reduce(operator.add, [], 3) == 3
    with pytest.raises(TypeError, match="empty iterable"):
        parallel_reduce(operator.add, [])


def test_plain_values_are_finished() -> None:
    assert wait(5) == 5
    assert first(1, 2) == 1
    assert list(finish_order([3, 1, 2])) == [3, 1, 2]
    assert unwrap({"a": [1, (2,)]}) == {"a": [1, (2,)]}


def test_restart_marker() -> None:
    marker = restart(1, b=2)
    assert isinstance(marker, Restart) and marker.args == (1,) and marker.kwargs == {"b": 2}
