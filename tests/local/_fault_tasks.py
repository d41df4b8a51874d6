"""Task classes of the fault tests: they tell the test which process runs them (by pid, in
files under ``$FLOWWIRE_TEST_DIR``) and wait for the test to act."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flowwire import Activity, ActivityProxy, Workflow, activity, workflow


def _mark(name: str) -> Path:
    return Path(os.environ["FLOWWIRE_TEST_DIR"]) / name


@activity("tests.fault.stall_first", "1", "tl-fault", start_to_close=60)
class StallFirst(Activity):
    """Writes its pid; the first attempt then waits (to be killed), later ones return."""

    def run(self, x: int) -> int:
        attempt = len(list(Path(os.environ["FLOWWIRE_TEST_DIR"]).glob("attempt-*")))
        _mark(f"attempt-{attempt}").write_text(str(os.getpid()))
        if attempt == 0:
            time.sleep(60)
        return x + 1


@workflow("tests.fault.survives", "1", "tl-fault")
class Survives(Workflow):
    step = ActivityProxy(StallFirst, retry=2)

    def run(self, x: int) -> int:
        return self.step(x) * 10


@activity("tests.fault.forever", "1", "tl-fault", start_to_close=600)
class Forever(Activity):
    """Writes its pid, then waits longer than any test."""

    def run(self) -> None:
        _mark(f"running-{os.getpid()}").write_text(str(os.getpid()))
        time.sleep(600)


@workflow("tests.fault.interrupted", "1", "tl-fault")
class Interrupted(Workflow):
    forever = ActivityProxy(Forever)

    def run(self) -> None:
        return self.forever()  # waits for it
