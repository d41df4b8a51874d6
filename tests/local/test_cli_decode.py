"""``flowwire decode``: envelope and value of payload strings, with keys and stores."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _extras import needs

from flowwire import JSONTransport, MsgpackTransport
from flowwire.cli import main
from flowwire.task import Activity, activity
from flowwire.transport.stages import AESGCM, Keyring, LocalDirectoryStore, Offload, Zstd

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
KEYRING_JSON = json.dumps(
    {"keys": {"2026-11": base64.b64encode(KEY).decode()}, "current": "2026-11"}
)


@dataclasses.dataclass
class Price:
    sku: str
    amount: Decimal


@activity("decode.price", "1", "decode")
class PriceOf(Activity):
    def run(self, price: Price, *, when: str = "now") -> Price:
        return price


def _encrypted(key: bytes = KEY, key_id: str = "2026-11") -> Any:
    keyring = Keyring({key_id: key}, current=key_id)
    return MsgpackTransport(stages=[Zstd(threshold=10), AESGCM(keyring)])


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["decode", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FLOWWIRE_KEYRING", raising=False)
    monkeypatch.setenv("FLOWWIRE_OFFLOAD_DIR", str(tmp_path / "no-default-store"))


@needs("zstd")
@needs("crypto")
def test_plain_json_and_an_encrypted_envelope(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOWWIRE_KEYRING", KEYRING_JSON)
    payload = _encrypted().serialize_arguments(["x" * 100, float("nan")], {"n": 2})
    status, out, err = _run([payload, '{"a": [1, 2]}'], capsys)
    assert status == 0, err
    first, second = out.split("\n\n")
    assert first.startswith(f"payload 1 (arguments, {len(payload):,} characters)")
    assert "base64 armor, codec msgpack" in first
    assert "zstd: compressed bytes" in first and "uncompressed bytes 1" in first
    assert "aesgcm: key id '2026-11'" in first
    assert '"$float": "nan"' in first and '"n": 2' in first
    assert second.startswith("payload 2 (result, 13 characters)")
    assert "plain JSON text, codec json" in second


@needs("zstd")
@needs("crypto")
def test_json_output_is_one_valid_object_per_payload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_text(KEYRING_JSON, encoding="utf-8")
    payload = _encrypted().serialize_result(
        {"total": float("inf"), "raw": b"\x00\xff", "pad": "z" * 99}
    )
    status, out, _ = _run(["--keyring-file", str(keyring), "--json", payload, "[1]"], capsys)
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["source"] for r in records] == ["payload 1", "payload 2"]
    value = {"total": {"$float": "inf"}, "raw": {"$bytes": "AP8="}, "pad": "z" * 99}
    assert records[0]["value"] == value
    assert [s["name"] for s in records[0]["stages"]] == ["zstd", "aesgcm"]
    assert records[0]["stages"][1]["key_id"] == "2026-11"
    assert records[1] == {
        "source": "payload 2",
        "chars": 3,
        "form": "plain JSON text",
        "codec": "json",
        "stages": [],
        "envelope_bytes": None,
        "body_bytes": None,
        "kind": "result",
        "value": [1],
    }


@pytest.mark.parametrize(
    ("keyring", "expected"),
    [
        (None, "missing key: it is encrypted with key id '2026-11'"),
        ({"2026-12": KEY}, "missing key: key id '2026-11' is not in the keyring"),
        ({"2026-11": OTHER_KEY}, "wrong key: the keyring's key '2026-11'"),
    ],
)
@needs("zstd")
@needs("crypto")
def test_a_refused_payload_says_why_and_the_others_still_decode(
    keyring: dict[str, bytes] | None,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if keyring is not None:
        encoded = {k: base64.b64encode(v).decode() for k, v in keyring.items()}
        monkeypatch.setenv("MY_KEYS", json.dumps(encoded))
    payload = _encrypted().serialize_result("secret")
    argv = ["--keyring-env", "MY_KEYS"] if keyring is not None else []
    status, out, _ = _run([*argv, payload, "7"], capsys)
    assert status == 1
    refused, decoded = out.split("\n\n")
    assert "aesgcm: key id '2026-11'" in refused  # the header is still shown
    assert "refused   DecodeError: cannot decrypt" in refused and expected in refused
    assert "secret" not in out
    assert "value     7" in decoded


@needs("crypto")
def test_tampered_and_malformed_payloads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOWWIRE_KEYRING", KEYRING_JSON)
    keyring = Keyring({"2026-11": KEY}, current="2026-11")
    raw = bytearray(
        base64.b64decode(MsgpackTransport(stages=[AESGCM(keyring)]).serialize_result("x")[1:])
    )
    raw[-1] ^= 1
    tampered = "~" + base64.b64encode(bytes(raw)).decode()
    status, out, _ = _run([tampered, "~AAA", "?"], capsys)
    assert status == 1
    tampered_out, short, garbage = out.split("\n\n")
    assert "tampered: authentication failed" in tampered_out
    assert "refused   DecodeError: armored payload is not valid base64" in short
    assert "refused   DecodeError: payload starts with '?'" in garbage


def test_offloaded_payloads_read_from_the_given_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LocalDirectoryStore(tmp_path / "blobs", name="blobs")
    writer = JSONTransport(stages=[Offload(store, threshold=0)])
    payload = writer.serialize_result({"big": "y" * 1000})
    status, out, _ = _run([payload], capsys)
    assert status == 1
    assert "offload: store 'blobs', key '" in out
    assert "store 'blobs', but no offload store is configured" in out
    status, out, _ = _run(["--store", f"blobs={tmp_path / 'blobs'}", payload], capsys)
    assert status == 0
    assert "object bytes 10" in out and "y" * 50 in out


def test_type_rebuilds_task_arguments_and_results(capsys: pytest.CaptureFixture[str]) -> None:
    transport = JSONTransport()
    args = transport.serialize_arguments([Price("A-1", Decimal("9.90"))], {"when": "today"})
    result = transport.serialize_result(Price("A-1", Decimal("9.90")))
    target = f"{__name__}:PriceOf"
    status, out, err = _run(["--type", target, args], capsys)
    assert status == 0, err
    assert '"amount": "9.90"' in out  # printed lowered, but rebuilt first (checked below)
    status, out, _ = _run(
        ["--type", target, "--as", "result", '{"sku": "A-1", "amount": 9.9}'], capsys
    )
    assert status == 1
    assert 'expected decimal text, got float 9.9 (at $["amount"])' in out
    status, out, _ = _run(["--type", f"{__name__}:Price", result], capsys)
    assert status == 0 and '"sku": "A-1"' in out


def test_payloads_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('[1]\n\n"two"\n'))
    status, out, _ = _run(["--json"], capsys)
    assert status == 0
    assert [json.loads(line)["value"] for line in out.splitlines()] == [[1], "two"]


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--keyring-env", "NOT_SET_ANYWHERE", "1"], {}, "the environment variable is not set"),
        (["1"], {"FLOWWIRE_KEYRING": "{not json"}, "keyring in $FLOWWIRE_KEYRING is not JSON"),
        (["1"], {"FLOWWIRE_KEYRING": '{"k": "***"}'}, "key 'k' is not valid base64"),
        (["1"], {"FLOWWIRE_KEYRING": '{"k": "AAAA"}'}, "must be 32 bytes, got 3"),
        (["--keyring-file", "/no/such/file", "1"], {}, "cannot read --keyring-file"),
        (["--type", "hello.py:Greeting", "1"], {}, "a module name, not a file: hello:..."),
        (["--store", "/no/such/dir", "1"], {}, "/no/such/dir is not a directory"),
        (["--history", "/no/such/history.json"], {}, "cannot read --history"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, out, err = _run(argv, capsys)
    assert status == 2 and not out
    assert err.startswith("flowwire decode: ") and message in err
    assert err.count("\n") == 1
    assert "AAAA" not in err  # key material is never echoed


def test_a_history_file_decodes_every_payload_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transport = JSONTransport()
    history = {
        "events": [
            {
                "eventId": 1,
                "eventType": "WorkflowExecutionStarted",
                "workflowExecutionStartedEventAttributes": {
                    "input": transport.serialize_arguments([2], {})
                },
            },
            {"eventId": 2, "eventType": "DecisionTaskScheduled"},
            {
                "eventId": 3,
                "eventType": "ActivityTaskFailed",
                "activityTaskFailedEventAttributes": {
                    "reason": "ValueError: x",
                    "details": transport.serialize_error(ValueError("x"))[1],
                },
            },
        ]
    }
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history), encoding="utf-8")
    status, out, _ = _run(["--history", str(path)], capsys)
    assert status == 0
    started, failed = out.split("\n\n")
    assert started.startswith("event 1 WorkflowExecutionStarted input (arguments")
    assert failed.startswith("event 3 ActivityTaskFailed details (result")
    assert '"type": "ValueError"' in failed
    path.write_text('{"events": [{"no": "type"}]}', encoding="utf-8")
    status, _, err = _run(["--history", str(path)], capsys)
    assert status == 2 and "history event 1 has no eventType" in err


def test_offloaded_payloads_read_from_s3(
    moto_server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flowwire.transport.stages import S3Store

    client = moto_server.client("s3")
    client.create_bucket(Bucket="archive")
    writer = JSONTransport(stages=[Offload(S3Store("archive", "fw/", client=client), threshold=0)])
    payload = writer.serialize_result({"big": "z" * 500})
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    argv = ["--store", "s3://archive/fw/", "--s3-endpoint-url", moto_server.endpoint_url, payload]
    status, out, err = _run(argv, capsys)
    assert status == 0, err
    assert "offload: store 's3://archive/fw/'" in out and "z" * 50 in out
