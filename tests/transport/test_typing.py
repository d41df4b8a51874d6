"""Annotation-driven decoding: what each supported annotation rebuilds, the exact path of a
mismatch, what is refused at configuration time, and how signatures are read and cached.

This module uses ``from __future__ import annotations`` on purpose: most user code does, so every
annotation below is a string that the converters must resolve.
"""

from __future__ import annotations

# typing.Optional and typing.Union are different runtime objects from ``X | Y``: test both.
# ruff: noqa: UP007, UP045
import dataclasses
import enum
import gc
import sys
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    NamedTuple,
    NewType,
    NotRequired,
    Optional,
    Required,
    TypedDict,
    TypeVar,
    Union,
)
from uuid import UUID

import pytest

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport import CodecTransport, JSONTransport, builtin_codecs
from flowwire.transport.model import _typing
from flowwire.transport.model._typing import ArgumentTypes, compile_hint, convert

UserId = NewType("UserId", int)
Money = Annotated[Decimal, "currency=EUR"]
T_co = TypeVar("T_co")


class Color(enum.Enum):
    RED = "red"
    GREEN = 2
    BLUE = (0, 0, 255)


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Item:
    sku: str
    price: Decimal
    quantity: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Stamp:
    at: datetime
    serial: int = dataclasses.field(init=False, default=0)


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node] = dataclasses.field(default_factory=list)
    parent_id: int | None = None


@dataclasses.dataclass
class Positive:
    n: int

    def __post_init__(self) -> None:
        if self.n <= 0:
            raise ValueError("n must be positive")


@dataclasses.dataclass
class Box(Generic[T_co]):
    content: Any


class Point(NamedTuple):
    x: int
    y: Decimal
    label: str = "p"


class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


class Film(TypedDict):
    title: str
    year: int


class Partial(TypedDict, total=False):
    name: str
    id: Required[UUID]


class Opaque:
    """Not part of the value model."""


@dataclasses.dataclass
class Loop:
    inner: LoopInner
    bad: Opaque


@dataclasses.dataclass
class LoopInner:
    back: Loop | None


# -- supported annotations -------------------------------------------------------------------

WHEN = datetime(2024, 3, 10, 7, 30, tzinfo=UTC)

CASES: list[tuple[Any, Any, Any]] = [
    # (annotation, lowered value as JSON would carry it, expected)
    (Optional[int], None, None),
    (Optional[int], 3, 3),
    (int | None, 3, 3),
    (Union[int, str], "x", "x"),
    (Union[Decimal, None], "1.50", Decimal("1.50")),
    (Literal["a", "b"], "b", "b"),
    (Literal[1, True], True, True),
    (Literal[1, True], 1, 1),
    (Literal[Color.RED], "red", Color.RED),
    (Money, "9.99", Decimal("9.99")),
    (UserId, 7, 7),
    (Point, [1, "2.5", "q"], Point(1, Decimal("2.5"), "q")),
    (Film, {"title": "Heat", "year": 1995}, {"title": "Heat", "year": 1995}),
    (
        Movie,
        {"title": "Heat", "year": 1995, "rating": 8},
        {"title": "Heat", "year": 1995, "rating": 8.0},
    ),
    (
        Partial,
        {"id": "12345678-1234-5678-1234-567812345678"},
        {"id": UUID("12345678-1234-5678-1234-567812345678")},
    ),
    (
        dict[str, list[tuple[date, Decimal]]],
        {"k": [["2024-01-02", "1.0"]]},
        {"k": [(date(2024, 1, 2), Decimal("1.0"))]},
    ),
    (list[dict[str, set[int]]], [{"a": [3, 1]}], [{"a": {1, 3}}]),
    (Mapping[str, Sequence[UUID]], {"a": [str(UUID(int=5))]}, {"a": [UUID(int=5)]}),
    (tuple[()], [], ()),
    (tuple[int, str, float], [1, "a", 2], (1, "a", 2.0)),
    (tuple[Decimal, ...], ["1", "2.0"], (Decimal("1"), Decimal("2.0"))),
    (frozenset[tuple[int, int]], [[1, 2]], frozenset({(1, 2)})),
    (Item, {"sku": "a", "price": "1.5"}, Item("a", Decimal("1.5"))),
    (Item, {"sku": "a", "price": 2, "quantity": 3, "tags": ["x"]}, Item("a", Decimal(2), 3, ["x"])),
    (
        Node,
        {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]},
        Node(1, [Node(2, [Node(3)])]),
    ),
    (Box[int], {"content": [1]}, Box([1])),
    (Color, [0, 0, 255], Color.BLUE),
    (Color, 2, Color.GREEN),
    (Level, 2, Level.HIGH),
    (timedelta, -1, timedelta(microseconds=-1)),
    (time, "12:30:00+01:00", time(12, 30, tzinfo=timezone(timedelta(hours=1)))),
    (bytes, "AP8=", b"\x00\xff"),
    (float, 3, 3.0),
    (Decimal, 3, Decimal(3)),
    (Any, {"x": [1]}, {"x": [1]}),
    (object, "anything", "anything"),
]


