"""Encrypted tasks for the history tests: their payloads are ciphertext in SWF's history,
readable only with these classes' transports (``--scan swf._encrypted``)."""

from __future__ import annotations

import threading

from flowwire import Activity, ActivityProxy, JSONTransport, Workflow, activity, workflow
from flowwire.errors import TaskError
from flowwire.result import wait
from flowwire.transport.stages import AESGCM, Keyring

#: The three squares of the history test wait for one another, so the timeline's "peak 3" is
#: what ran, not what a loaded machine's timing happened to allow (a sleep of 0.2 s did not).
TOGETHER = threading.Barrier(3, timeout=30)

KEYRING = Keyring({"test-1": bytes(range(32))}, current="test-1")
SECRET = JSONTransport(stages=[AESGCM(KEYRING)])


@activity("secret.square", "1", "secret-activities", transport=SECRET)
class Square(Activity):
    def run(self, x: int) -> int:
        TOGETHER.wait()  # raises BrokenBarrierError after 30 s alone: the test fails
        if x < 0:
            raise ValueError(f"no square of {x} today")
        return x * x


@workflow("secret.squares", "1", "secret-decisions", transport=SECRET)
class Squares(Workflow):
    square = ActivityProxy(Square, error_handling=True)

    def run(self, values: list[int]) -> dict[str, int | str]:
        results = [self.square(v) for v in values]  # concurrent
        out: dict[str, int | str] = {}
        for value, result in zip(values, results, strict=True):
            try:
                out[str(value)] = wait(result)
            except TaskError as exc:
                out[str(value)] = f"{exc.type_name}: {exc.message}"
        return out
