"""Helpers shared by the stage tests (imported by name: tests/stages is on sys.path)."""

from __future__ import annotations

from collections.abc import Sequence

from flowwire.transport._protocols import Stage, StageContext
from flowwire.transport.envelope import armored_size

LIMIT = 32_768


def make_ctx(limit: int = LIMIT, what: str = "result of activity 'test'") -> StageContext:
    """A context like the transport's: final size = armored envelope with a small header."""
    return StageContext(limit=limit, armored_size=lambda n: armored_size(n + 64), what=what)


def encode_all(
    stages: Sequence[Stage], data: bytes, ctx: StageContext | None = None
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Apply ``stages`` in order as the transport does; return the body and the header list."""
    ctx = ctx or make_ctx()
    applied: list[tuple[str, bytes]] = []
    for stage in stages:
        result = stage.encode(data, ctx)
        if result is not None:
            data, params = result
            applied.append((stage.name, params))
    return data, applied


def decode_all(
    stages: Sequence[Stage],
    body: bytes,
    applied: Sequence[tuple[str, bytes]],
    ctx: StageContext | None = None,
) -> bytes:
    """Undo the recorded stages in reverse, finding each by name among ``stages``."""
    ctx = ctx or make_ctx()
    by_name = {s.name: s for s in stages}
    for name, params in reversed(applied):
        body = by_name[name].decode(body, params, ctx)
    return body


def encode_one(stage: Stage, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
    """``stage.encode`` that must apply (not skip)."""
    result = stage.encode(data, ctx)
    assert result is not None, f"stage {stage.name!r} skipped {len(data)} bytes"
    return result
