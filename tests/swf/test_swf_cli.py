"""``flowwire swf register|worker|start`` in separate processes against moto."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowwire.engines.swf.cli import parse_argument
from flowwire.testing.moto import MotoServer

pytestmark = pytest.mark.swf

TESTS = Path(__file__).resolve().parent.parent
DOMAIN = "cli"


def command(moto: MotoServer, *argv: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flowwire.engines.swf.cli",
        *argv,
        "--domain",
        DOMAIN,
        "--endpoint-url",
        moto.endpoint_url,
    ]


def env(moto: MotoServer) -> dict[str, str]:
    return {**os.environ, **moto.env()}


def run(moto: MotoServer, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(moto, *argv),
        cwd=TESTS,
        env=env(moto),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def worker(moto_server: MotoServer) -> Iterator[subprocess.Popen[str]]:
    registered = run(moto_server, "register", "swf.workflows")
    assert registered.returncode == 0, registered.stderr
    assert "workflow 'sequence' v1: registered" in registered.stderr
    process = subprocess.Popen(
        command(moto_server, "worker", "swf.workflows", "--threads", "3", "--stagger", "0.25"),
        cwd=TESTS,
        env=env(moto_server),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert "decider and" in process.stderr.readline()  # started
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_start_wait_prints_the_result_or_exits_non_zero(
    moto_server: MotoServer, worker: Any
) -> None:
    ok, failing = (
        subprocess.Popen(
            command(moto_server, "start", *argv, "--wait", "--timeout", "30"),
            cwd=TESTS,
            env=env(moto_server),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in (
            ["swf.workflows:Sequence", "3"],
            ["swf.workflows:Failing", "no luck"],
        )
    )
    stdout, stderr = ok.communicate(timeout=60)
    assert ok.returncode == 0, stderr
    assert json.loads(stdout) == 192
    stdout, stderr = failing.communicate(timeout=60)
    assert failing.returncode == 1
    assert "no luck" in stderr
    assert "activity 'fail' v1 (fail-0-0)" in stderr
    assert stdout == ""


def test_sigterm_finishes_the_task_in_hand(moto_server: MotoServer, worker: Any) -> None:
    started = run(moto_server, "start", "swf.workflows:SlowFlow", "2", "--workflow-id", "slow")
    assert started.returncode == 0, started.stderr
    ids = json.loads(started.stdout)
    client = moto_server.client("swf")
    execution = {"workflowId": ids["workflowId"], "runId": ids["runId"]}

    def kinds() -> list[str]:
        events = client.get_workflow_execution_history(domain=DOMAIN, execution=execution)
        return [e["eventType"] for e in events["events"]]

    deadline = time.monotonic() + 20
    while "ActivityTaskStarted" not in kinds():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=20)
    assert worker.returncode == 0, stderr
    assert "SIGTERM, finishing the tasks in hand" in stderr
    assert "ActivityTaskCompleted" in kinds()  # the task in hand was finished, not lost


def test_usage_errors(moto_server: MotoServer) -> None:
    missing = run(moto_server, "start", "swf.nothing_here:X")
    assert missing.returncode == 2
    assert "cannot import 'swf.nothing_here'" in missing.stderr
    no_domain = subprocess.run(
        [sys.executable, "-m", "flowwire.engines.swf.cli", "start", "swf.workflows:Sequence"],
        cwd=TESTS,
        env={**env(moto_server), "FLOWWIRE_SWF_DOMAIN": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_domain.returncode == 2
    assert "no SWF domain" in no_domain.stderr
    unknown = run(moto_server, "start", "swf.workflows:Sequence", "1")  # domain not registered
    assert unknown.returncode == 3
    assert "UnknownResourceFault" in unknown.stderr


def test_parse_argument() -> None:
    assert parse_argument("3") == 3
    assert parse_argument('{"a": [1]}') == {"a": [1]}
    assert parse_argument("hello") == "hello"
    assert parse_argument("null") is None


def test_deciders_and_activity_workers_in_separate_processes(moto_server: MotoServer) -> None:
    assert run(moto_server, "register", "swf.workflows").returncode == 0
    workers = [
        subprocess.Popen(
            command(
                moto_server,
                "worker",
                "swf.workflows",
                "--role",
                role,
                "--threads",
                "2",
                "--stagger",
                "0.25",
            ),
            cwd=TESTS,
            env=env(moto_server),
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("decider", "activity")
    ]
    try:
        banners = [w.stderr.readline() for w in workers]  # type: ignore[union-attr]
        assert "2 decider and 0 activity thread(s)" in banners[0]
        assert "0 decider and 2 activity thread(s)" in banners[1]
        done = run(moto_server, "start", "swf.workflows:FanOut", "[1, 2, 3]", "--wait")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == 12
    finally:
        for process in workers:
            process.send_signal(signal.SIGINT)
        for process in workers:
            process.communicate(timeout=20)
    assert [process.returncode for process in workers] == [0, 0]


def test_transport_option_is_for_classes_that_chose_none(moto_server: MotoServer) -> None:
    assert run(moto_server, "register", "swf.workflows").returncode == 0
    client = moto_server.client("swf")
    for target, codec in (("OwnTransport", b"msgpack"), ("Sequence", b"protobuf")):
        started = run(
            moto_server, "start", f"swf.workflows:{target}", "4", "--transport", "protobuf"
        )
        assert started.returncode == 0, started.stderr
        ids = json.loads(started.stdout)
        events = client.get_workflow_execution_history(domain=DOMAIN, execution=ids)["events"]
        payload = events[0]["workflowExecutionStartedEventAttributes"]["input"]
        assert payload.startswith("~")  # an envelope, whose header names the codec
        assert codec in base64.b64decode(payload[1:])[:16]


def test_worker_log_level(moto_server: MotoServer) -> None:
    assert run(moto_server, "register", "swf.workflows").returncode == 0
    argv = ["worker", "swf.workflows", "--threads", "1", "--log-level", "info"]
    worker = subprocess.Popen(
        command(moto_server, *argv),
        cwd=TESTS,
        env=env(moto_server),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        done = run(moto_server, "start", "swf.workflows:Sequence", "3", "--wait", "--timeout", "30")
        assert done.returncode == 0, done.stderr
    finally:
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=30)
    assert " INFO flowwire.swf.decider: decision for workflow 'sequence' v1" in stderr
    assert " INFO flowwire.swf.worker: activity " in stderr and ": completed" in stderr
    assert " DEBUG " not in stderr


def _offloaded_run(
    moto: MotoServer, worker_env: dict[str, str], worker_options: list[str], *start_options: str
) -> Any:
    """TooBig (a 100,000-character activity result, over SWF's 32,768) through a CLI worker
    with ``--transport json+offload``, whose stage has no store of its own; returns the run's
    activity result field as SWF recorded it."""
    assert run(moto, "register", "swf.workflows").returncode == 0
    worker = subprocess.Popen(
        command(
            moto,
            *["worker", "swf.workflows", "--threads", "2", "--transport", "json+offload"],
            *worker_options,
        ),
        cwd=TESTS,
        env={**env(moto), **worker_env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "decider and" in worker.stderr.readline()  # type: ignore[union-attr]
        argv = ["start", "swf.workflows:TooBig", "100000", "--transport", "json+offload"]
        done = run(moto, *argv, *start_options, "--wait", "--timeout", "40")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == 100_000
    finally:
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    client = moto.client("swf")
    (info,) = client.list_closed_workflow_executions(
        domain=DOMAIN, startTimeFilter={"oldestDate": 0}
    )["executionInfos"]
    events = client.get_workflow_execution_history(domain=DOMAIN, execution=info["execution"])
    (completed,) = [e for e in events["events"] if e["eventType"] == "ActivityTaskCompleted"]
    return completed["activityTaskCompletedEventAttributes"]["result"]


def test_offload_store_option_serves_stages_without_a_store_s3(moto_server: MotoServer) -> None:
    """``--offload-store s3://...`` (the workers: ``$FLOWWIRE_OFFLOAD_STORE``) is the store of
    an offload stage the transport names without one, for workers and starter alike."""
    pytest.importorskip("boto3", reason="needs the s3 extra (boto3)")
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="cli-store")
    endpoint = {"FLOWWIRE_S3_ENDPOINT_URL": moto_server.endpoint_url}
    result = _offloaded_run(
        moto_server,
        {"FLOWWIRE_OFFLOAD_STORE": "s3://cli-store/runs", **endpoint},
        [],
        "--offload-store",
        "s3://cli-store/runs",
        "--s3-endpoint-url",
        moto_server.endpoint_url,
    )
    assert len(result) < 1_000  # a reference, not the 100,000 characters
    assert s3.list_objects_v2(Bucket="cli-store", Prefix="runs/")["KeyCount"] == 1


def test_offload_store_option_takes_a_shared_directory(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    store = tmp_path / "payloads"
    store.mkdir()
    option = ["--offload-store", f"shared={store}"]
    result = _offloaded_run(moto_server, {}, option, *option)
    assert len(result) < 1_000
    assert len([p for p in store.rglob("*") if p.is_file()]) == 1


def test_offload_store_usage_errors(moto_server: MotoServer, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    for spec, message in (
        (str(missing), f"--offload-store {missing}: {missing} is not a directory"),
        ("s3://", "--offload-store s3://: no bucket"),
    ):
        for argv in (["worker", "swf.workflows"], ["start", "swf.workflows:Sequence", "1"]):
            done = run(moto_server, *argv, "--offload-store", spec)
            assert done.returncode == 2, (argv, done.stderr)
            assert message in done.stderr
    from_env = subprocess.run(
        command(moto_server, "worker", "swf.workflows"),
        cwd=TESTS,
        env={**env(moto_server), "FLOWWIRE_OFFLOAD_STORE": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert from_env.returncode == 2
    assert f"$FLOWWIRE_OFFLOAD_STORE {missing}: {missing} is not a directory" in from_env.stderr
