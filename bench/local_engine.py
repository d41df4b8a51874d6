"""Engine benchmarks on the local engine: fan-out throughput, replay cost, sequential scaling.

* **fan-out**: one workflow schedules ``n`` trivial activities at once and sums them; reported
  as activities per second (the whole run: decisions, payloads, thread pool).
* **replay cost**: one full-replay decision (what a stateless SWF decider does per decision
  task) of a sequential workflow whose history holds 10, 100 and 1,000 completed tasks, with
  the decoded-result cache cold (a new process: every result decoded) and warm.
* **sequential**: a 100-step and a 1,000-step sequential workflow end to end, live (the local
  engine's default) and, in a full run, with ``live=False`` (a full replay at every decision);
  the ratio of the two is the target (<= 15x for 10x the steps).

Every figure is the median of interleaved repetitions. The comparisons with a bare thread pool
and flowy 0.4.1 are ``engine_bench.py``'s; this module measures flowwire alone.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine_tasks import FanOut, Sequential

from flowwire.benchmark.plot import pyplot
from flowwire.benchmark.report import fmt_time, need
from flowwire.engines.local import LocalEngine
from flowwire.history import Event, TaskCompleted, TaskScheduled, WorkflowStarted
from flowwire.replay import forget, replay
from flowwire.transport import get_transport

__all__ = ["plot_replay", "render_engine", "run_engine_bench", "sequential_history", "time_run"]

REPLAY_SIZES = (10, 100, 1000)


def sequential_history(completed: int, transport_name: str = "json") -> list[Event]:
    """The history of :class:`Sequential` (``n = completed + 1``) after ``completed`` tasks
    finished, with payloads made by the named transport."""
    transport = get_transport(transport_name)
    events: list[Event] = [WorkflowStarted(transport.serialize_arguments([completed + 1], {}))]
    for i in range(completed):
        key = f"increment-{i}-0"
        events.append(TaskScheduled(key, "flowwire-bench-increment", "1"))
        events.append(TaskCompleted(key, transport.serialize_result(i + 1)))
    return events


def time_run(func: Callable[[], Any]) -> float:
    """Seconds one call of ``func`` takes."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _median_interleaved(jobs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            samples[name].append(time_run(job))
    return {name: statistics.median(values) for name, values in samples.items()}


def _replay_point(completed: int, repeats: int) -> dict[str, Any]:
    events = sequential_history(completed)
    run_id = f"flowwire-bench-replay-{completed}"

    def cold() -> None:
        forget(run_id)
        replay(Sequential, events, run_id=run_id)

    def warm() -> None:
        replay(Sequential, events, run_id=run_id)

    decisions = replay(Sequential, events, run_id=run_id)
    assert len(decisions) == 1, decisions  # schedules exactly the next step
    times = _median_interleaved({"cold": cold, "warm": warm}, repeats)
    forget(run_id)
    return {
        "completed_tasks": completed,
        "history_events": len(events),
        "decision_s": times["warm"],
        "cold_decision_s": times["cold"],
    }


