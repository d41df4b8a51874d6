"""Faults of the durable engine, with real processes killed by pid (``SIGKILL``).

* killed mid-activity, mid-decision and during a commit: the same command resumes the
  execution and it completes with the right result; a step whose completion was committed is
  never run again, the attempt in flight is retried (``WORKER_LOST``), and a commit cut short
  leaves nothing of itself behind;
* a full disk (a file-size limit, and a tiny tmpfs when the machine lets us mount one) and a
  read-only file: one clear line naming the file, nothing half-written, and a later resume
  completes;
* a corrupt file: one clear line, exit 2, no traceback;
* two workers on one file racing for the same executions: exactly one runs each attempt, and
  when one worker is killed the other takes its executions over.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
LIMITED = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["flowwire"] + sys.argv[2:]
runpy.run_module("flowwire", run_name="__main__")
"""


def _env(test_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FLOWWIRE_TEST_DIR"] = str(test_dir)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def flowwire(test_dir: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    command = [*prefix] if prefix else [sys.executable, "-m", "flowwire"]
    return subprocess.Popen(
        [*command, *args],
        env=_env(test_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for(path: Path, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path
        time.sleep(0.01)
    raise AssertionError(f"{path} did not appear within {timeout} s")


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def events(db: Path, workflow_id: str) -> list[tuple[str, str | None, str | None]]:
    """``(kind, key, reason)`` of each event of the execution's latest run, from the file."""
    con = sqlite3.connect(db)
    try:
        return list(
            con.execute(
                "SELECT kind, key, reason FROM history WHERE workflow_id = ? ORDER BY seq",
                (workflow_id,),
            )
        )
    finally:
        con.close()


def runs_of(markers: Path, tag: str) -> list[int]:
    """The pids that ran step ``tag``, in order."""
    found = sorted(markers.glob(f"ran-{tag}-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    return [int(p.read_text()) for p in found]


def test_killed_mid_activity_the_same_command_resumes(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    command = ("run", "--db", str(db), "_durable_tasks:Chain", "4", "--id", "job", "--quiet")
    (tmp_path / "hold-s2").write_text("x")
    first = flowwire(tmp_path, *command)
    wait_for(tmp_path / "ran-s2-0")
    kill(first)  # step 2 is running
    stored = events(db, "job")
    assert ("TaskCompleted", "step-1-0", None) in stored
    assert stored[-1] == ("TaskScheduled", "step-2-0", None)  # in flight: scheduled only
    (tmp_path / "hold-s2").unlink()
    status, out, err = finish(flowwire(tmp_path, *command))
    assert (status, out, err) == (0, "4\n", "")
    assert [len(runs_of(tmp_path, f"s{i}")) for i in range(4)] == [1, 1, 2, 1]
    assert runs_of(tmp_path, "s2")[0] == first.pid  # the killed process ran the first attempt
    after = events(db, "job")
    assert after[: len(stored)] == stored  # the committed history is kept as it was
    assert ("TaskTimedOut", "step-2-0", "WORKER_LOST") in after
    assert ("TaskCompleted", "step-2-1", None) in after


def test_killed_mid_decision_the_decision_is_made_again(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    command = ("run", "--db", str(db), "_durable_tasks:Ponder", "4", "1", "--id", "p", "--quiet")
    (tmp_path / "hold-decision").write_text("x")
    first = flowwire(tmp_path, *command)
    wait_for(tmp_path / "deciding-0")
    kill(first)  # deciding after step 1 completed: neither that nor the decision committed
    stored = events(db, "p")
    assert stored[-1] == ("TaskScheduled", "step-1-0", None)
    assert not any(kind == "TaskCompleted" and key == "step-1-0" for kind, key, _ in stored)
    (tmp_path / "hold-decision").unlink()
    status, out, err = finish(flowwire(tmp_path, *command))
    assert (status, out, err) == (0, "4\n", "")
    assert (tmp_path / "deciding-1").exists()  # replayed and decided again
    assert [len(runs_of(tmp_path, f"p{i}")) for i in range(4)] == [1, 2, 1, 1]
    assert ("TaskTimedOut", "step-1-0", "WORKER_LOST") in events(db, "p")


def test_killed_during_a_commit_nothing_of_it_remains(tmp_path: Path) -> None:
    """After two small steps, a decision schedules 1,500 activities with 4 KB inputs: one
    commit of about 6 MB, larger than SQLite's page cache, so its pages reach the WAL before
    its commit record. The process is killed while the WAL grows; the next open must ignore
    those pages and keep what was committed before, and the same command completes."""
    db = tmp_path / "flow.db"
    wal = Path(f"{db}-wal")
    command = ("run", "--db", str(db), "_durable_tasks:ThenFan", "2", "1500", "4000", "--id", "f")
    for _ in range(5):  # until a kill lands inside the commit (it nearly always does at once)
        for leftover in [*tmp_path.glob("flow.db*"), *tmp_path.glob("ran-*")]:
            leftover.unlink()
        first = flowwire(tmp_path, *command, "--quiet")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < 2**21):
            time.sleep(0.001)
        kill(first)
        stored = events(db, "f")
        scheduled = [e for e in stored if e[0] == "TaskScheduled" and e[1].startswith("bulky")]
        assert len(scheduled) in (0, 1500), len(scheduled)  # all of the commit or none of it
        if not scheduled:
            break
    else:
        pytest.fail("no kill landed inside the large commit in 5 tries")
    # the completion of step 1 was in the lost commit, with the decision it caused
    assert [kind for kind, _, _ in stored] == [
        "WorkflowStarted",
        "TaskScheduled",
        "TaskCompleted",
        "TaskScheduled",
    ]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    status, out, err = finish(flowwire(tmp_path, *command, "--quiet"), timeout=120)
    assert (status, out, err) == (0, f"{2 + sum(range(1500)) + 1500 * 4000}\n", "")
    assert [len(runs_of(tmp_path, f"t{i}")) for i in range(2)] == [1, 2]


def _limited(limit: int) -> tuple[str, ...]:
    return (sys.executable, "-c", LIMITED, str(limit))


def test_a_full_disk_is_one_clear_line_and_loses_nothing(tmp_path: Path) -> None:
    """A file-size limit (``RLIMIT_FSIZE``) stands for a full disk: the large commit of the
    fan-out cannot be written; the steps committed before stay, and a later run without the
    limit resumes from them."""
    db = tmp_path / "flow.db"
    command = ("run", "--db", str(db), "_durable_tasks:ThenFan", "3", "500", "2000", "--id", "t")
    status, out, err = finish(flowwire(tmp_path, *command, "--quiet", prefix=_limited(300_000)))
    assert status == 1 and out == ""
    assert err.startswith(f"flowwire run: {db}: cannot commit ") and err.count("\n") == 1, err
    assert "nothing of it was written" in err
    stored = events(db, "t")
    # steps 0 and 1 are committed; step 2's completion was in the batch that failed (with the
    # fan-out it caused), so nothing acted on it and that attempt runs again
    assert [key for kind, key, _ in stored if kind == "TaskCompleted"] == ["step-0-0", "step-1-0"]
    assert stored[-1] == ("TaskScheduled", "step-2-0", None)
    status, out, err = finish(flowwire(tmp_path, *command, "--quiet"))
    assert (status, out, err) == (0, f"{3 + sum(range(500)) + 500 * 2000}\n", "")
    assert [len(runs_of(tmp_path, f"t{i}")) for i in range(3)] == [1, 1, 2]


NAMESPACE = """
set -e
mount -t tmpfs -o size=640k tmpfs "$DIR"
cd "$WORK"
set +e
"$PY" -m flowwire run --db "$DIR/flow.db" _durable_tasks:ThenFan 3 400 2000 --id t --quiet \
    >"$OUT/first.out" 2>"$OUT/first.err"
echo $? >"$OUT/first.status"
"$PY" -m flowwire executions --db "$DIR/flow.db" --json >"$OUT/executions.json"
"$PY" -m flowwire backup --db "$DIR/flow.db" "$OUT/copy.db" 2>/dev/null
"$PY" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
print(c.execute('PRAGMA integrity_check').fetchone()[0])" "$DIR/flow.db" >"$OUT/integrity"
mount -o remount,size=16m "$DIR"
"$PY" -m flowwire run --db "$DIR/flow.db" _durable_tasks:ThenFan 3 400 2000 --id t --quiet \
    >"$OUT/second.out" 2>"$OUT/second.err"
echo $? >"$OUT/second.status"
"""


def test_a_tiny_tmpfs_filling_up(tmp_path: Path) -> None:
    """The real thing, where a mount namespace is allowed: a 640 KiB tmpfs fills up during
    the large commit; then it grows and the same command completes."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a private tmpfs")
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a private tmpfs here: {probe.stderr.decode().strip()}")
    mount, out = tmp_path / "mnt", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    env = _env(out) | {"DIR": str(mount), "OUT": str(out), "PY": sys.executable}
    env["WORK"] = os.getcwd()
    subprocess.run(["unshare", "-rm", "sh", "-c", NAMESPACE], env=env, check=True, timeout=120)
    first_err = (out / "first.err").read_text()
    assert (out / "first.status").read_text().strip() == "1", first_err
    assert first_err.startswith(f"flowwire run: {mount}/flow.db: ") and "full" in first_err
    assert first_err.count("\n") == 1
    assert (out / "integrity").read_text().strip() == "ok"
    [run] = json.loads((out / "executions.json").read_text())
    assert run["status"] == "OPEN"
    con = sqlite3.connect(out / "copy.db")
    kinds = [k for (k,) in con.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["WorkflowStarted"] + ["TaskScheduled", "TaskCompleted"] * 2 + ["TaskScheduled"]
    assert (out / "second.status").read_text().strip() == "0", (out / "second.err").read_text()
    assert (out / "second.out").read_text() == f"{3 + sum(range(400)) + 400 * 2000}\n"


def _read_only(directory: Path, *command: str) -> tuple[int, str, str]:
    """Run ``flowwire COMMAND`` with ``directory`` read-only: by permissions, or (as root,
    whom permissions do not stop) on a read-only bind mount in a private mount namespace."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        for file in directory.iterdir():
            file.chmod(0o444)
        try:
            return finish(flowwire(directory, *command))
        finally:
            directory.chmod(0o755)
    if shutil.which("unshare") is None:
        pytest.skip("running as root: needs unshare(1) for a read-only mount")
    script = (
        f'mount --bind "{directory}" "{directory}" && '
        f'mount -o remount,ro,bind "{directory}" && exec "$@"'
    )
    prefix = ("unshare", "-rm", "sh", "-c", script, "sh", sys.executable, "-m", "flowwire")
    process = flowwire(directory, *command, prefix=prefix)
    status, out, err = finish(process)
    if status != 0 and "mount" in err and "flowwire" not in err:
        pytest.skip(f"cannot make a read-only mount here: {err.strip()}")
    return status, out, err


def test_a_read_only_file_is_refused_clearly_and_still_readable(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    assert finish(flowwire(tmp_path, "run", "--db", str(db), "_durable_tasks:Chain", "1"))[0] == 0
    before = db.read_bytes()
    status, out, err = _read_only(tmp_path, "run", "--db", str(db), "_durable_tasks:Chain", "1")
    assert (status, out) == (2, "")
    assert err == (
        f"flowwire run: {db} is read-only: a worker or starter must write to it (open it "
        "read-only to list executions and read histories)\n"
    )
    status, out, err = _read_only(tmp_path, "executions", "--db", str(db), "--json")
    assert status == 0, err
    assert [r["status"] for r in json.loads(out)] == ["COMPLETED"]
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", ["run", "worker", "start", "executions", "history"])
def test_a_corrupt_file_is_one_line_not_a_traceback(tmp_path: Path, command: str) -> None:
    db = tmp_path / "flow.db"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(4096 * 3))
    args: dict[str, tuple[str, ...]] = {
        "run": ("_durable_tasks:Chain", "1"),
        "worker": ("_durable_tasks",),
        "start": ("_durable_tasks:Chain", "1"),
        "executions": (),
        "history": ("some-id",),
    }
    status, out, err = finish(flowwire(tmp_path, command, "--db", str(db), *args[command]))
    assert (status, out) == (2, "")
    assert err.startswith(f"flowwire {command}: {db} is not a usable flowwire database: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def _start(test_dir: Path, db: Path, workflow_id: str, *args: str) -> None:
    status, out, err = finish(
        flowwire(
            test_dir, "start", "--db", str(db), "_durable_tasks:Chain", *args, "--id", workflow_id
        )
    )
    assert status == 0, err
    assert json.loads(out)["workflowId"] == workflow_id


def _wait_closed(db: Path, ids: list[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        con = sqlite3.connect(db)
        rows = dict(con.execute("SELECT workflow_id, result FROM runs WHERE status = 'completed'"))
        con.close()
        if all(i in rows for i in ids):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"not all of {ids} completed within {timeout} s")


def test_two_workers_race_and_exactly_one_runs_each_attempt(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    ids = [f"e{i}" for i in range(12)]
    workers = [flowwire(tmp_path, "worker", "--db", str(db), "_durable_tasks") for _ in range(2)]
    try:
        for worker in workers:  # both are serving before there is anything to take
            assert worker.stderr is not None
            assert worker.stderr.readline().startswith("flowwire worker: serving ")
        for i in ids[:2]:
            _start(tmp_path, db, i, "3", f"{i}-")  # by the command, as a user would
        from _durable_tasks import Chain

        from flowwire import LocalEngine

        for i in ids[2:]:  # the rest from this process, quicker
            LocalEngine(db=db).start(Chain, [3, f"{i}-"], workflow_id=i)
        results = _wait_closed(db, ids)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outcomes = [finish(worker) for worker in workers]
    assert all(status == 0 for status, _, _ in outcomes), outcomes
    assert {results[i] for i in ids} == {"3"}
    for i in ids:
        pids = [runs_of(tmp_path, f"{i}-s{step}") for step in range(3)]
        assert [len(p) for p in pids] == [1, 1, 1], (i, pids)  # each attempt ran exactly once
        assert len({p[0] for p in pids}) == 1  # one worker held the whole execution
    taken = sum(err.count("took over") for _, _, err in outcomes)
    assert taken == len(ids)


def test_a_killed_worker_s_executions_are_taken_over_by_the_other(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    (tmp_path / "hold-k-s1").write_text("x")
    _start(tmp_path, db, "k", "3", "k-")
    first = flowwire(tmp_path, "worker", "--db", str(db), "_durable_tasks")
    wait_for(tmp_path / "ran-k-s1-0")
    second = flowwire(tmp_path, "worker", "--db", str(db), "_durable_tasks")
    time.sleep(0.5)  # the second worker looks for work while the first is alive: nothing
    assert runs_of(tmp_path, "k-s1") == [first.pid]
    kill(first)
    (tmp_path / "hold-k-s1").unlink()
    try:
        assert _wait_closed(db, ["k"])["k"] == "3"
    finally:
        second.send_signal(signal.SIGINT)
        status, _, err = finish(second)
    assert status == 0, err
    assert "took over k" in err
    assert runs_of(tmp_path, "k-s0") == [first.pid]  # committed: not run again
    assert runs_of(tmp_path, "k-s1") == [first.pid, second.pid]  # in flight: retried
    assert runs_of(tmp_path, "k-s2") == [second.pid]
    assert ("TaskTimedOut", "step-1-0", "WORKER_LOST") in events(db, "k")
