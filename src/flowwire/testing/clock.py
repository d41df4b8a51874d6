"""A virtual clock for the in-memory engine: timers of days complete in milliseconds.

::

    clock = VirtualClock()
    engine = LocalEngine(clock=clock)
    clock.after(timedelta(hours=3), lambda: engine.signal("approval-1", "approval", True))
    assert engine.run(Approval, "order 17") == "approved"
    assert clock.elapsed == 3 * 3600

The engine reads the time from the clock. While anything can still happen (an activity runs or
waits for a worker, a decision is being made), the clock stands still; once nothing can, it
jumps to the next deadline (a timer, a timeout, a run's ``workflow_duration``) or to the next
action scheduled with :meth:`VirtualClock.after`, whichever comes first, and the engine goes on
from there. So a workflow that sleeps 30 days finishes as fast as its activities run, and
timeouts behave exactly as they would in real time, only without the waiting.

A virtual clock belongs to one engine at a time, and only the in-memory engine takes one
(``LocalEngine(db=..., clock=...)`` is refused: a file's deadlines are wall-clock times).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flowwire.waits import check_duration

__all__ = ["VirtualClock"]

_DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)


class VirtualClock:
    """Seconds since the epoch that move only when the engine (or the test) moves them.

    Args:
        start: the time the clock starts at (an aware ``datetime``, or seconds since the
            epoch); default 2030-01-01 00:00 UTC.

    Call the clock (``clock()``) for the time now, in seconds since the epoch, as
    ``time.time`` would give it.
    """

    def __init__(self, start: datetime | float = _DEFAULT_START) -> None:
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("VirtualClock(start=...) needs an aware datetime (a tzinfo)")
            start = start.timestamp()
        self._start = self._now = float(start)
        self._actions: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    @property
    def elapsed(self) -> float:
        """Seconds the clock moved since it started."""
        return self._now - self._start

    def now(self) -> datetime:
        """The time now, as an aware UTC ``datetime``."""
        return datetime.fromtimestamp(self._now, UTC)

    def after(self, duration: float | timedelta, action: Callable[[], None]) -> None:
        """Call ``action()`` once the clock reaches ``duration`` from now (seconds, or a
        ``timedelta``), for example to send a signal "three hours later". Actions due at the
        same time run in the order they were scheduled, on the thread that moves the clock.

        Raises:
            ConfigurationError: a negative, NaN or infinite duration.
        """
        seconds = check_duration(duration, "VirtualClock.after()")
        with self._lock:
            heapq.heappush(self._actions, (self._now + seconds, next(self._seq), action))

    def advance(self, duration: float | timedelta) -> None:
        """Move the clock forward by ``duration``, running the actions that fall due.

        Raises:
            ConfigurationError: a negative, NaN or infinite duration.
        """
        target = self._now + check_duration(duration, "VirtualClock.advance()")
        while self.jump_to(target) and self._now < target:
            pass
        self._now = max(self._now, target)

    def jump_to(self, at: float) -> bool:
        """(The engine's side.) Move to ``at``, or to the first scheduled action before it
        and run the actions due then; never backwards. Returns whether anything is due now
        (``False`` only when ``at`` is infinite and no action is scheduled)."""
        with self._lock:
            actions = self._actions
            if actions and actions[0][0] <= at:
                self._now = max(self._now, actions[0][0])
                due = []
                while actions and actions[0][0] <= self._now:
                    due.append(heapq.heappop(actions)[2])
            else:
                if at == float("inf"):
                    return False
                self._now = max(self._now, at)
                return True
        for action in due:
            action()
        return True

    def __repr__(self) -> str:
        return f"VirtualClock({self.now().isoformat()}, elapsed={self.elapsed:g}s)"
