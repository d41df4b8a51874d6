"""The aesgcm stage on bytes: round trips, rotation, and each failure saying which it is."""

from __future__ import annotations

import sys

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given
from hypothesis import strategies as st

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport._protocols import Stage, StageContext
from flowwire.transport.stages import AESGCM, Keyring, UnconfiguredAESGCM

KEY_OLD = bytes(range(32))
KEY_NEW = bytes(range(32, 64))


def ring(current: str = "2026-11") -> Keyring:
    return Keyring({"2026-10": KEY_OLD, "2026-11": KEY_NEW}, current=current)


@needs("crypto")
@given(data=st.binary(max_size=4096))
def test_round_trip_is_exact_and_randomised(data: bytes) -> None:
    stage = AESGCM(ring())
    ctx = StageContext(limit=32_768, armored_size=lambda n: n)
    body1, params1 = stage.encode(data, ctx)
    body2, params2 = stage.encode(data, ctx)
    assert len(body1) == len(data) + 16
    assert params1 != params2  # a fresh nonce every time
    assert stage.decode(body1, params1, ctx) == data
    assert stage.decode(body2, params2, ctx) == data


@needs("crypto")
def test_is_a_redacting_stage() -> None:
    stage = AESGCM(key=KEY_OLD, key_id="k1")
    assert isinstance(stage, Stage)
    assert (stage.name, stage.redacts) == ("aesgcm", True)
    assert isinstance(UnconfiguredAESGCM(), Stage)


@needs("crypto")
def test_params_layout(ctx: StageContext) -> None:
    _, params = AESGCM(ring()).encode(b"secret", ctx)
    assert params[0] == 2  # version 2: the envelope header is associated data too
    assert params[1] == len(b"2026-11")
    assert params[2:9] == b"2026-11"
    assert len(params) == 2 + 7 + 8 + 12


@needs("crypto")
def test_rotation_keeps_old_payloads_readable(ctx: StageContext) -> None:
    old = AESGCM(ring(current="2026-10"))
    body, params = old.encode(b"written before the rotation", ctx)
    rotated = AESGCM(ring(current="2026-11"))
    assert rotated.decode(body, params, ctx) == b"written before the rotation"
    _, new_params = rotated.encode(b"x", ctx)
    assert b"2026-11" in new_params


@needs("crypto")
def test_missing_key_id(ctx: StageContext) -> None:
    body, params = AESGCM(ring()).encode(b"secret", ctx)
    reader = AESGCM(Keyring({"2026-10": KEY_OLD}, current="2026-10"))
    with pytest.raises(DecodeError, match=r"missing key: key id '2026-11' is not in the keyring"):
        reader.decode(body, params, ctx)


@needs("crypto")
def test_wrong_key(ctx: StageContext) -> None:
    body, params = AESGCM(key=KEY_OLD, key_id="k").encode(b"secret", ctx)
    with pytest.raises(DecodeError, match=r"wrong key: the keyring's key 'k'"):
        AESGCM(key=KEY_NEW, key_id="k").decode(body, params, ctx)


