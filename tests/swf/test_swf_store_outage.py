"""A store outage on SWF over moto (issue 16): the decider does not fail the run.

The store is an :class:`S3Store` on moto's S3 whose client is swapped, right after a write,
for one pointed at a closed port (botocore raises ``EndpointConnectionError``), and swapped
back a little later. The decider decides again with backoff and the run completes; with an
outage longer than the decider's ``outage_wait`` the decision task is left unanswered (no
``DecisionTaskCompleted`` in the history, the run still open), and once the store is back
the next decision task completes the run. A missing object still fails the run.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from _extras import reason
from _outage_stores import history, s3_and_a_dead_twin

from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.errors import TaskError
from flowwire.testing.moto import MotoServer
from flowwire.transport import MsgpackTransport
from flowwire.transport.stages import Offload, S3Store

from . import workflows as w

pytest.importorskip("boto3", reason=reason("boto3"))


class FlakyS3(S3Store):
    """An S3 store that is unreachable for ``seconds`` after each of its first ``outages``
    writes; counts the reads that failed meanwhile."""

    def __init__(
        self, client: Any, dead: Any, *, outages: int = 1, seconds: float = 1.0, skip: int = 0
    ) -> None:
        super().__init__("payloads", "outage/", client=client)
        self.live_client, self.dead = client, dead
        self.outages, self.seconds, self.skip = outages, seconds, skip
        self.failed_reads = 0
        self.back = threading.Event()

    def put(self, key: str, data: bytes) -> None:
        super().put(key, data)
        if self.skip > 0:
            self.skip -= 1
        elif self.outages > 0:
            self.outages -= 1
            self.client = self.dead
            self.back.clear()
            threading.Timer(self.seconds, self.restore).start()

    def restore(self) -> None:
        self.client = self.live_client
        self.back.set()

    def get(self, key: str) -> bytes:
        try:
            return super().get(key)
        except KeyError:
            raise
        except Exception:
            self.failed_reads += 1
            raise


@pytest.fixture
def swf(moto_server: MotoServer) -> SWF:
    return SWF(moto_server.client("swf"), "outage")


def _stores(moto_server: MotoServer, **options: Any) -> FlakyS3:
    return FlakyS3(*s3_and_a_dead_twin(moto_server), **options)


def test_the_decider_waits_out_an_s3_outage(swf: SWF, moto_server: MotoServer) -> None:
    store = _stores(moto_server)
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.TooBig, [50_000], transport=transport)
        assert run.result(timeout=30) == 50_000
    assert store.failed_reads >= 1
    kinds = [e["eventType"] for e in history(swf, run)]
    assert "WorkflowExecutionFailed" not in kinds


def test_an_activity_waits_out_an_outage_of_its_input(swf: SWF, moto_server: MotoServer) -> None:
    """The starter writes the workflow's input; the decider writes the activity's input, and
    the outage starts: the activity worker retries reading it, heartbeating, and completes."""
    store = _stores(moto_server, skip=1)
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.Spread, ["x" * 50_000, 1], transport=transport)
        assert run.result(timeout=30) == 50_000
    assert store.failed_reads >= 1 and store.outages == 0
    kinds = [e["eventType"] for e in history(swf, run)]
    assert kinds.count("ActivityTaskScheduled") == 1 and "ActivityTaskFailed" not in kinds


def test_a_long_outage_leaves_the_decision_task_unanswered(
    swf: SWF, moto_server: MotoServer
) -> None:
    """The decider is driven by hand, one decision task at a time; moto times out the task
    left unanswered (a 3-second ``decision_duration``: 1 s was too short for the first, answered
    task on a loaded machine) and schedules another."""
    store = _stores(moto_server, seconds=3600.0)  # restored by hand below
    transport = MsgpackTransport(stages=[Offload(store, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    decider = Decider(swf, w.DECISIONS, WorkflowReplayer(registry), outage_wait=0.5)
    with WorkerPool(swf, registry, deciders=0, activity_threads=1, stagger=0.25):
        run = start(swf, w.TooBig, [50_000], transport=transport, decision_duration=3)
        assert decider.poll_once()  # schedules the activity, whose result write starts it
        deadline = time.monotonic() + 20
        while store.client is not store.dead and time.monotonic() < deadline:
            time.sleep(0.05)
        while not decider.poll_once():  # the activity's completion: its result is unreadable
            pass
        kinds = [e["eventType"] for e in history(swf, run)]
        assert kinds.count("DecisionTaskCompleted") == 1  # the second one was not answered
        assert "WorkflowExecutionFailed" not in kinds and store.failed_reads >= 2
        store.restore()
        deadline = time.monotonic() + 20
        while "DecisionTaskTimedOut" not in kinds and time.monotonic() < deadline:
            decider.poll_once()
            kinds = [e["eventType"] for e in history(swf, run)]
        while run.status() == "OPEN" and time.monotonic() < deadline:
            decider.poll_once()
        assert run.result(timeout=5) == 50_000
    assert "DecisionTaskTimedOut" in kinds


def test_a_missing_object_still_fails_the_run(swf: SWF, moto_server: MotoServer) -> None:
    store = _stores(moto_server, outages=0)

    class Losing(S3Store):
        def put(self, key: str, data: bytes) -> None:
            super().put(key, data)
            self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    losing = Losing("payloads", "lost/", client=store.live_client, name=store.name)
    transport = MsgpackTransport(stages=[Offload(losing, threshold=1_000)])
    registry = TaskRegistry(w.ALL, transport=transport)
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        run = start(swf, w.TooBig, [50_000], transport=transport)
        with pytest.raises(TaskError, match="missing object"):
            run.result(timeout=30)
