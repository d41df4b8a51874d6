"""Payload stages: bytes -> bytes steps between the codec and the armor.

Applied in the order given on encode (put them in the order ``Zstd``, ``AESGCM``, ``Offload``)
and undone in reverse on decode; each applied stage is recorded in the envelope header with
its params. Importing this package never imports an optional dependency: zstandard, cryptography
and boto3 are imported when a stage or store is constructed, which raises
:class:`~flowwire.ConfigurationError` naming the extra to install when one is missing.

* :class:`Zstd` (``zstd``, extra ``zstd``): decodes without configuration.
* :class:`AESGCM` (``aesgcm``, extra ``crypto``): needs the keyring to decode; without it,
  :class:`~flowwire.DecodeError` names the missing key id.
* :class:`Offload` (``offload``; :class:`S3Store` needs the extra ``s3``): needs the store to
  decode; without it, :class:`~flowwire.DecodeError` names the key and the store.
"""

from __future__ import annotations

from typing import Any

from flowwire.transport._protocols import Stage
from flowwire.transport.stages.compression import Zstd
from flowwire.transport.stages.encryption import AESGCM, Keyring, UnconfiguredAESGCM
from flowwire.transport.stages.offload import Offload, OffloadReference, UnconfiguredOffload
from flowwire.transport.stages.stores import (
    BlobStore,
    InMemoryStore,
    LocalDirectoryStore,
    S3Store,
)

__all__ = [
    "AESGCM",
    "BlobStore",
    "InMemoryStore",
    "Keyring",
    "LocalDirectoryStore",
    "Offload",
    "OffloadReference",
    "S3Store",
    "UnconfiguredAESGCM",
    "UnconfiguredOffload",
    "Zstd",
    "aesgcm_stage",
    "offload_stage",
    "unconfigured_stage",
    "zstd_stage",
]


def unconfigured_stage(name: str) -> Stage | None:
    """Return the stage a receiver uses to undo ``name`` when its transport does not configure
    it, or ``None`` for names this package does not define.

    ``zstd`` decodes fully; ``aesgcm`` and ``offload`` return stages whose ``decode`` raises a
    :class:`~flowwire.DecodeError` naming the missing key id or store.

    Raises:
        ConfigurationError: for ``zstd`` when zstandard is not installed.
    """
    if name == "zstd":
        return Zstd()
    if name == "aesgcm":
        return UnconfiguredAESGCM()
    if name == "offload":
        return UnconfiguredOffload()
    return None


def zstd_stage(**options: Any) -> Stage:
    """Registry factory for ``zstd``: ``Zstd(**options)``; the default instance decodes."""
    return Zstd(**options)


def aesgcm_stage(**options: Any) -> Stage:
    """Registry factory for ``aesgcm``: ``AESGCM(**options)`` (``keyring=`` or ``key=``,
    ``key_id=``), or :class:`UnconfiguredAESGCM` when called without options, whose decode
    names the missing key id."""
    return AESGCM(**options) if options else UnconfiguredAESGCM()


def offload_stage(**options: Any) -> Stage:
    """Registry factory for ``offload``: ``Offload(**options)`` (``store=``, ``threshold=``,
    ``also_read=``), or :class:`UnconfiguredOffload` when called without options, whose
    decode names the referenced key and store."""
    return Offload(**options) if options else UnconfiguredOffload()
