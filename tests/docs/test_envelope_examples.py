"""The worked examples of docs/transport/envelope.md are exactly what the code produces.

Each example on the page is a block preceded by a MyST comment ``% example: <name>``; this test
recomputes every one of them from the transports and compares byte for byte.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from flowwire import JSONTransport, MsgpackTransport
from flowwire.transport import envelope

PAGE = Path(__file__).resolve().parents[2] / "docs" / "transport" / "envelope.md"

MSGPACK_PAYLOAD = MsgpackTransport().serialize_arguments(("hello", 42), {"price": Decimal("9.99")})
TAGGED_PAYLOAD = JSONTransport().serialize_result({"blob": b"hi", "ratio": float("nan")})


def examples() -> dict[str, str]:
    """``name -> content`` of every ``% example: name`` block (fenced block or table)."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        match = re.fullmatch(r"% example: ([\w-]+)", line.strip())
        if not match:
            continue
        body: list[str] = []
        j = i + 1
        if lines[j].startswith("```"):
            j += 1
            while not lines[j].startswith("```"):
                body.append(lines[j])
                j += 1
        else:
            while j < len(lines) and lines[j].startswith("|"):
                body.append(lines[j])
                j += 1
        assert match.group(1) not in found, f"example {match.group(1)!r} appears twice"
        found[match.group(1)] = "\n".join(body)
    return found


def hexdump(data: bytes) -> str:
    """``hexdump -C`` layout: offset, 16 bytes in two groups of 8, printable ASCII."""
    rows = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hexes += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{offset:08x}  {hexes:<49} |{text}|")
    return "\n".join(rows)


@pytest.fixture(scope="module")
def page() -> dict[str, str]:
    return examples()


def test_every_example_is_checked(page: dict[str, str]) -> None:
    assert set(page) == {
        "json-plain",
        "msgpack-payload",
        "msgpack-hexdump",
        "msgpack-fields",
        "msgpack-latin1-payload",
        "json-tagged-payload",
        "json-tagged-body",
    }


def test_plain_json(page: dict[str, str]) -> None:
    payload = JSONTransport().serialize_arguments(("hello", 42), {"flag": True})
    assert page["json-plain"] == payload
    assert payload[0] in envelope.JSON_START


def test_msgpack_payload_and_hexdump(page: dict[str, str]) -> None:
    assert page["msgpack-payload"] == MSGPACK_PAYLOAD
    assert page["msgpack-hexdump"] == hexdump(envelope.dearmor(MSGPACK_PAYLOAD))


def test_msgpack_fields_decode_by_hand(page: dict[str, str]) -> None:
    data = envelope.dearmor(MSGPACK_PAYLOAD)
    rows = [line.strip("|").split("|") for line in page["msgpack-fields"].splitlines()[2:]]
    position = 0
    for offset, raw, _meaning in rows:
        chunk = bytes.fromhex(raw.strip().strip("`"))
        assert int(offset) == position, f"row at {offset.strip()} should start at {position}"
        assert data[position : position + len(chunk)] == chunk, f"bytes of the row at {offset}"
        position += len(chunk)
    assert position == len(data), "the table does not cover the whole envelope"
    # and the meanings stated on the page are what the parser reads
    env = envelope.unpack(data)
    assert (env.codec, env.stages) == ("msgpack", ())
    assert MsgpackTransport().deserialize_arguments(MSGPACK_PAYLOAD) == (
        ("hello", 42),
        {"price": Decimal("9.99")},
    )


def test_msgpack_latin1_payload_is_the_same_bytes(page: dict[str, str]) -> None:
    payload = MsgpackTransport(armor="latin-1").serialize_arguments(
        ("hello", 42), {"price": Decimal("9.99")}
    )
    assert page["msgpack-latin1-payload"] == repr(payload)
    assert payload.encode("latin-1") == envelope.dearmor(MSGPACK_PAYLOAD)


def test_tagged_json(page: dict[str, str]) -> None:
    assert page["json-tagged-payload"] == TAGGED_PAYLOAD
    env = envelope.unpack(envelope.dearmor(TAGGED_PAYLOAD))
    assert (env.codec, env.stages) == ("json", ())
    assert page["json-tagged-body"] == env.body.decode()


def test_armored_size_formula_on_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert "`1 + 4 * ceil(n / 3)`" in text
    assert "characters in base64 and *n* characters in latin-1" in text
    for size in range(0, 100):
        assert envelope.armored_size(size) == 1 + 4 * -(-size // 3)
        assert len(envelope.armor(b"x" * size)) == envelope.armored_size(size)
        assert len(envelope.armor(b"x" * size, "latin-1")) == size
        assert envelope.armored_size(size, "latin-1") == size


def test_header_table_matches_the_parser() -> None:
    # the limits the page states: names of 1-32 characters, at most 16 stages, 65,535 param bytes
    text = PAGE.read_text(encoding="utf-8")
    for claim in ("(1 to 32)", "(0 to 16)", "(0 to 65,535)"):
        assert claim in text, claim
    assert envelope.MAX_STAGES == 16
    ok = envelope.pack("c" * 32, [("s" * 32, b"p" * 0xFFFF)] * 16, b"")
    assert envelope.unpack(ok).stages[0] == ("s" * 32, b"p" * 0xFFFF)
    from flowwire import EncodeError

    for codec, stages in (("c" * 33, []), ("C", []), ("c", [("s", b"")] * 17)):
        with pytest.raises(EncodeError):
            envelope.pack(codec, stages, b"")
    with pytest.raises(EncodeError):
        envelope.pack("c", [("s", b"p" * 0x10000)], b"")
