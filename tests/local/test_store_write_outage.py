"""A store outage while WRITING an offloaded payload is transient too (issue 16).

The store is a real :class:`LocalDirectoryStore` (``Refusing``, from tests/_outage_stores.py)
that refuses its next ``down`` writes with ``OSError`` (after letting ``skip`` through): the
outage is counted in writes, never timed, so every test is deterministic. Each payload kind
that can be offloaded is written during an outage: an activity's result (the activity is not
run again), an activity's failure, an activity's input and a signal (decided by the workflow),
the workflow's result and restart arguments, and a start's input. The run completes on the
in-memory engine (live, full replay, verified) and on the durable engine. A store that stays
down past the offload stage's ``write_wait`` fails with :class:`~flowwire.StoreWriteFailed`,
naming the store, object, size and task. Error details read during an outage are retried like
any read.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from _outage_stores import (
    ENGINES,
    KEY,
    RUNS,
    SIZE,
    BigArgument,
    BigResult,
    Forgetful,
    Refusing,
    Text,
    Vanishing,
    make_engine,
    ran,
)

from flowwire import TaskError
from flowwire.errors import StoreWriteFailed, StoreWriteUnavailable
from flowwire.proxy import ActivityProxy
from flowwire.result import restart
from flowwire.task import Activity, Workflow, activity, run_activity, workflow
from flowwire.transport import JSONTransport
from flowwire.transport.stages import LocalDirectoryStore, Offload


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    RUNS.clear()


@activity("tests.write_outage.fail", "1", "tl-write-outage")
class Fails(Activity):
    def run(self, size: int) -> None:
        ran("fail")
        raise RuntimeError("e" * size)


@workflow("tests.write_outage.own_result", "1", "tl-write-outage")
class OwnResult(Workflow):
    """Its own result is offloaded."""

    def run(self, size: int) -> str:
        return "r" * size


@workflow("tests.write_outage.restart", "1", "tl-write-outage")
class Restarts(Workflow):
    """Continues as new once, with offloaded restart arguments."""

    def run(self, size: int, text: str = "") -> Any:
        if not text:
            return restart(size, "t" * size)
        return len(text)


@workflow("tests.write_outage.input", "1", "tl-write-outage")
class OwnInput(Workflow):
    """Its start's input is offloaded."""

    def run(self, text: str) -> int:
        return len(text)


@workflow("tests.write_outage.failure", "1", "tl-write-outage")
class CatchesFailure(Workflow):
    """Its activity fails with offloaded error details; it reads them."""

    fails = ActivityProxy(Fails, retry=0, error_handling=True)

    def run(self, size: int) -> str:
        try:
            self.fails(size).wait()
        except TaskError as exc:
            if exc.type_name is None:  # its details were unreadable: the reason, and why
                return exc.message
            return f"{exc.type_name}: {len(exc.message)}"
        return "no error"


