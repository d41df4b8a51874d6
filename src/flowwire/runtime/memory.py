"""The in-memory history store: the local engine's default (nothing survives the process)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from flowwire.history import Event
from flowwire.runtime.store import AttemptRecord, Batch, RunRecord

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~flowwire.runtime.store.HistoryStore` in dictionaries and lists.

    ``histories`` maps run ids to their event lists (read them, do not change them).
    """

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self.histories: dict[str, list[Event]] = {}
        self._times: dict[str, list[float]] = {}
        self._queue: deque[AttemptRecord] = deque()

    def commit(self, batch: Batch) -> None:
        for run in batch.runs:
            self._runs[run.run_id] = run
            self.histories[run.run_id] = []
            self._times[run.run_id] = []
        histories, times = self.histories, self._times
        for run_id, event, at in batch.events:
            histories[run_id].append(event)
            times[run_id].append(at)
        self._queue.extend(batch.attempts)
        # attempts, timers and closed runs are the kernel's own records: nothing to copy

    def history(self, run_id: str) -> Sequence[Event]:
        return self.histories[run_id]

    def times(self, run_id: str) -> Sequence[float]:
        return self._times[run_id]

    def run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def runs(self, *, status: str | None = None) -> list[RunRecord]:
        return [r for r in self._runs.values() if status is None or r.status == status]

    def claim_attempts(self, limit: int) -> list[AttemptRecord]:
        queue = self._queue
        claimed: list[AttemptRecord] = []
        while queue and len(claimed) < limit:
            attempt = queue.popleft()
            if not attempt.closed:  # a queued attempt may have timed out (schedule-to-start)
                claimed.append(attempt)
        return claimed

    def close(self) -> None:
        self._queue.clear()
