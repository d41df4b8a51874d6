"""Helpers of the durable tests that drive ``flowwire`` commands in subprocesses: the command
line, a worker (stopped with SIGTERM or killed with SIGKILL by pid), a history read from the
file, and waiting for a condition."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flowwire.runtime.sqlite import SQLiteStore

__all__ = ["env", "kill", "read_history", "run_command", "start_worker", "stop", "until"]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a subprocess: the repository's examples and this directory's task
    modules importable, ``FLOWWIRE_TEST_DIR`` the test's directory, the durable steps example
    logging to ``steps.log`` there."""
    out = dict(os.environ)
    out["FLOWWIRE_TEST_DIR"] = str(tmp_path)
    out["FLOWWIRE_EXAMPLE_LOG"] = str(tmp_path / "steps.log")
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE), out.get("PYTHONPATH", "")])
    return out


def run_command(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``flowwire ARGS`` run to its end in ``tmp_path``."""
    return subprocess.run(
        [sys.executable, "-m", "flowwire", *args],
        cwd=tmp_path,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_worker(tmp_path: Path, db: str, target: str, *options: str) -> subprocess.Popen[str]:
    """``flowwire worker --db DB TARGET OPTIONS`` started in ``tmp_path``."""
    return subprocess.Popen(
        [sys.executable, "-m", "flowwire", "worker", "--db", db, target, *options],
        cwd=tmp_path,
        env=env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


def kill(worker: subprocess.Popen[str]) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def read_history(db: str, workflow_id: str) -> list[Any]:
    """The events of the latest run of ``workflow_id`` in the file ``db`` (none yet: [])."""
    if not os.path.exists(db):
        return []
    store = SQLiteStore(db, readonly=True)
    try:
        found = store.find(workflow_id)
        return [] if found is None else list(store.history(found.run_id))
    finally:
        store.close()


def until(what: str, ready: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
