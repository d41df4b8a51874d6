"""The payload envelope, version 1. Specified byte by byte on the docs page ``envelope``.

A payload string is one of:

* **plain JSON text**: its first character is one of ``{ [ " - 0-9 t f n`` or JSON white
  space. By definition it is format version 1, codec ``json``, no stages, no escapes.
* **base64-armored envelope** (the default armor): ``~`` followed by the standard base64
  encoding (RFC 4648, with padding, no line breaks) of the binary envelope below. ASCII only,
  so any string field of any backend carries it; 4 characters per 3 bytes.
* **latin-1-armored envelope** (opt-in, ``armor="latin-1"``): the binary envelope itself, each
  byte written as the character with the same code point (U+0000 to U+00FF). It starts with
  ``F`` (the magic below), one character per byte, and converting it either way is a memory
  copy. Only for backends that carry any Unicode text unchanged, such as the local engine.

Binary envelope::

    offset  size  field
    0       2     magic, ASCII "FW" (0x46 0x57)
    2       1     format version, 0x01
    3       1     codec name length C (1..32)
    4       C     codec name, ASCII [a-z0-9_.-]
    4+C     1     number of stages S (0..16), in the order they were applied on encode
    then S times:
            1     stage name length N (1..32)
            N     stage name, ASCII [a-z0-9_.-]
            2     parameter length P, unsigned big-endian
            P     parameters (stage-defined bytes)
    then          body: the codec's bytes after every stage was applied, to the end

The decoder undoes the stages in reverse order, then hands the body to the codec named in the
header. It never guesses the codec or the stages from the body.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pybase64

from flowwire.errors import DecodeError, EncodeError

__all__ = [
    "ARMORS",
    "ARMOR_PREFIX",
    "JSON_START",
    "LATIN1_PREFIX",
    "MAGIC",
    "VERSION",
    "Envelope",
    "armor",
    "armored_size",
    "b64decode",
    "b64decode_strict",
    "dearmor",
    "header_size",
    "pack",
    "unpack",
    "valid_name",
]

MAGIC = b"FW"
VERSION = 1
ARMOR_PREFIX = "~"
#: The first character of a latin-1-armored payload: the first byte of the magic.
LATIN1_PREFIX = "F"
#: The armors a transport can write (every transport reads all of them).
ARMORS = ("base64", "latin-1")
JSON_START = frozenset('{["-0123456789tfn \t\r\n')
MAX_STAGES = 16
_NAME = re.compile(rb"[a-z0-9_.\-]{1,32}\Z")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed binary envelope."""

    codec: str
    stages: tuple[tuple[str, bytes], ...]
    body: bytes


def _name_bytes(name: str, what: str) -> bytes:
    raw = name.encode("ascii", "replace")
    if not _NAME.match(raw):
        raise EncodeError(f"{what} name {name!r} must be 1-32 characters of [a-z0-9_.-]")
    return raw


def valid_name(name: str) -> bool:
    """True if ``name`` may stand in a header as a codec or stage name."""
    return bool(_NAME.match(name.encode("ascii", "replace")))


def header_size(codec: str, stages: Sequence[tuple[str, bytes]]) -> int:
    return 5 + len(codec) + sum(3 + len(n) + len(p) for n, p in stages)


def pack(codec: str, stages: Sequence[tuple[str, bytes]], body: bytes) -> bytes:
    """Build a binary envelope. Raises EncodeError for invalid names or oversized params."""
    if len(stages) > MAX_STAGES:
        raise EncodeError(f"at most {MAX_STAGES} stages fit an envelope, got {len(stages)}")
    raw = _name_bytes(codec, "codec")
    parts = [MAGIC, bytes((VERSION, len(raw))), raw, bytes((len(stages),))]
    for name, params in stages:
        sname = _name_bytes(name, "stage")
        if len(params) > 0xFFFF:
            raise EncodeError(f"stage {name!r} parameters are {len(params)} bytes, over 65535")
        parts += [bytes((len(sname),)), sname, len(params).to_bytes(2, "big"), params]
    parts.append(body)
    return b"".join(parts)