@needs("crypto")
@pytest.mark.parametrize("where", ["first", "middle", "tag"])
def test_tampered_ciphertext(ctx: StageContext, where: str) -> None:
    stage = AESGCM(ring())
    body, params = stage.encode(b"pay 10 EUR to alice" * 10, ctx)
    index = {"first": 0, "middle": len(body) // 2, "tag": len(body) - 1}[where]
    tampered = body[:index] + bytes([body[index] ^ 1]) + body[index + 1 :]
    with pytest.raises(DecodeError, match="tampered: authentication failed") as info:
        stage.decode(tampered, params, ctx)
    assert ctx.what in str(info.value)


@needs("crypto")
def test_tampered_nonce_and_truncation(ctx: StageContext) -> None:
    stage = AESGCM(ring())
    body, params = stage.encode(b"secret", ctx)
    with pytest.raises(DecodeError, match="tampered"):
        stage.decode(body, params[:-1] + bytes([params[-1] ^ 0x80]), ctx)
    with pytest.raises(DecodeError, match="tampered or truncated"):
        stage.decode(body[:10], params, ctx)


@needs("crypto")
@pytest.mark.parametrize(
    "params",
    [
        b"",
        b"\x03\x01k" + bytes(20),
        b"\x00\x01k" + bytes(20),
        b"\x01\x00" + bytes(20),
        b"\x01\x01k" + bytes(5),
    ],
)
def test_malformed_params(ctx: StageContext, params: bytes) -> None:
    with pytest.raises(DecodeError, match="aesgcm params"):
        AESGCM(ring()).decode(bytes(32), params, ctx)


def _ctx_with(ctx: StageContext, header: bytes) -> StageContext:
    return StageContext(
        limit=ctx.limit, armored_size=ctx.armored_size, what=ctx.what, header=header
    )


@needs("crypto")
@given(
    header=st.binary(min_size=1, max_size=80),
    index=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
    data=st.binary(max_size=256),
)
def test_the_header_before_the_stage_is_authenticated(
    header: bytes, index: int, flip: int, data: bytes
) -> None:
    ctx = StageContext(limit=32_768, armored_size=lambda n: n, header=header)
    stage = AESGCM(ring())
    body, params = stage.encode(data, ctx)
    assert stage.decode(body, params, ctx) == data
    i = index % len(header)
    changed = header[:i] + bytes([header[i] ^ flip]) + header[i + 1 :]
    for other in (changed, header[:-1], header + b"\x00", b""):
        with pytest.raises(DecodeError, match="tampered: authentication failed"):
            stage.decode(body, params, _ctx_with(ctx, other))


def _version_1(key_id: str, key: bytes, data: bytes) -> tuple[bytes, bytes]:
    """What flowwire wrote before the header was bound: params version 1, which alone are the
    associated data."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM as Cipher

    from flowwire.transport.stages.encryption import key_check

    nonce = os.urandom(12)
    encoded = key_id.encode()
    params = bytes((1, len(encoded))) + encoded + key_check(key) + nonce
    return Cipher(key).encrypt(nonce, data, params), params


@needs("crypto")
def test_version_1_payloads_still_decrypt_by_default() -> None:
    ctx = StageContext(limit=32_768, armored_size=lambda n: n, header=b"FW\x01\x04json\x00")
    body, params = _version_1("2026-10", KEY_OLD, b"written by the previous version")
    assert AESGCM(ring()).decode(body, params, ctx) == b"written by the previous version"
    tampered = params[:-1] + bytes([params[-1] ^ 1])
    with pytest.raises(DecodeError, match="tampered"):
        AESGCM(ring()).decode(body, tampered, ctx)


@needs("crypto")
def test_version_1_payloads_are_refused_with_read_v1_false(ctx: StageContext) -> None:
    body, params = _version_1("2026-10", KEY_OLD, b"old")
    strict = AESGCM(ring(), read_v1=False)
    with pytest.raises(DecodeError, match=r"params version 1 .* refused here.*read_v1=False"):
        strict.decode(body, params, ctx)
    assert "read_v1=False" in repr(strict)
    new_body, new_params = strict.encode(b"new", ctx)
    assert strict.decode(new_body, new_params, ctx) == b"new"


@needs("crypto")
def test_unconfigured_receiver_names_the_key_id(ctx: StageContext) -> None:
    body, params = AESGCM(ring()).encode(b"secret", ctx)
    with pytest.raises(DecodeError, match=r"key id '2026-11' but no aesgcm stage"):
        UnconfiguredAESGCM().decode(body, params, ctx)
    with pytest.raises(ConfigurationError):
        UnconfiguredAESGCM().encode(b"x", ctx)


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({"a": b"short"}, "a", "must be 32 bytes, got 5"),
        ({"": KEY_OLD}, "", "1 to 255 UTF-8 bytes"),
        ({"x" * 256: KEY_OLD}, "x" * 256, "1 to 255 UTF-8 bytes"),
        ({"a": KEY_OLD}, "b", "current key id 'b' is not in the keyring"),
        ({"a": "not bytes" * 4}, "a", "must be 32 bytes, got str"),
    ],
)
def test_keyring_validation(keys: dict[str, bytes], current: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Keyring(keys, current=current)


@needs("crypto")
def test_keyring_never_shows_keys() -> None:
    text = repr(AESGCM(ring()))
    assert "2026-11" in text
    assert repr(KEY_NEW) not in text and KEY_NEW.hex() not in text


@needs("crypto")
def test_key_or_keyring_required() -> None:
    with pytest.raises(ConfigurationError, match="either a keyring or a key"):
        AESGCM()
    with pytest.raises(ConfigurationError, match="either a keyring or a key"):
        AESGCM(ring(), key=KEY_OLD)


def test_generate_key() -> None:
    a, b = Keyring.generate_key(), Keyring.generate_key()
    assert len(a) == 32 and a != b


def test_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'flowwire\[crypto\]'"):
        AESGCM(ring())
