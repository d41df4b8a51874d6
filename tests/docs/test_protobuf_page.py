"""The schema, the field table and the Go/Java recipe of docs/transport/protobuf.md are what
the code does.

The Go and Java snippets cannot run here; their recipe (build an ``Arguments`` message with the
generated classes, serialize it deterministically, prepend the envelope header the snippets
spell out, armor with ``~`` and base64) is replayed with the generated Python classes and must
give the page's payload byte for byte, which is also what ``ProtobufTransport`` writes.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from flowwire import ProtobufTransport
from flowwire._proto.flowwire.v1 import value_pb2
from flowwire.transport import envelope

PAGE = Path(__file__).resolve().parents[2] / "docs" / "transport" / "protobuf.md"
TEXT = PAGE.read_text(encoding="utf-8")


def fence(language: str, after: str) -> str:
    """The body of the first ```language block after the text ``after``."""
    match = re.search(re.escape(after) + r".*?```" + language + r"\n(.*?)```", TEXT, re.S)
    assert match, f"no ```{language} block after {after!r}"
    return match.group(1)


def test_schema_excerpt_matches_value_proto() -> None:
    excerpt = fence("protobuf", "## The schema")
    messages = value_pb2.DESCRIPTOR.message_types_by_name
    shown = re.findall(r"message (\w+)\s*\{([^}]*)\}", excerpt)
    assert {name for name, _ in shown} == set(messages)
    for name, body in shown:
        fields = {
            field: int(number)
            for field, number in re.findall(r"(\w+) = (\d+);", body)  # type name precedes
        }
        expected = {f.name: f.number for f in messages[name].fields}
        if name == "Value":  # the excerpt elides the oneof: the table below lists it
            assert fields == {}
            continue
        assert fields == expected, name


def test_kind_table_matches_the_oneof() -> None:
    rows = re.findall(r"^\| *(\d+) \| `(\w+)` \|", TEXT, re.M)
    oneof = value_pb2.Value.DESCRIPTOR.oneofs_by_name["kind"]
    assert [(int(number), name) for number, name in rows] == [
        (field.number, field.name) for field in oneof.fields
    ]


def test_go_and_java_recipe_gives_the_page_payload() -> None:
    payload = fence("text", 'The call\n`("hello", 42), {"flag": True}` is the payload').strip()
    assert payload == ProtobufTransport().serialize_arguments(("hello", 42), {"flag": True})
    header = b"FW\x01\x08protobuf\x00"  # "FW", version, name length, name, no stages
    assert '"FW\\x01\\x08protobuf\\x00"' in fence("go", "In Go")
    assert '"FW\\u0001\\u0008protobuf\\u0000"' in fence("java", "In Java")
    args = value_pb2.Arguments(
        args=[value_pb2.Value(string_value="hello"), value_pb2.Value(int_value=42)],
        kwargs=[value_pb2.MapEntry(key="flag", value=value_pb2.Value(bool_value=True))],
    )
    body = args.SerializeToString(deterministic=True)
    assert "~" + base64.b64encode(header + body).decode() == payload
    parsed = envelope.unpack(envelope.dearmor(payload))
    assert (parsed.codec, parsed.stages, parsed.body) == ("protobuf", (), body)
