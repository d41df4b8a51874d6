"""The engine section: the local engine, against a bare thread pool and flowy 0.4.1.

Prints local-engine fan-out (activities/s), the replay cost at 10 / 100 / 1,000 completed
tasks, the 1,000- vs 100-step sequential ratio (``local_engine.py``), the engine against a bare
``ThreadPoolExecutor`` doing the same work in the same run (fan-out rate at 1,000 and 10,000,
sequential cost per activity, growth, peak memory per pending activity;
``peers/thread_pool.py``), and the 500-step sequential workflow on flowwire's local engine
(live, and full replay at every decision) next to flowy 0.4.1's local engine in the same run
(interleaved, medians; ``peers/flowy_engine.py``, skipped with a note when flowy is missing).

Run by ``python bench/run.py --only engine`` (wall clock). ``python bench/engine_bench.py --cpu``
measures the engine against the pool in CPU time instead, as the issue's targets are stated:
every job runs in fresh subprocesses pinned to one core (``taskset -c 1``, when ``taskset`` is
there), each doing interleaved rounds of every job timed with ``time.process_time`` (all of the
process's threads), and the ratios are of the medians over all rounds of all subprocesses.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from engine_tasks import FanOut, Sequential
from local_engine import render_engine, run_engine_bench, time_run
from peers import flowy_engine, thread_pool
from summary_table import print_summaries

from flowwire.engines.local import LocalEngine

#: Steps of the sequential workflow flowy runs (quick: 100).
STEPS = 500


def compare_with_flowy(steps: int, repeats: int) -> dict[str, Any]:
    """flowwire's local engine (live and full replay) against flowy's, interleaved."""
    flowy = flowy_engine.load()
    if flowy is None:
        return {"flowy": {"summary": f"flowy 0.4.1 not installed: {flowy_engine.INSTALL}"}}
    jobs = {
        "flowwire live": lambda: LocalEngine().run(Sequential, steps),
        "flowwire full replay": lambda: LocalEngine(live=False).run(Sequential, steps),
        "flowy 0.4.1": flowy_engine.sequential(steps),
    }
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            samples[name].append(time_run(job))
    med = {name: statistics.median(v) for name, v in samples.items()}
    peers: dict[str, Any] = {}
    for mode in ("flowwire live", "flowwire full replay"):
        speedup = med["flowy 0.4.1"] / med[mode]
        peers[f"{steps}-step sequential: {mode} vs flowy 0.4.1"] = {
            "flowwire_s": med[mode],
            "flowy_s": med["flowy 0.4.1"],
            "speedup": speedup,
            "summary": f"{speedup:.1f}x faster ({med[mode]:.3f} s vs {med['flowy 0.4.1']:.3f} s)",
        }
    return peers


def _peak_bytes_per_pending(n: int) -> float:
    """Peak traced memory of a fan-out of ``n`` while every attempt is pending, per attempt:
    the workflow schedules ``n`` activities whose workers wait until all are scheduled."""
    import tracemalloc

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        LocalEngine(max_workers=1).run(FanOut, n)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / n


def compare_with_thread_pool(quick: bool, *, smoke: bool = False) -> dict[str, Any]:
    """The engine against a bare ``ThreadPoolExecutor`` doing the same work, interleaved in
    one run: fan-out throughput at 1,000 and 10,000 (target >= 50% of the pool's rate),
    sequential cost per activity (target <= 2x the pool's), growth, memory per pending
    activity. ``smoke``: tiny sizes and one round, for a test of the figures' shape."""
    sizes = (200, 1000) if quick else (1000, 10_000)
    steps = (100, 200) if quick else (100, 1000)
    repeats = 3 if quick else 9
    if smoke:
        sizes, steps, repeats = (20, 40), (10, 20), 1
    jobs: dict[str, Callable[[], Any]] = {}
    for n in sizes:
        jobs[f"pool fan-out {n}"] = functools.partial(thread_pool.fan_out, n)
        jobs[f"engine fan-out {n}"] = functools.partial(LocalEngine().run, FanOut, n)
    for n in steps:
        jobs[f"pool sequential {n}"] = functools.partial(thread_pool.sequential, n)
        jobs[f"engine sequential {n}"] = functools.partial(LocalEngine().run, Sequential, n)
    for job in jobs.values():  # warm up: imports, caches, thread creation paths
        job()
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            samples[name].append(time_run(job))
    med = {name: statistics.median(v) for name, v in samples.items()}
    figures: dict[str, Any] = {"repeats": repeats, "medians_s": med}
    for n in sizes:
        pool, engine = med[f"pool fan-out {n}"], med[f"engine fan-out {n}"]
        figures[f"fan-out {n}"] = {
            "engine_per_s": n / engine,
            "pool_per_s": n / pool,
            "ratio": pool / engine,
            "summary": f"{pool / engine:.0%} of the pool's rate ({n / engine:,.0f}/s vs "
            f"{n / pool:,.0f}/s; target >= 50%)",
        }
    small, large = steps
    pool_each = med[f"pool sequential {large}"] / large
    engine_each = med[f"engine sequential {large}"] / large
    figures[f"sequential {large}"] = {
        "engine_per_activity_s": engine_each,
        "pool_per_activity_s": pool_each,
        "ratio": engine_each / pool_each,
        "summary": f"{engine_each / pool_each:.2f}x the pool per activity "
        f"({engine_each * 1e6:.0f} us vs {pool_each * 1e6:.0f} us; target <= 2x)",
    }
    growth_seq = med[f"engine sequential {large}"] / med[f"engine sequential {small}"]
    growth_fan = med[f"engine fan-out {sizes[1]}"] / med[f"engine fan-out {sizes[0]}"]
    figures["growth"] = {
        "sequential": growth_seq,
        "fan_out": growth_fan,
        "summary": f"sequential {large:,} vs {small:,} steps {growth_seq:.1f}x, fan-out "
        f"{sizes[1]:,} vs {sizes[0]:,} {growth_fan:.1f}x (linear: "
        f"{large / small:.0f}x and {sizes[1] / sizes[0]:.0f}x)",
    }
    per_pending = _peak_bytes_per_pending(sizes[1])
    figures["memory"] = {
        "bytes_per_pending_activity": per_pending,
        "summary": f"{per_pending / 1024:.1f} KiB peak per pending activity "
        f"(fan-out of {sizes[1]:,}, tracemalloc)",
    }
    return figures


#: CPU-time mode (``--cpu``): fan-out sizes, sequential steps, subprocesses x rounds each
CPU_SIZES = (1000, 10_000)
CPU_STEPS = 1000
CPU_PROCESSES = 5
CPU_ROUNDS = 3


def _cpu_jobs(sizes: tuple[int, ...], steps: int) -> dict[str, Callable[[], Any]]:
    """The pool and the engine doing the same work, in the order rounds interleave them."""
    jobs: dict[str, Callable[[], Any]] = {}
    for n in sizes:
        jobs[f"pool fan-out {n}"] = functools.partial(thread_pool.fan_out, n)
        jobs[f"engine fan-out {n}"] = functools.partial(LocalEngine().run, FanOut, n)
    jobs[f"pool sequential {steps}"] = functools.partial(thread_pool.sequential, steps)
    jobs[f"engine sequential {steps}"] = functools.partial(LocalEngine().run, Sequential, steps)
    return jobs


def _cpu_child(sizes: tuple[int, ...], steps: int, rounds: int, reverse: bool) -> None:
    """(In a subprocess) CPU seconds of every job per round, as JSON on stdout."""
    jobs = _cpu_jobs(sizes, steps)
    order = list(jobs)[::-1] if reverse else list(jobs)
    for name in order:  # warm up: imports, caches, thread creation paths
        jobs[name]()
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(rounds):
        for name in order:
            start = time.process_time()
            jobs[name]()
            samples[name].append(time.process_time() - start)
    json.dump(samples, sys.stdout)


def compare_cpu(
    sizes: tuple[int, ...] = CPU_SIZES,
    steps: int = CPU_STEPS,
    processes: int = CPU_PROCESSES,
    rounds: int = CPU_ROUNDS,
    core: str = "1",
) -> dict[str, Any]:
    """The engine against the pool in CPU time (see the module docstring): fan-out rate
    ratios at ``sizes`` (target >= 50%) and the sequential cost per activity (target <= 2x)."""
    pin = ["taskset", "-c", core] if shutil.which("taskset") else []
    samples: dict[str, list[float]] = {}
    for index in range(processes):  # every other subprocess runs the jobs in reverse order
        spec = json.dumps({"sizes": sizes, "steps": steps, "rounds": rounds, "rev": index % 2})
        out = subprocess.run(
            [*pin, sys.executable, os.path.abspath(__file__), "--cpu-child", spec],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name, values in json.loads(out).items():
            samples.setdefault(name, []).extend(values)
    med = {name: statistics.median(v) for name, v in samples.items()}
    pinned = f"taskset -c {core}" if pin else "not pinned (no taskset)"
    figures: dict[str, Any] = {
        "method": f"CPU time (time.process_time), {pinned}, medians of {processes} "
        f"subprocesses x {rounds} interleaved rounds",
        "medians_s": med,
    }
    for n in sizes:
        pool, engine = med[f"pool fan-out {n}"], med[f"engine fan-out {n}"]
        figures[f"fan-out {n}"] = {
            "engine_us_per_activity": engine / n * 1e6,
            "pool_us_per_activity": pool / n * 1e6,
            "ratio": pool / engine,
            "summary": f"{pool / engine:.0%} of the pool's rate ({engine / n * 1e6:.1f} us vs "
            f"{pool / n * 1e6:.1f} us CPU per activity; target >= 50%)",
        }
    pool_each = med[f"pool sequential {steps}"] / steps
    engine_each = med[f"engine sequential {steps}"] / steps
    figures[f"sequential {steps}"] = {
        "engine_us_per_activity": engine_each * 1e6,
        "pool_us_per_activity": pool_each * 1e6,
        "ratio": engine_each / pool_each,
        "summary": f"{engine_each / pool_each:.2f}x the pool per activity "
        f"({engine_each * 1e6:.1f} us vs {pool_each * 1e6:.1f} us CPU; target <= 2x)",
    }
    return figures


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python bench/engine_bench.py",
        description="the local engine against a bare ThreadPoolExecutor, in CPU time",
    )
    parser.add_argument("--cpu", action="store_true", help="CPU-time ratios (the default)")
    parser.add_argument("--processes", type=int, default=CPU_PROCESSES)
    parser.add_argument("--rounds", type=int, default=CPU_ROUNDS)
    parser.add_argument("--core", default="1", help="the core taskset pins to (default: 1)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--cpu-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cpu_child:
        spec = json.loads(args.cpu_child)
        _cpu_child(tuple(spec["sizes"]), spec["steps"], spec["rounds"], bool(spec["rev"]))
        return
    sizes, steps = ((20, 40), 10) if args.smoke else (CPU_SIZES, CPU_STEPS)
    figures = compare_cpu(sizes, steps, args.processes, args.rounds, args.core)
    print(f"local engine vs a bare ThreadPoolExecutor: {figures['method']}")
    for name, value in figures.items():
        if isinstance(value, dict) and "summary" in value:
            print(f"  {name}: {value['summary']}")


def render_pool(console: Any, figures: dict[str, Any]) -> None:
    title = (
        f"local engine vs a bare ThreadPoolExecutor (medians of {figures['repeats']} "
        "interleaved rounds)"
    )
    print_summaries(console, title, figures)


def run(quick: bool, *, smoke: bool = False, flowy: bool = True) -> dict[str, Any]:
    """Every figure of the section (``smoke``: the smallest sizes, for a shape test)."""
    figures = run_engine_bench(quick=quick or smoke)
    figures["thread_pool"] = compare_with_thread_pool(quick, smoke=smoke)
    if flowy:
        steps, repeats = (20, 1) if smoke else (100, 1) if quick else (STEPS, 3)
        figures["peers"] = compare_with_flowy(steps, repeats)
    return figures


def render(console: Any, figures: dict[str, Any]) -> None:
    render_engine(console, figures)
    render_pool(console, figures["thread_pool"])


if __name__ == "__main__":
    _main()
