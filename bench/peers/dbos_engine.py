"""DBOS Transact on SQLite doing the durable benchmark's work, one round per process.

``python bench/peers/dbos_engine.py FILE sequential|fan-out N`` launches DBOS on a fresh SQLite
file, runs the workflow once and prints ``{"seconds": ...}`` for the workflow alone (launch and
shutdown are not timed). Sequential: ``N`` steps, each waiting for the previous one. Fan-out:
``N`` workflows of one step each, enqueued on a DBOS queue and summed (DBOS steps cannot run
concurrently inside one workflow; queued workflows are its way to fan out). The queue is
polled every 0.1 s (the default is 1 s), which favours DBOS. DBOS keeps its own defaults
otherwise (SQLite's rollback journal, ``synchronous=FULL``; step outputs pickled).

Run by ``bench/durable_bench.py`` (one subprocess per round) only when ``dbos`` is installed
(``pip install dbos==3.4.0``); DBOS is never a dependency of flowwire.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def main() -> None:
    from dbos import DBOS

    path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    DBOS(
        config={
            "name": "flowwire-bench",
            "system_database_url": f"sqlite:///{path}",
            "run_admin_server": False,
        }
    )

    @DBOS.step()
    def increment(x: int) -> int:
        return x + 1

    @DBOS.workflow()
    def sequential(n: int) -> int:
        x = 0
        for _ in range(n):
            x = increment(x)
        return x

    @DBOS.workflow()
    def one(x: int) -> int:
        return increment(x)

    queue: Any = None

    @DBOS.workflow()
    def fan_out(n: int) -> int:
        handles = [queue.enqueue(one, i) for i in range(n)]
        return sum(h.get_result() for h in handles)

    DBOS.launch()
    queue = DBOS.register_queue("flowwire-bench", polling_interval_sec=0.1)
    start = time.perf_counter()
    result = sequential(n) if mode == "sequential" else fan_out(n)
    seconds = time.perf_counter() - start
    expected = n if mode == "sequential" else n * (n + 1) // 2
    assert result == expected, (result, expected)
    DBOS.destroy()
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