def unpack(data: bytes) -> Envelope:
    """Parse a binary envelope. Raises DecodeError naming what is wrong."""
    if len(data) < 5:
        raise DecodeError(f"envelope truncated: {len(data)} bytes, the header alone needs 5")
    if data[:2] != MAGIC:
        raise DecodeError(f"not a flowwire envelope: magic {bytes(data[:2])!r}, expected b'FW'")
    if data[2] != VERSION:
        raise DecodeError(
            f"unsupported envelope version {data[2]} (this flowwire reads version {VERSION})"
        )
    pos = 3
    codec, pos = _read_name(data, pos, "codec")
    if pos >= len(data):
        raise DecodeError("envelope truncated before the stage count")
    count = data[pos]
    pos += 1
    if count > MAX_STAGES:
        raise DecodeError(f"envelope declares {count} stages, at most {MAX_STAGES} are allowed")
    stages = []
    for _ in range(count):
        name, pos = _read_name(data, pos, "stage")
        if pos + 2 > len(data):
            raise DecodeError(f"envelope truncated in the parameters of stage {name!r}")
        size = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + size > len(data):
            raise DecodeError(
                f"envelope truncated: stage {name!r} declares {size} parameter bytes, "
                f"{len(data) - pos} remain"
            )
        stages.append((name, bytes(data[pos : pos + size])))
        pos += size
    return Envelope(codec, tuple(stages), bytes(data[pos:]))


def _read_name(data: bytes, pos: int, what: str) -> tuple[str, int]:
    if pos >= len(data):
        raise DecodeError(f"envelope truncated before the {what} name")
    size = data[pos]
    raw = bytes(data[pos + 1 : pos + 1 + size])
    if len(raw) != size or not _NAME.match(raw):
        raise DecodeError(f"envelope has a malformed {what} name {raw[:32]!r}")
    return raw.decode("ascii"), pos + 1 + size


def armor(data: bytes, kind: str = "base64") -> str:
    """Binary envelope -> payload string, in the armor ``kind`` (one of :data:`ARMORS`)."""
    if kind == "latin-1":
        return data.decode("latin-1")
    # pybase64 (SIMD) rather than binascii: 1 MiB in about 30 us instead of 1.7 ms.
    return ARMOR_PREFIX + pybase64.b64encode_as_string(data)


def armored_size(size: int, kind: str = "base64") -> int:
    """Characters of the payload string for a binary envelope of ``size`` bytes."""
    if kind == "latin-1":
        return size
    return 1 + 4 * ((size + 2) // 3)


def dearmor(text: str) -> bytes:
    """Payload string (starting with ``~`` or ``F``) -> binary envelope. Raises DecodeError."""
    if text[:1] == LATIN1_PREFIX:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise DecodeError(
                f"latin-1-armored payload has character {text[exc.start]!r} "
                f"(U+{ord(text[exc.start]):04X}) at offset {exc.start}: only U+0000 to U+00FF "
                "can stand for a byte"
            ) from None
    return b64decode(text[1:], "armored payload")


#: Below this many characters binascii's strict decoder is faster than pybase64's (whose
#: validation has a fixed cost of about 0.2 µs); above it pybase64's SIMD decoder wins.
_SHORT_BASE64 = 256


def b64decode_strict(text: str) -> bytes:
    """Strict standard base64 -> bytes, by whichever decoder is faster for ``text``'s length.
    Raises ``binascii.Error`` or ``ValueError``."""
    if len(text) <= _SHORT_BASE64:
        return binascii.a2b_base64(text, strict_mode=True)
    return pybase64.b64decode(text, validate=True)


def b64decode(text: str, what: str, path: str | None = None) -> bytes:
    """Strict standard base64 (alphabet, padding, nothing after it) -> bytes; DecodeError
    naming ``what`` (and ``path``) otherwise."""
    try:
        return b64decode_strict(text)
    except (binascii.Error, ValueError):
        pass
    try:  # the fast decoder refused: binascii's strict mode says precisely why
        binascii.a2b_base64(text, strict_mode=True)
        reason = "it is not canonical base64"
    except (binascii.Error, ValueError) as exc:
        reason = str(exc)
    raise DecodeError(f"{what} is not valid base64: {reason}", path=path)
