"""Every event type round-trips through the SQLite store field for field: a history read back
from the file is the one the in-memory store holds for the same batches (compared on every
field, also those an event's ``==`` ignores, such as ``TimerStarted.seconds``)."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest

from flowwire.history import (
    Event,
    SignalDelivered,
    SignalReceived,
    SignalSendFailed,
    SignalSent,
    TaskCancelRequested,
    TaskCompleted,
    TaskFailed,
    TaskScheduled,
    TaskScheduleFailed,
    TaskStarted,
    TaskTimedOut,
    TimerFired,
    TimerStarted,
    WorkflowCancelRequested,
    WorkflowStarted,
)
from flowwire.runtime.memory import MemoryStore
from flowwire.runtime.sqlite import SQLiteStore
from flowwire.runtime.store import Batch, RunRecord, StoredEvent

#: Each event type with every field set (no field left at its default), and with its optional
#: fields at their defaults.
SAMPLES: dict[type, list[Any]] = {
    WorkflowStarted: [WorkflowStarted('[["in"],{}]'), WorkflowStarted("")],
    TaskScheduled: [
        TaskScheduled(
            "step#1",
            "tasks.step",
            "2",
            "activity",
            {"task_list": "tl", "heartbeat": None, "start_to_close": 30},
            "[[1],{}]",
        ),
        TaskScheduled("child#1", "tasks.child", "1", "workflow", {}, None),
        # read back exactly: an integer beyond 64 bits (orjson would read a float), nesting
        TaskScheduled("odd#1", "tasks.odd", "1", "activity", {"big": 2**70 + 1, "n": {"x": [1]}}),
        TaskScheduled("bare#1"),
    ],
    TaskStarted: [TaskStarted("step#1")],
    TaskCompleted: [TaskCompleted("step#1", "2"), TaskCompleted("step#2", "")],
    TaskFailed: [TaskFailed("step#1", "ValueError: no", '{"traceback":"..."}')],
    TaskTimedOut: [TaskTimedOut("step#1", "START_TO_CLOSE")],
    TaskScheduleFailed: [
        TaskScheduleFailed("step#3", "ACTIVITY_TYPE_DOES_NOT_EXIST", "tasks.gone", "3", "activity"),
        TaskScheduleFailed("child#2", "WORKFLOW_TYPE_DOES_NOT_EXIST", "tasks.c", "1", "workflow"),
        TaskScheduleFailed("step#4", "OPERATION_NOT_PERMITTED"),
    ],
    TimerStarted: [TimerStarted("sleep#1", 90), TimerStarted("sleep#2")],
    TimerFired: [TimerFired("sleep#1")],
    SignalReceived: [SignalReceived("approve", '[["yes"],{}]')],
    SignalSent: [SignalSent("signal#1", "other-workflow", "approve", '[["yes"],{}]')],
    SignalDelivered: [SignalDelivered("signal#1")],
    SignalSendFailed: [SignalSendFailed("signal#1", "UNKNOWN_EXECUTION")],
    WorkflowCancelRequested: [WorkflowCancelRequested("asked by ops"), WorkflowCancelRequested()],
    TaskCancelRequested: [TaskCancelRequested("step#1")],
}


def fields_of(event: Any) -> tuple[Any, ...]:
    """The event's type and every field's value (``==`` on events skips some fields)."""
    return (type(event).__name__, *(getattr(event, f.name) for f in dataclasses.fields(event)))


def test_every_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(typing.get_args(Event))


def test_every_sample_sets_each_field_of_its_type_somewhere() -> None:
    """Each optional field is set (not at its default) in some sample of its type, so a column
    the store drops cannot go unnoticed."""
    for kind, samples in SAMPLES.items():
        for field in dataclasses.fields(kind):
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                continue
            default = (
                field.default
                if field.default is not dataclasses.MISSING
                else field.default_factory()
            )
            assert any(getattr(s, field.name) != default for s in samples), (kind, field.name)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_an_event_reads_back_from_the_file_as_the_memory_store_holds_it(
    tmp_path: Path, kind: type
) -> None:
    run = RunRecord("r-1", "w-1", "wf", "1", "tl", "[]", 1000.0, 5000.0)
    batches = [Batch(runs=[run], events=[StoredEvent("r-1", WorkflowStarted("[]"), 1000.0)])]
    batches += [
        Batch(events=[StoredEvent("r-1", event, 1001.0 + i)])
        for i, event in enumerate(SAMPLES[kind])
    ]
    memory = MemoryStore()
    path = tmp_path / "flow.db"
    store = SQLiteStore(path)
    for batch in batches:
        memory.commit(batch)
        store.commit(batch)
    store.close()
    again = SQLiteStore(path, readonly=True)  # a new process would read it so
    try:
        read = [fields_of(e) for e in again.history("r-1")]
    finally:
        again.close()
    assert read == [fields_of(e) for e in memory.history("r-1")]
