"""SWF engine figures: throughput against moto, and the decider's CPU per decision.

    python bench/swf_bench.py [--workflows 40] [--fanout 200] [--quick]

1. Workflows per second: ``--workflows`` one-activity workflows started at once, run by an
   in-process WorkerPool (4 decider + 4 activity threads) against moto in server mode.
2. Activity round trips per second: one workflow fanning out ``--fanout`` trivial activities.
3. Decider CPU per decision (``time.process_time``) for a sequential workflow whose history has
   about 100 and about 1,000 events, fed SWF-shaped ``PollForDecisionTask`` answers (no
   network, no botocore parsing): *incremental* is what a long-running decider pays (cached
   history, only new events as ``startAtPreviousStartedEvent`` returns them, live execution);
   *cold* is a decider that sees the run for the first time (whole history translated and
   replayed). Medians of interleaved rounds.

Caveats: moto answers an empty poll after a fixed 1 s and never long-polls (``--poll-wait``
shortens that wait; shorter waits mean more polls competing for moto's CPU, so they do not
necessarily help), serializes nothing like SWF
and runs in this process, so throughput figures measure flowwire + boto3 + moto on this
machine, not SWF; real SWF adds network latency per call. CPU figures exclude botocore's
parsing of the answer (proportional to the events returned).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from typing import Any

import boto3
import moto

import flowwire
from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.decider import Decider
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.proxy import ActivityProxy
from flowwire.replay import forget
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.testing.moto import MotoServer
from flowwire.transport import get_transport

TL = "bench"


@activity("bench.inc", "1", TL)
class Inc(Activity):
    def run(self, value: int) -> int:
        return value + 1


@workflow("bench.one", "1", TL)
class One(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, value: int) -> int:
        return wait(self.inc(value))


@workflow("bench.fan", "1", TL)
class Fan(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, n: int) -> int:
        return sum(wait(r) for r in [self.inc(i) for i in range(n)])


@workflow("bench.count", "1", TL)
class Count(Workflow):
    inc = ActivityProxy(Inc)

    def run(self, n: int) -> int:
        value = 0
        for _ in range(n):
            value = wait(self.inc(value))  # one step per decision
        return value


CLASSES = [Inc, One, Fan, Count]


# -- throughput against moto ----------------------------------------------------------------


def throughput(workflows: int, fanout: int, poll_wait: float | None) -> dict[str, float]:
    with MotoServer(empty_poll_wait=poll_wait) as server:
        swf = SWF(server.client("swf", config=boto3.session.Config(max_pool_connections=64)), "b")
        registry = TaskRegistry(CLASSES)
        register_all(swf, registry.specs())
        with WorkerPool(swf, registry, deciders=4, activity_threads=4, stagger=1.0):
            time.sleep(1.2)  # let the staggered pollers settle
            began = time.perf_counter()
            runs = [start(swf, One, [i]) for i in range(workflows)]
            for i, run in enumerate(runs):
                assert run.result(timeout=300, interval=0.05) == i + 1
            per_workflow = time.perf_counter() - began
            began = time.perf_counter()
            assert start(swf, Fan, [fanout]).result(timeout=300, interval=0.05) == sum(
                range(1, fanout + 1)
            )
            per_fan = time.perf_counter() - began
    return {"workflows/s": workflows / per_workflow, "activity round trips/s": fanout / per_fan}


# -- decider CPU per decision ---------------------------------------------------------------


class Shapes:
    """SWF-shaped history of one Count execution, grown one step at a time."""

    def __init__(self, steps: int) -> None:
        self.events: list[dict[str, Any]] = []
        self.previous = 0
        self.add(
            "WorkflowExecutionStarted",
            input=get_transport("json").serialize_arguments([steps], {}),
            workflowType={"name": "bench.count", "version": "1"},
            taskList={"name": TL},
        )

    def add(self, kind: str, **attrs: Any) -> int:
        event_id = len(self.events) + 1
        self.events.append(
            {
                "eventId": event_id,
                "eventType": kind,
                "eventTimestamp": 0.0,
                kind[0].lower() + kind[1:] + "EventAttributes": attrs,
            }
        )
        return event_id

    def answer(self, incremental: bool) -> dict[str, Any]:
        scheduled = self.add("DecisionTaskScheduled", taskList={"name": TL})
        started = self.add("DecisionTaskStarted", scheduledEventId=scheduled)
        events = self.events[self.previous - 1 :] if incremental and self.previous else self.events
        answer = {
            "taskToken": f"t{started}",
            "startedEventId": started,
            "previousStartedEventId": self.previous,
            "workflowExecution": {"workflowId": "count", "runId": "r"},
            "workflowType": {"name": "bench.count", "version": "1"},
            "events": list(events),
        }
        self.previous = started
        self.add("DecisionTaskCompleted", scheduledEventId=scheduled, startedEventId=started)
        return answer

    def complete(self, decisions: list[dict[str, Any]]) -> None:
        for decision in decisions:
            attrs = decision["scheduleActivityTaskDecisionAttributes"]
            key = attrs["activityId"]
            value = get_transport("json").deserialize_arguments(attrs["input"])[0][0]
            scheduled = self.add(
                "ActivityTaskScheduled", activityId=key, activityType=attrs["activityType"]
            )
            started = self.add("ActivityTaskStarted", scheduledEventId=scheduled)
            self.add(
                "ActivityTaskCompleted",
                result=str(value + 1),
                scheduledEventId=scheduled,
                startedEventId=started,
            )


def decider_cpu(sizes: tuple[int, ...], rounds: int) -> dict[tuple[str, int], float]:
    """Median CPU seconds of one decision at each history size, incremental and cold."""
    registry = TaskRegistry(CLASSES)
    samples: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for mode in ("incremental", "cold"):
            history = Shapes(steps=10_000)
            swf = SWF(None, "b")
            decider = Decider(swf, TL, WorkflowReplayer(registry, live=mode == "incremental"))
            for size in sizes:
                while True:
                    answer = history.answer(incremental=mode == "incremental")
                    if mode == "cold":  # a decider that never saw the run
                        decider.forget("r")
                        forget("r")
                    if answer["startedEventId"] >= size:
                        break
                    task = decider.read_task(answer)
                    assert task is not None
                    history.complete(decider.decisions_for(task))
                began = time.process_time()
                task = decider.read_task(answer)
                assert task is not None
                decisions = decider.decisions_for(task)
                samples.setdefault((mode, size), []).append(time.process_time() - began)
                history.complete(decisions)
            decider.replayer.forget("r")  # type: ignore[attr-defined]
    return {key: statistics.median(values) for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=40)
    parser.add_argument("--fanout", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--poll-wait",
        type=float,
        default=-1.0,
        help="seconds moto waits on an empty poll; <0 (default): moto's own 1 s",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.workflows, args.fanout, args.rounds = 5, 20, 3
    print(
        f"flowwire {flowwire.__version__}, boto3 {boto3.__version__}, moto {moto.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()} {platform.processor() or ''}"
    )
    cpu = decider_cpu((100, 1000), args.rounds)
    for mode in ("incremental", "cold"):
        small, large = cpu[(mode, 100)], cpu[(mode, 1000)]
        print(
            f"decider CPU per decision, {mode:11}: {small * 1e3:7.3f} ms at ~100 events, "
            f"{large * 1e3:7.3f} ms at ~1,000 events, ratio {large / small:5.2f}x"
        )
    sys.stdout.flush()
    wait = None if args.poll_wait < 0 else args.poll_wait
    shown = "moto's 1 s" if wait is None else f"{wait} s"
    for name, value in throughput(args.workflows, args.fanout, wait).items():
        print(f"{name} against moto (empty polls answered after {shown}): {value:8.1f}")


if __name__ == "__main__":
    main()
