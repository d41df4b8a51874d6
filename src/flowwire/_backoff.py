"""How long an engine waits before it tries a store that was unavailable again.

One rule for every engine (local kernel, SWF decider, activity workers), so that the docs can
state it once: the ``n``-th consecutive failure waits ``min(CAP, FIRST * 2 ** (n - 1))``
seconds, no jitter (a workflow engine's retries are already spread by its runs).

Writes have a budget, kept by the offload stage itself (``Offload(write_wait=WRITE_WAIT)``):
while it lasts a failed write raises :class:`~flowwire.StoreWriteUnavailable` and the caller
tries again (:func:`retry_writes` where the caller may block, a new decision where it may
not); once it is spent the stage raises :class:`~flowwire.StoreWriteFailed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from flowwire.errors import StoreWriteUnavailable

__all__ = ["CAP", "FIRST", "WRITE_WAIT", "outage_delay", "retry_writes"]

FIRST = 0.1
"""Seconds before the first retry."""

CAP = 10.0
"""The longest wait between two retries, in seconds."""

WRITE_WAIT = 60.0
"""Seconds an offload write keeps being retried after its first failure (the default of
``Offload(write_wait=...)``)."""

_T = TypeVar("_T")

log = logging.getLogger("flowwire.store")


def outage_delay(failures: int, *, first: float = FIRST, cap: float = CAP) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1 for the first)."""
    if failures < 1:
        return 0.0
    return min(cap, first * 2.0 ** min(failures - 1, 60))


def retry_writes(
    write: Callable[[], _T],
    *,
    keep_going: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    failed: StoreWriteUnavailable | None = None,
) -> _T:
    """Return ``write()``, calling it again with backoff while it raises
    :class:`~flowwire.StoreWriteUnavailable` (a store outage while offloading).

    ``failed``: what the caller's own first ``write()`` raised; the retries start with the
    wait after it (a hot path calls ``write`` directly and comes here only on an outage).

    The offload stage ends the retries: past its ``write_wait`` it raises
    :class:`~flowwire.StoreWriteFailed`, which propagates, as does any other exception.
    ``keep_going()`` is asked before each wait (an activity heartbeats there); ``False``
    re-raises the outage at once. Each wait is logged (logger ``flowwire.store``, warning).
    """
    failures = 0
    while True:
        if failed is None:
            try:
                return write()
            except StoreWriteUnavailable as exc:
                failed = exc
        outage, failed = failed, None
        failures += 1
        if keep_going is not None and not keep_going():
            raise outage
        delay = outage_delay(failures)
        log.warning(
            "store %r is unavailable, writing again in %.1f s (outage %d): %s",
            outage.store,
            delay,
            failures,
            outage,
        )
        sleep(delay)
