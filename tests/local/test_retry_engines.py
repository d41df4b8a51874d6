"""The retry policy of examples/retry_policy.py on the in-memory and the durable local engine:
the delays between attempts are read from the timers the history recorded (their durations),
never from the clock; a non-retryable decline runs once and its code reaches the workflow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from flowwire import LocalEngine
from flowwire.history import TaskFailed, TaskScheduled
from flowwire.runtime.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.retry_policy import Charge, Checkout, delays  # noqa: E402


def run(engine_name: str, tmp_path: Path, *args: Any) -> tuple[Any, list[Any]]:
    """Run Checkout(*args) on the named engine; its result and its history."""
    if engine_name == "memory":
        engine = LocalEngine([Charge])
        result = engine.run(Checkout, *args)
        (history,) = engine.histories.values()
        return result, history
    path = tmp_path / "flow.db"
    result = LocalEngine([Charge], db=path).execute(Checkout, args, workflow_id="retry-1")
    store = SQLiteStore(path, readonly=True)
    try:
        record = store.find("retry-1")
        assert record is not None
        return result, store.history(record.run_id)
    finally:
        store.close()


def attempt_keys(history: list[Any]) -> list[str]:
    return [e.key for e in history if isinstance(e, TaskScheduled)]


@pytest.mark.parametrize("engine_name", ["memory", "durable"])
def test_failures_are_retried_with_backoff_recorded_in_the_history(
    engine_name: str, tmp_path: Path
) -> None:
    card = f"flaky-{engine_name}"
    result, history = run(engine_name, tmp_path, card, 12)
    assert result == {"receipt": f"charged 12 to {card}"}
    assert attempt_keys(history) == ["charge-0-0", "charge-0-1", "charge-0-2"]
    assert delays(history) == [1, 2]  # initial_interval, then times backoff_coefficient
    failures = [e for e in history if isinstance(e, TaskFailed)]
    assert [f.reason for f in failures] == ["ConnectionError: payment service unavailable"] * 2


@pytest.mark.parametrize("engine_name", ["memory", "durable"])
def test_a_non_retryable_error_runs_once_and_brings_its_details(
    engine_name: str, tmp_path: Path
) -> None:
    result, history = run(engine_name, tmp_path, f"stolen-{engine_name}", 5)
    assert result == {"declined": "CardDeclined", "code": "stolen_card"}
    assert attempt_keys(history) == ["charge-0-0"]
    assert delays(history) == []
