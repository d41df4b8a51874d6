"""The ``offload`` stage: keep large payloads in a blob store, carry a reference instead.

The stored object is the stage's input bytes (after compression and encryption, when those
stages are configured), under the lowercase hex sha256 of those bytes. The stage's output data
is empty; the reference is the params (recorded in the envelope header)::

    offset  size  field
    0       1     format version, 0x01
    1       1     N = length of the store name in bytes (1..255)
    2       N     store name, UTF-8 (for example "local" or "s3://bucket/prefix/")
    2+N     32    sha256 digest of the object (its key is the lowercase hex of this)
    34+N    8     object size in bytes, unsigned 64-bit big-endian

The reader looks the store up by name among its configured stores, reads the object, and
checks size and digest before handing the bytes on.

A failure to read has two kinds. A missing object (the store raised :class:`KeyError`), a size
or hash mismatch, a malformed reference or an unconfigured store are permanent: a
:class:`~flowwire.DecodeError`. Any other exception from the store's ``get`` (a network error,
a throttled S3, a directory that is unreadable or gone) says nothing about the object, so it is
a :class:`~flowwire.StoreUnavailable`, which the engines retry with backoff.

A failure to write (any exception from the store's ``exists`` or ``put``) is an outage too:
:class:`~flowwire.StoreWriteUnavailable`, which the callers retry with backoff (the stage
itself never sleeps: a decision must not hold its engine while it waits). The stage keeps the
budget: once ``write_wait`` seconds have passed since the first failed write of an object (with
no success since), it raises :class:`~flowwire.StoreWriteFailed`, which is not retried. A read
has a budget too, ``read_wait``, which the stage does not keep (a decision is retried for as
long as its run lasts) but carries on its :class:`~flowwire.StoreUnavailable`: an activity
reads its input again for that long before its attempt fails.
"""

from __future__ import annotations

import hashlib
import math
import struct
import threading
import time
from collections.abc import Iterable

from flowwire._backoff import CAP, WRITE_WAIT
from flowwire.errors import (
    ConfigurationError,
    DecodeError,
    StoreUnavailable,
    StoreWriteFailed,
    StoreWriteUnavailable,
)
from flowwire.transport._protocols import StageContext
from flowwire.transport.stages.stores import BlobStore

__all__ = ["Offload", "OffloadReference", "UnconfiguredOffload"]

_VERSION = 1
_DIGEST_SIZE = 32
_SIZE = struct.Struct(">Q")
_TRACKED = 1024  # failing writes remembered before stale ones are forgotten

READ_WAIT = 60.0
"""Seconds an activity keeps reading an offloaded input again while its store is unavailable
(the default of ``Offload(read_wait=...)``)."""


class OffloadReference:
    """The parsed params of an offloaded payload: ``store`` name, ``key`` and ``size``."""

    __slots__ = ("digest", "size", "store")

    def __init__(self, store: str, digest: bytes, size: int) -> None:
        self.store = store
        self.digest = digest
        self.size = size

    @property
    def key(self) -> str:
        """Key of the object in its store (the lowercase hex sha256 of its bytes)."""
        return self.digest.hex()

    def to_params(self) -> bytes:
        """Return the params bytes laid out as the module docstring specifies."""
        name = self.store.encode("utf-8")
        return bytes((_VERSION, len(name))) + name + self.digest + _SIZE.pack(self.size)

    @classmethod
    def from_params(cls, params: bytes, ctx: StageContext) -> OffloadReference:
        """Parse params; raises :class:`~flowwire.DecodeError` if they are malformed."""
        if len(params) < 2 or params[0] != _VERSION:
            version = params[0] if params else None
            raise DecodeError(
                f"{ctx.what}: unknown offload reference version {version!r} "
                f"(this flowwire reads version {_VERSION})"
            )
        name_len = params[1]
        expected = 2 + name_len + _DIGEST_SIZE + _SIZE.size
        if name_len == 0 or len(params) != expected:
            raise DecodeError(
                f"{ctx.what}: malformed offload reference ({len(params)} bytes, expected "
                f"{expected} for a store name of {name_len} bytes)"
            )
        try:
            store = params[2 : 2 + name_len].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{ctx.what}: offload store name is not UTF-8") from exc
        digest = params[2 + name_len : 2 + name_len + _DIGEST_SIZE]
        (size,) = _SIZE.unpack(params[2 + name_len + _DIGEST_SIZE :])
        return cls(store, digest, size)

    def __repr__(self) -> str:
        return f"OffloadReference(store={self.store!r}, key={self.key!r}, size={self.size})"


