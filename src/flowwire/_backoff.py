"""How long an engine waits before it tries again to read from a store that was unavailable.

One rule for every engine (local kernel, SWF decider, activity workers), so that the docs can
state it once: the ``n``-th consecutive failure waits ``min(CAP, FIRST * 2 ** (n - 1))``
seconds, no jitter (a workflow engine's retries are already spread by its runs).
"""

from __future__ import annotations

__all__ = ["CAP", "FIRST", "outage_delay"]

FIRST = 0.1
"""Seconds before the first retry."""

CAP = 10.0
"""The longest wait between two retries, in seconds."""


def outage_delay(failures: int, *, first: float = FIRST, cap: float = CAP) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1 for the first)."""
    if failures < 1:
        return 0.0
    return min(cap, first * 2.0 ** min(failures - 1, 60))