@pytest.fixture(params=list(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_an_activity_result_written_during_an_outage_is_written_again_not_run_again(
    tmp_path: Path, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Refusing(tmp_path / "blobs", down=3)
    engine = make_engine(tmp_path, store, engine_name)
    with caplog.at_level(logging.WARNING, logger="flowwire.store"):
        assert engine.run(BigResult, SIZE) == SIZE
    assert "is unavailable, writing again in 0.4 s (outage 3): cannot offload result" in (
        caplog.text
    )
    assert store.refused == 3 and RUNS == {"text": 1}


@pytest.mark.parametrize(
    ("workflow_class", "argument", "expected", "runs"),
    [
        (BigArgument, SIZE, SIZE, {"length": 1}),
        (OwnResult, SIZE, "r" * SIZE, {}),
        (Restarts, SIZE, SIZE, {}),
        (OwnInput, "i" * SIZE, SIZE, {}),
    ],
    ids=["activity-input", "workflow-result", "restart-arguments", "start-input"],
)
def test_a_decision_or_start_written_during_an_outage_is_written_again(
    tmp_path: Path,
    engine_name: str,
    workflow_class: type[Workflow],
    argument: Any,
    expected: Any,
    runs: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Refusing(tmp_path / "blobs", down=2)
    engine = make_engine(tmp_path, store, engine_name)
    with caplog.at_level(logging.WARNING, logger="flowwire"):
        assert engine.run(workflow_class, argument) == expected
    assert store.refused == 2 and runs == RUNS
    again = "writing again in" if workflow_class is OwnInput else "deciding again in"
    assert f"store 'local' is unavailable, {again} 0.2 s (outage 2)" in caplog.text


def test_error_details_written_during_an_outage_are_written_again(
    tmp_path: Path, engine_name: str
) -> None:
    store = Refusing(tmp_path / "blobs", down=2)
    engine = make_engine(tmp_path, store, engine_name)
    assert engine.run(CatchesFailure, SIZE) == f"RuntimeError: {SIZE}"
    assert store.refused == 2 and RUNS == {"fail": 1}


@workflow("tests.write_outage.fails", "1", "tl-write-outage")
class FailsToo(Workflow):
    """Fails with its activity's error, whose details are offloaded again for the run."""

    fails = ActivityProxy(Fails, retry=0)

    def run(self, size: int) -> None:
        self.fails(size).wait()


def test_the_run_failure_written_during_an_outage_is_written_again_in_full(
    tmp_path: Path, engine_name: str
) -> None:
    """The activity's details go through; the run's own (decided when the activity's failure
    arrives, on the live engine by the decider's thread) are refused twice."""
    store = Refusing(tmp_path / "blobs", skip=1, down=2)
    engine = make_engine(tmp_path, store, engine_name)
    with pytest.raises(TaskError) as info:
        engine.run(FailsToo, SIZE)
    assert info.value.type_name == "TaskError" and "e" * SIZE in info.value.message
    assert store.refused == 2 and RUNS == {"fail": 1}


def test_error_details_read_during_an_outage_are_read_again(
    tmp_path: Path, engine_name: str
) -> None:
    """Before: ``deserialize_error`` turned the outage into "error details unreadable"."""
    store = Vanishing(tmp_path / "blobs")
    engine = make_engine(tmp_path, store, engine_name)
    assert engine.run(CatchesFailure, SIZE) == f"RuntimeError: {SIZE}"
    assert store.failed_reads == 2 and RUNS == {"fail": 1}


def test_missing_error_details_stay_a_permanent_named_failure(
    tmp_path: Path, engine_name: str
) -> None:
    engine = make_engine(tmp_path, Forgetful(tmp_path / "blobs"), engine_name)
    text = engine.run(CatchesFailure, SIZE)
    assert text.startswith("RuntimeError: eee")  # the reason, then why the details are not
    assert "(error details unreadable: error details: missing object " in text
    assert "in store 'local'" in text and "StoreUnavailable" not in text
    assert RUNS == {"fail": 1}


def test_the_missing_error_details_message_names_the_object(tmp_path: Path) -> None:
    transport = JSONTransport(stages=[Offload(Forgetful(tmp_path / "blobs"), threshold=1_000)])
    reason, details = transport.serialize_error(RuntimeError("e" * SIZE))
    error = transport.deserialize_error(reason, details)
    assert "error details unreadable" in error.message
    assert f"missing object {error.message.split('missing object ')[1][:64]}" in error.message
    assert "in store 'local'" in error.message


# -- past the budget ------------------------------------------------------------------------


def _run_past_the_write_budget(
    tmp_path: Path, engine_name: str, workflow_class: type[Workflow]
) -> str:
    """Runs ``workflow_class`` with a store that never comes back (a 0.3 s ``write_wait``,
    inline payloads up to 4,000 bytes); the message of the ``TaskError`` it fails with."""
    store = Refusing(tmp_path / "blobs", down=None)
    engine = make_engine(tmp_path, store, engine_name, threshold=4_000, write_wait=0.3)
    with pytest.raises(TaskError) as info:
        engine.run(workflow_class, SIZE)
    assert store.refused >= 2
    return str(info.value)


def test_an_activity_result_past_the_write_budget_fails_naming_store_object_and_task(
    tmp_path: Path, engine_name: str
) -> None:
    text = _run_past_the_write_budget(tmp_path, engine_name, BigResult)
    assert "activity 'tests.outage.text' v1" in text
    assert "StoreWriteFailed" in text
    assert re.search(rf"result \(5,0\d\d bytes\) to object {KEY} in store 'local'", text)
    assert "stayed unavailable past the stage's write_wait of 0.3 s" in text
    assert RUNS == {"text": 1}


def test_a_decision_past_the_write_budget_fails_the_run_naming_store_object_and_task(
    tmp_path: Path, engine_name: str
) -> None:
    text = _run_past_the_write_budget(tmp_path, engine_name, BigArgument)
    assert "cannot encode the input of activity 'tests.outage.length' v1" in text
    assert "to object " in text and "in store 'local': the store stayed unavailable" in text
    assert RUNS == {}


def test_a_start_past_the_write_budget_raises_naming_store_object_and_workflow(
    tmp_path: Path,
) -> None:
    store = Refusing(tmp_path / "blobs", down=None)
    engine = make_engine(tmp_path, store, "memory-live", write_wait=0.3)
    with pytest.raises(StoreWriteFailed, match=r"input of workflow 'tests.write_outage.input' v1"):
        engine.run(OwnInput, "i" * SIZE)
    assert store.refused >= 2


def test_a_failure_whose_details_cannot_be_stored_is_reported_by_its_type(
    tmp_path: Path,
) -> None:
    store = Refusing(tmp_path / "blobs", down=None)
    transport = JSONTransport(stages=[Offload(store, threshold=1_000, write_wait=0.2)])
    outcome = run_activity(
        Fails, transport.serialize_arguments((SIZE,), {}), token="t", transport=transport
    )
    assert outcome.status == "failed" and outcome.details == ""
    assert outcome.reason == (
        "RuntimeError (its error details were not stored: StoreWriteFailed in store 'local')"
    )


def test_an_activity_stops_writing_when_its_attempt_is_over(tmp_path: Path) -> None:
    store = Refusing(tmp_path / "blobs", down=None)
    transport = JSONTransport(stages=[Offload(store, threshold=1_000)])
    beats: list[bool] = []

    def heartbeat() -> bool:
        beats.append(True)
        return len(beats) < 3  # the attempt timed out after the third retry

    payload = transport.serialize_arguments((SIZE,), {})  # inline: small
    outcome = run_activity(Text, payload, token="t", heartbeat=heartbeat, transport=transport)
    # 3 beats for the result, the 4th for the failure's details, which are not stored either
    assert outcome.status == "failed" and outcome.details == "" and len(beats) == 4
    assert outcome.reason.startswith("StoreWriteUnavailable (its error details were not stored")
    assert RUNS == {"text": 1}


# -- the stage's budget ---------------------------------------------------------------------


def test_the_write_budget_counts_from_the_first_failure_and_ends_with_a_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowwire.transport.stages import offload as module

    clock = [100.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    store = Refusing(tmp_path / "blobs", down=None)
    transport = JSONTransport(stages=[Offload(store, threshold=0, write_wait=5)])
    with pytest.raises(StoreWriteUnavailable, match=rf"to object {KEY} in store 'local' for now"):
        transport.serialize_result("a")
    clock[0] += 4.9
    with pytest.raises(StoreWriteUnavailable, match="transient, try 2;"):
        transport.serialize_result("a")
    clock[0] += 0.1
    with pytest.raises(StoreWriteFailed, match=r"unavailable past the stage's write_wait of 5 s"):
        transport.serialize_result("a")
    with pytest.raises(StoreWriteFailed) as info:  # spent: the next failure too, at once
        transport.serialize_result("a")
    assert info.value.store == "local" and info.value.size > 0
    assert isinstance(info.value.__cause__, OSError)
    store.down = 0  # back: the write goes through, and the next outage has a new budget
    assert transport.deserialize_result(transport.serialize_result("a")) == "a"
    store.down = None
    with pytest.raises(StoreWriteUnavailable, match="try 1;"):
        transport.serialize_result("b")


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "1", True])
def test_write_wait_must_be_a_finite_number(tmp_path: Path, bad: Any) -> None:
    from flowwire.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="write_wait must be a finite number"):
        Offload(LocalDirectoryStore(tmp_path), write_wait=bad)


def test_a_directory_store_whose_root_is_gone_refuses_writes(tmp_path: Path) -> None:
    """Writing into a re-created empty root would hide the object once the volume is back."""
    store = LocalDirectoryStore(tmp_path / "blobs")
    (tmp_path / "blobs").rename(tmp_path / "away")
    with pytest.raises(OSError, match=r"store directory .* is missing"):
        store.put("ab" * 32, b"x")
    assert not (tmp_path / "blobs").exists()


def test_retry_writes_given_the_callers_first_failure_waits_before_writing_again() -> None:
    from flowwire._backoff import retry_writes

    first = StoreWriteUnavailable("down", store="local", key="k", size=1)
    calls: list[str] = []
    slept: list[float] = []
    result = retry_writes(lambda: calls.append("write") or "ok", sleep=slept.append, failed=first)
    assert result == "ok" and calls == ["write"] and slept == [0.1]  # outage 1 was the caller's
    with pytest.raises(StoreWriteUnavailable) as info:  # the attempt is over: not written again
        retry_writes(lambda: calls.append("again"), keep_going=lambda: False, failed=first)
    assert info.value is first and calls == ["write"]
