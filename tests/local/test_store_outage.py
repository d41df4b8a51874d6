"""A store outage while reading an offloaded payload is transient (issue 16).

The store is a real :class:`LocalDirectoryStore` whose directory is moved away right after a
write, as an unmounted volume would be, and moved back by the reader's own failed reads (the
second one, by default): the outage is driven by what the readers do, never by a timer, so the
readers are sure to hit it however loaded the machine is. Decisions that need the object are
retried with backoff and the run completes, on the in-memory engine (live and full replay) and
on the durable engine; an activity retries reading its input. A missing object stays a
permanent failure that names it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from flowwire import LocalEngine, TaskError
from flowwire.errors import StoreUnavailable
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import JSONTransport
from flowwire.transport.stages import LocalDirectoryStore, Offload

SIZE = 5_000  # characters: offloaded with the 1,000-byte threshold below


class Vanishing(LocalDirectoryStore):
    """Moves its directory away after each of its first ``outages`` writes; the ``reads``-th
    read that fails then moves it back (``None``: the next write does, before it writes).
    Counts the reads that failed."""

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


@activity("tests.outage.text", "1", "tl-outage")
class Text(Activity):
    def run(self, size: int) -> str:
        return "ab" * (size // 2)


@activity("tests.outage.length", "1", "tl-outage")
class Length(Activity):
    def run(self, text: str) -> int:
        return len(text)


@workflow("tests.outage.result", "1", "tl-outage")
class ReadsResult(Workflow):
    """Reads an offloaded activity result in the decider."""

    text = ActivityProxy(Text)

    def run(self, size: int) -> int:
        return len(self.text(size))


@workflow("tests.outage.argument", "1", "tl-outage")
class SendsArgument(Workflow):
    """Sends an offloaded input to an activity: the activity reads it."""

    length = ActivityProxy(Length)

    def run(self, size: int) -> int:
        return int(self.length("x" * size))


@workflow("tests.outage.input", "1", "tl-outage")
class BigInput(Workflow):
    """Its own input is offloaded: the first decision reads it."""

    length = ActivityProxy(Length)

    def run(self, text: str) -> int:
        return int(self.length("y")) + len(text)


@workflow("tests.outage.forward", "1", "tl-outage")
class ForwardsResult(Workflow):
    """Passes an offloaded result on to another call: the decider itself (not ``run``) reads
    it to encode that call's input, when the first task completes."""

    text = ActivityProxy(Text)
    length = ActivityProxy(Length)

    def run(self, size: int) -> int:
        big = self.text(size)
        return int(self.length(big)) + 1


ENGINES = {
    "memory-live": {},
    "memory-replay": {"live": False},
    "memory-verify": {"verify_replay": True},
    "durable": {"db": "flow.db"},
}


def make_engine(tmp_path: Path, store: LocalDirectoryStore, name: str) -> LocalEngine:
    options: dict[str, Any] = dict(ENGINES[name])
    if "db" in options:
        options["db"] = tmp_path / options["db"]
    transport = JSONTransport(stages=[Offload(store, threshold=1_000)])
    return LocalEngine(transport=transport, max_workers=2, **options)


@pytest.fixture(params=list(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_result_read_during_an_outage_is_retried_until_the_store_is_back(
    tmp_path: Path, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, engine_name)
    with caplog.at_level(logging.WARNING, logger="flowwire.kernel"):
        assert engine.run(ReadsResult, SIZE) == SIZE
    assert store.failed_reads == 2  # the decider did hit the outage, and read again
    assert "deciding again in" in caplog.text and "is unavailable" in caplog.text


def test_the_workflow_input_read_during_an_outage_is_retried(
    tmp_path: Path, engine_name: str
) -> None:
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, engine_name)
    assert engine.run(BigInput, "z" * SIZE) == SIZE + 1
    assert store.failed_reads == 2


def test_a_result_forwarded_to_another_call_during_an_outage(
    tmp_path: Path, engine_name: str
) -> None:
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, engine_name)
    assert engine.run(ForwardsResult, SIZE) == SIZE + 1
    assert store.failed_reads == 2


def test_an_activity_retries_reading_its_offloaded_input(tmp_path: Path) -> None:
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, "memory-live")
    assert engine.run(SendsArgument, SIZE) == SIZE
    assert store.failed_reads == 2


def test_an_activity_gives_up_after_its_wait_and_names_the_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowwire import task

    monkeypatch.setattr(task, "ARGUMENT_OUTAGE_WAIT", 0.3)
    store = Vanishing(tmp_path / "blobs", reads=None)  # back when the failure is written
    engine = make_engine(tmp_path, store, "memory-live")
    with pytest.raises(TaskError, match="for now, the store is unavailable") as info:
        engine.run(SendsArgument, SIZE)
    assert "StoreUnavailable" in str(info.value)  # the activity's error, carried up
    assert store.failed_reads >= 2  # retried before giving up


def test_a_missing_object_fails_the_run_for_good(tmp_path: Path, engine_name: str) -> None:
    engine = make_engine(tmp_path, Forgetful(tmp_path / "blobs"), engine_name)
    with pytest.raises(TaskError, match=r"missing object [0-9a-f]{64} in store 'local'") as info:
        engine.run(ReadsResult, SIZE)
    assert "DecodeError: result: missing object" in str(info.value)  # not StoreUnavailable


def test_store_unavailable_is_a_decode_error_that_says_transient() -> None:
    error = StoreUnavailable("result: cannot read object k for now", store="s", key="k")
    assert isinstance(error, ValueError) and (error.store, error.key) == ("s", "k")
    assert "transient" in (StoreUnavailable.__doc__ or "")


def test_the_example_waits_out_its_outage(capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    example = Path(__file__).resolve().parents[2] / "examples" / "store_outage.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "store 'local' is unavailable, deciding again in 0.1 s (outage 1)" in out
    assert out.rstrip().endswith("result: 5000")
