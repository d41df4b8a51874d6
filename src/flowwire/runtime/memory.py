"""The in-memory history store: the local engine's default (nothing survives the process)."""

from __future__ import annotations

from collections.abc import Sequence

from flowwire.history import Event
from flowwire.runtime.store import Batch, RunRecord

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~flowwire.runtime.store.HistoryStore` in dictionaries and lists.

    ``histories`` maps run ids to their event lists (read them, do not change them).
    """

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self.histories: dict[str, list[Event]] = {}
        self._times: dict[str, list[float]] = {}

    def commit(self, batch: Batch) -> None:
        histories, times = self.histories, self._times
        if batch.runs:
            for run in batch.runs:
                self._runs[run.run_id] = run
                histories[run.run_id] = []
                times[run.run_id] = []
        for run_id, event, at in batch.events:
            histories[run_id].append(event)
            times[run_id].append(at)
        # attempts, timers and closed runs are the kernel's own records: nothing to copy

    def history(self, run_id: str) -> Sequence[Event]:
        return self.histories[run_id]

    def times(self, run_id: str) -> Sequence[float]:
        return self._times[run_id]

    def run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def runs(self, *, status: str | None = None) -> list[RunRecord]:
        return [r for r in self._runs.values() if status is None or r.status == status]

    def close(self) -> None:
        pass
