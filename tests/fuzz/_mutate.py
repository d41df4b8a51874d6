"""Mutations of payload strings, at three depths.

* **text**: the payload string itself (characters of the armor: base64 edits, the prefix,
  whitespace, non-Latin characters, truncation), what a broken or hostile writer sends;
* **envelope**: the binary envelope under the armor (bit flips, interesting bytes, truncation,
  splices with another payload, edits of the header's fields: version, name lengths, stage
  count, parameter lengths), re-armored so that the mutation reaches the envelope parser and
  the stages;
* **inner**: the codec's bytes (or plain JSON text) under every stage, mutated and then sent
  through the transport's own stages again (compressed, encrypted with the test key,
  offloaded), so that the codec's decoder sees hostile bytes that passed authentication.

Every choice comes from a ``random.Random``; the same generator state gives the same
mutation, so any input is rebuilt from ``(target, index)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from flowwire.transport import envelope

_INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x20, 0x10, 0x40)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_ODD_TEXT = ("=", "==", "\n", " ", "\x00", "-", "_", "é", "\u2028", "\ud800", "~", "F", "{", "")


def bytes_mutation(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """One to four byte-level edits of ``data`` (``other``: a payload to splice with)."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 4))):
        op = rng.randrange(9)
        n = len(buf)
        if op == 0 and n:  # bit flip
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # interesting byte
            buf[rng.randrange(n)] = rng.choice(_INTERESTING)
        elif op == 2:  # truncation
            del buf[rng.randrange(n + 1) :]
        elif op == 3:  # splice: a prefix of this one, a suffix of another
            cut, cut2 = rng.randrange(n + 1), rng.randrange(len(other) + 1)
            buf = buf[:cut] + bytearray(other[cut2:])
        elif op == 4 and n:  # delete a chunk
            start = rng.randrange(n)
            del buf[start : start + rng.randrange(1, 17)]
        elif op == 5:  # insert random bytes
            pos = rng.randrange(n + 1)
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 6 and n:  # duplicate a chunk (repetition: recursion, big counts)
            start = rng.randrange(n)
            chunk = buf[start : start + rng.randrange(1, 33)]
            buf[start:start] = chunk * rng.randrange(1, 64)
        elif op == 7 and n >= 2:  # a big-endian 16-bit field set to an edge value
            pos = rng.randrange(n - 1)
            buf[pos : pos + 2] = rng.choice((0, 1, 0x7FFF, 0x8000, 0xFFFF)).to_bytes(2, "big")
        elif n >= 8:  # a 64-bit field (sizes, counts) set to an edge value
            pos = rng.randrange(n - 7)
            value = rng.choice((0, 2**31, 2**32 - 1, 2**63, 2**64 - 1))
            buf[pos : pos + 8] = value.to_bytes(8, "big")
    return bytes(buf)


def header_mutation(rng: random.Random, data: bytes) -> bytes:
    """Edit one field of the envelope header (parsed the way the format says)."""
    fields = _header_fields(data)
    if not fields:
        return bytes_mutation(rng, data, b"")
    pos, size = rng.choice(fields)
    buf = bytearray(data)
    if size == 1:
        buf[pos] = rng.choice((0, 1, 2, 15, 16, 17, 31, 32, 33, 0x7F, 0xFF, buf[pos] ^ 1))
    else:
        value = rng.choice(
            (0, 1, 2, 0xFF, 0x100, 0xFFFF, int.from_bytes(buf[pos : pos + 2], "big") + 1)
        )
        buf[pos : pos + 2] = (value & 0xFFFF).to_bytes(2, "big")
    return bytes(buf)


def _header_fields(data: bytes) -> list[tuple[int, int]]:
    """``(offset, size)`` of the version, name lengths, stage count and parameter lengths."""
    if len(data) < 5 or data[:2] != envelope.MAGIC:
        return []
    fields = [(2, 1), (3, 1)]
    pos = 4 + data[3]
    if pos >= len(data):
        return fields
    fields.append((pos, 1))
    count = data[pos]
    pos += 1
    for _ in range(min(count, envelope.MAX_STAGES)):
        if pos >= len(data):
            break
        fields.append((pos, 1))
        pos += 1 + data[pos]
        if pos + 2 > len(data):
            break
        fields.append((pos, 2))
        pos += 2 + int.from_bytes(data[pos : pos + 2], "big")
    return fields


def text_mutation(rng: random.Random, text: str, other: str) -> str:
    """One to three character-level edits of a payload string."""
    chars = list(text)
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.randrange(7)
        n = len(chars)
        if op == 0 and n:  # replace a character by a base64 one
            chars[rng.randrange(n)] = rng.choice(_B64)
        elif op == 1:  # insert an odd character
            chars.insert(rng.randrange(n + 1), rng.choice(_ODD_TEXT))
        elif op == 2:  # truncate
            del chars[rng.randrange(n + 1) :]
        elif op == 3 and n:  # delete a few
            start = rng.randrange(n)
            del chars[start : start + rng.randrange(1, 5)]
        elif op == 4 and n:  # swap the prefix (armor) character
            chars[0] = rng.choice(("~", "F", "{", "[", '"', "-", "0", "n", " ", "x"))
        elif op == 5:  # splice with another payload
            cut, cut2 = rng.randrange(n + 1), rng.randrange(len(other) + 1)
            chars = chars[:cut] + list(other[cut2:])
        elif n:  # repeat a chunk
            start = rng.randrange(n)
            chunk = chars[start : start + rng.randrange(1, 17)]
            chars[start:start] = chunk * rng.randrange(1, 32)
    return "".join(chars)


def mutate(
    rng: random.Random,
    payload: str,
    other: str,
    *,
    armor: str,
    inner: Callable[[str], bytes | str] | None,
    rewrap: Callable[[bytes | str], str] | None,
) -> tuple[str, str]:
    """A mutated payload and the name of the depth that made it (``text``, ``envelope``,
    ``header``, ``inner``). ``inner``/``rewrap`` open a valid payload down to the codec's
    bytes and wrap bytes through the transport's stages again (``None``: not available)."""
    depth = rng.randrange(8)
    if depth <= 1 or not payload or payload[0] not in ("~", "F"):
        if inner is not None and rewrap is not None and depth >= 5:
            return _inner(rng, payload, other, inner, rewrap), "inner"
        return text_mutation(rng, payload, other), "text"
    data = _dearmor(payload)
    if data is None:
        return text_mutation(rng, payload, other), "text"
    if depth >= 5 and inner is not None and rewrap is not None:
        return _inner(rng, payload, other, inner, rewrap), "inner"
    other_data = _dearmor(other) or b""
    if depth == 2:
        mutated = header_mutation(rng, data)
        kind = "header"
    else:
        mutated = bytes_mutation(rng, data, other_data)
        kind = "envelope"
    return envelope.armor(mutated, armor), kind


def _inner(
    rng: random.Random,
    payload: str,
    other: str,
    inner: Callable[[str], bytes | str],
    rewrap: Callable[[bytes | str], str],
) -> str:
    body = inner(payload)
    if isinstance(body, str):
        other_body = inner(other) if other[:1] not in ("~", "F") else ""
        text = text_mutation(rng, body, other_body if isinstance(other_body, str) else "")
        return rewrap(text)
    other_body = inner(other) if other[:1] in ("~", "F") else b""
    return rewrap(bytes_mutation(rng, body, other_body if isinstance(other_body, bytes) else b""))


def _dearmor(payload: str) -> bytes | None:
    try:
        return envelope.dearmor(payload)
    except Exception:
        return None
