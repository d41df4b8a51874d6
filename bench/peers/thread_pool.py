"""A bare ``ThreadPoolExecutor`` doing the engine benchmark's work, with nothing durable or
replayed: the floor the local engine's thread pool adds its bookkeeping to."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

NAME = "thread pool"
LIBRARY = "python"


def _increment(x: int) -> int:
    return x + 1


def fan_out(n: int) -> int:
    """``n`` increments submitted at once, then summed (the engine's fan-out workflow)."""
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(_increment, i) for i in range(n)]
        return sum(f.result() for f in futures)


def sequential(n: int) -> int:
    """``n`` increments, each waiting for the last (the engine's sequential workflow)."""
    with ThreadPoolExecutor() as pool:
        x = 0
        for _ in range(n):
            x = pool.submit(_increment, x).result()
        return x
