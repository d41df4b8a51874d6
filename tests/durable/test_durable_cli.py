"""The durable commands end to end: the docs' ``kill -9`` and resume flow, worker and start,
executions, history (decoded, and as timeline data), prune, backup, and their usage errors."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _durable_processes import env as _env
from _durable_processes import run_command as _flowwire

from flowwire.cli import main

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PAGE = ROOT / "docs" / "durable-engine.md"


def _command(line: str) -> list[str]:
    argv = shlex.split(line.split("#")[0].rstrip(" &"))
    assert argv[0] == "flowwire", line
    return [sys.executable, "-m", "flowwire", *argv[1:]]


def _kill_flow_block() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"```\{code-block\} console\n:class: kill-and-resume\n\n(.*?)```", text, re.S)
    assert block, "docs/durable-engine.md lost its kill -9 block"
    return block.group(1).splitlines()


def test_the_documented_kill_9_and_resume_flow(tmp_path: Path) -> None:
    """The commands of the docs' block, run as written (``kill -9`` by pid)."""
    lines = _kill_flow_block()
    first, kill, again = (line[2:] for line in lines if line.startswith("$ "))
    assert first.endswith("&") and kill.startswith("kill -9 ")
    expected = [line for line in lines if not line.startswith("$ ")]
    log = tmp_path / "steps.log"
    run = subprocess.Popen(
        _command(first), cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not log.exists() or log.read_text().count("\n") < 3):
        time.sleep(0.01)
    os.kill(run.pid, signal.SIGKILL)  # kill -9, mid-run
    run.wait(timeout=30)
    done_before = log.read_text().splitlines()
    assert 3 <= len(done_before) < 10
    con = sqlite3.connect(tmp_path / "flow.db")
    committed = {  # the steps whose completion is in the file: step-K-0 is step K + 1
        int(key.split("-")[1]) + 1
        for (key,) in con.execute("SELECT key FROM history WHERE kind = 'TaskCompleted'")
    }
    con.close()
    assert len(committed) >= len(done_before) - 1  # at most the last one was in flight
    resumed = subprocess.run(
        _command(again),
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines() == [expected[-1]] == ["55"]
    pattern = re.escape(expected[0]).replace(r"\.\.\.", ".+").replace(r"\ 9\ ", r"\ \d+\ ")
    assert re.fullmatch(pattern, resumed.stderr.strip()), resumed.stderr
    steps = [int(line.split()[1]) for line in log.read_text().splitlines()]
    assert sorted(set(steps)) == list(range(1, 11))
    assert all(steps.count(n) == 1 for n in committed)  # committed: never run again
    assert len(steps) <= 11  # at most the step in flight ran twice


def test_start_worker_executions_history_prune_and_backup(tmp_path: Path) -> None:
    db = str(tmp_path / "flow.db")
    started = _flowwire(tmp_path, "start", "--db", db, "_durable_tasks:Chain", "2", "--id", "c")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["workflowId"] == "c"
    assert started.stderr.startswith("flowwire start: started execution c (run ")
    again = _flowwire(tmp_path, "start", "--db", db, "_durable_tasks:Chain", "2", "--id", "c")
    assert again.returncode == 2
    assert "execution 'c' is already running" in again.stderr
    listed = _flowwire(tmp_path, "executions", "--db", db, "--json")
    assert [r["status"] for r in json.loads(listed.stdout)] == ["OPEN"]
    (tmp_path / "hold-s1").write_text("x")  # the worker holds c at its second step
    worker = subprocess.Popen(
        [sys.executable, "-m", "flowwire", "worker", "--db", db, "_durable_tasks"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    attach = ("start", "--db", db, "_durable_tasks:Chain", "2", "--id", "c", "--attach")
    try:
        while not (tmp_path / "ran-s1-0").exists():
            time.sleep(0.01)
        waiter = subprocess.Popen(
            [sys.executable, "-m", "flowwire", *attach, "--wait", "--timeout", "60"],
            cwd=tmp_path,
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiter.stderr is not None
        attached = waiter.stderr.readline()  # printed before it waits
        (tmp_path / "hold-s1").unlink()
        out, err = waiter.communicate(timeout=60)
    finally:
        worker.send_signal(signal.SIGINT)
        _, worker_err = worker.communicate(timeout=60)
    assert attached.startswith("flowwire start: attached to the running execution c (run ")
    assert (waiter.returncode, out) == (0, "2\n"), err
    assert worker.returncode == 0
    assert worker_err.splitlines()[0].startswith(f"flowwire worker: serving {db} (pid ")
    assert "took over c (run" in worker_err and worker_err.endswith("flowwire worker: stopped\n")

    table = _flowwire(tmp_path, "executions", "--db", db).stdout.splitlines()
    assert re.split(r"\s{2,}", table[0]) == [
        "WORKFLOW ID",
        "RUN ID",
        "TYPE",
        "STATUS",
        "STARTED (UTC)",
        "TOOK",
    ]
    assert table[1].split()[:2] == ["c", json.loads(started.stdout)["runId"]]
    assert table[1].split()[2:5] == ["tests.durable.chain", "v1", "COMPLETED"]

    shown = _flowwire(tmp_path, "history", "--db", db, "c", "_durable_tasks")
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("tests.durable.chain v1  c  run tests.durable.chain-")
    assert "COMPLETED" in lines[0]
    assert lines[1:4] == [
        "    1  +   0.000s  WorkflowStarted",
        '                  input: {"args": [2], "kwargs": {}}',
        lines[3],
    ]
    assert re.fullmatch(
        r" +2  \+ +\d+\.\d{3}s  TaskScheduled  step-0-0  activity "
        r"'tests\.durable\.step' v1",
        lines[3],
    )
    assert lines[4] == '                  input: {"args": [0, "s0"], "kwargs": {}}'
    assert re.fullmatch(r" +6  \+ +\d+\.\d{3}s  WorkflowCompleted", lines[-2])
    assert lines[-1] == "                  result: 2"

    document = json.loads(_flowwire(tmp_path, "history", "--db", db, "c", "--json").stdout)
    assert document["execution"]["workflowId"] == "c"
    assert document["execution"]["status"] == "COMPLETED"
    events = document["events"]
    assert [e["event"] for e in events] == ["WorkflowStarted"] + [
        "TaskScheduled",
        "TaskCompleted",
    ] * 2 + ["WorkflowCompleted"]
    offsets = [e["offset"] for e in events]
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert events[2] | {"time": "", "offset": 0} == {
        "eventId": 3,
        "time": "",
        "offset": 0,
        "event": "TaskCompleted",
        "key": "step-0-0",
        "task": "activity 'tests.durable.step' v1",
        "result": 1,
    }
    raw = _flowwire(tmp_path, "history", "--db", db, "c", "--raw").stdout
    assert 'input: "{\\"args\\":[0,\\"s0\\"],\\"kwargs\\":{}}"' in raw  # as stored

    picture = tmp_path / "c.svg"
    drawn = _flowwire(tmp_path, "history", "--db", db, "c", "--timeline", str(picture))
    assert drawn.stderr == f"timeline of 2 rows written to {picture}\n"
    svg = picture.read_text()
    assert svg.startswith("<svg") and "step-1-0" in svg
    wrong = _flowwire(tmp_path, "history", "--db", db, "c", "--timeline", "c.txt")
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "flowwire history: --timeline c.txt: use a .svg, .html or .png file\n",
    )

    backup = _flowwire(tmp_path, "backup", "--db", db, str(tmp_path / "copy.db"))
    assert backup.returncode == 0, backup.stderr
    copied = _flowwire(tmp_path, "executions", "--db", str(tmp_path / "copy.db"), "--json")
    assert [r["workflowId"] for r in json.loads(copied.stdout)] == ["c"]
    kept = _flowwire(tmp_path, "prune", "--db", db, "--older-than", "1")
    assert kept.stderr == f"flowwire prune: deleted 0 closed run(s) of {db}\n"
    pruned = _flowwire(tmp_path, "prune", "--db", db, "--older-than", "0", "--vacuum")
    assert pruned.stderr == f"flowwire prune: deleted 1 closed run(s) of {db}\n"
    assert json.loads(_flowwire(tmp_path, "executions", "--db", db, "--json").stdout) == []


def test_usage_errors_of_the_durable_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("FLOWWIRE_TEST_DIR", str(tmp_path))
    db = str(tmp_path / "flow.db")
    assert main(["run", "_durable_tasks:Chain", "1", "--id", "x"]) == 2
    assert capsys.readouterr().err == (
        "flowwire run: --id needs --db FILE (only a durable execution has an id)\n"
    )
    assert main(["history", "--db", db, "nothing"]) == 2
    assert capsys.readouterr().err == f"flowwire history: {db}: no such database file\n"
    assert main(["run", "--db", db, "_durable_tasks:Chain", "1", "--id", "x", "--quiet"]) == 0
    assert capsys.readouterr().out == "1\n"
    assert main(["history", "--db", db, "nothing"]) == 2
    assert capsys.readouterr().err == f"flowwire history: {db} has no execution 'nothing'\n"
    assert main(["run", "--db", db, "_durable_tasks:Chain", "2", "--id", "x", "--quiet"]) == 2
    assert "execution 'x' was started with other arguments" in capsys.readouterr().err
    assert main(["worker", "--db", db, "json"]) == 2
    nothing = "flowwire worker: nothing to run: json has no @workflow classes\n"
    assert capsys.readouterr().err == nothing
    assert main(["run", "--db", db, "_durable_tasks:Chain", "1", "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.out == "1\n" and out.err == ""
    assert main(["run", "--db", db, "_durable_tasks:Chain", "1"]) == 0
    err = capsys.readouterr().err
    assert re.match(rf"flowwire run: execution tests\.durable\.chain-\w+ in {re.escape(db)} ", err)


def test_a_failed_durable_run_exits_1_and_stays_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    db = str(tmp_path / "flow.db")
    command = ["run", "--db", db, "examples.errors:Strict", '"x"', "--id", "bad", "--quiet"]
    assert main(command) == 1
    first = capsys.readouterr().err
    assert first.startswith("flowwire run: workflow 'examples.strict' v1 failed: TaskError: ")
    assert main(command) == 1  # closed: the same failure, not run again
    assert capsys.readouterr().err == first
