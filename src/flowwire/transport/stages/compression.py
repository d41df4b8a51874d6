"""The ``zstd`` stage: Zstandard compression above a size threshold.

Params (recorded in the envelope header), 8 bytes: the length of the uncompressed data as an
unsigned 64-bit big-endian integer. The data is one complete Zstandard frame (RFC 8878), written
with its content size and content checksum; if the frame header carries a content size it must
equal the recorded length.

Reading is bounded: a recorded length over the reader's limit (the stage's ``max_size`` and the
transport's ``max_decoded_bytes``, 1 MiB by default) is refused before anything is decompressed,
and the frame is decompressed into a buffer of the recorded length, which libzstd never writes
past, whatever the frame's header claims (a frame content size that differs from the recorded
length is refused before decompressing).
"""

from __future__ import annotations

import struct
import threading
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport._protocols import StageContext

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_THRESHOLD", "Zstd"]

DEFAULT_THRESHOLD = 1024
"""Payloads shorter than this many bytes are not compressed (the frame overhead and the time
are not worth it for small arguments)."""

DEFAULT_MAX_SIZE = 1 << 31
"""Largest uncompressed size this stage accepts (2 GiB). The transport's ``max_decoded_bytes``
(1 MiB by default) is the tighter bound in practice: the smaller of the two applies."""

_PARAMS = struct.Struct(">Q")


def _import_zstandard() -> Any:
    try:
        import zstandard
    except ImportError as exc:
        raise ConfigurationError(
            "the zstd stage needs the zstandard package: pip install 'flowwire[zstd]'"
        ) from exc
    return zstandard


class Zstd:
    """Compress payloads of at least ``threshold`` bytes with Zstandard at ``level``.

    The stage skips a payload (records nothing) when it is shorter than ``threshold`` or when
    compression would not make it smaller. Decoding needs no configuration: a receiver undoes
    ``zstd`` with a default instance. The uncompressed size a decoder accepts is bounded by
    ``max_size`` and by the transport's ``max_decoded_bytes`` (``ctx.max_output``), whichever
    is smaller. Instances are safe to share between threads.

    Raises:
        ConfigurationError: if zstandard is not installed (``pip install 'flowwire[zstd]'``),
            or if ``level``, ``threshold`` or ``max_size`` is out of range.
    """

    name = "zstd"
    redacts = False

    def __init__(
        self,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        level: int = 3,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self._zstd = _import_zstandard()
        if not -(1 << 17) <= level <= self._zstd.MAX_COMPRESSION_LEVEL:
            raise ConfigurationError(
                f"zstd level must be between -131072 and {self._zstd.MAX_COMPRESSION_LEVEL}, "
                f"got {level}"
            )
        if threshold < 0 or max_size < 0:
            raise ConfigurationError(
                f"zstd threshold and max_size must be >= 0, got {threshold} and {max_size}"
            )
        self.threshold = threshold
        self.level = level
        self.max_size = max_size
        self._local = threading.local()

    def _compressor(self) -> Any:
        cctx = getattr(self._local, "cctx", None)
        if cctx is None:
            cctx = self._zstd.ZstdCompressor(
                level=self.level, write_content_size=True, write_checksum=True
            )
            self._local.cctx = cctx
        return cctx

    def _decompressor(self) -> Any:
        dctx = getattr(self._local, "dctx", None)
        if dctx is None:
            dctx = self._zstd.ZstdDecompressor()
            self._local.dctx = dctx
        return dctx

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes] | None:
        """Return ``(frame, params)``, or ``None`` when the payload is below the threshold or
        does not shrink."""
        if len(data) < self.threshold:
            return None
        compressed: bytes = self._compressor().compress(data)
        if len(compressed) >= len(data):
            return None
        return compressed, _PARAMS.pack(len(data))

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        """Return the uncompressed bytes.

        Raises:
            DecodeError: if ``params`` is malformed, the declared size is over ``max_size``
                or ``ctx.max_output``, the frame is corrupt, truncated, followed by extra
                bytes, or does not decompress to the declared size.
        """
        if len(params) != _PARAMS.size:
            raise DecodeError(
                f"zstd params of {ctx.what} must be {_PARAMS.size} bytes, got {len(params)}"
            )
        (size,) = _PARAMS.unpack(params)
        limit = min(self.max_size, ctx.max_output)
        if size > limit:
            option = "max_decoded_bytes" if limit == ctx.max_output else "the zstd max_size"
            raise DecodeError(
                f"zstd frame of {ctx.what} declares {size:,} uncompressed bytes, over the "
                f"limit of {limit:,} ({option}; a larger limit is an explicit option)"
            )
        zstd = self._zstd
        try:
            frame_size = zstd.frame_content_size(data)
        except zstd.ZstdError as exc:
            raise DecodeError(f"{ctx.what} is not a valid zstd frame: {exc}") from exc
        if frame_size not in (-1, size):
            raise DecodeError(
                f"zstd frame of {ctx.what} holds {frame_size:,} bytes but the header "
                f"declares {size:,}"
            )
        try:
            # Into a buffer of at most ``size`` bytes (<= limit), whether or not the frame
            # header states a content size: libzstd stops at the end of the buffer.
            out: bytes = self._decompressor().decompress(
                data, max_output_size=size, allow_extra_data=False
            )
        except zstd.ZstdError as exc:
            raise DecodeError(f"cannot decompress zstd frame of {ctx.what}: {exc}") from exc
        if len(out) != size:
            raise DecodeError(
                f"zstd frame of {ctx.what} decompressed to {len(out):,} bytes, expected {size:,}"
            )
        return out

    def __repr__(self) -> str:
        return f"Zstd(threshold={self.threshold}, level={self.level})"
