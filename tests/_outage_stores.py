"""Offload stores that fail on demand, for the store-outage tests (issue 16).

On a local directory (tests/local/test_store_outage.py, test_store_write_outage.py):
:class:`Refusing` refuses writes, :class:`Vanishing` moves its directory away (reads fail) and
:class:`Forgetful` loses what it is given. Each outage is counted in writes or in failed reads,
never timed, so the tests are deterministic however loaded the machine is. :func:`make_engine`
runs them on every engine of :data:`ENGINES`, and the task classes below are the calls whose
payloads get offloaded (``RUNS`` counts how often each activity ran).

On moto's S3 (tests/swf/): :func:`s3_and_a_dead_twin` gives a client of a bucket and one that
reaches nothing, which a store swaps in for the writes or reads that must fail.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flowwire import LocalEngine
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import JSONTransport
from flowwire.transport.stages import LocalDirectoryStore, Offload

SIZE = 5_000  # characters: offloaded with make_engine's default threshold
KEY = r"[0-9a-f]{64}"  # an object's key, in a message


class Refusing(LocalDirectoryStore):
    """Lets ``skip`` writes through, then refuses the next ``down`` ones (``None``: all of
    them) with ``OSError``; counts the refusals."""

    def __init__(self, root: Path, *, down: int | None = 2, skip: int = 0) -> None:
        super().__init__(root)
        self.down, self.skip = down, skip
        self.refused = 0
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            if self.skip > 0:
                self.skip -= 1
            elif self.down is None or self.down > 0:
                if self.down is not None:
                    self.down -= 1
                self.refused += 1
                raise OSError(5, "Input/output error (the store is down)")
        super().put(key, data)


class Vanishing(LocalDirectoryStore):
    """Moves its directory away after each of its first ``outages`` writes, as an unmounted
    volume would be; the ``reads``-th read that fails then moves it back (``None``: the next
    write does, before it writes). Counts the reads that failed."""

    def __init__(self, root: Path, *, outages: int = 1, reads: int | None = 2) -> None:
        super().__init__(root)
        self.outages = outages
        self.reads = reads
        self.failed_reads = 0
        self._failed_now = 0  # reads failed in the current outage
        self._away: Path | None = None
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        if self.reads is None:
            self.restore()
        super().put(key, data)
        with self._lock:
            if self.outages > 0:
                self.outages -= 1
                self._away = self.root.with_name(self.root.name + ".away")
                self.root.rename(self._away)
                self._failed_now = 0

    def get(self, key: str) -> bytes:
        try:
            return super().get(key)
        except OSError:
            with self._lock:
                self.failed_reads += 1
                self._failed_now += 1
                if self.reads is not None and self._failed_now >= self.reads:
                    self._restore()
            raise

    def restore(self) -> None:
        """End the outage (if there is one)."""
        with self._lock:
            self._restore()

    def _restore(self) -> None:
        if self._away is not None:
            self._away.rename(self.root)
            self._away = None


class Forgetful(LocalDirectoryStore):
    """Loses every object it is given: a missing object, not an outage."""

    def put(self, key: str, data: bytes) -> None:
        super().put(key, data)
        self._path(key).unlink()


#: engine name -> LocalEngine options (``db``: a file name in the test's directory)
ENGINES: dict[str, dict[str, Any]] = {
    "memory-live": {},
    "memory-replay": {"live": False},
    "memory-verify": {"verify_replay": True},
    "durable": {"db": "flow.db"},
}


def make_engine(
    tmp_path: Path, store: LocalDirectoryStore, name: str, **offload: Any
) -> LocalEngine:
    """The engine ``name`` of :data:`ENGINES` with a JSON transport that offloads to ``store``
    (``offload``: the stage's options; payloads over 1,000 bytes by default)."""
    options: dict[str, Any] = dict(ENGINES[name])
    if "db" in options:
        options["db"] = tmp_path / options["db"]
    offload.setdefault("threshold", 1_000)
    transport = JSONTransport(stages=[Offload(store, **offload)])
    return LocalEngine(transport=transport, max_workers=2, **options)


RUNS: dict[str, int] = {}  # activity -> how often it ran (a test clears it)
_RUNS_LOCK = threading.Lock()


def ran(name: str) -> None:
    with _RUNS_LOCK:
        RUNS[name] = RUNS.get(name, 0) + 1


@activity("tests.outage.text", "1", "tl-outage")
class Text(Activity):
    def run(self, size: int) -> str:
        ran("text")
        return "ab" * (size // 2)


@activity("tests.outage.length", "1", "tl-outage")
class Length(Activity):
    def run(self, text: str) -> int:
        ran("length")
        return len(text)


@workflow("tests.outage.result", "1", "tl-outage")
class BigResult(Workflow):
    """Its activity's result is offloaded; the decider reads it."""

    text = ActivityProxy(Text)

    def run(self, size: int) -> int:
        return len(self.text(size))


@workflow("tests.outage.argument", "1", "tl-outage")
class BigArgument(Workflow):
    """Its decision offloads an activity's input; the activity reads it."""

    length = ActivityProxy(Length)

    def run(self, size: int) -> int:
        return int(self.length("x" * size))


# -- moto's S3 -----------------------------------------------------------------------------


def s3_and_a_dead_twin(moto_server: Any, bucket: str = "payloads") -> tuple[Any, Any]:
    """A client of moto's S3 with ``bucket`` created, and one pointed at a closed port:
    botocore raises ``EndpointConnectionError`` at once (one attempt, 0.2 s timeouts)."""
    import boto3
    from botocore.config import Config

    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=bucket)
    dead = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=0.2, read_timeout=0.2),
    )
    return s3, dead


def history(swf: Any, run: Any) -> list[dict[str, Any]]:
    """The SWF history events of ``run``."""
    events: list[dict[str, Any]] = swf.call(
        "GetWorkflowExecutionHistory",
        domain=swf.domain,
        execution={"workflowId": run.workflow_id, "runId": run.run_id},
    )["events"]
    return events
