"""A 5 MiB activity result through a workflow, compressed, encrypted and offloaded, on the
local engine and on SWF over moto, comes back byte-identical; the history holds references."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from _extras import needs

from flowwire.engines.local import LocalEngine
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all, register_domain
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.errors import TaskError
from flowwire.history import TaskCompleted, TaskFailed
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.testing.moto import MotoServer
from flowwire.transport import MsgpackTransport, Transport, envelope
from flowwire.transport.stages import (
    AESGCM,
    BlobStore,
    Keyring,
    LocalDirectoryStore,
    Offload,
    S3Store,
    Zstd,
)

FIVE_MIB = 5 << 20
KEYRING = Keyring({"e2e-1": bytes(range(32))}, current="e2e-1")


def document(seed: int) -> bytes:
    """5 MiB that compresses to about half: random hex digits."""
    return random.Random(seed).randbytes(FIVE_MIB // 2).hex().encode()


def staged_transport(store: BlobStore) -> Transport:
    # 5 MiB results decompress past the default max_decoded_bytes (1 MiB): opt in.
    return MsgpackTransport(
        stages=[Zstd(), AESGCM(KEYRING), Offload(store)], max_decoded_bytes=8 << 20
    )


@activity("stages.e2e.render", "1", "stages-e2e")
class Render(Activity):
    def run(self, seed: int) -> bytes:
        return document(seed)


@activity("stages.e2e.explode", "1", "stages-e2e")
class Explode(Activity):
    def run(self, secret: str) -> None:
        raise ValueError(f"cannot render {secret}: " + "x" * 40_000)


@workflow("stages.e2e.report", "1", "stages-e2e")
class Report(Workflow):
    render = ActivityProxy(Render)

    def run(self, seed: int) -> dict[str, Any]:
        data = wait(self.render(seed))
        return {"data": data, "sha256": hashlib.sha256(data).hexdigest()}


@workflow("stages.e2e.failing", "1", "stages-e2e")
class Failing(Workflow):
    explode = ActivityProxy(Explode)

    def run(self, secret: str) -> None:
        wait(self.explode(secret))


def stages_of(payload: str) -> list[str]:
    return [name for name, _ in envelope.unpack(envelope.dearmor(payload)).stages]


@needs("zstd")
@needs("crypto")
def test_local_engine_five_mib_result(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path / "payloads")
    engine = LocalEngine([Render], transport=staged_transport(store))
    result = engine.run(Report, 7)
    expected = document(7)
    assert result["data"] == expected  # byte-identical
    assert result["sha256"] == hashlib.sha256(expected).hexdigest()

    history = next(iter(engine.histories.values()))
    completed = [e for e in history if isinstance(e, TaskCompleted)]
    assert completed, "the activity's completion is in the history"
    for event in completed:
        assert stages_of(event.result) == ["zstd", "aesgcm", "offload"]
        assert len(event.result) < 300
    objects = [p for p in (tmp_path / "payloads").rglob("*") if p.is_file()]
    assert len(objects) >= 2  # the activity result and the workflow result
    assert all(expected[:100] not in p.read_bytes() for p in objects)  # encrypted at rest


@needs("zstd")
@needs("crypto")
def test_local_engine_failure_details_are_encrypted(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path / "payloads")
    engine = LocalEngine([Explode], transport=staged_transport(store))
    with pytest.raises(TaskError) as info:
        engine.run(Failing, "tax-report-2026")
    assert "cannot render tax-report-2026" in str(info.value)
    failed = [e for h in engine.histories.values() for e in h if isinstance(e, TaskFailed)]
    assert failed
    for event in failed:
        assert "tax-report" not in event.reason
        assert "aesgcm" in stages_of(event.details)


@needs("zstd")
@pytest.mark.swf
def test_swf_over_moto_five_mib_result_offloaded_to_s3(moto_server: MotoServer) -> None:
    swf = SWF(moto_server.client("swf"), "stages-e2e")
    register_domain(swf)
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="stages-e2e")

    def transport() -> Transport:  # workers and starter each build their own
        return staged_transport(S3Store("stages-e2e", "payloads/", client=s3))

    registry = TaskRegistry([Report, Render], transport=transport())
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=1, activity_threads=1):
        run = start(swf, Report, [11], transport=transport())
        result = run.result(timeout=60)
    expected = document(11)
    assert result["data"] == expected  # byte-identical
    assert result["sha256"] == hashlib.sha256(expected).hexdigest()

    events = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": run.workflow_id, "runId": run.run_id},
    )["events"]
    results = [
        e[attrs]["result"]
        for e in events
        for attrs in (
            "activityTaskCompletedEventAttributes",
            "workflowExecutionCompletedEventAttributes",
        )
        if attrs in e
    ]
    assert len(results) == 2
    for payload in results:
        assert len(payload) < 300
        assert stages_of(payload) == ["zstd", "aesgcm", "offload"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="stages-e2e")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("payloads/") for k in keys)
