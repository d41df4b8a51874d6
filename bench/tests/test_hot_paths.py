"""pytest-benchmark regression tests for the hot paths (outside the default test run).

Run from the repository root (``bench/tests/conftest.py`` puts ``bench/`` on ``sys.path``)::

    python -m pytest bench/tests --benchmark-only                      # measure
    python -m pytest bench/tests --benchmark-autosave                  # keep a baseline
    python -m pytest bench/tests --benchmark-compare --benchmark-compare-fail=median:25%

Every test also checks the value it round-trips, so a fast but wrong path fails. Thresholds
belong to ``--benchmark-compare-fail`` against a baseline saved on the same machine, never to
assertions here.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowwire.benchmark.payloads import builtin_payloads
from flowwire.transport import builtin_codecs, get_transport

pytest.importorskip("pytest_benchmark")

PAYLOADS = {p.name: p for p in builtin_payloads(["tiny", "record", "batch", "bytes_1mib"])}
TRANSPORTS = builtin_codecs()


def _transport(name: str, **options: Any) -> Any:
    return get_transport(name, max_payload_chars=None, **options)


@pytest.mark.parametrize("name", TRANSPORTS)
def test_result_round_trip_record(benchmark: Any, name: str) -> None:
    transport = _transport(name)
    record = PAYLOADS["record"].value

    def round_trip() -> Any:
        return transport.deserialize_result(transport.serialize_result(record))

    assert benchmark(round_trip) == record


@pytest.mark.parametrize("name", TRANSPORTS)
def test_arguments_round_trip_tiny_call(benchmark: Any, name: str) -> None:
    transport = _transport(name)

    def round_trip() -> Any:
        return transport.deserialize_arguments(
            transport.serialize_arguments(("hello", 42), {"flag": True})
        )

    assert benchmark(round_trip) == (("hello", 42), {"flag": True})


@pytest.mark.parametrize("name", ["json", "msgpack"])
def test_result_round_trip_batch(benchmark: Any, name: str) -> None:
    transport = _transport(name)
    batch = PAYLOADS["batch"].value

    def round_trip() -> Any:
        return transport.deserialize_result(transport.serialize_result(batch))

    assert benchmark(round_trip) == batch


@pytest.mark.parametrize("name", builtin_codecs(text=False))
def test_result_round_trip_1mib_bytes(benchmark: Any, name: str) -> None:
    transport = _transport(name)
    blob = PAYLOADS["bytes_1mib"].value

    def round_trip() -> Any:
        return transport.deserialize_result(transport.serialize_result(blob))

    assert benchmark(round_trip) == blob


def test_zstd_batch_round_trip(benchmark: Any) -> None:
    pytest.importorskip("zstandard")
    from flowwire.transport.stages import Zstd

    transport = _transport("msgpack", stages=[Zstd()])
    batch = PAYLOADS["batch"].value
    assert transport.serialize_result(batch).startswith("~")

    def round_trip() -> Any:
        return transport.deserialize_result(transport.serialize_result(batch))

    assert benchmark(round_trip) == batch


def test_full_replay_decision_100_completed(benchmark: Any) -> None:
    from engine_tasks import Sequential
    from local_engine import sequential_history

    from flowwire.decision import ScheduleActivity
    from flowwire.replay import forget, replay

    events = sequential_history(100)
    try:
        decisions = benchmark(replay, Sequential, events, run_id="bench-hot-path-replay")
    finally:
        forget("bench-hot-path-replay")
    assert [type(d) for d in decisions] == [ScheduleActivity]


def test_local_engine_fan_out_100(benchmark: Any) -> None:
    from engine_tasks import FanOut

    from flowwire.engines.local import LocalEngine

    result = benchmark.pedantic(lambda: LocalEngine().run(FanOut, 100), rounds=5, iterations=1)
    assert result == sum(range(1, 101))
