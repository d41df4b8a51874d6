"""``require_encryption``: a transport with an encrypting stage refuses payloads that skipped it
(plain JSON text, a bare envelope, a compressed-only one), unless told to read both while a
history migrates to encryption (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.testing.strategies import values_equal, values_for
from flowwire.transport import (
    CodecTransport,
    JSONTransport,
    Stage,
    StageContext,
    TransportContext,
    builtin_codecs,
    get_codec,
    get_transport,
)
from flowwire.transport.stages import AESGCM, InMemoryStore, Keyring, Offload, Zstd

pytestmark = needs("crypto")

CODECS = builtin_codecs()
KEYRING = Keyring({"k1": bytes(range(32))}, current="k1")


def encrypting(codec: str, *extra: Stage, **options: Any) -> CodecTransport:
    return CodecTransport(get_codec(codec), stages=[*extra, AESGCM(KEYRING)], **options)


def plain_payloads(codec: str) -> dict[str, str]:
    """A result ``{"amount": 1000000}`` as a writer without the key could send it."""
    value = {"amount": 10**6}
    found = {
        "base64 envelope": CodecTransport(get_codec(codec)).serialize_result(value),
        "latin-1 envelope": CodecTransport(get_codec(codec), armor="latin-1").serialize_result(
            value
        ),
    }
    if codec == "json":
        found["plain JSON text"] = '{"amount": 1000000}'
    return found


def test_default_follows_the_stages() -> None:
    assert encrypting("msgpack").require_encryption is True
    assert CodecTransport(get_codec("msgpack")).require_encryption is False
    assert encrypting("msgpack", require_encryption=False).require_encryption is False
    assert encrypting("msgpack", require_encryption=True).require_encryption is True


@pytest.mark.parametrize(
    ("codec", "form"), [(codec, form) for codec in CODECS for form in plain_payloads(codec)]
)
def test_a_plain_result_is_refused_naming_the_stage(codec: str, form: str) -> None:
    payloads = plain_payloads(codec)
    reader = encrypting(codec)
    with pytest.raises(DecodeError) as info:
        reader.deserialize_result(payloads[form])
    message = str(info.value)
    assert message.startswith("result payload is not encrypted: this transport ")
    assert f"({codec}+aesgcm) requires stage 'aesgcm'" in message
    assert "carries no stage" in message
    assert "require_encryption=False" in message
    # the same payload with the migration switch
    migrating = encrypting(codec, require_encryption=False)
    assert migrating.deserialize_result(payloads[form]) == {"amount": 10**6}


@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
def test_a_compressed_only_payload_is_refused(codec: str) -> None:
    compressed = CodecTransport(get_codec(codec), stages=[Zstd(threshold=0)])
    payload = compressed.serialize_result("x" * 500)
    reader = encrypting(codec, Zstd(threshold=0))
    with pytest.raises(DecodeError, match=r"requires stage 'aesgcm', .* carries only 'zstd'"):
        reader.deserialize_result(payload)
    assert encrypting(codec, Zstd(), require_encryption=False).deserialize_result(payload) == (
        "x" * 500
    )
    # and what the reader itself writes it reads, compressed and encrypted
    assert reader.deserialize_result(reader.serialize_result("x" * 500)) == "x" * 500


@pytest.mark.parametrize("codec", CODECS)
def test_plain_arguments_and_restart_arguments_are_refused(codec: str) -> None:
    writer = CodecTransport(get_codec(codec))
    reader = encrypting(codec)
    for payload in (
        writer.serialize_arguments([1, "a"], {"k": None}),
        writer.serialize_restart_arguments([2], {}),
    ):
        with pytest.raises(DecodeError, match=r"^arguments payload is not encrypted"):
            reader.deserialize_arguments(payload)
        with pytest.raises(DecodeError, match="not encrypted"):
            reader.deserialize_arguments(payload, signature=lambda *a, **k: None)
    if codec == "json":
        with pytest.raises(DecodeError, match=r"\(plain JSON text\) carries no stage"):
            reader.deserialize_arguments('{"args": [1], "kwargs": {}}')
    migrating = encrypting(codec, require_encryption=False)
    payload = writer.serialize_arguments([1, "a"], {"k": None})
    assert migrating.deserialize_arguments(payload) == ((1, "a"), {"k": None})


@pytest.mark.parametrize("codec", CODECS)
def test_plain_error_details_are_not_read(codec: str) -> None:
    reason_, details = CodecTransport(get_codec(codec)).serialize_error(ValueError("forged"))
    error = encrypting(codec).deserialize_error(reason_, details)
    # the details are refused: the message is the reason, with why the details were not read
    assert error.message.startswith("ValueError: forged (error details unreadable: error ")
    assert "details payload is not encrypted" in error.message
    assert error.type_name is None and error.traceback is None
    read = encrypting(codec, require_encryption=False).deserialize_error(reason_, details)
    assert (read.message, read.type_name) == ("forged", "ValueError")


@pytest.mark.parametrize("codec", CODECS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_plain_value_is_refused_and_migration_reads_both(codec: str, data: Any) -> None:
    value = data.draw(values_for(codec), label="value")
    armor = data.draw(st.sampled_from(["base64", "latin-1"]), label="armor")
    plain = CodecTransport(get_codec(codec), armor=armor).serialize_result(value)
    reader = encrypting(codec, armor=armor)
    with pytest.raises(DecodeError, match="not encrypted"):
        reader.deserialize_result(plain)
    encrypted = reader.serialize_result(value)
    migrating = encrypting(codec, armor=armor, require_encryption=False)
    assert values_equal(migrating.deserialize_result(plain), value)
    assert values_equal(migrating.deserialize_result(encrypted), value)
    assert values_equal(reader.deserialize_result(encrypted), value)


def test_json_transport_and_names_take_the_option() -> None:
    stage = AESGCM(KEYRING)
    with pytest.raises(DecodeError, match="not encrypted"):
        JSONTransport(stages=[stage]).deserialize_result("[1]")
    assert JSONTransport(stages=[stage], require_encryption=False).deserialize_result("[1]") == [1]
    by_name = get_transport("msgpack", stages=[stage])
    plain = get_transport("msgpack").serialize_result([1])
    with pytest.raises(DecodeError, match="not encrypted"):
        by_name.deserialize_result(plain)


def test_the_option_survives_an_engines_context() -> None:
    store = InMemoryStore()
    strict = get_transport("json+aesgcm+offload", stages=[AESGCM(KEYRING), "offload"])
    assert isinstance(strict, CodecTransport)
    given_store = strict.with_context(TransportContext(store=store))
    with pytest.raises(DecodeError, match="not encrypted"):
        given_store.deserialize_result("[1]")
    loose = JSONTransport(stages=[AESGCM(KEYRING), Offload(store)], require_encryption=False)
    assert loose.with_context(TransportContext(store=InMemoryStore())).deserialize_result("[1]")


def test_require_encryption_without_an_encrypting_stage_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"require_encryption=True needs an encrypting"):
        CodecTransport(get_codec("json"), require_encryption=True)
    with pytest.raises(ConfigurationError, match=r"configured: 'offload'"):
        CodecTransport(
            get_codec("json"), stages=[Offload(InMemoryStore())], require_encryption=True
        )
    with pytest.raises(ConfigurationError, match="require_encryption must be None, True or False"):
        encrypting("json", require_encryption="yes")  # type: ignore[arg-type]
    # False without an encrypting stage is harmless: nothing to require
    assert CodecTransport(get_codec("json"), require_encryption=False).require_encryption is False


class _Vault:
    """A custom encrypting stage (a toy XOR, for the test) that skips empty payloads."""

    name = "vault"
    redacts = True

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes] | None:
        if len(data) < 2:  # msgpack's [] is one byte
            return None
        return bytes(b ^ 0x5A for b in data), b""

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        return bytes(b ^ 0x5A for b in data)


def test_a_custom_encrypting_stage_is_required_by_its_name() -> None:
    reader = CodecTransport(get_codec("msgpack"), stages=[_Vault()])
    assert reader.require_encryption is True
    assert reader.deserialize_result(reader.serialize_result([1])) == [1]
    plain = CodecTransport(get_codec("msgpack")).serialize_result([1])
    with pytest.raises(DecodeError, match=r"requires stage 'vault'"):
        reader.deserialize_result(plain)
    # a stage that skips a payload would write what its own reader refuses: refused on write
    with pytest.raises(EncodeError, match=r"result payload would not be encrypted: stage 'vault'"):
        reader.serialize_result([])
    loose = CodecTransport(get_codec("msgpack"), stages=[_Vault()], require_encryption=False)
    assert loose.deserialize_result(loose.serialize_result([])) == []


def test_the_decode_command_reads_plain_and_encrypted_payloads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    import base64
    import json

    from flowwire.cli import main

    keyring = {"keys": {"k1": base64.b64encode(bytes(range(32))).decode()}, "current": "k1"}
    monkeypatch.setenv("FLOWWIRE_KEYRING", json.dumps(keyring))
    monkeypatch.setenv("FLOWWIRE_OFFLOAD_DIR", str(tmp_path / "none"))
    encrypted = encrypting("msgpack").serialize_result({"amount": 1})
    plain = CodecTransport(get_codec("msgpack")).serialize_result({"amount": 2})
    status = main(["decode", "--json", encrypted, plain, '{"amount": 3}'])
    out, err = capsys.readouterr()
    assert status == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["value"] for r in records] == [{"amount": 1}, {"amount": 2}, {"amount": 3}]
    assert [[s["name"] for s in r["stages"]] for r in records] == [["aesgcm"], [], []]
    assert all("error" not in r for r in records)
