"""Faults of the local engine, with real processes killed by pid.

* A worker process killed in the middle of an attempt loses that attempt; the engine retries it
  like a timed-out one (``WORKER_LOST``) and the workflow completes. It is never a task failure.
* Ctrl-C (SIGINT) stops ``flowwire run`` in thread and process mode: one line on stderr, exit
  status 130, no traceback, and no worker process left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FLOWWIRE_TEST_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _wait_for(path_glob: str, directory: Path, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(directory.glob(path_glob))
        if found and found[0].read_text():
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing matched {path_glob} in {directory} within {timeout} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


SURVIVES = """
from _fault_tasks import Survives
from flowwire import LocalEngine
from flowwire.history import TaskTimedOut

engine = LocalEngine(processes=True, max_workers=2)
print(engine.run(Survives, 4))
[history] = engine.histories.values()
print([e.timeout_type for e in history if isinstance(e, TaskTimedOut)])
"""


def test_a_killed_worker_process_is_a_lost_attempt_that_is_retried(tmp_path: Path) -> None:
    engine = subprocess.Popen(
        [sys.executable, "-c", SURVIVES],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker_pid = int(_wait_for("attempt-0", tmp_path).read_text())
    assert worker_pid != engine.pid
    os.kill(worker_pid, signal.SIGKILL)
    out, err = engine.communicate(timeout=60)
    assert engine.returncode == 0, err
    result, timeouts = out.splitlines()
    assert result == "50"  # (4 + 1) * 10: the second attempt completed
    assert timeouts == "['WORKER_LOST']"
    second = int((tmp_path / "attempt-1").read_text())
    assert second != worker_pid  # a new worker process ran the retry


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_ctrl_c_stops_flowwire_run_cleanly(tmp_path: Path, mode: str) -> None:
    command = [sys.executable, "-m", "flowwire", "run", "_fault_tasks:Interrupted", "--quiet"]
    if mode == "processes":
        command.append("--processes")
    run = subprocess.Popen(
        command, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    worker_pid = int(_wait_for("running-*", tmp_path).read_text())
    assert (worker_pid == run.pid) == (mode == "threads")
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert out == ""
    assert err == "flowwire run: _fault_tasks:Interrupted: interrupted\n"
    if mode == "processes":
        deadline = time.monotonic() + 10
        while _alive(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker_pid), "the worker process outlived flowwire run"