class Offload:
    """Move payloads that are too large for the backend into ``store``.

    With ``threshold=None`` (the default) a payload is offloaded exactly when, left inline, its
    final payload string would exceed the backend's field limit (``ctx.limit``, computed with
    ``ctx.armored_size``); with an integer threshold, when it has at least that many bytes.
    Objects are content-addressed, so identical bytes are stored once: with ``dedupe=True``
    (the default) an existence check precedes every write and skips it when the object is
    there. Pass ``dedupe=False`` to rewrite the object every time, which refreshes its age for
    lifecycle rules that expire objects by age (see the stages documentation).

    ``also_read`` lists further stores that references may name (for example the old store
    while migrating to a new one); only ``store`` is written. A transport without a limit
    (``max_payload_chars=None``) never offloads unless ``threshold`` is given.

    ``write_wait`` (seconds, default 60) is the budget of a write while the store is down: a
    failed write raises :class:`~flowwire.StoreWriteUnavailable` (transient, retried by the
    caller with backoff) until ``write_wait`` seconds have passed since the object's first
    failed write, then :class:`~flowwire.StoreWriteFailed`. ``0`` fails at the first error.

    ``read_wait`` (seconds, default 60) is how long an activity worker reads its offloaded
    input again, with backoff, while the store is down, before the attempt fails with the
    :class:`~flowwire.StoreUnavailable` (which carries it as ``read_wait``). Decisions are not
    bounded by it: they are retried for as long as their run lasts.

    Raises:
        ConfigurationError: if two stores share a name, ``threshold`` is negative, or
            ``write_wait`` or ``read_wait`` is not a finite number >= 0.
    """

    name = "offload"
    redacts = False

    def __init__(
        self,
        store: BlobStore,
        *,
        threshold: int | None = None,
        dedupe: bool = True,
        also_read: Iterable[BlobStore] = (),
        write_wait: float = WRITE_WAIT,
        read_wait: float = READ_WAIT,
    ) -> None:
        if threshold is not None and threshold < 0:
            raise ConfigurationError(f"offload threshold must be >= 0, got {threshold}")
        self.store = store
        self.threshold = threshold
        self.dedupe = dedupe
        self.write_wait = _seconds("write_wait", write_wait)
        self.read_wait = _seconds("read_wait", read_wait)
        #: key -> (first failure, last failure, failures) of writes failing since
        self._failing: dict[str, tuple[float, float, int]] = {}
        self._failing_lock = threading.Lock()
        self._stores: dict[str, BlobStore] = {}
        for s in (store, *also_read):
            if s.name in self._stores:
                raise ConfigurationError(f"two offload stores are named {s.name!r}")
            self._stores[s.name] = s

    def _should_offload(self, size: int, ctx: StageContext) -> bool:
        if self.threshold is not None:
            return size >= self.threshold
        return ctx.armored_size(size) > ctx.limit

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes] | None:
        """Store ``data`` and return ``(b"", reference params)``, or ``None`` to keep it inline.

        Raises:
            StoreWriteUnavailable: the store failed to write, for now (transient: try again
                after a backoff); the message names the store, key and size, and the store's
                exception is the ``__cause__``.
            StoreWriteFailed: the store has failed to write this object for ``write_wait``
                seconds (permanent).
        """
        if not self._should_offload(len(data), ctx):
            return None
        ref = OffloadReference(self.store.name, hashlib.sha256(data).digest(), len(data))
        try:
            if not (self.dedupe and self.store.exists(ref.key)):
                self.store.put(ref.key, data)
        except Exception as exc:
            raise self._write_failed(ref, ctx, exc) from exc
        if self._failing:
            with self._failing_lock:
                self._failing.pop(ref.key, None)
        return b"", ref.to_params()

    def _write_failed(
        self, ref: OffloadReference, ctx: StageContext, exc: Exception
    ) -> StoreWriteUnavailable | StoreWriteFailed:
        """The error for a failed write of ``ref``, counting it against the write budget."""
        now = time.monotonic()
        forget_after = self.write_wait + 2 * CAP  # retries come at most CAP apart
        with self._failing_lock:
            failing = self._failing
            entry = failing.get(ref.key)
            if entry is None or now - entry[1] > forget_after:  # a new outage
                first, failures = now, 1
            else:
                first, failures = entry[0], entry[2] + 1
            failing[ref.key] = (first, now, failures)
            if len(failing) > _TRACKED:
                for key in [k for k, e in failing.items() if now - e[1] > forget_after]:
                    del failing[key]
        what = f"{ctx.what} ({ref.size:,} bytes) to object {ref.key} in store {ref.store!r}"
        cause = f"{type(exc).__name__}: {exc}"
        error: type[StoreWriteUnavailable | StoreWriteFailed]
        if now - first >= self.write_wait:  # the message is the same at every replay
            error, message = (
                StoreWriteFailed,
                (
                    f"cannot offload {what}: the store stayed unavailable past the stage's "
                    f"write_wait of {self.write_wait:g} s; last error: {cause}"
                ),
            )
        else:
            error, message = (
                StoreWriteUnavailable,
                (
                    f"cannot offload {what} for now, the store is unavailable (transient, try "
                    f"{failures}; {cause})"
                ),
            )
        return error(message, store=ref.store, key=ref.key, size=ref.size)

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        """Read the referenced object and verify its size and sha256.

        Raises:
            DecodeError: naming the key and the store when the reference is malformed, names
                a store that is not configured, the object is missing, or its size or hash
                differs from the reference.
            StoreUnavailable: the store failed to answer (anything but :class:`KeyError`
                from its ``get``): transient, the object may well be intact.
        """
        ref = OffloadReference.from_params(params, ctx)
        if data:
            raise DecodeError(
                f"{ctx.what}: offload reference to object {ref.key} in store {ref.store!r} "
                f"carries {len(data)} unexpected inline bytes"
            )
        store = self._stores.get(ref.store)
        if store is None:
            raise DecodeError(
                f"{ctx.what} references object {ref.key} in store {ref.store!r}, which is not "
                f"configured here (configured stores: {sorted(self._stores)})"
            )
        return _fetch(store, ref, ctx, self.read_wait)

    def __repr__(self) -> str:
        return (
            f"Offload({self.store!r}, threshold={self.threshold!r}, "
            f"write_wait={self.write_wait:g}, read_wait={self.read_wait:g})"
        )


