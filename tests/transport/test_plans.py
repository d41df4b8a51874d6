"""The C form of the compiled fast decode plans (``_speedups.make_plan``): used where built,
never deciding on its own (what it does not take goes to the checked converter)."""

from __future__ import annotations

import dataclasses
import gc
import os
import weakref
from decimal import Decimal

import pytest

from flowwire.errors import DecodeError
from flowwire.transport.model import _fast
from flowwire.transport.model._typing import compile_hint, convert

if _fast._make_plan is None:  # pragma: no cover - installs without a C compiler
    if os.environ.get("FLOWWIRE_REQUIRE_C_EXT") == "1":
        raise AssertionError("the C extension flowwire.transport._speedups was not built")
    pytest.skip("the optional C plans are not built here", allow_module_level=True)

from flowwire.transport import _speedups


@dataclasses.dataclass
class Money:
    currency: str
    amount: Decimal
    note: str | None = None


def test_records_lists_optionals_and_dicts_get_c_plans() -> None:
    for hint in (Money, list[Money], Money | None, dict[str, Money]):
        assert type(_fast.fast_of(compile_hint(hint))) is _speedups.Plan, hint


def test_a_c_plan_takes_what_the_checked_converter_takes() -> None:
    plan = _fast.fast_of(compile_hint(list[Money]))
    assert plan is not None
    got = plan(
        [{"currency": "EUR", "amount": "1.5"}, {"currency": "X", "amount": "2", "note": "n"}]
    )
    assert got == [Money("EUR", Decimal("1.5")), Money("X", Decimal(2), "n")]
    for value in (
        [{"currency": 1, "amount": "1"}],  # a wrong type
        [{"currency": "EUR"}],  # a missing field
        [{"currency": "EUR", "amount": "1", "extra": 1}],  # an unknown field
        ({"currency": "EUR", "amount": "1"},),  # a tuple for a list
    ):
        with pytest.raises(_fast.Retry):
            plan(value)
    with pytest.raises(DecodeError) as info:
        convert([{"currency": "EUR", "amount": "x"}], list[Money])
    assert info.value.path == '$[0]["amount"]'


def test_a_plan_outliving_its_class_gives_up() -> None:
    def make() -> type:
        @dataclasses.dataclass
        class Gone:
            a: int

        return Gone

    cls = make()
    conv = compile_hint(cls)
    plan = _fast.fast_of(conv)
    ref = weakref.ref(cls)
    del cls
    gc.collect()
    assert ref() is None  # neither the plan nor the caches keep the class alive
    with pytest.raises(_fast.Retry):
        plan({"a": 1})  # type: ignore[misc]
    with pytest.raises(DecodeError, match="no longer exists"):
        _fast.run(conv, {"a": 1}, "$")


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int
    b: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Checked:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("a must be >= 0")


@dataclasses.dataclass
class Custom:
    a: int

    def __init__(self, a: int) -> None:
        self.a = a * 2


def test_instances_built_directly_equal_those_the_constructor_builds() -> None:
    from flowwire.transport.model._records import sets_dict_only

    assert sets_dict_only(Money) and sets_dict_only(Frozen)
    assert not sets_dict_only(Checked) and not sets_dict_only(Custom)
    for hint, value, expected in (
        (Money, {"currency": "E", "amount": "1", "note": None}, Money("E", Decimal(1))),
        (Frozen, {"a": 1, "b": [2]}, Frozen(1, [2])),
        (Frozen, {"a": 1}, Frozen(1)),  # a missing field: the constructor fills it
        (Checked, {"a": 1}, Checked(1)),
        (Custom, {"a": 1}, Custom(1)),  # a hand-written __init__ runs
    ):
        got = _fast.fast_of(compile_hint(hint))(value)  # type: ignore[misc]
        assert got == expected and vars(got) == vars(expected), hint
    with pytest.raises(ValueError, match="a must be >= 0"):  # __post_init__ runs
        _fast.fast_of(compile_hint(Checked))({"a": -1})  # type: ignore[misc]
    with pytest.raises(DecodeError, match="a must be >= 0"):
        convert({"a": -1}, Checked)


def test_make_plan_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        _speedups.make_plan(0, (), ())  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        _speedups.make_plan(9, (0,), (None,), (), 0, (), None, _fast.RETRY, False)
    with pytest.raises(ValueError):
        _speedups.make_plan(1, (5,), ("not callable",), (), 0, (), None, _fast.RETRY, False)
    with pytest.raises(ValueError):
        _speedups.make_plan(0, (0,), (None,), ("a",), 0, (), None, _fast.RETRY, False)
    plan = _speedups.make_plan(2, (1,), (None,), (), 0, (), None, _fast.RETRY, False)
    assert plan(None) is None and plan("s") == "s"
    with pytest.raises(TypeError):
        plan()
