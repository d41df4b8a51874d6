"""The engine runtime: the kernel every local engine runs on, and its history stores.

* :mod:`.kernel`: events in, decisions out; timeouts, retries, the live-execution cache.
* :mod:`.store`: the history-store protocol and its records; :mod:`.memory`: the in-memory
  store (the local engine's default); :mod:`.sqlite`: the SQLite store of the durable local
  engine (:mod:`.sqlite_schema`, its schema; :mod:`.sqlite_inbox`, its inbox of signals and
  cancellation requests; :mod:`.owners`, who holds a run).
* :mod:`.workers`: worker threads and processes that run activity attempts.
"""

from __future__ import annotations

from flowwire.runtime.kernel import Kernel
from flowwire.runtime.memory import MemoryStore
from flowwire.runtime.store import (
    AttemptRecord,
    Batch,
    HistoryStore,
    InboxItem,
    Recovered,
    RunRecord,
    StoredEvent,
    TimerRecord,
)

__all__ = [
    "AttemptRecord",
    "Batch",
    "HistoryStore",
    "InboxItem",
    "Kernel",
    "MemoryStore",
    "Recovered",
    "RunRecord",
    "StoredEvent",
    "TimerRecord",
]
