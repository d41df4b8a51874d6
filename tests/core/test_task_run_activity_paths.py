"""run_activity calls the engine's transport directly only where the class keeps the default
override points; an overridden one is still called, with an engine's transport too."""

from __future__ import annotations

from typing import Any

from flowwire import StoreUnavailable
from flowwire.task import Activity, activity, run_activity
from flowwire.transport.codecs.json import JSONTransport

calls: list[str] = []


@activity("paths-plain", "1", "tests")
class Plain(Activity):
    def run(self, x: int) -> int:
        return x + 1


@activity("paths-overridden", "1", "tests")
class Overridden(Activity):
    def run(self, x: int) -> int:
        return x + 1

    def _deserialize_arguments(self, payload: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        calls.append("read")
        args, kwargs = super()._deserialize_arguments(payload)
        return (args[0] * 10,), kwargs

    def _serialize_result(self, value: Any) -> str:
        calls.append("write")
        return super()._serialize_result(value * 2)


class Counting(JSONTransport):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.writes = 0

    def deserialize_arguments(self, payload: str, *, signature: Any = None) -> Any:
        self.reads += 1
        return super().deserialize_arguments(payload, signature=signature)

    def serialize_result(self, value: Any) -> str:
        self.writes += 1
        return super().serialize_result(value)


def test_default_points_use_the_given_transport() -> None:
    transport = Counting()
    outcome = run_activity(Plain, '{"args":[4],"kwargs":{}}', token="t", transport=transport)
    assert (outcome.status, outcome.result) == ("completed", "5")
    assert (transport.reads, transport.writes) == (1, 1)


def test_overridden_points_are_called_with_a_given_transport() -> None:
    calls.clear()
    transport = Counting()
    outcome = run_activity(Overridden, '{"args":[4],"kwargs":{}}', token="t", transport=transport)
    assert (outcome.status, outcome.result) == ("completed", "82")
    assert calls == ["read", "write"]
    assert (transport.reads, transport.writes) == (1, 1)


def test_overridden_points_are_called_without_one() -> None:
    calls.clear()
    outcome = run_activity(Overridden, '{"args":[1],"kwargs":{}}', token="t")
    assert (outcome.status, outcome.result) == ("completed", "22")
    assert calls == ["read", "write"]


class Flaky(JSONTransport):
    """Arguments whose store answers on the third read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def deserialize_arguments(self, payload: str, *, signature: Any = None) -> Any:
        self.reads += 1
        if self.reads < 3:
            raise StoreUnavailable("down", store="s", key="k", read_wait=60)
        return super().deserialize_arguments(payload, signature=signature)


def test_an_unavailable_input_is_read_again(monkeypatch: Any) -> None:
    import flowwire.task as task

    slept: list[float] = []
    monkeypatch.setattr(task.time, "sleep", slept.append)
    transport = Flaky()
    outcome = run_activity(Plain, '{"args":[4],"kwargs":{}}', token="t", transport=transport)
    assert (outcome.status, outcome.result) == ("completed", "5")
    assert transport.reads == 3 and len(slept) == 2


def test_an_input_unavailable_past_read_wait_fails(monkeypatch: Any) -> None:
    import flowwire.task as task

    monkeypatch.setattr(task.time, "sleep", lambda _: None)

    class Down(JSONTransport):
        reads = 0

        def deserialize_arguments(self, payload: str, *, signature: Any = None) -> Any:
            Down.reads += 1
            raise StoreUnavailable("down", store="s", key="k", read_wait=0.0)

    outcome = run_activity(Plain, '{"args":[4],"kwargs":{}}', token="t", transport=Down())
    assert outcome.status == "failed"
    assert "gave up reading after the offload stage's read_wait of 0 s" in outcome.reason
    assert Down.reads == 1
