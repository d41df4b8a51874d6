"""Blob stores: where the :class:`~flowwire.transport.stages.Offload` stage keeps large payloads.

A store maps a key (a short ASCII path such as a sha256 hex digest) to immutable bytes. The
offload stage only ever writes content-addressed keys, so a key is written at most once with one
content; stores therefore need no locking beyond an atomic write.

Three stores are built in:

* :class:`LocalDirectoryStore`: files under a directory (the local engine's default).
* :class:`S3Store`: objects in an S3 bucket under a prefix; any S3-compatible ``endpoint_url``.
* :class:`InMemoryStore`: a dict, for tests and single-process use.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flowwire.errors import ConfigurationError

__all__ = ["BlobStore", "InMemoryStore", "LocalDirectoryStore", "S3Store", "check_key"]

_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_MAX_KEY_LENGTH = 512
_MAX_NAME_BYTES = 255


@runtime_checkable
class BlobStore(Protocol):
    """A place to keep immutable payload bytes under a key.

    Contract:

    * ``name`` identifies the store in offload references (at most 255 UTF-8 bytes). The reader
      must configure a store with the same name as the writer.
    * ``put(key, data)`` must make ``data`` readable under ``key`` atomically: a concurrent or
      later ``get`` sees either nothing or all of ``data``, never a partial object.
    * ``get(key)`` must return the bytes last put under ``key``, and raise :class:`KeyError`
      only when the store answered that there is no such object (a permanent failure). Any
      other failure (I/O, network, the store being down) may raise any other exception; the
      offload stage wraps it in a :class:`~flowwire.StoreUnavailable` naming key and store,
      which the engines treat as transient and retry.
    * ``exists(key)`` must return whether ``get(key)`` would find an object.
    * Keys are checked with :func:`check_key`; stores must refuse anything else so that a
      hostile reference can never name a path outside the store.
    """

    name: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid store key, else raise :class:`ValueError`.

    A valid key is at most 512 characters of ``/``-separated segments, each made of
    ``[A-Za-z0-9._-]`` and starting with a letter or digit (so no ``..``, no absolute paths).
    """
    if len(key) > _MAX_KEY_LENGTH or _KEY_RE.fullmatch(key) is None:
        raise ValueError(f"invalid blob store key {key!r}")
    return key


def _check_name(name: str) -> str:
    if not name or len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        raise ConfigurationError(
            f"a blob store name must be 1 to {_MAX_NAME_BYTES} UTF-8 bytes, got {name!r}"
        )
    return name


class InMemoryStore:
    """A thread-safe store in a dict. Real code for tests and single-process programs.

    ``name`` defaults to ``"memory"``. Objects live as long as the store object.
    """

    def __init__(self, *, name: str = "memory") -> None:
        self.name = _check_name(name)
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        """Store a copy of ``data`` under ``key``."""
        check_key(key)
        with self._lock:
            self._objects[key] = bytes(data)

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raises :class:`KeyError` when missing."""
        check_key(key)
        with self._lock:
            return self._objects[key]

    def exists(self, key: str) -> bool:
        """Return whether an object is stored under ``key``."""
        check_key(key)
        with self._lock:
            return key in self._objects

    def delete(self, key: str) -> None:
        """Remove the object under ``key`` (no error when missing)."""
        with self._lock:
            self._objects.pop(key, None)

    def keys(self) -> list[str]:
        """Return the stored keys, sorted."""
        with self._lock:
            return sorted(self._objects)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    def __repr__(self) -> str:
        return f"InMemoryStore(name={self.name!r}, objects={len(self)})"


class LocalDirectoryStore:
    """Files under a directory: ``<root>/<key[:2]>/<key>``.

    Writes are atomic: the bytes go to a temporary file in the target directory, which is then
    renamed over the final name with :func:`os.replace`. With ``fsync=True`` (the default) the
    file is flushed to disk before the rename, so a reference recorded in a history never
    points at an object lost in a crash.

    ``name`` defaults to ``"local"``; give distinct names to distinct directories that the
    same workers read. The directory is created if missing.

    Raises:
        ConfigurationError: if ``root`` exists and is not a directory.
    """

    def __init__(self, root: str | os.PathLike[str], *, name: str = "local", fsync: bool = True):
        self.root = Path(root)
        self.name = _check_name(name)
        self.fsync = fsync
        if self.root.exists() and not self.root.is_dir():
            raise ConfigurationError(f"LocalDirectoryStore root {self.root} is not a directory")
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        check_key(key)
        head = key.rsplit("/", 1)[-1][:2]
        return self.root / head / key

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically (temporary file + :func:`os.replace`).

        A missing *root* directory is an outage, as for :meth:`get`: :class:`OSError`, never
        a new empty root (an object written there would be hidden once the volume is back).
        """
        path = self._path(key)
        if not self.root.is_dir():
            raise OSError(f"the store directory {self.root} is missing")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def get(self, key: str) -> bytes:
        """Return the file's bytes; raises :class:`KeyError` when there is no such object.

        A missing *root* directory (an unmounted volume, a directory moved away) is not a
        missing object: it raises :class:`OSError`, which the offload stage reports as
        :class:`~flowwire.StoreUnavailable`; so does any other I/O error (permissions).
        """
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            if not self.root.is_dir():
                raise OSError(f"the store directory {self.root} is missing") from None
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        """Return whether the object's file exists."""
        return self._path(key).is_file()

    def __repr__(self) -> str:
        return f"LocalDirectoryStore({str(self.root)!r}, name={self.name!r})"


def _s3_error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


class S3Store:
    """Objects in an S3 bucket under ``prefix``: ``s3://<bucket>/<prefix><key>``.

    Pass a ready boto3 S3 ``client``, or let the store create one from ``endpoint_url`` and
    ``region_name`` (any S3-compatible service works). ``name`` defaults to
    ``"s3://<bucket>/<prefix>"``.

    The principal needs ``s3:PutObject`` and ``s3:GetObject`` on ``<bucket>/<prefix>*`` and
    ``s3:ListBucket`` on the bucket (without it S3 answers 403 instead of 404 for a missing
    object, and the existence check before a write fails).

    Raises:
        ConfigurationError: if no client is given and boto3 is not installed (install
            ``flowwire[s3]``), or if ``bucket`` is empty.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        name: str | None = None,
    ) -> None:
        if not bucket:
            raise ConfigurationError("S3Store needs a bucket name")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self.name = _check_name(name if name is not None else f"s3://{bucket}/{prefix}")
        if client is None:
            try:
                import boto3
            except ImportError as exc:
                raise ConfigurationError("S3Store needs boto3: pip install 'flowwire[s3]'") from exc
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region_name)
        self.client = client

    def _object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Upload ``data`` in one ``PutObject`` call (S3 writes are atomic per object)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._object_key(key),
            Body=data,
            ContentType="application/octet-stream",
        )

    def get(self, key: str) -> bytes:
        """Download the object; raises :class:`KeyError` when S3 answers ``NoSuchKey``/404."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except Exception as exc:
            if _s3_error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise KeyError(key) from exc
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        """Return whether the object exists (one ``HeadObject`` call)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except Exception as exc:
            if _s3_error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r}, {self.prefix!r}, name={self.name!r})"
