"""``Offload(read_wait=...)``: how long an activity reads its offloaded input again while the
store is down, before its attempt fails naming the store and the wait (issue 16)."""

from __future__ import annotations

import copy
import pickle

import pytest

from flowwire.errors import ConfigurationError, StoreUnavailable
from flowwire.task import Activity, activity, run_activity
from flowwire.transport import JSONTransport
from flowwire.transport.stages import InMemoryStore, Offload


class ReadsDown(InMemoryStore):
    """Keeps what it is given, and fails every read as an unreachable store does (counted)."""

    def __init__(self) -> None:
        super().__init__(name="down")
        self.reads = 0

    def get(self, key: str) -> bytes:
        self.reads += 1
        raise OSError(5, "Input/output error")


@activity("tests.read_wait.length", "1", "tl-read-wait")
class Length(Activity):
    def run(self, text: str) -> int:
        return len(text)


def _attempt(read_wait: float | None) -> tuple[str, int]:
    """The failure reason of one attempt whose input store is down, and the reads it made."""
    store = ReadsDown()
    options = {} if read_wait is None else {"read_wait": read_wait}
    transport = JSONTransport(stages=[Offload(store, threshold=0, **options)])
    payload = transport.serialize_arguments(("x" * 100,), {})
    outcome = run_activity(Length, payload, token="t", transport=transport)
    assert outcome.status == "failed"
    return outcome.reason, store.reads


@pytest.mark.parametrize(("read_wait", "reads"), [(0, 1), (0.05, 1), (0.1, 2), (0.35, 3)])
def test_a_short_read_wait_gives_up_sooner_naming_the_store_and_the_wait(
    read_wait: float, reads: int
) -> None:
    """Retries wait 0.1 s, then 0.2 s, ...: a wait that the next one would pass ends them."""
    reason, made = _attempt(read_wait)
    assert made == reads
    assert reason.startswith(
        f"StoreUnavailable: gave up reading after the offload stage's read_wait of {read_wait:g} "
        "s: arguments: cannot read object "
    )
    assert "from store 'down' for now" in reason  # within the reason's 256 characters


def test_read_wait_defaults_to_60_seconds_and_travels_with_the_error() -> None:
    stage = Offload(InMemoryStore())
    assert stage.read_wait == 60.0 and "read_wait=60" in repr(stage)
    error = StoreUnavailable("cannot read", store="s", key="k", read_wait=0.5)
    for copied in (copy.deepcopy(error), pickle.loads(pickle.dumps(error))):
        assert (copied.store, copied.key, copied.read_wait) == ("s", "k", 0.5)
    assert StoreUnavailable("cannot read", store="s", key="k").read_wait is None


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan"), True, "60"])
def test_read_wait_must_be_finite_seconds(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="offload read_wait must be a finite number"):
        Offload(InMemoryStore(), read_wait=bad)  # type: ignore[arg-type]
