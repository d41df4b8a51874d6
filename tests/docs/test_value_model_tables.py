"""Every row of the codec tables of docs/transport/value-model.md is what the code does.

The page holds three tables with one row per case: ``### The sample values`` (an example value
and an annotation, as Python expressions evaluated in the namespace of the page's sample code
block), ``### What comes back`` and ``### How it travels`` (one column per codec). This test
evaluates each case, sends the value through each codec's transport (as a result and as an
argument) and compares the observed behaviour with the rows, cell by cell. A row that drifts
from the code fails here; so does a table whose cases differ from the others'.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import msgpack
import pytest

from flowwire import EncodeError, get_transport
from flowwire.testing import values_equal
from flowwire.transport import builtin_codecs, envelope

PAGE = Path(__file__).resolve().parents[2] / "docs" / "transport" / "value-model.md"
CODECS = tuple(builtin_codecs())
SAMPLES_MARKER = "# the sample types of the tables below"
SAMPLES = ("### The sample values", "| case | example | annotation |")
CODEC_HEADER = "| case | `json` | `msgpack` | `protobuf` |"
OUTCOMES = ("### What comes back", CODEC_HEADER)
WIRE = ("### How it travels", CODEC_HEADER)

_MSGPACK_FAMILY = {
    type(None): "nil",
    bool: "bool",
    int: "int",
    float: "float 64",
    str: "str",
    bytes: "bin",
    list: "array",
    dict: "map",
}


def namespace() -> dict[str, Any]:
    """The globals the table expressions are evaluated in: the page's sample code block."""
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(r"```python\n(" + re.escape(SAMPLES_MARKER) + r"\n.*?)```", text, re.S)
    assert match, f"the sample code block (starting {SAMPLES_MARKER!r}) is missing"
    module = types.ModuleType("value_model_samples")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(match.group(1), str(PAGE), "exec"), module.__dict__)
    return module.__dict__


def table(heading: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the table under ``heading``, whose header must be
    ``header``."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    assert heading in lines, f"no heading {heading!r}"
    j = lines.index(heading) + 1
    while not lines[j].startswith("|"):
        j += 1
    assert lines[j] == header, f"table under {heading!r}: unexpected header {lines[j]!r}"
    rows = []
    for row in lines[j + 2 :]:
        if not row.startswith("|"):
            break
        rows.append([cell.strip() for cell in row.strip().strip("|").split(" | ")])
    return rows


def tables() -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """``(samples, outcomes, wire)`` rows of the page's three tables."""
    return table(*SAMPLES), table(*OUTCOMES), table(*WIRE)


def _code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), f"expected a code span, got {cell!r}"
    return cell[1:-1]


def _outcome(value: Any, back: Any) -> str:
    if values_equal(back, value):
        return "exact"
    return f"converts to `{type(back).__name__}`"


def _wire(codec: str, payload: str) -> str:
    """How the value travels, in the words of the table's "travels as" column."""
    if codec == "json":
        if payload[0] != envelope.ARMOR_PREFIX:
            return f"`{payload}`"
        body = envelope.unpack(envelope.dearmor(payload)).body
        return f"envelope: `{body[1:].decode()}`"
    body = envelope.unpack(envelope.dearmor(payload)).body
    if codec == "msgpack":
        top = msgpack.unpackb(body, ext_hook=lambda code, data: ("ext", code), raw=False)
        if type(top) is tuple:
            return f"ext {top[1]}"
        return _MSGPACK_FAMILY[type(top)]
    from flowwire._proto.flowwire.v1 import value_pb2

    message = value_pb2.Value()
    message.ParseFromString(body)
    return f"`{message.WhichOneof('kind')}`"


def _combined(untyped: str, typed: str) -> str:
    """The "what comes back" cell for the outcomes without and with the annotation."""
    if untyped == typed:
        return untyped.removeprefix("converts to ")
    annotated = "exact" if typed == "exact" else typed.removeprefix("converts to ")
    return f"{untyped.removeprefix('converts to ')} (annotated: {annotated})"


def observe(codec: str, example: str, annotation: str, ns: dict[str, Any]) -> tuple[str, str]:
    """``(travels as, what comes back)`` as the code behaves now."""
    transport = get_transport(codec)
    value = eval(example, ns)
    hint = eval(annotation, ns)
    try:
        payload = transport.serialize_result(value)
    except EncodeError:
        with pytest.raises(EncodeError):
            transport.serialize_arguments((value,), {})
        return ("-", "raises `EncodeError`")
    untyped = _outcome(value, transport.deserialize_result(payload))
    typed = _outcome(value, transport.deserialize_result(payload, type_hint=hint))

    # The same value as an argument must behave the same (protobuf uses another message there).
    def run(x: Any) -> None: ...

    run.__annotations__ = {"x": hint}
    call = transport.serialize_arguments((value,), {})
    assert _outcome(value, transport.deserialize_arguments(call)[0][0]) == untyped, example
    assert _outcome(value, transport.deserialize_arguments(call, signature=run)[0][0]) == typed
    return (_wire(codec, payload), _combined(untyped, typed))


Tables = tuple[list[list[str]], list[list[str]], list[list[str]]]


@pytest.fixture(scope="module")
def page_tables() -> Tables:
    return tables()


def test_the_three_tables_have_the_same_cases(page_tables: Tables) -> None:
    samples, outcomes, wire = page_tables
    cases = [row[0] for row in samples]
    assert [row[0] for row in outcomes] == cases == [row[0] for row in wire]
    assert len(cases) >= 30
    assert all(len(row) == 3 for row in samples)
    assert all(len(row) == 1 + len(CODECS) for row in outcomes + wire)


@pytest.mark.parametrize("codec", CODECS)
def test_every_row_is_what_the_code_does(codec: str, page_tables: Tables) -> None:
    samples, outcomes, wire = page_tables
    column = 1 + CODECS.index(codec)
    ns = namespace()
    wrong = []
    for (label, example, annotation), outcome, travels in zip(samples, outcomes, wire, strict=True):
        claimed = (travels[column], outcome[column])
        actual = observe(codec, _code(example), _code(annotation), ns)
        if claimed != actual:
            wrong.append(f"{label}: page says {list(claimed)}, the code does {list(actual)}")
    assert not wrong, "\n".join(wrong)


def test_base_model_rows_are_exact_in_every_codec(page_tables: Tables) -> None:
    # DESIGN.md: the base model round-trips exactly in every codec, without annotations.
    base = ("`None`", "`bool`", "`int`", "`float`", "`str`", "`bytes`", "`list`", "`dict`")
    _samples, outcomes, _wire = page_tables
    checked = 0
    for label, *cells in outcomes:
        if label.startswith(base) and "other keys" not in label:
            assert cells == ["exact"] * len(CODECS), label
            checked += 1
    assert checked >= 13


def main() -> None:
    """Print the outcome and wire tables as the code behaves now, keeping the page's cases, to
    paste into the page after a deliberate change of the value model:
    ``python tests/docs/test_value_model_tables.py``."""
    ns = namespace()
    samples, _, _ = tables()
    observed = [
        [observe(codec, _code(example), _code(annotation), ns) for codec in CODECS]
        for _label, example, annotation in samples
    ]
    for heading, index in ((OUTCOMES[0], 1), (WIRE[0], 0)):
        print(f"\n{heading}\n\n{CODEC_HEADER}\n|---|---|---|---|")
        for (label, _, _), cells in zip(samples, observed, strict=True):
            print(f"| {label} | {' | '.join(cell[index] for cell in cells)} |")


if __name__ == "__main__":
    main()
