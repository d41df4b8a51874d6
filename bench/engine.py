"""Engine benchmarks: the local engine, and a 500-step sequential workflow against flowy 0.4.1.

Run from the repository root (after ``pip install -e '.[bench]'``; for the flowy comparison also
``pip install flowy==0.4.1``, whose pinned boto3 1.3.1 you may want to keep out of your main
environment: ``pip install --no-deps flowy==0.4.1 venusian lazy-object-proxy``)::

    python bench/engine.py                 # full run (about a minute)
    python bench/engine.py --quick         # smoke run
    python bench/engine.py --json out.json --plot docs/_static/bench
    python bench/engine.py --swf           # also SWF-over-moto round trips (moto server)

Prints local-engine fan-out (activities/s), the replay cost at 10 / 100 / 1,000 completed
tasks, the 1,000- vs 100-step sequential ratio, and the 500-step sequential workflow on
flowwire's local engine (live, and full replay at every decision) next to flowy 0.4.1's local
engine in the same run (interleaved, medians). Both run activities on threads: flowy's default
is a process pool, which would only make it slower.

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
from flowwire.benchmark._engine_tasks import Sequential
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller repetitions")
    parser.add_argument("--no-flowy", action="store_true", help="skip the flowy comparison")
    parser.add_argument(
        "--swf", action="store_true", help="also time SWF-over-moto round trips (~40 s)"
    )
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--plot", metavar="DIR", help="write replay-cost.png into DIR")
    args = parser.parse_args(argv)

    console = report.need("rich.console").Console(width=150)
    env = report.environment()
    console.print(f"Python {env['python']} on {env['cpu_model']} ({env['usable_cores']} cores)")
    figures = run_engine_bench(quick=args.quick)
    if not args.no_flowy:
        figures["peers"] = compare_with_flowy(100 if args.quick else STEPS, 1 if args.quick else 3)
    if args.swf:
        from flowwire.benchmark.engine_swf import run_swf_bench

        figures["swf"] = run_swf_bench()
    render_engine(console, figures)
    if args.json:
        document = {"format": "flowwire-bench-engine/1", "environment": env, "engine": figures}
        console.print(f"wrote {report.write_json(args.json, document)}")
    if args.plot:
        from flowwire.benchmark.plot import plot_replay

        console.print(f"wrote {plot_replay(figures, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
