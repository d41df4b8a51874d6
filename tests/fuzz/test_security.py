"""Security properties of the envelope that docs/security.md states.

Each test shows one property as it is today; a finding that should be fixed is a strict
``xfail``, so the fix makes it pass and the mark must then go.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))
pytest.importorskip("cryptography", reason=reason("cryptography"))  # every test encrypts

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError
from flowwire.transport import CodecTransport, envelope, get_codec
from flowwire.transport.stages import AESGCM, Keyring, Zstd

KEYRING = Keyring({"2026-11": bytes(range(32))}, current="2026-11")


def _swap_codec(payload: str, codec: str) -> str:
    env = envelope.unpack(envelope.dearmor(payload))
    return envelope.armor(envelope.pack(codec, env.stages, env.body))


def test_the_codec_name_is_authenticated() -> None:
    # The protobuf body of Decimal('Infinity') read as MessagePack is a list of integers,
    # without any error: before the header was bound, swapping the name changed the value.
    writer = CodecTransport(get_codec("protobuf"), stages=[AESGCM(KEYRING)])
    reader = CodecTransport(get_codec("protobuf"), stages=[AESGCM(KEYRING)])
    payload = writer.serialize_result(Decimal("Infinity"))
    assert reader.deserialize_result(payload) == Decimal("Infinity")
    forged = _swap_codec(payload, "msgpack")
    with pytest.raises(DecodeError, match="tampered: authentication failed"):
        reader.deserialize_result(forged)


_CODECS = ["json", "msgpack", "protobuf"]


@needs("zstd")
@settings(max_examples=150, deadline=None)
@given(
    codec=st.sampled_from(_CODECS),
    value=st.one_of(st.text(max_size=50), st.integers(), st.binary(max_size=50)),
    index=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
    compress=st.booleans(),
)
def test_every_header_byte_before_the_ciphertext_is_authenticated(
    codec: str, value: object, index: int, flip: int, compress: bool
) -> None:
    """Flip any byte of the envelope before the aesgcm entry (magic, version, codec name and
    length, stage count, zstd's entry): the payload is refused, never read as something else."""
    stages = [Zstd(threshold=0), AESGCM(KEYRING)] if compress else [AESGCM(KEYRING)]
    transport = CodecTransport(get_codec(codec), stages=stages)
    data = envelope.dearmor(transport.serialize_result(value))
    env = envelope.unpack(data)
    before = len(envelope.pack(env.codec, env.stages[:-1], b""))  # up to the aesgcm entry
    i = index % before
    forged = envelope.armor(data[:i] + bytes([data[i] ^ flip]) + data[i + 1 :])
    with pytest.raises(DecodeError):
        transport.deserialize_result(forged)


# Written by flowwire before the header was authenticated (aesgcm params version 1), with
# KEYRING: {"amount": 1000000, "note": "written by 0.x"} and a zstd frame of the note repeated.
_V1 = {
    "json": "~RlcBBGpzb24BBmFlc2djbQAdAQcyMDI2LTExBjQ8JGNWg8PYsv0tAel4mQ1RJdTK4770dgly6VfxEC7kC0hh"
    "BZeBVf7hOBu/3I4np8RN+bi6DMJW+wCP7s0rNZwsG/6NmeWYU0KIvY0dUg==",
    "msgpack": "~RlcBB21zZ3BhY2sBBmFlc2djbQAdAQcyMDI2LTExBjQ8JGNWg8PYD5IzclAhj7sR70vo0eoFpkbw0QZZ"
    "nSahIsZ0gxNWgwwiE/ArOLsSy3AJAkc8/P/IwfsxWp7gRtiBpS7E",
    "protobuf": "~RlcBCHByb3RvYnVmAQZhZXNnY20AHQEHMjAyNi0xMQY0PCRjVoPDN4GYm8/nXCj/3Ra+13ClJUbFzXOF"
    "1jMAM4f97gUb5BFlhESIteGzDfLtTKFNvbq3ChonmeM4voeDqVFm7GlUFlmiZ2hgmXPt",
}
_V1_ZSTD = (
    "~RlcBB21zZ3BhY2sCBHpzdGQACAAAAAAAAAE1BmFlc2djbQAdAQcyMDI2LTExBjQ8JGNWg8PmGGtSL8SpWD1hq7pX"
    "bfs+Je16Bebo6DOcnokH5/u4/xI89n4ZHi2IZT79Ry/bJOGzgfVn8gQCq6tS3d71SJy60vvDaEYLGDYi"
)


@needs("zstd")
@pytest.mark.parametrize("codec", _CODECS)
def test_payloads_of_the_previous_version_still_decrypt(codec: str) -> None:
    transport = CodecTransport(get_codec(codec), stages=[AESGCM(KEYRING)])
    assert transport.deserialize_result(_V1[codec]) == {"amount": 1000000, "note": "written by 0.x"}
    zstd = CodecTransport(get_codec("msgpack"), stages=[Zstd(), AESGCM(KEYRING)])
    assert zstd.deserialize_result(_V1_ZSTD) == {"note": "written by 0.x " * 20}


def test_payloads_of_the_previous_version_are_refused_when_told() -> None:
    strict = CodecTransport(get_codec("msgpack"), stages=[AESGCM(KEYRING, read_v1=False)])
    with pytest.raises(DecodeError, match=r"params version 1 .*refused here"):
        strict.deserialize_result(_V1["msgpack"])
    assert strict.deserialize_result(strict.serialize_result("new")) == "new"


def test_the_aesgcm_params_are_authenticated() -> None:
    transport = CodecTransport(get_codec("msgpack"), stages=[AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("secret")))
    ((name, params),) = env.stages
    nonce_flipped = params[:-1] + bytes((params[-1] ^ 1,))
    forged = envelope.armor(envelope.pack(env.codec, [(name, nonce_flipped)], env.body))
    with pytest.raises(DecodeError, match="tampered"):
        transport.deserialize_result(forged)


@needs("zstd")
def test_zstd_size_before_the_ciphertext_is_authenticated() -> None:
    transport = CodecTransport(get_codec("msgpack"), stages=[Zstd(threshold=0), AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("x" * 5000)))
    (zname, zparams), aes = env.stages
    bigger = (int.from_bytes(zparams, "big") + 1).to_bytes(8, "big")
    forged = envelope.armor(envelope.pack(env.codec, [(zname, bigger), aes], env.body))
    with pytest.raises(DecodeError, match="tampered"):
        transport.deserialize_result(forged)


def test_an_encrypting_reader_refuses_unencrypted_payloads() -> None:
    """Stated on the security page: a transport with AESGCM requires it of what it reads,
    unless require_encryption=False (the migration switch)."""
    reader = CodecTransport(get_codec("msgpack"), stages=[AESGCM(KEYRING)])
    plain = CodecTransport(get_codec("msgpack")).serialize_result({"amount": 10**6})
    with pytest.raises(DecodeError, match="result payload is not encrypted"):
        reader.deserialize_result(plain)
    migrating = CodecTransport(
        get_codec("msgpack"), stages=[AESGCM(KEYRING)], require_encryption=False
    )
    assert migrating.deserialize_result(plain) == {"amount": 10**6}


@needs("zstd")
def test_what_an_encrypted_header_shows() -> None:
    """Key id, key check, nonce and the uncompressed size are in clear (the security page)."""
    transport = CodecTransport(get_codec("msgpack"), stages=[Zstd(threshold=0), AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("y" * 5000)))
    (zname, zparams), (aname, aparams) = env.stages
    assert (env.codec, zname, aname) == ("msgpack", "zstd", "aesgcm")
    assert int.from_bytes(zparams, "big") == len(transport.codec.encode("y" * 5000))
    assert aparams[2 : 2 + aparams[1]] == b"2026-11"
    assert len(aparams) == 2 + 7 + 8 + 12  # version, id length, id, key check, nonce