@pytest.mark.parametrize(("hint", "value", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
def test_supported_annotations_rebuild_the_value(hint: Any, value: Any, expected: Any) -> None:
    back = convert(value, hint)
    assert back == expected
    assert type(back) is type(expected)


def test_named_tuple_defaults_fill_missing_trailing_items() -> None:
    # Dataclass defaults fill missing fields; named tuple defaults should too.
    assert convert([1, "2.5"], Point) == Point(1, Decimal("2.5"), "p")


def test_frozen_dataclass_init_false_field_is_restored() -> None:
    back = convert({"at": WHEN.isoformat(), "serial": 5}, Stamp)
    assert back.serial == 5 and back.at == WHEN


def test_nested_types_are_exact() -> None:
    back = convert({"k": [["2024-01-02", "1.0"]]}, dict[str, list[tuple[date, Decimal]]])
    assert type(back["k"][0]) is tuple and type(back["k"][0][0]) is date


def test_enum_tuple_value_through_json() -> None:
    t = JSONTransport()
    payload = t.serialize_result({"c": Color.BLUE, "l": [Color.RED, Color.GREEN]})
    assert payload == '{"c":[0,0,255],"l":["red",2]}'
    back = t.deserialize_result(payload, type_hint=dict[str, Color | list[Color]])
    assert back == {"c": Color.BLUE, "l": [Color.RED, Color.GREEN]}


def test_recursive_dataclass_through_every_codec(transport: CodecTransport) -> None:
    tree = Node(0)
    leaf = tree
    for i in range(1, 30):
        child = Node(i, parent_id=i - 1)
        leaf.children.append(child)
        leaf = child
    back = transport.deserialize_result(transport.serialize_result(tree), type_hint=Node)
    assert back == tree


# -- mismatches and their paths --------------------------------------------------------------


def run(self: Any, item: Item, count: int = 1, *, when: datetime) -> None: ...


def test_mismatch_in_a_positional_dataclass_field(transport: CodecTransport) -> None:
    payload = transport.serialize_arguments([{"sku": "a", "price": "abc"}], {"when": WHEN})
    with pytest.raises(DecodeError) as info:
        transport.deserialize_arguments(payload, signature=run)
    assert info.value.path == '$.args[0]["price"]'
    assert "decimal" in str(info.value) and "'abc'" in str(info.value)


def test_mismatch_in_a_keyword_argument(transport: CodecTransport) -> None:
    payload = transport.serialize_arguments([{"sku": "a", "price": "1"}], {"when": "tomorrow"})
    with pytest.raises(DecodeError) as info:
        transport.deserialize_arguments(payload, signature=run)
    assert info.value.path == '$.kwargs["when"]'
    assert str(info.value).endswith('(at $.kwargs["when"])')


def test_mismatch_in_a_result_list(transport: CodecTransport) -> None:
    payload = transport.serialize_result([1, 2, "three"])
    with pytest.raises(DecodeError) as info:
        transport.deserialize_result(payload, type_hint=list[int])
    assert info.value.path == "$[2]"
    assert "expected integer, got str 'three'" in str(info.value)


@pytest.mark.parametrize(
    ("hint", "value", "path", "fragment"),
    [
        (int, True, "$", "expected integer"),
        (int, 1.0, "$", "expected integer"),
        (bool, 1, "$", "expected bool"),
        (float, 2**60 + 1, "$", "expected float"),
        (str, b"x", "$", "expected string"),
        (Decimal, 1.5, "$", "decimal"),
        (dict[str, int], {"a": 1, "b": "x"}, '$["b"]', "integer"),
        (list[list[UUID]], [[], ["nope"]], "$[1][0]", "UUID"),
        (tuple[int, int], [1], "$", "expected 2 items"),
        (tuple[int, int], [1, "a"], "$[1]", "integer"),
        (set[int], [1, "a"], "$[1]", "integer"),
        (Point, [], "$", "items for Point"),
        (Point, [1, "x", "q"], "$[1]", "decimal"),
        (Item, {"sku": "a"}, "$", "missing field(s) price for Item"),
        (Item, {"sku": "a", "price": "1", "colour": "red"}, "$", "unexpected field 'colour'"),
        (Item, ["a", "1"], "$", "object (for Item)"),
        (Node, {"value": 1, "children": [{"value": "x"}]}, '$["children"][0]["value"]', "integer"),
        (Positive, {"n": 0}, "$", "rejected the decoded fields: n must be positive"),
        (Film, {"title": "Heat"}, "$", "missing key(s) year for Film"),
        (Film, {"title": "Heat", "year": 1, "x": 1}, "$", "unexpected key 'x'"),
        (Film, {"title": "Heat", "year": "1995"}, '$["year"]', "integer"),
        (Color, "purple", "$", "enum Color"),
        (Literal["a", "b"], "c", "$", "one of 'a', 'b'"),
        (Literal[1], True, "$", "one of 1"),
        (Literal[True], 1, "$", "one of True"),
        (Union[int, Item], {"sku": 1}, '$["sku"]', "as Item (the member of int | Item"),
        (date, "2024-1-2", "$", "malformed date"),
        (datetime, 17, "$", "datetime"),
        (timedelta, "1s", "$", "microseconds"),
        (bytes, "not base64!", "$", "base64"),
        (frozenset[Any], [[1]], "$", "hashable"),
        (Optional[UserId], "x", "$", "integer"),
    ],
)
def test_mismatches_raise_decode_error_with_the_path(
    hint: Any, value: Any, path: str, fragment: str
) -> None:
    with pytest.raises(DecodeError) as info:
        convert(value, hint)
    assert info.value.path == path
    assert fragment in str(info.value)


@dataclasses.dataclass
class Priced:
    price: Decimal


@dataclasses.dataclass
class Basket:
    items: list[Priced]


@dataclasses.dataclass
class Refund:
    amount: Decimal


BAD_BASKET = {"items": [{"price": "x"}]}
BAD_PRICE = '["items"][0]["price"]'


@pytest.mark.parametrize(
    ("hint", "value", "path"),
    [
        (Basket | None, BAD_BASKET, "$" + BAD_PRICE),
        (Optional[Basket], BAD_BASKET, "$" + BAD_PRICE),
        (list[Basket] | None, [BAD_BASKET], "$[0]" + BAD_PRICE),
        (Basket | int | None, BAD_BASKET, "$" + BAD_PRICE),
        (Union[str, int, Basket], BAD_BASKET, "$" + BAD_PRICE),
        (list[Basket] | dict[str, int] | None, [BAD_BASKET], "$[0]" + BAD_PRICE),
        (dict[str, Basket] | list[int], {"b": BAD_BASKET}, '$["b"]' + BAD_PRICE),
        (Basket | datetime | Decimal, BAD_BASKET, "$" + BAD_PRICE),
    ],
    ids=repr,
)
def test_union_with_one_plausible_member_reports_its_inner_error(
    hint: Any, value: Any, path: str
) -> None:
    with pytest.raises(DecodeError) as info:
        convert(value, hint)
    assert info.value.path == path
    assert "expected decimal text, got str 'x'" in str(info.value)


def test_union_inner_error_path_through_a_transport(transport: CodecTransport) -> None:
    def run(self: Any, order: Basket | int | None) -> None: ...

    run.__annotations__ = {"order": Basket | int | None, "return": None}
    payload = transport.serialize_arguments((BAD_BASKET,), {})
    with pytest.raises(DecodeError) as info:
        transport.deserialize_arguments(payload, signature=run)
    assert info.value.path == "$.args[0]" + BAD_PRICE
    assert "as Basket (the member of Basket | int | None that takes an object)" in str(info.value)


def test_union_with_several_plausible_members_names_every_member_tried() -> None:
    with pytest.raises(DecodeError) as info:
        convert(BAD_BASKET, Basket | Refund | None)
    message = str(info.value)
    assert info.value.path == "$"
    assert "expected Basket | Refund | None, got dict" in message
    assert "tried Basket: expected decimal text, got str 'x' (at $" + BAD_PRICE + ")" in message
    assert "Refund: unexpected field 'items' for Refund (at $)" in message


def test_union_that_no_member_fits_names_the_members_readably() -> None:
    with pytest.raises(DecodeError) as info:
        convert(1.5, list[Basket] | dict[str, int] | Literal["a"] | None)
    assert info.value.path == "$"
    assert "expected list[Basket] | dict[str, int] | Literal['a'] | None, got float 1.5" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("hint", "value"),
    [(float | int, 1), (Decimal | int, 5), (int | float, 1.5), (timedelta | int, 7)],
    ids=["float|int", "Decimal|int", "int|float", "timedelta|int"],
)
def test_union_keeps_a_value_whose_type_is_a_member(
    transport: CodecTransport, hint: Any, value: Any
) -> None:
    back = transport.deserialize_result(transport.serialize_result(value), type_hint=hint)
    assert back == value and type(back) is type(value), f"{value!r} as {hint} -> {back!r}"


@pytest.mark.parametrize("codec", builtin_codecs(native=[Decimal, date, UUID]))
@pytest.mark.parametrize(
    ("hint", "value"),
    [
        (Decimal | str, "1.5"),
        (date | str, "2024-01-01"),
        (bytes | str, "AAAA"),
        (UUID | str, str(UUID(int=3))),
    ],
    ids=["Decimal|str", "date|str", "bytes|str", "UUID|str"],
)
def test_union_keeps_str_when_the_codec_preserves_types(codec: str, hint: Any, value: str) -> None:
    # msgpack and protobuf carry str and Decimal/date/bytes/UUID apart; a str must stay a str.
    from flowwire import get_transport

    t = get_transport(codec)
    back = t.deserialize_result(t.serialize_result(value), type_hint=hint)
    assert back == value and type(back) is str, f"{value!r} as {hint} -> {back!r}"


def test_typeddict_not_required_key_may_be_missing() -> None:
    # Under ``from __future__ import annotations`` Python cannot see NotRequired when the class
    # is created, so the converter must read the qualifiers from the annotations itself.
    assert convert({"title": "Heat", "year": 1995}, Movie) == {"title": "Heat", "year": 1995}
    assert convert({"id": str(UUID(int=1))}, Partial) == {"id": UUID(int=1)}
    with pytest.raises(DecodeError, match="missing key"):
        convert({"name": "x"}, Partial)


# -- unsupported annotations -----------------------------------------------------------------


def takes_callable(self: Any, callback: Callable[[int], int]) -> None: ...


def takes_opaque(a: int, thing: Opaque) -> None: ...


def takes_class(a: int, *, kind: type[int]) -> None: ...


def takes_unresolvable(a: NoSuchName) -> None: ...  # type: ignore[name-defined]  # noqa: F821


@pytest.mark.parametrize(
    ("func", "param"),
    [
        (takes_callable, "callback"),
        (takes_opaque, "thing"),
        (takes_class, "kind"),
    ],
)
def test_unsupported_annotation_names_the_parameter(func: Any, param: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ArgumentTypes.of(func)
    assert f"parameter {param!r} of {func.__qualname__}" in str(info.value)


def test_unresolvable_annotation_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="NoSuchName"):
        ArgumentTypes.of(takes_unresolvable)


@pytest.mark.parametrize("hint", [Opaque, Callable[[], None], type[int], list[Opaque], "Item"])
def test_unsupported_hint_is_a_configuration_error(hint: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"value model|cannot be carried"):
        compile_hint(hint)


def test_failed_recursive_compile_does_not_poison_the_cache() -> None:
    # Compiling Loop fails (Opaque); LoopInner, compiled on the way, refers back to Loop and
    # must not be left cached with a converter that lets any value through as a Loop.
    with pytest.raises(ConfigurationError):
        compile_hint(Loop)
    try:
        back = convert({"back": {"inner": 1, "bad": 2}}, LoopInner)
    except ConfigurationError:
        return
    raise AssertionError(f"LoopInner decoded with an unchecked Loop inside: {back!r}")


def test_failed_compile_leaves_no_cache_entry() -> None:
    for _ in range(2):
        with pytest.raises(ConfigurationError):
            compile_hint(dict[str, Opaque])


# -- signatures ------------------------------------------------------------------------------


def variadic(
    self: Any, first: int, /, second: Decimal, *rest: date, flag: bool, **extra: UUID
) -> None: ...


def test_positional_only_var_positional_keyword_only_and_var_keyword() -> None:
    types_ = ArgumentTypes.of(variadic)
    args, kwargs = types_.apply(
        [1, "2.5", "2024-01-01", "2024-01-02"],
        {"flag": True, "second": "3", "other": str(UUID(int=9))},
    )
    assert args == (1, Decimal("2.5"), date(2024, 1, 1), date(2024, 1, 2))
    assert kwargs == {"flag": True, "second": Decimal("3"), "other": UUID(int=9)}
    with pytest.raises(DecodeError) as info:
        types_.apply([1, "2", "x"], {"flag": True})
    assert info.value.path == "$.args[2]"
    with pytest.raises(DecodeError) as info:
        types_.apply([1], {"flag": True, "zz": "no"})
    assert info.value.path == '$.kwargs["zz"]'
    with pytest.raises(DecodeError) as info:
        types_.apply([1], {"flag": "yes"})
    assert info.value.path == '$.kwargs["flag"]'


def test_positional_only_name_is_not_a_keyword() -> None:
    types_ = ArgumentTypes.of(variadic)
    assert "first" not in types_.keyword and "second" in types_.keyword


class Task:
    def run(self, when: datetime, amount: Decimal = Decimal(0)) -> None: ...

    @classmethod
    def build(cls, when: datetime) -> None: ...

    @staticmethod
    def helper(when: datetime) -> None: ...


@pytest.mark.parametrize(
    "func",
    [Task.run, Task().run, Task.build, Task.helper],
    ids=["function", "bound", "cls", "static"],
)
def test_self_and_cls_are_skipped(func: Any) -> None:
    args, _ = ArgumentTypes.of(func).apply([WHEN.isoformat()], {})
    assert args == (WHEN,)


def test_first_parameter_not_named_self_is_kept() -> None:
    def plain(when: datetime, n: int) -> None: ...

    args, _ = ArgumentTypes.of(plain).apply([WHEN.isoformat(), 1], {})
    assert args == (WHEN, 1)


def test_unannotated_signature_is_trivial() -> None:
    def loose(self, a, b=1, *c, **d):  # type: ignore[no-untyped-def]
        ...

    types_ = ArgumentTypes.of(loose)
    assert types_.trivial
    args = ["x", {"$bytes": 1}]
    out_args, out_kwargs = types_.apply(args, {"k": 1})
    assert out_args == ("x", {"$bytes": 1}) and out_kwargs == {"k": 1}


def test_signature_through_a_transport(transport: CodecTransport) -> None:
    payload = transport.serialize_arguments(
        (Item("a", Decimal("1.50"), 2, ["t"]), 3), {"when": WHEN}
    )
    args, kwargs = transport.deserialize_arguments(payload, signature=run)
    assert args == (Item("a", Decimal("1.50"), 2, ["t"]), 3)
    assert kwargs == {"when": WHEN}


# -- caching ---------------------------------------------------------------------------------


def test_argument_types_are_cached_per_function() -> None:
    assert ArgumentTypes.of(Task.run) is ArgumentTypes.of(Task().run)
    assert ArgumentTypes.of(Task().run) is ArgumentTypes.of(Task().run)
    assert ArgumentTypes.of(variadic) is not ArgumentTypes.of(Task.run)


def test_converters_are_cached_per_annotation() -> None:
    assert compile_hint(list[Item]) is compile_hint(list[Item])
    assert compile_hint(Item) is compile_hint(Item)
    assert compile_hint(Any) is None
    assert compile_hint(dict[str, Any]) is compile_hint(dict[str, Any])


def test_first_use_from_many_threads_always_converts() -> None:
    """A converter being compiled by one thread must never be seen half-built by another."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    wrong = 0
    try:
        for trial in range(20):
            cls = dataclasses.make_dataclass(
                f"Wide{trial}", [(f"f{i}", Decimal) for i in range(150)]
            )
            value = {f"f{i}": "1.5" for i in range(150)}
            barrier = threading.Barrier(6)
            results: list[Any] = []

            def work(
                cls: type = cls,
                value: dict[str, str] = value,
                barrier: threading.Barrier = barrier,
                results: list[Any] = results,
            ) -> None:
                barrier.wait()
                results.append(convert(value, cls))

            threads = [threading.Thread(target=work) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wrong += sum(not isinstance(r, cls) for r in results)
    finally:
        sys.setswitchinterval(old)
    assert wrong == 0, f"{wrong} of 120 first-use conversions returned the value unconverted"


# -- cache lifetime --------------------------------------------------------------------------


def _dynamic_class(kind: str) -> type:
    """A class built at run time, as a long-lived worker building task types would."""
    if kind == "dataclass":
        inner = dataclasses.make_dataclass("DynInner", [("n", int)])
        return dataclasses.make_dataclass(
            "Dyn", [("price", Decimal), ("inner", inner), ("items", list[inner])]
        )
    if kind == "enum":
        return enum.Enum("DynColor", {"RED": "red", "TRIPLE": (1, 2, 3)})
    if kind == "namedtuple":
        return NamedTuple("DynPoint", [("x", int), ("when", datetime)])
    if kind == "typeddict":
        return TypedDict("DynMovie", {"title": str, "year": int})  # type: ignore[operator]
    if kind == "str-subclass":
        return type("DynName", (str,), {})
    raise AssertionError(kind)


SAMPLES = {
    "dataclass": {"price": "1.5", "inner": {"n": 1}, "items": [{"n": 2}]},
    "enum": [1, 2, 3],
    "namedtuple": [1, "2024-01-01T00:00:00"],
    "typeddict": {"title": "x", "year": 1},
    "str-subclass": "x",
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_class_that_goes_out_of_scope_is_dropped_from_the_converter_cache(kind: str) -> None:
    def use() -> list[weakref.ref[Any]]:
        cls = _dynamic_class(kind)
        convert(SAMPLES[kind], cls)
        assert compile_hint(cls) is compile_hint(cls)  # cached while alive
        return [weakref.ref(cls)]

    refs = use()
    gc.collect()
    assert [r() for r in refs] == [None], f"the converter cache keeps a dead {kind} class alive"


def test_a_function_that_goes_out_of_scope_is_dropped_from_the_signature_cache() -> None:
    def use() -> list[weakref.ref[Any]]:
        cls = _dynamic_class("dataclass")

        def run(self: Any, item: Any, when: datetime) -> None: ...

        run.__annotations__ = {"item": cls, "when": datetime, "return": None}
        task = type("DynTask", (), {"run": run})
        args, _ = ArgumentTypes.of(task().run).apply([SAMPLES["dataclass"], WHEN.isoformat()], {})
        assert isinstance(args[0], cls) and args[1] == WHEN
        assert ArgumentTypes.of(task.run) is ArgumentTypes.of(task().run)  # cached while alive
        return [weakref.ref(cls), weakref.ref(run), weakref.ref(task)]

    before = len(ArgumentTypes._by_func)
    refs = use()
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert len(ArgumentTypes._by_func) == before


def test_annotations_that_are_not_classes_are_cached_in_a_bounded_cache() -> None:
    # Literal[i], list[...] and unions are keyed by equality and cannot be held weakly: a
    # program that builds them without end must not grow the cache without end.
    bound = _typing._HINTS_MAX
    for i in range(bound + 50):
        assert convert(i, Literal[i]) == i
    assert len(_typing._hints) <= bound
    assert compile_hint(list[Item]) is compile_hint(list[Item])


def test_a_converter_kept_past_its_class_says_so() -> None:
    conv = compile_hint(dataclasses.make_dataclass("Gone", [("n", int)]))
    assert conv is not None
    gc.collect()
    with pytest.raises(DecodeError, match=r"class Gone no longer exists") as info:
        conv({"n": 1}, "$.args[0]")
    assert info.value.path == "$.args[0]"
