"""Security findings of the fuzz work (issue 16) that docs/security.md states.

Each test shows one property of the envelope as it is today; a finding that should be fixed is
a strict ``xfail``, so the fix makes it pass and the mark must then go.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from flowwire.errors import DecodeError
from flowwire.transport import CodecTransport, envelope, get_codec
from flowwire.transport.stages import AESGCM, Keyring, Zstd

KEYRING = Keyring({"2026-11": bytes(range(32))}, current="2026-11")


def _swap_codec(payload: str, codec: str) -> str:
    env = envelope.unpack(envelope.dearmor(payload))
    return envelope.armor(envelope.pack(codec, env.stages, env.body))


@pytest.mark.xfail(
    strict=True,
    reason="finding: the codec name is outside the AES-GCM tag (only the aesgcm params are "
    "associated data), so a swapped name can change a value without the key",
)
def test_the_codec_name_is_authenticated() -> None:
    writer = CodecTransport(get_codec("protobuf"), stages=[AESGCM(KEYRING)])
    reader = CodecTransport(get_codec("protobuf"), stages=[AESGCM(KEYRING)])
    forged = _swap_codec(writer.serialize_result(Decimal("Infinity")), "msgpack")
    with pytest.raises(DecodeError):
        reader.deserialize_result(forged)  # today: a list of integers


def test_the_aesgcm_params_are_authenticated() -> None:
    transport = CodecTransport(get_codec("msgpack"), stages=[AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("secret")))
    ((name, params),) = env.stages
    nonce_flipped = params[:-1] + bytes((params[-1] ^ 1,))
    forged = envelope.armor(envelope.pack(env.codec, [(name, nonce_flipped)], env.body))
    with pytest.raises(DecodeError, match="tampered"):
        transport.deserialize_result(forged)


def test_zstd_size_outside_the_tag_is_still_checked() -> None:
    transport = CodecTransport(get_codec("msgpack"), stages=[Zstd(threshold=0), AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("x" * 5000)))
    (zname, zparams), aes = env.stages
    bigger = (int.from_bytes(zparams, "big") + 1).to_bytes(8, "big")
    forged = envelope.armor(envelope.pack(env.codec, [(zname, bigger), aes], env.body))
    with pytest.raises(DecodeError, match="declares"):
        transport.deserialize_result(forged)


def test_an_encrypting_reader_reads_unencrypted_payloads() -> None:
    """Stated on the security page: encryption is not required of what a reader accepts."""
    reader = CodecTransport(get_codec("msgpack"), stages=[AESGCM(KEYRING)])
    plain = CodecTransport(get_codec("msgpack")).serialize_result({"amount": 10**6})
    assert reader.deserialize_result(plain) == {"amount": 10**6}


def test_what_an_encrypted_header_shows() -> None:
    """Key id, key check, nonce and the uncompressed size are in clear (the security page)."""
    transport = CodecTransport(get_codec("msgpack"), stages=[Zstd(threshold=0), AESGCM(KEYRING)])
    env = envelope.unpack(envelope.dearmor(transport.serialize_result("y" * 5000)))
    (zname, zparams), (aname, aparams) = env.stages
    assert (env.codec, zname, aname) == ("msgpack", "zstd", "aesgcm")
    assert int.from_bytes(zparams, "big") == len(transport.codec.encode("y" * 5000))
    assert aparams[2 : 2 + aparams[1]] == b"2026-11"
    assert len(aparams) == 2 + 7 + 8 + 12  # version, id length, id, key check, nonce
