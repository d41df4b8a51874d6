"""The fuzz harness, long mode: ``pytest tests/fuzz --long`` (skipped otherwise).

Runs the short mode's loop (``_runner.run``) over ``--long-inputs`` inputs per target, in
chunks spread over ``--long-jobs`` worker processes, for at most ``--long-minutes``. Progress
is saved in pytest's cache after every chunk, so an interrupted or time-boxed run resumes
where it stopped (``--long-fresh`` starts again at input 0); ``--long-report FILE`` writes the
counts per target as JSON, the figures quoted in docs/security.md. Findings fail the test,
listed with the index that reproduces each one (``_runner.replay``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import pytest

from . import _targets
from ._known import judge
from ._runner import Counts, run
from ._targets import target_names

CHUNK = 2_000
CACHE_KEY = "flowwire/fuzz-long"


def _init() -> None:
    os.nice(10)
    _targets._TARGETS.clear()  # this process's own stores and corpus
    _targets.targets()


def _work(name: str, start: int, count: int) -> tuple[str, int, dict[str, Any]]:
    return name, start, run(_targets.by_name(name), start, count).as_dict()


def test_long_fuzz_run(request: pytest.FixtureRequest) -> None:
    config = request.config
    if not config.getoption("--long"):
        pytest.skip("the long fuzz mode runs with --long")
    goal = config.getoption("--long-inputs")
    minutes = config.getoption("--long-minutes")
    jobs = max(1, config.getoption("--long-jobs"))
    cache = config.cache
    assert cache is not None, "the long mode saves its progress in pytest's cache"
    state: dict[str, Any] = {} if config.getoption("--long-fresh") else cache.get(CACHE_KEY, {})
    if state.get("chunk") != CHUNK:
        state = {"chunk": CHUNK, "targets": {}}
    todo: list[tuple[str, int]] = []
    for name in target_names():
        entry = state["targets"].setdefault(name, {"done": [], "counts": Counts().as_dict()})
        done = set(entry["done"])
        todo += [(name, s) for s in range(0, goal, CHUNK) if s not in done]
    todo.sort(key=lambda item: (item[1], item[0]))  # every target advances together
    deadline = time.monotonic() + minutes * 60 if minutes > 0 else float("inf")
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init) as pool:
        running: set[Future[tuple[str, int, dict[str, Any]]]] = set()
        while todo or running:
            while todo and len(running) < 2 * jobs and time.monotonic() < deadline:
                name, start = todo.pop(0)
                running.add(pool.submit(_work, name, start, min(CHUNK, goal - start)))
            if not running:
                break
            finished, running = wait(running, timeout=30, return_when=FIRST_COMPLETED)
            for future in finished:
                name, start, counts = future.result()
                entry = state["targets"][name]
                merged = Counts.from_dict(entry["counts"])
                merged.add(Counts.from_dict(counts))
                entry["counts"] = merged.as_dict()
                entry["done"].append(start)
            if finished:
                cache.set(CACHE_KEY, state)
            if time.monotonic() >= deadline:
                todo.clear()  # let the running chunks finish; the rest waits for a resume
    elapsed = time.monotonic() - started
    report = _report(state, elapsed)
    path = config.getoption("--long-report")
    if path:
        Path(path).write_text(json.dumps(report, indent=2) + "\n")
    print(_table(report))
    findings = [
        f for e in state["targets"].values() for f in Counts.from_dict(e["counts"]).findings
    ]
    judge(findings, shown=30)


def _report(state: dict[str, Any], elapsed: float) -> dict[str, Any]:
    rows = {}
    for name, entry in state["targets"].items():
        counts = Counts.from_dict(entry["counts"])
        rows[name] = {
            "inputs": counts.inputs,
            "calls": counts.calls,
            "decode_errors": counts.outcomes.get("DecodeError", 0),
            "values": counts.outcomes.get("value", 0),
            "crashes": counts.outcomes.get("crash", 0),
            "findings": len(counts.findings),
            "traced_calls": counts.traced,
            "peak_traced_bytes": counts.peak,
            "slowest_call_seconds": round(counts.slowest, 4),
            "depths": dict(counts.depths),
        }
    total = sum(r["inputs"] for r in rows.values())
    return {"this_run_seconds": round(elapsed, 1), "total_inputs": total, "targets": rows}


def _table(report: dict[str, Any]) -> str:
    lines = [f"{'target':36} {'inputs':>10} {'calls':>10} {'findings':>8} {'slowest s':>9}"]
    for name, row in report["targets"].items():
        lines.append(
            f"{name:36} {row['inputs']:>10,} {row['calls']:>10,} {row['findings']:>8} "
            f"{row['slowest_call_seconds']:>9.4f}"
        )
    lines.append(f"total inputs {report['total_inputs']:,}")
    return "\n".join(lines)
