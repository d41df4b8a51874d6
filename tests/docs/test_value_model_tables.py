"""Every row of the per-codec tables of docs/transport/value-model.md is what the code does.

The page holds one table per codec under a heading ``### `<codec>` ``. Each row names an example
value and an annotation as Python expressions (evaluated in the namespace of the page's sample
code block), how the value travels, and what comes back without and with the annotation. This
test evaluates each row, sends the value through the codec's transport (as a result and as an
argument) and compares the observed behaviour with the row, cell by cell. A row that drifts from
the code fails here; so does a table that misses a row another table has.
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
from flowwire.transport import envelope

PAGE = Path(__file__).resolve().parents[2] / "docs" / "transport" / "value-model.md"
CODECS = ("json", "msgpack", "protobuf")
SAMPLES_MARKER = "# the sample types of the tables below"
HEADER = "| type | example | annotation | travels as | without annotation | with annotation |"

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


def tables() -> dict[str, list[list[str]]]:
    """``codec -> rows`` (cells stripped) of the table under each ``### `codec` `` heading."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    found: dict[str, list[list[str]]] = {}
    for i, line in enumerate(lines):
        match = re.fullmatch(r"### `(\w+)`", line.strip())
        if not match:
            continue
        j = i + 1
        while not lines[j].startswith("|"):
            j += 1
        assert lines[j] == HEADER, f"table of {match.group(1)}: unexpected header {lines[j]!r}"
        rows = []
        for row in lines[j + 2 :]:
            if not row.startswith("|"):
                break
            rows.append([cell.strip() for cell in row.strip().strip("|").split(" | ")])
        found[match.group(1)] = rows
    return found


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


def observe(codec: str, example: str, annotation: str, ns: dict[str, Any]) -> tuple[str, ...]:
    """``(travels as, without annotation, with annotation)`` as the code behaves now."""
    transport = get_transport(codec)
    value = eval(example, ns)
    hint = eval(annotation, ns)
    try:
        payload = transport.serialize_result(value)
    except EncodeError:
        with pytest.raises(EncodeError):
            transport.serialize_arguments((value,), {})
        return ("-", "raises `EncodeError`", "raises `EncodeError`")
    untyped = _outcome(value, transport.deserialize_result(payload))
    typed = _outcome(value, transport.deserialize_result(payload, type_hint=hint))

    # The same value as an argument must behave the same (protobuf uses another message there).
    def run(x: Any) -> None: ...

    run.__annotations__ = {"x": hint}
    call = transport.serialize_arguments((value,), {})
    assert _outcome(value, transport.deserialize_arguments(call)[0][0]) == untyped, example
    assert _outcome(value, transport.deserialize_arguments(call, signature=run)[0][0]) == typed
    return (_wire(codec, payload), untyped, typed)


@pytest.fixture(scope="module")
def page_tables() -> dict[str, list[list[str]]]:
    return tables()


def test_one_table_per_codec_with_the_same_rows(page_tables: dict[str, list[list[str]]]) -> None:
    assert set(page_tables) == set(CODECS)
    keys = {codec: [row[:3] for row in rows] for codec, rows in page_tables.items()}
    assert keys["json"] == keys["msgpack"] == keys["protobuf"]
    assert len(keys["json"]) >= 30


@pytest.mark.parametrize("codec", CODECS)
def test_every_row_is_what_the_code_does(
    codec: str, page_tables: dict[str, list[list[str]]]
) -> None:
    ns = namespace()
    wrong = []
    for label, example, annotation, *claimed in page_tables[codec]:
        actual = observe(codec, _code(example), _code(annotation), ns)
        if tuple(claimed) != actual:
            wrong.append(f"{label}: page says {claimed}, the code does {list(actual)}")
    assert not wrong, "\n".join(wrong)


def test_base_model_rows_are_exact_in_every_codec(
    page_tables: dict[str, list[list[str]]],
) -> None:
    # DESIGN.md: the base model round-trips exactly in every codec, without annotations.
    base = ("`None`", "`bool`", "`int`", "`float`", "`str`", "`bytes`", "`list`", "`dict`")
    checked = 0
    for codec, rows in page_tables.items():
        for label, _example, _annotation, _wire_cell, untyped, _typed in rows:
            if label.startswith(base) and "other keys" not in label:
                assert untyped == "exact", (codec, label)
                checked += 1
    assert checked >= 3 * 13


def main() -> None:
    """Print the tables as the code behaves now, keeping the page's rows, to paste into the
    page after a deliberate change of the value model:
    ``python tests/docs/test_value_model_tables.py``."""
    ns = namespace()
    for codec, rows in tables().items():
        print(f"\n### `{codec}`\n\n{HEADER}\n|---|---|---|---|---|---|")
        for label, example, annotation, *_ in rows:
            cells = observe(codec, _code(example), _code(annotation), ns)
            print(f"| {label} | {example} | {annotation} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
