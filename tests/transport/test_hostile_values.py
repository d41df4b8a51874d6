"""Values that used to be lost or silently changed (issue 16): integers beyond 64 bits in plain
JSON, zone keys that choose a package to import, ``fold``. Each test here failed before its
fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from _extras import reason, requires
from _without import C_EXTENSIONS, blocking

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given
from hypothesis import strategies as st

from flowwire import get_transport
from flowwire.errors import DecodeError
from flowwire.testing import values_equal
from flowwire.transport import builtin_codecs, envelope

pytestmark = pytest.mark.usefixtures("implementation")

# -- integers of any size in plain JSON from other languages -----------------------------------

BIG = [2**64, 2**64 - 1, -(2**63) - 1, 10**30, -(10**40), 7 * 10**400]


@pytest.mark.parametrize("number", BIG, ids=str)
def test_big_integers_in_plain_json_decode_exactly(number: int) -> None:
    t = get_transport("json")
    assert t.deserialize_result(str(number)) == number
    back = t.deserialize_result(json.dumps({"a": [1, {"b": number}], "c": 1.5}))
    assert back == {"a": [1, {"b": number}], "c": 1.5}
    assert type(back["a"][1]["b"]) is int
    args, kwargs = t.deserialize_arguments(json.dumps({"args": [number], "kwargs": {"k": number}}))
    assert args == (number,) and kwargs == {"k": number}


@pytest.mark.parametrize("number", BIG, ids=str)
def test_big_integers_in_an_enveloped_plain_body_and_through_stages(number: int) -> None:
    text = json.dumps([number, "x"]).encode()
    for body in (b"=" + text, b"$" + text):
        payload = envelope.armor(envelope.pack("json", (), body), "base64")
        assert get_transport("json").deserialize_result(payload) == [number, "x"]
    zstd = requires("zstandard")
    staged = get_transport("json", stages=["zstd"])
    frame = zstd.ZstdCompressor(write_content_size=True).compress(b"=" + text)
    params = (len(text) + 1).to_bytes(8, "big")
    payload = envelope.armor(envelope.pack("json", [("zstd", params)], frame), "base64")
    assert staged.deserialize_result(payload) == [number, "x"]


def test_what_orjson_reads_stays_as_it_was() -> None:
    t = get_transport("json")
    # 19+ digits that are not an integer: the exact path reads them as orjson does
    for text in [
        "0.12345678901234567891",
        "1e19",
        "12345678901234567890.5",
        '"1234567890123456789012"',
    ]:
        assert values_equal(t.deserialize_result(text), json.loads(text))
    for bad in ["[1e400, 12345678901234567890]", "[NaN, 12345678901234567890]", "1" * 5000]:
        with pytest.raises(DecodeError, match="malformed JSON payload"):
            t.deserialize_result(bad)
    with pytest.raises(DecodeError, match="surrogate"):
        t.deserialize_result('["\\ud800", 12345678901234567890]')


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_json_values)
def test_plain_json_decodes_as_pythons_exact_reader(value: Any) -> None:
    # what another language writes: the document read by an exact reader
    text = json.dumps(value)
    assert values_equal(get_transport("json").deserialize_result(text), json.loads(text))


@given(
    st.text(st.sampled_from("0123456789a\u00e9\u20ac\U0001f600"), max_size=60), st.integers(0, 25)
)
def test_the_c_digit_scan_agrees_with_a_regex(text: str, n: int) -> None:
    speedups = pytest.importorskip("flowwire.transport._speedups")
    expected = re.search(f"[0-9]{{{n}}}", text) is not None
    assert speedups.digit_run(text, n) is expected
    assert speedups.digit_run(text.encode(), n) is expected


# -- zone keys are checked before any lookup ----------------------------------------------------

#: The first lines of a child process's script, after ``blocking(*C_EXTENSIONS)`` where it must
#: be pure Python (as on an install without a compiler): it checks which reader it got.
_IMPLEMENTATION = textwrap.dedent(
    """
    import sys
    from flowwire.transport.codecs import protobuf as _protobuf
    from flowwire.transport.model import _fast

    assert _protobuf.C_ACCELERATED is (not PURE), "the C reader is (not) in use"
    assert (_fast._make_plan is None) is PURE, "the C plans are (not) in use"
    """
)


def _script(body: str, implementation: str) -> str:
    """``body`` run with (``"c"``) or without (``"pure-python"``) the C extensions."""
    pure = implementation == "pure-python"
    return f"PURE = {pure}\n{blocking(*C_EXTENSIONS) if pure else ''}{_IMPLEMENTATION}{body}"


_PLANTED = textwrap.dedent(
    """
    from datetime import datetime
    from flowwire import get_transport
    from flowwire.errors import DecodeError

    codec, text = sys.argv[1], sys.argv[2]
    t = get_transport(codec)
    if codec == "json":
        payload = '"' + text + '"'
    else:
        import msgpack
        from flowwire.transport import envelope
        if codec == "msgpack":
            body = msgpack.packb(msgpack.ExtType(5, text.encode()))
        else:
            raw = text.encode()
            body = b"\\x6a" + bytes([len(raw)]) + raw  # Value.datetime_value
        payload = envelope.armor(envelope.pack(codec, (), body), "base64")
    try:
        t.deserialize_result(payload, type_hint=datetime)
        print("value")
    except DecodeError as exc:
        print("DecodeError:", exc)
    """
)


@pytest.mark.parametrize("codec", builtin_codecs())
@pytest.mark.parametrize("key", ["Evil/Zone", "Evil"])
def test_a_zone_key_cannot_import_a_planted_package(
    tmp_path: Path, codec: str, key: str, implementation: str
) -> None:
    # the child reads as the parent's parametrisation says: with the C extensions (skipped where
    # they are not built) and without them (always)
    marker = tmp_path / "imported"
    evil = tmp_path / "planted" / "tzdata" / "zoneinfo" / "Evil"
    evil.mkdir(parents=True)
    for package in (evil.parent.parent, evil.parent, evil):
        (package / "__init__.py").write_text("")
    (evil / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (evil / "Zone").write_bytes(b"TZif")
    (evil.parent / "Evil").mkdir(exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _script(_PLANTED, implementation),
            codec,
            f"2024-01-01T00:00:00+01:00[{key}]",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**_env(), "PYTHONPATH": str(tmp_path / "planted")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not marker.exists(), "decoding a zone key imported a planted package"
    assert done.stdout.startswith("DecodeError:"), done.stdout
    assert f"unknown time zone {key!r}" in done.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        ".hidden",
        "Europe//Paris",
        "Europe/",
        "/Europe/Paris",
        "x" * 65,
        "Europe/Paris\x00",
        "Évian",
        "Europe/.Paris",
        "-Paris",
        "a b",
    ],
)
def test_invalid_zone_keys_are_refused_before_any_lookup(key: str) -> None:
    t = get_transport("json")
    with pytest.raises(DecodeError, match="invalid time zone key") as info:
        t.deserialize_result(
            json.dumps([f"2024-01-01T00:00:00+01:00[{key}]"]), type_hint=list[datetime]
        )
    assert info.value.path == "$[0]"


def test_known_zones_still_read() -> None:
    t = get_transport("json")
    text = '"2024-07-01T12:00:00+02:00[Europe/Paris]"'
    value = t.deserialize_result(text, type_hint=datetime)
    assert str(value.tzinfo) == "Europe/Paris"
    with pytest.raises(DecodeError, match="unknown time zone 'Nowhere/Land'"):
        t.deserialize_result('"2024-07-01T12:00:00+02:00[Nowhere/Land]"', type_hint=datetime)


# -- fold ---------------------------------------------------------------------------------------

FOLDED = [
    datetime(2026, 11, 1, 1, 30, fold=1),
    time(1, 30, fold=1),
    time(1, 30, 0, 5, tzinfo=UTC, fold=1),
]


@pytest.mark.parametrize("codec", builtin_codecs())
@pytest.mark.parametrize("value", FOLDED, ids=repr)
def test_fold_is_kept_in_every_codec(codec: str, value: Any) -> None:
    t = get_transport(codec)
    back = t.deserialize_result(t.serialize_result(value), type_hint=type(value))
    assert back.fold == 1 and values_equal(back, value)
    (arg,), _ = t.deserialize_arguments(
        t.serialize_arguments([value], {}), signature=_signature(type(value))
    )
    assert arg.fold == 1
    unfolded = value.replace(fold=0)
    again = t.deserialize_result(t.serialize_result(unfolded), type_hint=type(value))
    assert again.fold == 0


def _signature(kind: type) -> Any:
    def run(value: kind) -> None:  # type: ignore[valid-type]
        return None

    run.__annotations__ = {"value": kind, "return": None}
    return run


def test_fold_tag_is_only_for_naive_datetimes() -> None:
    t = get_transport("json")
    with pytest.raises(DecodeError, match="fold=1"):
        t.deserialize_result('"2026-11-01T01:30:00+01:00[fold=1]"', type_hint=datetime)
