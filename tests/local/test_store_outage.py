"""A store outage while reading an offloaded payload is transient (issue 16).

The store is a real :class:`LocalDirectoryStore` (``Vanishing``, from tests/_outage_stores.py,
with the engines and task classes these tests share with the write-outage ones) whose directory
is moved away right after a write, as an unmounted volume would be, and moved back by the
reader's own failed reads (the second one, by default): the outage is driven by what the
readers do, never by a timer, so the readers are sure to hit it however loaded the machine is.
Decisions that need the object are retried with backoff and the run completes, on the
in-memory engine (live and full replay) and on the durable engine; an activity retries reading
its input. A missing object stays a permanent failure that names it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from _outage_stores import (
    ENGINES,
    SIZE,
    BigArgument,
    BigResult,
    Forgetful,
    Length,
    Text,
    Vanishing,
    make_engine,
)

from flowwire import TaskError
from flowwire.errors import StoreUnavailable
from flowwire.proxy import ActivityProxy
from flowwire.task import Workflow, workflow


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


@pytest.fixture(params=list(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_result_read_during_an_outage_is_retried_until_the_store_is_back(
    tmp_path: Path, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, engine_name)
    with caplog.at_level(logging.WARNING, logger="flowwire.kernel"):
        assert engine.run(BigResult, SIZE) == SIZE
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
    assert engine.run(BigArgument, SIZE) == SIZE
    assert store.failed_reads == 2


def test_an_activity_gives_up_after_its_wait_and_names_the_outage(tmp_path: Path) -> None:
    store = Vanishing(tmp_path / "blobs", reads=None)  # back when the failure is written
    engine = make_engine(tmp_path, store, "memory-live", read_wait=0.3)
    with pytest.raises(TaskError, match="for now, the store is unavailable") as info:
        engine.run(BigArgument, SIZE)
    assert "StoreUnavailable" in str(info.value)  # the activity's error, carried up
    assert store.failed_reads >= 2  # retried before giving up


def test_a_missing_object_fails_the_run_for_good(tmp_path: Path, engine_name: str) -> None:
    engine = make_engine(tmp_path, Forgetful(tmp_path / "blobs"), engine_name)
    with pytest.raises(TaskError, match=r"missing object [0-9a-f]{64} in store 'local'") as info:
        engine.run(BigResult, SIZE)
    assert "DecodeError: result: missing object" in str(info.value)  # not StoreUnavailable


def test_store_unavailable_is_a_decode_error_that_says_transient() -> None:
    error = StoreUnavailable("result: cannot read object k for now", store="s", key="k")
    assert isinstance(error, ValueError) and (error.store, error.key) == ("s", "k")
    assert "transient" in (StoreUnavailable.__doc__ or "")
