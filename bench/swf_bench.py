"""The SWF section: throughput against moto, the decider's CPU per decision, round trips.

Run by ``python bench/run.py --only swf`` (not part of the default sections: it needs moto and
boto3, the ``testing`` extra, and takes minutes).

1. Workflows per second: 40 one-activity workflows started at once (quick: 5), run by an
   in-process WorkerPool (4 decider + 4 activity threads) against moto in server mode.
2. Activity round trips per second: one workflow fanning out 200 trivial activities (quick: 20).
3. Decider CPU per decision (``time.process_time``) for a sequential workflow whose history has
   about 100 and about 1,000 events, fed SWF-shaped ``PollForDecisionTask`` answers (no
   network, no botocore parsing): *incremental* is what a long-running decider pays (cached
   history, only new events as ``startAtPreviousStartedEvent`` returns them, live execution);
   *cold* is a decider that sees the run for the first time (whole history translated and
   replayed). Medians of interleaved rounds.
4. Round trips per transport (``swf_round_trips.py``): sequential workflows and a fan-out from
   ``StartWorkflowExecution`` to the decoded result.

Caveats: moto answers an empty poll after a fixed 1 s and never long-polls (``poll_wait``
shortens that wait; shorter waits mean more polls competing for moto's CPU, so they do not
necessarily help), serializes nothing like SWF
and runs in this process, so throughput figures measure flowwire + boto3 + moto on this
machine, not SWF; real SWF adds network latency per call. CPU figures exclude botocore's
parsing of the answer (proportional to the events returned).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import boto3
import swf_round_trips

from flowwire.benchmark.report import need
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


def run(quick: bool, *, poll_wait: float | None = None) -> dict[str, Any]:
    """Every figure of the section, JSON-ready."""
    workflows, fanout, rounds = (5, 20, 3) if quick else (40, 200, 15)
    cpu = decider_cpu((100, 1000), rounds)
    figures: dict[str, Any] = {"rounds": rounds}
    for mode in ("incremental", "cold"):
        small, large = cpu[(mode, 100)], cpu[(mode, 1000)]
        figures[f"decider CPU per decision, {mode}"] = {
            "events_100_s": small,
            "events_1000_s": large,
            "ratio": large / small,
            "summary": f"{small * 1e3:.3f} ms at ~100 events, {large * 1e3:.3f} ms at ~1,000 "
            f"events, ratio {large / small:.2f}x",
        }
    shown = "moto's 1 s" if poll_wait is None else f"{poll_wait} s"
    for name, value in throughput(workflows, fanout, poll_wait).items():
        figures[f"{name} against moto"] = {
            "value": value,
            "summary": f"{value:,.1f} (empty polls answered after {shown})",
        }
    figures["round_trips"] = swf_round_trips.run_swf_bench(quick=quick)
    return figures


def render(console: Any, figures: dict[str, Any]) -> None:
    table = need("rich.table").Table(
        title="SWF engine against moto (an emulator: not SWF's figures)", title_justify="left"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        if isinstance(value, dict) and "summary" in value:
            table.add_row(name, value["summary"])
    trips = figures["round_trips"]
    if "skipped" in trips:
        table.add_row("round trips", f"skipped: {trips['skipped']}")
    for trip in trips.get("runs", []):
        ok = "" if trip["result_ok"] else " (WRONG RESULT)"
        table.add_row(
            f"round trip, {trip['transport']}: {trip['workflow']} of {trip['steps']}",
            f"{trip['seconds']:.2f} s{ok}",
        )
    console.print(table)
