"""A store outage while WRITING on SWF over moto (issue 16): nothing fails, nothing re-runs.

The store is an :class:`S3Store` on moto's S3 whose writes follow a pattern: ``x`` sends the
write to a closed port (botocore raises ``EndpointConnectionError``), ``.`` lets it through,
and every write after the pattern goes through. The outage is counted in writes, never timed.
An activity worker writes its offloaded result again (the activity is scheduled once and never
fails); the starter writes the workflow's input again; the decider decides again while it
cannot write an activity's input. A store that stays down past ``write_wait`` fails the
activity with ``StoreWriteFailed`` naming the store, object, size and activity.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from _extras import reason
from _outage_stores import history, s3_and_a_dead_twin

from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.errors import StoreWriteFailed, TaskError
from flowwire.testing.moto import MotoServer
from flowwire.transport import MsgpackTransport
from flowwire.transport.stages import Offload, S3Store

from . import workflows as w

pytest.importorskip("boto3", reason=reason("boto3"))


class RefusingS3(S3Store):
    """An S3 store whose writes follow ``pattern`` (``x``: unreachable, ``.``: through; all
    through after it, unless ``forever``); counts the refused writes."""

    def __init__(self, client: Any, dead: Any, pattern: str, *, forever: bool = False) -> None:
        super().__init__("payloads", "write-outage/", client=client)
        self.live_client, self.dead = client, dead
        self.pattern, self.forever = list(pattern), forever
        self.refused = 0
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            down = self.pattern.pop(0) == "x" if self.pattern else self.forever
            if down:
                self.refused += 1
        client = self.dead if down else self.live_client
        client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)


@pytest.fixture
def swf(moto_server: MotoServer) -> SWF:
    return SWF(moto_server.client("swf"), "write-outage")


def _store(moto_server: MotoServer, pattern: str, **options: Any) -> RefusingS3:
    return RefusingS3(*s3_and_a_dead_twin(moto_server), pattern, **options)


def _kinds(swf: SWF, run: Any) -> list[str]:
    return [e["eventType"] for e in history(swf, run)]


def test_an_activity_writes_its_result_again_during_an_outage(
    swf: SWF, moto_server: MotoServer
) -> None:
    store = _store(moto_server, "xx")  # the activity's result is the first write
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.TooBig, [50_000], transport=transport)
        assert run.result(timeout=30) == 50_000
    assert store.refused == 2
    kinds = _kinds(swf, run)
    assert kinds.count("ActivityTaskScheduled") == 1 and "ActivityTaskFailed" not in kinds


def test_the_starter_and_the_decider_write_again_during_an_outage(
    swf: SWF, moto_server: MotoServer
) -> None:
    """Writes: the starter's input (refused twice, then through), then the decider's input
    of the activity (refused twice, then through)."""
    store = _store(moto_server, "xx.xx")
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.Spread, ["x" * 50_000, 1], transport=transport)
        assert run.result(timeout=30) == 50_000
    assert store.refused == 4 and not store.pattern
    kinds = _kinds(swf, run)
    assert "WorkflowExecutionFailed" not in kinds and "ActivityTaskFailed" not in kinds
    assert kinds.count("ActivityTaskScheduled") == 1


def test_a_result_past_the_write_budget_fails_naming_the_store_and_the_activity(
    swf: SWF, moto_server: MotoServer
) -> None:
    store = _store(moto_server, "", forever=True)
    # failure details (a few KB) stay inline: only the result is offloaded
    transport = MsgpackTransport(stages=[Offload(store, threshold=20_000, write_wait=0.5)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.TooBig, [50_000], transport=transport)
        with pytest.raises(TaskError) as info:
            run.result(timeout=30)
    text = str(info.value)
    assert "activity 'huge' v1" in text and "StoreWriteFailed" in text, text
    assert "cannot offload result (50,0" in text and "bytes) to object " in text
    assert "in store 's3://payloads/write-outage/'" in text and "write_wait of 0.5 s" in text
    assert store.refused >= 2


def test_a_start_past_the_write_budget_raises_naming_the_workflow(
    swf: SWF, moto_server: MotoServer
) -> None:
    store = _store(moto_server, "", forever=True)
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000, write_wait=0.2)])
    with pytest.raises(
        StoreWriteFailed, match=r"^input of workflow 'spread' v1: cannot off"
    ) as info:
        start(swf, w.Spread, ["x" * 50_000, 1], transport=transport)
    assert info.value.store == "s3://payloads/write-outage/" and info.value.size > 50_000
    assert store.refused >= 2
