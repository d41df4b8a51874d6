"""Task classes for the local engine tests (module level, so worker processes can import them)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flowwire.errors import TaskError
from flowwire.proxy import ActivityProxy, WorkflowProxy
from flowwire.result import SuspendTask, finish_order, first, parallel_reduce, restart, wait
from flowwire.task import Activity, Workflow, activity, workflow


@dataclass
class Order:
    sku: str
    quantity: int
    price: Decimal


# -- activities -------------------------------------------------------------------------


@activity("echo", "1", "tl")
class Echo(Activity):
    def run(self, *args: Any, **kwargs: Any) -> Any:
        return [list(args), kwargs]


@activity("add", "1", "tl")
class Add(Activity):
    def run(self, x: int, y: int = 10) -> int:
        return x + y


@activity("explode", "1", "tl")
class Explode(Activity):
    def run(self, message: str) -> None:
        raise ValueError(message)


@activity("total", "1", "tl", transport="msgpack")
class Total(Activity):
    """Typed values rebuilt from annotations; msgpack payloads."""

    def run(self, order: Order, when: datetime) -> tuple[Decimal, datetime]:
        return order.price * order.quantity, when


@activity("silent", "1", "tl", heartbeat=1, start_to_close=5)
class Silent(Activity):
    """Sleeps without heartbeats; records what heartbeat() says afterwards."""

    after_timeout: list[bool] = []

    def run(self, seconds: float) -> str:
        time.sleep(seconds)
        Silent.after_timeout.append(self.heartbeat())
        return "done"


@activity("sleeping", "1", "tl", start_to_close=10)
class Sleeping(Activity):
    """Sleeps; shares no state with the tests that watch Silent."""

    def run(self, seconds: float) -> str:
        time.sleep(seconds)
        return "done"


@activity("beating", "1", "tl", heartbeat=1, start_to_close=5)
class Beating(Activity):
    def run(self, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.heartbeat()
            time.sleep(0.2)
        return "alive"


@activity("slow_once", "1", "tl", start_to_close=1)
class SlowOnce(Activity):
    """Times out (start-to-close) on its first attempt only."""

    attempts: list[str] = []

    def run(self, value: int) -> int:
        SlowOnce.attempts.append(self.token)
        if len(SlowOnce.attempts) == 1:
            time.sleep(1.3)
        return value * 3


@activity("external", "1", "tl")
class External(Activity):
    """Leaves the task open; a test thread completes it through the client."""

    tokens: list[str] = []
    ready = threading.Event()

    def run(self, value: int) -> Any:
        External.tokens.append(self.token)
        External.ready.set()
        raise SuspendTask


# -- workflows --------------------------------------------------------------------------


@workflow("signatures", "1", "tl")
class Signatures(Workflow):
    echo = ActivityProxy(Echo)
    add = ActivityProxy(Add)

    def run(self, a: int, *rest: int, scale: int = 1, **extra: Any) -> Any:
        echoed = self.echo(a, *rest, scale=scale, **extra)
        return [wait(echoed), self.add(a) * scale, wait(self.add(a, y=rest[0]))]


@workflow("failing", "1", "tl")
class Failing(Workflow):
    explode = ActivityProxy(Explode)
    add = ActivityProxy(Add)

    def run(self) -> int:
        boom = self.explode("kaboom")
        return wait(self.add(1)) + (wait(boom) or 0)


@workflow("catching", "1", "tl")
class Catching(Workflow):
    explode = ActivityProxy(Explode, error_handling=True)
    add = ActivityProxy(Add, error_handling=True)

    def run(self) -> str:
        chained = self.add(self.explode("kaboom"))  # never scheduled: its argument failed
        try:
            return str(wait(chained))
        except TaskError as exc:
            return f"caught {exc.type_name}: {exc.message} from {exc.task}"


@workflow("typed", "1", "tl", transport="msgpack")
class Typed(Workflow):
    total = ActivityProxy(Total)
    echo = ActivityProxy(Echo, transport="json")  # per-proxy codec

    def run(self, order: Order, when: datetime) -> list[Any]:
        amount, at = wait(self.total(order, when))
        return [amount, at, wait(self.echo(str(amount)))]


@workflow("heartbeats", "1", "tl")
class Heartbeats(Workflow):
    silent = ActivityProxy(Silent, retry=0, error_handling=True)
    beating = ActivityProxy(Beating, retry=0)

    def run(self) -> list[str]:
        alive = self.beating(1.5)
        try:
            silent = wait(self.silent(1.4))
        except TaskError as exc:
            silent = type(exc).__name__ + ": " + exc.message
        return [silent, wait(alive)]


@workflow("retry_after_delay", "1", "tl")
class RetryAfterDelay(Workflow):
    slow = ActivityProxy(SlowOnce, retry=1, delay=1)

    def run(self, value: int) -> int:
        return wait(self.slow(value))


@workflow("external_wf", "1", "tl")
class ExternalWorkflow(Workflow):
    external = ActivityProxy(External, error_handling=True)

    def run(self) -> list[Any]:
        done = self.external(1)
        failed = self.external(2)
        try:
            wait(failed)
        except TaskError as exc:
            return [wait(done), exc.message]
        return [wait(done), "not failed"]


@workflow("doubler", "1", "tl")
class Doubler(Workflow):
    """Sequential loop: doubles through an activity until the value passes 100."""

    add = ActivityProxy(Add)

    def run(self, value: int) -> int:
        while value <= 100:
            value = self.add(value, value)
        return value


@workflow("countdown", "1", "tl")
class Countdown(Workflow):
    add = ActivityProxy(Add)

    def run(self, n: int, seen: int = 0) -> Any:
        if n == 0:
            return seen
        return restart(self.add(n, -1), seen=seen + 1)


@workflow("grandparent", "1", "tl")
class Grandparent(Workflow):
    child = WorkflowProxy(Doubler)
    counting = WorkflowProxy(Countdown)
    failing = WorkflowProxy(Failing, error_handling=True)

    def run(self, value: int) -> list[Any]:
        try:
            wait(self.failing())
            failed = "no"
        except TaskError as exc:
            failed = exc.message
        return [wait(self.child(value)), wait(self.counting(3)), failed]


@workflow("fanout", "1", "tl")
class FanOut(Workflow):
    add = ActivityProxy(Add)

    def run(self, n: int) -> int:
        return wait(parallel_reduce(self.add, [self.add(i, 0) for i in range(n)]))


@workflow("racer", "1", "tl")
class Racer(Workflow):
    add = ActivityProxy(Add)

    def run(self) -> list[Any]:
        results = [self.add(i) for i in range(4)]
        order = [wait(r) for r in finish_order(results)]
        return [wait(first(*results)), sorted(order) == [10, 11, 12, 13], first(5, results[0])]


@workflow("missing", "1", "tl")
class Missing(Workflow):
    ghost = ActivityProxy("ghost", "9")

    def run(self) -> Any:
        return wait(self.ghost())


@workflow("too_long", "1", "tl", workflow_duration=1)
class TooLong(Workflow):
    sleeping = ActivityProxy(Sleeping)

    def run(self) -> Any:
        return wait(self.sleeping(4))


@workflow("custom_format", "1", "tl")
class CustomFormat(Workflow):
    """Overrides the documented underscore methods: input is 'a,b', result is 'sum=N'."""

    add = ActivityProxy(Add)

    def _deserialize_arguments(self, payload: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        a, b = payload.split(",")
        return (int(a), int(b)), {}

    def _serialize_result(self, value: Any) -> str:
        return f"sum={value}"

    def run(self, a: int, b: int) -> int:
        return wait(self.add(a, b))


@workflow("operators", "1", "tl")
class Operators(Workflow):
    echo = ActivityProxy(Echo)
    add = ActivityProxy(Add)

    def run(self) -> list[Any]:
        four = self.add(2, 2)
        pair = self.echo("x", k=1)
        return [
            four + 1,
            1 + four,
            four * 2,
            -four,
            four > 3,
            bool(four),
            str(four),
            f"{four:03d}",
            list(pair)[1],
            pair[0],
            len(pair),
            "x" in pair[0],
            pair[1].get("k"),
            four == 4,
            {four: "hashable"}[4],
            int(four) / 8,
        ]


@activity("needs_config", "1", "tl")
class NeedsConfig(Activity):
    def __init__(self, config: dict[str, Any]) -> None:  # engines construct with no arguments
        self.config = config

    def run(self) -> None:
        return None


@workflow("misconfigured", "1", "tl")
class Misconfigured(Workflow):
    needs = ActivityProxy(NeedsConfig)

    def run(self) -> Any:
        return wait(self.needs())


@workflow("beating_only", "1", "tl")
class BeatingOnly(Workflow):
    beating = ActivityProxy(Beating, retry=0)

    def run(self, seconds: float) -> str:
        return wait(self.beating(seconds))


@workflow("changing_code", "1", "tl")
class ChangingCode(Workflow):
    """Calls a different proxy from its second replay on: what a deploy mid-execution does."""

    add = ActivityProxy(Add)
    renamed = ActivityProxy(Add)
    replays: list[int] = []

    def run(self) -> int:
        ChangingCode.replays.append(1)
        proxy = self.add if len(ChangingCode.replays) == 1 else self.renamed
        return wait(self.add(wait(proxy(1))))
