"""The ``aesgcm`` stage: AES-256-GCM encryption with key ids and rotation.

Params (recorded in the envelope header, in the clear)::

    offset  size  field
    0       1     format version, 0x02 (0x01: see below)
    1       1     L = length of the key id in bytes (1..255)
    2       L     key id, UTF-8
    2+L     8     key check: the first 8 bytes of HMAC-SHA256(key, "flowwire.aesgcm.keycheck")
    10+L    12    nonce, random for every payload

The data is ``AES-256-GCM(key, nonce, plaintext, aad=params + header)``: the ciphertext
followed by the 16-byte tag. The associated data is the whole params field followed by the
envelope header as far as this stage (``StageContext.header``: magic, format version, codec
name and the entries of the stages applied before encryption, such as ``zstd``'s size), so
changing any of those bytes fails authentication: a reader cannot be made to hand the
plaintext to another codec. The key check lets a receiver tell a wrong key from a tampered
payload; it reveals nothing useful about the key.

Params version 1 (written before the header was bound) used the params alone as associated
data. Such payloads still decrypt by default, so that histories written before the upgrade stay
readable; ``AESGCM(..., read_v1=False)`` refuses them once no history holds them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport._protocols import StageContext

__all__ = ["AESGCM", "Keyring", "UnconfiguredAESGCM", "key_check"]

_VERSION = 2
_VERSION_1 = 1  # associated data: the params alone (the header is not bound)
_NONCE_SIZE = 12
_TAG_SIZE = 16
_CHECK_SIZE = 8
_KEY_SIZE = 32
_CHECK_MESSAGE = b"flowwire.aesgcm.keycheck"


def key_check(key: bytes) -> bytes:
    """Return the 8-byte key check value written into the params for ``key``."""
    return hmac.new(key, _CHECK_MESSAGE, hashlib.sha256).digest()[:_CHECK_SIZE]


class Keyring:
    """AES-256 keys by id: one current key for encryption, all of them for decryption.

    To rotate: add the new key, make it ``current``, keep the old keys as long as histories
    or stored objects encrypted with them must stay readable.

    ``keys`` maps a key id (1 to 255 UTF-8 bytes, for example ``"2026-11"``) to a 32-byte key.

    Raises:
        ConfigurationError: if a key is not 32 bytes, an id is empty or too long, or
            ``current`` is not one of the ids.
    """

    def __init__(self, keys: Mapping[str, bytes], *, current: str) -> None:
        checked: dict[str, tuple[bytes, bytes]] = {}
        for key_id, key in keys.items():
            encoded = key_id.encode("utf-8")
            if not 1 <= len(encoded) <= 255:
                raise ConfigurationError(
                    f"an AES-GCM key id must be 1 to 255 UTF-8 bytes, got {key_id!r}"
                )
            if not isinstance(key, bytes | bytearray) or len(key) != _KEY_SIZE:
                size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
                raise ConfigurationError(
                    f"AES-256-GCM key {key_id!r} must be {_KEY_SIZE} bytes, got {size}"
                )
            checked[key_id] = (bytes(key), key_check(bytes(key)))
        if current not in checked:
            raise ConfigurationError(
                f"current key id {current!r} is not in the keyring (ids: {sorted(checked)})"
            )
        self._keys = checked
        self.current = current

    @staticmethod
    def generate_key() -> bytes:
        """Return a new random 32-byte key from :func:`os.urandom`."""
        return os.urandom(_KEY_SIZE)

    @property
    def ids(self) -> list[str]:
        """The key ids, sorted."""
        return sorted(self._keys)

    def get(self, key_id: str) -> tuple[bytes, bytes] | None:
        """Return ``(key, key_check)`` for ``key_id``, or ``None`` if the id is unknown."""
        return self._keys.get(key_id)

    def __repr__(self) -> str:  # never print key material
        return f"Keyring(ids={self.ids}, current={self.current!r})"


def _import_aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM as _AESGCM
    except ImportError as exc:
        raise ConfigurationError(
            "the aesgcm stage needs the cryptography package: pip install 'flowwire[crypto]'"
        ) from exc
    return _AESGCM


class AESGCM:
    """Encrypt every payload with AES-256-GCM under the keyring's current key.

    Pass a :class:`Keyring`, or a single ``key`` (32 bytes) with its ``key_id``. Decryption
    picks the key by the id recorded in the params, so payloads written before a rotation stay
    readable while their key is in the keyring. The envelope header before this stage (codec
    name, earlier stages' entries) is authenticated with the ciphertext. ``read_v1``: whether
    payloads of params version 1, written by flowwire before the header was authenticated,
    still decrypt (the default, for histories written before the upgrade); ``False`` refuses
    them with a :class:`~flowwire.DecodeError` that says so. ``redacts`` is true: the
    transport keeps failure messages out of plain-text fields. Instances are safe to share
    between threads.

    Raises:
        ConfigurationError: if cryptography is not installed (``pip install
            'flowwire[crypto]'``), or if the keys are invalid (see :class:`Keyring`).
    """

    name = "aesgcm"
    redacts = True

    def __init__(
        self,
        keyring: Keyring | None = None,
        *,
        key: bytes | None = None,
        key_id: str = "default",
        read_v1: bool = True,
    ) -> None:
        self._aesgcm_class = _import_aesgcm()
        self.read_v1 = read_v1
        if (keyring is None) == (key is None):
            raise ConfigurationError("AESGCM needs either a keyring or a key (not both)")
        if keyring is None:
            assert key is not None
            keyring = Keyring({key_id: key}, current=key_id)
        self.keyring = keyring
        self._ciphers: dict[str, Any] = {}

    def _cipher(self, key_id: str, key: bytes) -> Any:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._aesgcm_class(key)
            self._ciphers[key_id] = cipher  # benign race: both threads build the same cipher
        return cipher

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
        """Encrypt ``data`` under the current key; never skips."""
        key_id = self.keyring.current
        entry = self.keyring.get(key_id)
        assert entry is not None
        key, check = entry
        encoded_id = key_id.encode("utf-8")
        nonce = os.urandom(_NONCE_SIZE)
        params = bytes((_VERSION, len(encoded_id))) + encoded_id + check + nonce
        return self._cipher(key_id, key).encrypt(nonce, data, params + ctx.header), params

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        """Decrypt and authenticate ``data``.

        Raises:
            DecodeError: saying which of these happened: malformed params; params version
                1 when ``read_v1`` is false; a key id that is not in the keyring (missing
                key); a key whose check value differs (wrong key); or an authentication
                failure (the payload or its header was tampered with).
        """
        key_id, check, _nonce = _parse_params(params, ctx)
        if params[0] == _VERSION_1:
            if not self.read_v1:
                raise DecodeError(
                    f"cannot decrypt {ctx.what}: aesgcm params version 1 (written before the "
                    "envelope header was authenticated) is refused here: AESGCM(read_v1=False)"
                )
            aad = params
        else:
            aad = params + ctx.header
        entry = self.keyring.get(key_id)
        if entry is None:
            raise DecodeError(
                f"cannot decrypt {ctx.what}: missing key: key id {key_id!r} is not in the "
                f"keyring (ids: {self.keyring.ids})"
            )
        key, expected_check = entry
        if not hmac.compare_digest(check, expected_check):
            raise DecodeError(
                f"cannot decrypt {ctx.what}: wrong key: the keyring's key {key_id!r} is not "
                "the key the payload was encrypted with"
            )
        if len(data) < _TAG_SIZE:
            raise DecodeError(
                f"cannot decrypt {ctx.what}: tampered or truncated: {len(data)} bytes is "
                f"shorter than the {_TAG_SIZE}-byte tag"
            )
        from cryptography.exceptions import InvalidTag

        try:
            plaintext: bytes = self._cipher(key_id, key).decrypt(_nonce, data, aad)
        except InvalidTag as exc:
            raise DecodeError(
                f"cannot decrypt {ctx.what}: tampered: authentication failed with key "
                f"{key_id!r} (the ciphertext, its params or the envelope header before it "
                "(codec name, earlier stages) was modified)"
            ) from exc
        return plaintext

    def __repr__(self) -> str:
        legacy = "" if self.read_v1 else ", read_v1=False"
        return f"AESGCM({self.keyring!r}{legacy})"


def _parse_params(params: bytes, ctx: StageContext) -> tuple[str, bytes, bytes]:
    if len(params) < 2 or params[0] not in (_VERSION, _VERSION_1):
        version = params[0] if params else None
        raise DecodeError(
            f"cannot decrypt {ctx.what}: unknown aesgcm params version {version!r} "
            f"(this flowwire reads versions {_VERSION_1} and {_VERSION})"
        )
    id_len = params[1]
    expected = 2 + id_len + _CHECK_SIZE + _NONCE_SIZE
    if id_len == 0 or len(params) != expected:
        raise DecodeError(
            f"cannot decrypt {ctx.what}: malformed aesgcm params ({len(params)} bytes, "
            f"expected {expected} for a key id of {id_len} bytes)"
        )
    try:
        key_id = params[2 : 2 + id_len].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"cannot decrypt {ctx.what}: key id is not UTF-8") from exc
    check = params[2 + id_len : 2 + id_len + _CHECK_SIZE]
    nonce = params[2 + id_len + _CHECK_SIZE :]
    return key_id, check, nonce


class UnconfiguredAESGCM:
    """The ``aesgcm`` stage as a receiver without any keyring sees it.

    Decoding raises a :class:`~flowwire.DecodeError` that names the key id the payload needs.
    Encoding is refused: there is no key.
    """

    name = "aesgcm"
    redacts = True

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
        """Raise :class:`~flowwire.ConfigurationError`: encrypting needs a keyring."""
        raise ConfigurationError("the aesgcm stage needs a key: use AESGCM(Keyring(...))")

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        """Raise :class:`~flowwire.DecodeError` naming the key id the payload needs."""
        key_id, _check, _nonce = _parse_params(params, ctx)
        raise DecodeError(
            f"cannot decrypt {ctx.what}: missing key: it is encrypted with key id {key_id!r} "
            "but no aesgcm stage (keyring) is configured on this transport"
        )
