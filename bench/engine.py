"""Engine benchmarks: the local engine, and a 500-step sequential workflow against flowy 0.4.1.

Run from the repository root (after ``pip install -e '.[bench]'``; for the flowy comparison also
``pip install flowy==0.4.1``, whose pinned boto3 1.3.1 you may want to keep out of your main
environment: ``pip install --no-deps flowy==0.4.1 venusian lazy-object-proxy``)::

    python bench/engine.py                 # full run (about a minute)
    python bench/engine.py --quick         # smoke run
    python bench/engine.py --json out.json --plot docs/_static/bench
    python bench/engine.py --swf           # also SWF-over-moto round trips (moto server)
    python bench/engine.py --only-durable  # the durable engine alone (against DBOS, sqlite3)

Prints local-engine fan-out (activities/s), the replay cost at 10 / 100 / 1,000 completed
tasks, the 1,000- vs 100-step sequential ratio, the engine against a bare
``ThreadPoolExecutor`` doing the same work in the same run (fan-out rate at 1,000 and 10,000,
sequential cost per activity, growth, peak memory per pending activity), and the 500-step
sequential workflow on flowwire's local engine (live, and full replay at every decision) next
to flowy 0.4.1's local engine in the same run (interleaved, medians). Both run activities on
threads: flowy's default is a process pool, which would only make it slower. Then the durable
local engine (``LocalEngine(db=...)``, ``bench/durable_bench.py``) against DBOS 3.4 on SQLite
(``pip install dbos==3.4.0``; skipped with a note when missing) and raw ``sqlite3``.

flowy 0.4.1 predates Python 3.10: it needs ``collections.Mapping``, ``MutableMapping``,
``Iterable`` and ``Sized`` and a builtin ``reduce``. This script sets those aliases in its own
process before importing flowy; nothing in ``src/`` does.
"""

from __future__ import annotations

import argparse
import builtins
import collections
import collections.abc
import functools
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flowwire.benchmark import report
from flowwire.benchmark._engine_tasks import FanOut, Sequential
from flowwire.benchmark.engine import render_engine, run_engine_bench, time_run
from flowwire.engines.local import LocalEngine

STEPS = 500


def _import_flowy() -> Any:
    """flowy 0.4.1 with the Python 3.10+ aliases it needs, or None when not installed."""
    for name in ("Mapping", "MutableMapping", "Iterable", "Sized"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    if not hasattr(builtins, "reduce"):
        builtins.reduce = functools.reduce  # type: ignore[attr-defined]
    try:
        import flowy
    except ImportError:
        return None
    return flowy


def _increment(x: int) -> int:
    return x + 1


class _FlowySequential:
    """The same workflow as flowwire's ``Sequential``, in flowy's style (proxies injected)."""

    def __init__(self, increment: Any) -> None:
        self.increment = increment

    def __call__(self, n: int) -> Any:
        x = 0
        for _ in range(n):
            x = self.increment(x)
        return x


def _flowy_runner(flowy: Any, steps: int) -> Callable[[], Any]:
    from flowy.local.config import LocalWorkflow

    def run() -> Any:
        wf = LocalWorkflow(_FlowySequential, executor=ThreadPoolExecutor)
        wf.conf_activity("increment", _increment)
        result = wf.run(steps, _wait=True)
        assert result == steps, result
        return result

    return run


def compare_with_flowy(steps: int, repeats: int) -> dict[str, Any]:
    flowy = _import_flowy()
    if flowy is None:
        return {"flowy": {"summary": "flowy 0.4.1 not installed: pip install flowy==0.4.1"}}
    jobs = {
        "flowwire live": lambda: LocalEngine().run(Sequential, steps),
        "flowwire full replay": lambda: LocalEngine(live=False).run(Sequential, steps),
        "flowy 0.4.1": _flowy_runner(flowy, steps),
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


def _pool_fan_out(n: int) -> int:
    """The bare thread pool doing the engine's fan-out work: ``n`` increments, then a sum."""
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(_increment, i) for i in range(n)]
        return sum(f.result() for f in futures)


def _pool_sequential(n: int) -> int:
    """The bare thread pool doing the engine's sequential work: each step waits for the last."""
    with ThreadPoolExecutor() as pool:
        x = 0
        for _ in range(n):
            x = pool.submit(_increment, x).result()
        return x


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


def compare_with_thread_pool(quick: bool) -> dict[str, Any]:
    """The engine against a bare ``ThreadPoolExecutor`` doing the same work, interleaved in
    one run: fan-out throughput at 1,000 and 10,000 (target >= 50% of the pool's rate),
    sequential cost per activity (target <= 2x the pool's), growth, memory per pending
    activity."""
    sizes = (200, 1000) if quick else (1000, 10_000)
    steps = (100, 200) if quick else (100, 1000)
    repeats = 3 if quick else 9
    jobs: dict[str, Callable[[], Any]] = {}
    for n in sizes:
        jobs[f"pool fan-out {n}"] = functools.partial(_pool_fan_out, n)
        jobs[f"engine fan-out {n}"] = functools.partial(LocalEngine().run, FanOut, n)
    for n in steps:
        jobs[f"pool sequential {n}"] = functools.partial(_pool_sequential, n)
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


def render_pool(console: Any, figures: dict[str, Any]) -> None:
    table = report.need("rich.table").Table(
        title=f"local engine vs a bare ThreadPoolExecutor (medians of {figures['repeats']} "
        "interleaved rounds)",
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        if isinstance(value, dict) and "summary" in value:
            table.add_row(name, value["summary"])
    console.print(table)


def _durable_bench() -> Any:
    """``bench/durable_bench.py``, next to this script (however this script was started)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().with_name("durable_bench.py")
    spec = importlib.util.spec_from_file_location("flowwire_durable_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller repetitions")
    parser.add_argument("--no-flowy", action="store_true", help="skip the flowy comparison")
    parser.add_argument(
        "--swf", action="store_true", help="also time SWF-over-moto round trips (~40 s)"
    )
    parser.add_argument("--no-durable", action="store_true", help="skip the durable engine")
    parser.add_argument("--no-dbos", action="store_true", help="durable engine without DBOS")
    parser.add_argument(
        "--only-durable", action="store_true", help="only the durable engine benchmarks"
    )
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--plot", metavar="DIR", help="write replay-cost.png into DIR")
    args = parser.parse_args(argv)

    console = report.need("rich.console").Console(width=150)
    env = report.environment()
    console.print(f"Python {env['python']} on {env['cpu_model']} ({env['usable_cores']} cores)")
    if args.only_durable:
        figures: dict[str, Any] = {}
    else:
        figures = run_engine_bench(quick=args.quick)
        figures["thread_pool"] = compare_with_thread_pool(args.quick)
        if not args.no_flowy:
            figures["peers"] = compare_with_flowy(
                100 if args.quick else STEPS, 1 if args.quick else 3
            )
        if args.swf:
            from flowwire.benchmark.engine_swf import run_swf_bench

            figures["swf"] = run_swf_bench()
        render_engine(console, figures)
        render_pool(console, figures["thread_pool"])
    if not args.no_durable:
        durable = _durable_bench()
        figures["durable"] = durable.run_durable_bench(quick=args.quick, dbos=not args.no_dbos)
        durable.render_durable(console, figures["durable"])
    if args.json:
        document = {"format": "flowwire-bench-engine/1", "environment": env, "engine": figures}
        console.print(f"wrote {report.write_json(args.json, document)}")
    if args.plot:
        from flowwire.benchmark.plot import plot_replay

        console.print(f"wrote {plot_replay(figures, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
