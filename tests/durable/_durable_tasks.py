"""Task classes of the durable engine tests (module level: subprocesses import them by name).

Activities leave marker files in ``$FLOWWIRE_TEST_DIR`` so a test can see, across processes,
which attempts ran where: ``ran-TAG-N`` (the N-th run of a step, holding the pid), and they
wait while ``hold-TAG`` exists (so a test can kill the process while they run).
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Any

from flowwire import (
    Activity,
    ActivityProxy,
    Cancelled,
    Workflow,
    WorkflowProxy,
    activity,
    restart,
    wait,
)
from flowwire import workflow as workflow_type


def _dir() -> Path:
    return Path(os.environ["FLOWWIRE_TEST_DIR"])


def _mark(tag: str) -> None:
    runs = len(list(_dir().glob(f"ran-{tag}-*")))
    (_dir() / f"ran-{tag}-{runs}").write_text(str(os.getpid()))


@activity("tests.durable.step", "1", "tl-durable", start_to_close=60)
class Step(Activity):
    """``x + 1``; marks ``ran-TAG-N``, then waits while ``hold-TAG`` exists."""

    def run(self, x: int, tag: str) -> int:
        _mark(tag)
        while (_dir() / f"hold-{tag}").exists():
            time.sleep(0.02)
        return x + 1


@activity("tests.durable.add", "1", "tl-durable")
class Add(Activity):
    def run(self, x: int, y: int) -> int:
        return x + y


@workflow_type("tests.durable.chain", "1", "tl-durable")
class Chain(Workflow):
    """``n`` marked steps one after the other (tags ``PREFIXs0``, ``PREFIXs1``, ...);
    returns ``n``."""

    step = ActivityProxy(Step)

    def run(self, n: int, prefix: str = "") -> int:
        x = 0
        for i in range(n):
            x = wait(self.step(x, f"{prefix}s{i}"))
        return x


@workflow_type("tests.durable.ponder", "1", "tl-durable")
class Ponder(Workflow):
    """Like :class:`Chain`, but its decision after step ``at`` marks ``deciding-N`` and then
    waits while ``hold-decision`` exists: a decision in progress, to be killed."""

    step = ActivityProxy(Step)

    def run(self, n: int, at: int) -> int:
        x = 0
        for i in range(n):
            x = wait(self.step(x, f"p{i}"))
            if i == at:
                count = len(list(_dir().glob("deciding-*")))
                (_dir() / f"deciding-{count}").write_text(str(os.getpid()))
                while (_dir() / "hold-decision").exists():
                    time.sleep(0.02)
        return x


@activity("tests.durable.bulky", "1", "tl-durable")
class Bulky(Activity):
    def run(self, i: int, blob: str) -> int:
        return i + len(blob)


@workflow_type("tests.durable.fan", "1", "tl-durable")
class Fan(Workflow):
    """``n`` activities with ``size``-character inputs scheduled in one decision (one large
    commit), then summed."""

    bulky = ActivityProxy(Bulky)

    def run(self, n: int, size: int) -> int:
        blob = "x" * size
        results = [self.bulky(i, blob) for i in range(n)]
        return sum(wait(r) for r in results)


@workflow_type("tests.durable.then_fan", "1", "tl-durable")
class ThenFan(Workflow):
    """``k`` marked steps (small commits), then :class:`Fan`'s one large commit."""

    step = ActivityProxy(Step)
    bulky = ActivityProxy(Bulky)

    def run(self, k: int, n: int, size: int) -> int:
        x = 0
        for i in range(k):
            x = wait(self.step(x, f"t{i}"))
        blob = "x" * size
        results = [self.bulky(i, blob) for i in range(n)]
        return x + sum(wait(r) for r in results)


@activity("tests.durable.late", "1", "tl-durable", start_to_close=1)
class Late(Activity):
    """Its first attempt outlives its start-to-close timeout; later ones return at once."""

    def run(self, x: int) -> int:
        _mark("late")
        if len(list(_dir().glob("ran-late-*"))) == 1:
            time.sleep(1.5)
        return x * 2


@workflow_type("tests.durable.delayed", "1", "tl-durable")
class Delayed(Workflow):
    """One call whose first attempt times out; the retry waits for a ``delay`` timer."""

    late = ActivityProxy(Late, retry=1, delay=1)

    def run(self, x: int) -> int:
        return wait(self.late(x))


@workflow_type("tests.durable.long_delayed", "1", "tl-durable")
class LongDelayed(Workflow):
    """:class:`Delayed` with a 60 s delay timer: a test that resumes it after its timer was
    due sees it fire long before a timer started again would."""

    late = ActivityProxy(Late, retry=1, delay=60)

    def run(self, x: int) -> int:
        return wait(self.late(x))


@workflow_type("tests.durable.child", "1", "tl-durable")
class Child(Workflow):
    step = ActivityProxy(Step)

    def run(self, tag: str) -> int:
        return wait(self.step(10, tag))


@workflow_type("tests.durable.parent", "1", "tl-durable")
class Parent(Workflow):
    child = WorkflowProxy(Child)
    add = ActivityProxy(Add)

    def run(self) -> int:
        return wait(self.add(wait(self.child("kid")), 100))


@workflow_type("tests.durable.countdown", "1", "tl-durable")
class Countdown(Workflow):
    """Continues as new ``n`` times; returns how many runs it took."""

    add = ActivityProxy(Add)

    def run(self, n: int, runs: int = 1) -> Any:
        if n == 0:
            return runs
        return restart(wait(self.add(n, -1)), runs=runs + 1)


# The zstd stage needs its extra: without it these two are not defined, and the test that
# uses them skips (needs("zstd")). No tests/_extras here: worker processes import this module.
def _has(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except ImportError:
        return False


if _has("zstandard"):

    @activity("tests.durable.squeeze", "1", "tl-durable", transport="json+zstd")
    class Squeeze(Activity):
        def run(self, text: str) -> str:
            return text.upper()

    @workflow_type("tests.durable.staged", "1", "tl-durable", transport="msgpack+zstd")
    class Staged(Workflow):
        squeeze = ActivityProxy(Squeeze)

        def run(self, text: str) -> str:
            return wait(self.squeeze(text))


@workflow_type("tests.durable.cancellable", "1", "tl-durable")
class Cancellable(Workflow):
    """A marked step (tag ``tag``); cancelled, a clean-up step (tag ``clean``), then it closes
    as cancelled."""

    step = ActivityProxy(Step)

    def run(self, tag: str) -> int:
        try:
            return wait(self.step(0, tag))
        except Cancelled:
            wait(self.step(100, "clean"))
            raise
