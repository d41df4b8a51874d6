"""Task classes of the command-line tests (imported as ``_cli_tasks`` from tests/cli)."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from flowwire import Activity, ActivityProxy, Workflow, activity, workflow


@activity("cli.sleepy", "1", "cli", start_to_close=600)
class Sleepy(Activity):
    def run(self, seconds: float) -> float:
        print("sleepy: started", file=sys.stderr, flush=True)
        time.sleep(seconds)
        return seconds


@workflow("cli.slow", "1", "cli")
class Slow(Workflow):
    sleepy = ActivityProxy(Sleepy)

    def run(self, seconds: float = 60.0) -> float:
        return self.sleepy(seconds)


@workflow("cli.non_json", "1", "cli")
class NonJson(Workflow):
    def run(self) -> dict[str, Any]:
        return {
            "nan": float("nan"),
            "inf": float("-inf"),
            "raw": b"\x00\xff",
            "big": 2**70,
            "when": datetime(2026, 11, 27, 9, 30),
            "price": Decimal("9.90"),
            "pair": (1, 2),
        }