def _seconds(name: str, value: float) -> float:
    """``value`` as the float seconds of option ``name``; ConfigurationError unless it is a
    finite number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigurationError(
            f"offload {name} must be a finite number of seconds >= 0, got {value!r}"
        )
    return float(value)


def _fetch(store: BlobStore, ref: OffloadReference, ctx: StageContext, read_wait: float) -> bytes:
    try:
        blob = store.get(ref.key)
    except KeyError:
        raise DecodeError(
            f"{ctx.what}: missing object {ref.key} in store {ref.store!r} "
            f"({ref.size:,} bytes expected; deleted by a lifecycle rule or never written?)"
        ) from None
    except Exception as exc:
        raise StoreUnavailable(
            f"{ctx.what}: cannot read object {ref.key} from store {ref.store!r} for now, the "
            f"store is unavailable (transient; {type(exc).__name__}: {exc})",
            store=ref.store,
            key=ref.key,
            read_wait=read_wait,
        ) from exc
    if len(blob) != ref.size:
        raise DecodeError(
            f"{ctx.what}: object {ref.key} in store {ref.store!r} has {len(blob):,} bytes, "
            f"the reference says {ref.size:,} (hash mismatch)"
        )
    actual = hashlib.sha256(blob).digest()
    if actual != ref.digest:
        raise DecodeError(
            f"{ctx.what}: hash mismatch for object {ref.key} in store {ref.store!r}: its "
            f"content hashes to {actual.hex()}"
        )
    return blob


class UnconfiguredOffload:
    """The ``offload`` stage as a receiver without any store sees it.

    Decoding a reference raises a :class:`~flowwire.DecodeError` that names the key and the
    store, so the user learns which store to configure. Encoding is refused: there is no store.
    """

    name = "offload"
    redacts = False

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
        """Raise :class:`~flowwire.ConfigurationError`: offloading needs a store."""
        raise ConfigurationError(
            "the offload stage needs a store: use Offload(LocalDirectoryStore(...)) or "
            "Offload(S3Store(...))"
        )

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        """Raise :class:`~flowwire.DecodeError` naming the referenced key and store."""
        ref = OffloadReference.from_params(params, ctx)
        raise DecodeError(
            f"{ctx.what} references object {ref.key} in store {ref.store!r}, but no offload "
            "store is configured: add Offload(<store named "
            f"{ref.store!r}>) to the transport's stages"
        )
