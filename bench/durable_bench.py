"""The durable local engine (``LocalEngine(db=...)``) against DBOS 3.4 and raw ``sqlite3``.

Every job runs on a fresh SQLite file each round; rounds are interleaved and medians reported:

* **sequential**: ``N`` trivial activities one after the other, durable (``synchronous=FULL``,
  the default, and ``NORMAL``), next to DBOS's sequential steps (its defaults: rollback
  journal, ``synchronous=FULL``) and to raw ``sqlite3`` doing one small insert and one commit
  per step in WAL mode at the same synchronous setting (the physical limit of a durable step
  log). Targets: >= 10x DBOS, >= 40% of raw ``sqlite3`` at the same setting.
* **fan-out**: 1,000 trivial activities scheduled at once, then summed (target >= 2,000/s);
  DBOS fans out over queued workflows, measured on fewer (its rate is per second either way).
* **recovery**: a 1,000-step workflow is killed (``SIGKILL``) halfway; a new process runs the
  same execution id. Reported: from that process's start to its first new step (target
  <= 0.5 s), of which Python's start and imports, and how many steps ran twice.
* **growth**: 100 vs 1,000 sequential steps (linear: 10x), and the file's size per event.

DBOS runs in a subprocess per round (``peers/dbos_engine.py``) and is skipped with a note when
it is not installed (``pip install dbos==3.4.0``; never a dependency of flowwire); raw
``sqlite3`` is ``peers/raw_sqlite3.py``. Run by ``python bench/run.py --only durable``. DBOS
pulls in SQLAlchemy and psycopg; to keep them out of the environment that runs flowwire,
install it in a virtual environment of its own and name that environment's Python in
``FLOWWIRE_BENCH_DBOS_PYTHON`` (its rounds then run there, interleaved with the others).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine_tasks import FanOut, Sequential
from peers import raw_sqlite3
from summary_table import print_summaries

from flowwire.engines.local import LocalEngine

HERE = Path(__file__).resolve().parent
RECOVERY = """
import sys, time
began = time.time()
sys.path.insert(0, sys.argv[3])
from engine_tasks import LoggedSequential
from flowwire.engines.local import LocalEngine
imported = time.time()
result = LocalEngine(db=sys.argv[1]).execute(LoggedSequential, [int(sys.argv[2])], workflow_id="r")
print(began, imported, result)
"""


@contextmanager
def _fresh_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="flowwire-bench-", dir=os.getcwd()) as directory:
        yield Path(directory) / "flow.db"


def _timed(job: Callable[[Path], float | None]) -> float:
    """Seconds ``job`` takes on a fresh file (or the seconds it reports itself)."""
    with _fresh_file() as path:
        start = time.perf_counter()
        reported = job(path)
        return time.perf_counter() - start if reported is None else reported


def _flowwire(workflow: Any, n: int, synchronous: str, path: Path) -> None:
    expected = n if workflow is Sequential else n * (n + 1) // 2
    result = LocalEngine(db=path, synchronous=synchronous).run(workflow, n)
    assert result == expected, result


def _dbos_python() -> str:
    """The Python that runs the DBOS peer: ``$FLOWWIRE_BENCH_DBOS_PYTHON``, else this one."""
    return os.environ.get("FLOWWIRE_BENCH_DBOS_PYTHON") or sys.executable


def _dbos(mode: str, n: int, path: Path) -> float:
    done = subprocess.run(
        [_dbos_python(), str(HERE / "peers" / "dbos_engine.py"), str(path), mode, str(n)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=path.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"DBOS peer failed: {done.stderr[-2000:]}")
    seconds: float = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return seconds


def dbos_version() -> str | None:
    """The DBOS version installed for the peer's Python (:func:`_dbos_python`), or ``None``."""
    python = _dbos_python()
    if python == sys.executable:
        if importlib.util.find_spec("dbos") is None:
            return None
        from importlib.metadata import version

        return version("dbos")
    asked = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('dbos'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return asked.stdout.strip() or None if asked.returncode == 0 else None


def recovery(steps: int = 1000, *, bytecode: bool = True) -> dict[str, Any]:
    """Kill a ``steps``-step durable workflow halfway; time its resumption in a new process.

    ``bytecode``: the processes may write and read compiled bytecode (in a directory of the
    round's own, ``PYTHONPYCACHEPREFIX``), as an installed worker does (pip compiles what it
    installs); the first process compiles, the resumed one reads. An environment with
    ``PYTHONDONTWRITEBYTECODE`` (this one's) would otherwise make the resumed process compile
    every flowwire module from source again, which no deployed worker does.
    """
    env = dict(os.environ)
    with _fresh_file() as path:
        log = path.with_name("steps.log")
        env["FLOWWIRE_BENCH_LOG"] = str(log)
        if bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(path.with_name("pycache"))
        command = [sys.executable, "-c", RECOVERY, str(path), str(steps), str(HERE)]
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if log.exists() and log.read_text().count("\n") >= steps // 2:
                break
            time.sleep(0.0005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        before = log.read_text().splitlines()
        spawned = time.time()
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if again.returncode != 0:
            raise RuntimeError(f"the resumed run failed: {again.stderr[-2000:]}")
        _, imported, result = again.stdout.split()
        assert int(result) == steps, result
        after = log.read_text().splitlines()[len(before) :]
        next_step_at = float(after[0].split()[1])
        numbers = [int(line.split()[0]) for line in before + after]
        return {
            "killed_after_steps": len(before),
            "next_step_s": next_step_at - spawned,
            "python_start_and_imports_s": float(imported) - spawned,
            "engine_to_next_step_s": next_step_at - float(imported),
            "steps_run_twice": len(numbers) - len(set(numbers)),
        }


def _file_size_per_event(steps: int) -> dict[str, float]:
    """The database file's size per history event after a ``steps``-step run, once the WAL is
    checkpointed into it (what a backup or a closed file holds)."""
    with _fresh_file() as path:
        engine = LocalEngine(db=path)
        engine.run(Sequential, steps)
        assert engine.store is not None
        engine.store.close()
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        size = path.stat().st_size
        return {"events": events, "bytes": size, "bytes_per_event": size / events}


def run_durable_bench(
    *, quick: bool, dbos: bool = True, rounds: int | None = None, smoke: bool = False
) -> dict[str, Any]:
    """Measure everything in the module docstring; returns figures with ``summary`` lines.
    ``rounds`` overrides the number of interleaved rounds (7; quick: 3). ``smoke``: the
    smallest sizes and one round, for a test of the figures' shape."""
    seq, fan, dbos_fan = (200, 200, 20) if quick else (500, 1000, 100)
    rounds = rounds or (3 if quick else 7)
    recovery_steps = 1000
    if smoke:
        seq, fan, dbos_fan, rounds, recovery_steps = 20, 20, 5, 1, 100
    version = dbos_version() if dbos else None
    jobs: dict[str, Callable[[Path], float | None]] = {}
    for sync in ("full", "normal"):
        jobs[f"flowwire sequential {sync}"] = functools.partial(_flowwire, Sequential, seq, sync)
        jobs[f"raw sqlite3 {sync}"] = functools.partial(raw_sqlite3.commits, seq, sync)
        jobs[f"flowwire fan-out {sync}"] = functools.partial(_flowwire, FanOut, fan, sync)
    small, big = (5, 20) if smoke else (50, 200) if quick else (100, 1000)
    for n in (small, big):
        jobs[f"flowwire sequential {n} full"] = functools.partial(_flowwire, Sequential, n, "full")
    if version is not None:
        jobs["dbos sequential"] = functools.partial(_dbos, "sequential", seq)
        jobs["dbos fan-out"] = functools.partial(_dbos, "fan-out", dbos_fan)
    for job in jobs.values():  # warm up: imports, caches
        if job.func is not _dbos:  # type: ignore[attr-defined]
            _timed(job)
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    recoveries = []
    for _ in range(rounds):
        for name, job in jobs.items():
            samples[name].append(_timed(job))
        recoveries.append(recovery(recovery_steps))
    med = {name: statistics.median(values) for name, values in samples.items()}
    figures: dict[str, Any] = {"rounds": rounds, "medians_s": med, "dbos": version}
    for sync in ("full", "normal"):
        ours = seq / med[f"flowwire sequential {sync}"]
        raw = seq / med[f"raw sqlite3 {sync}"]
        entry: dict[str, Any] = {
            "steps_per_s": ours,
            "raw_commits_per_s": raw,
            "of_raw": ours / raw,
        }
        text = (
            f"{ours:,.0f} steps/s; {ours / raw:.0%} of raw sqlite3's {raw:,.0f} commits/s "
            "(target >= 40%)"
        )
        if version is not None:
            peer = seq / med["dbos sequential"]
            entry.update(dbos_steps_per_s=peer, vs_dbos=ours / peer)
            text += f"; {ours / peer:.1f}x DBOS {version}'s {peer:,.0f} steps/s (target >= 10x)"
        entry["summary"] = text
        figures[f"sequential {seq} ({sync})"] = entry
    for sync in ("full", "normal"):
        rate = fan / med[f"flowwire fan-out {sync}"]
        entry = {"activities_per_s": rate}
        text = f"{rate:,.0f} activities/s (target >= 2,000)"
        if version is not None:
            peer = dbos_fan / med["dbos fan-out"]
            entry.update(dbos_activities_per_s=peer, vs_dbos=rate / peer)
            text += f"; {rate / peer:.0f}x DBOS's {peer:,.1f}/s (on {dbos_fan})"
        entry["summary"] = text
        figures[f"fan-out {fan} ({sync})"] = entry
    rec = {key: statistics.median(r[key] for r in recoveries) for key in recoveries[0]}
    rec["steps_run_twice_max"] = max(r["steps_run_twice"] for r in recoveries)
    rec["summary"] = (
        f"next step {rec['next_step_s']:.2f} s after the new process started (target <= 0.5 s; "
        f"{rec['python_start_and_imports_s']:.2f} s of it Python and imports, "
        f"{rec['engine_to_next_step_s'] * 1000:.0f} ms engine), killed after "
        f"{rec['killed_after_steps']:.0f} of {recovery_steps:,} steps, at most "
        f"{rec['steps_run_twice_max']} "
        "step run twice"
    )
    figures["recovery"] = rec
    growth = med[f"flowwire sequential {big} full"] / med[f"flowwire sequential {small} full"]
    size = _file_size_per_event(recovery_steps)
    figures["growth"] = {
        "ratio": growth,
        "linear": big / small,
        **size,
        "summary": f"{big:,} vs {small:,} steps {growth:.1f}x (linear: {big / small:.0f}x); "
        f"{size['bytes_per_event']:.0f} bytes of file per event ({size['events']:,} events)",
    }
    if version is None:
        figures["dbos"] = None
        figures["note"] = (
            "DBOS not measured: pip install dbos==3.4.0 (an optional peer, never a dependency)"
            if dbos
            else "DBOS skipped (--no-dbos)"
        )
    return figures


def render_durable(console: Any, figures: dict[str, Any]) -> None:
    peer = f", DBOS {figures['dbos']}" if figures.get("dbos") else ""
    title = (
        f"durable local engine (SQLite{peer}; medians of {figures['rounds']} interleaved "
        "rounds, a fresh file each)"
    )
    print_summaries(console, title, figures)
    if figures.get("note"):
        console.print(figures["note"])