def run_engine_bench(quick: bool = False) -> dict[str, Any]:
    """Measure the local engine; returns JSON-ready figures (seconds, per second, ratios)."""
    repeats = 3 if quick else 7
    fan_n = 200 if quick else 1000

    fan = _median_interleaved({"fan": lambda: LocalEngine().run(FanOut, fan_n)}, repeats)["fan"]
    replay_series = [
        _replay_point(n, repeats if n < 1000 else max(3, repeats // 2)) for n in REPLAY_SIZES
    ]

    jobs: dict[str, Callable[[], Any]] = {
        "live_100": lambda: LocalEngine().run(Sequential, 100),
        "live_1000": lambda: LocalEngine().run(Sequential, 1000),
    }
    if not quick:
        jobs["replay_100"] = lambda: LocalEngine(live=False).run(Sequential, 100)
        jobs["replay_1000"] = lambda: LocalEngine(live=False).run(Sequential, 1000)
    seq = _median_interleaved(jobs, 1 if quick else 3)
    sequential: dict[str, Any] = {
        "live": {
            "steps_100_s": seq["live_100"],
            "steps_1000_s": seq["live_1000"],
            "ratio": seq["live_1000"] / seq["live_100"],
        }
    }
    if "replay_100" in seq:
        sequential["full_replay"] = {
            "steps_100_s": seq["replay_100"],
            "steps_1000_s": seq["replay_1000"],
            "ratio": seq["replay_1000"] / seq["replay_100"],
        }
    by_n = {p["completed_tasks"]: p for p in replay_series}
    return {
        "fan_out": {"activities": fan_n, "seconds": fan, "activities_per_s": fan_n / fan},
        "replay": replay_series,
        "replay_ratio_1000_vs_100": by_n[1000]["decision_s"] / by_n[100]["decision_s"],
        "sequential": sequential,
        "repeats": repeats,
        "peers": {},
    }


def render_engine(console: Any, engine: dict[str, Any]) -> None:
    """Print the engine figures as a rich table."""
    table = need("rich.table").Table(title="local engine", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    fan = engine["fan_out"]
    table.add_row(
        f"fan-out of {fan['activities']:,} trivial activities",
        f"{fan['activities_per_s']:,.0f} activities/s ({fan['seconds']:.3f} s)",
    )
    for point in engine["replay"]:
        table.add_row(
            f"one full-replay decision, {point['completed_tasks']:,} completed tasks",
            f"{fmt_time(point['decision_s'])} warm, {fmt_time(point['cold_decision_s'])} cold",
        )
    table.add_row(
        "replay cost 1,000 vs 100 completed tasks", f"{engine['replay_ratio_1000_vs_100']:.1f}x"
    )
    for mode, figures in engine["sequential"].items():
        table.add_row(
            f"sequential 1,000 vs 100 steps ({mode.replace('_', ' ')})",
            f"{figures['ratio']:.1f}x ({figures['steps_1000_s']:.3f} s vs "
            f"{figures['steps_100_s']:.3f} s)",
        )
    for name, peer in engine.get("peers", {}).items():
        table.add_row(name, peer["summary"])
    swf = engine.get("swf") or {}
    if "skipped" in swf:
        table.add_row("SWF over moto", f"skipped: {swf['skipped']}")
    for run in swf.get("runs", []):
        ok = "" if run["result_ok"] else " (WRONG RESULT)"
        table.add_row(
            f"SWF over moto, {run['transport']}: {run['workflow']} of {run['steps']}",
            f"{run['seconds']:.2f} s{ok}",
        )
    console.print(table)


def plot_replay(engine: dict[str, Any], out_dir: str | Path) -> Path | None:
    """``replay-cost.png``: milliseconds per decision against the number of completed tasks in
    the history (log-log), from :func:`run_engine_bench`'s ``replay`` series; ``None`` if
    absent."""
    series = engine.get("replay") or []
    if not series:
        return None
    plt = pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [point["completed_tasks"] for point in series]
    ys = [point["decision_s"] * 1e3 for point in series]
    ax.plot(xs, ys, marker="o", label="full-replay decision, results cached (warm)")
    cold = [point["cold_decision_s"] * 1e3 for point in series]
    ax.plot(xs, cold, marker="s", label="full-replay decision, every result decoded (cold)")
    linear = [ys[0] * x / xs[0] for x in xs]
    ax.plot(xs, linear, linestyle="--", color="#999999", label="linear from the first point")
    ax.plot(
        xs,
        [ys[0] * (x / xs[0]) ** 2 for x in xs],
        linestyle=":",
        color="#cc6666",
        label="quadratic from the first point",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("completed tasks in the history")
    ax.set_ylabel("ms per decision (replay)")
    ax.set_title("Replay cost against history length")
    ax.grid(which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = out / "replay-cost.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
