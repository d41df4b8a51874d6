"""The fuzz loop: build input ``i`` of a target, decode it every way, judge the outcome.

Each input is rebuilt from ``(target name, index)`` alone (a ``random.Random`` seeded with
both picks the seed payload, the payload to splice with, and the mutation), so a finding is
reproduced with :func:`replay` and a long run resumes at the next index.

An input is decoded five ways: ``deserialize_result`` without and with a type hint (one of
``HINTS`` in turn), ``deserialize_arguments`` without and with a typed ``run`` signature, and
``deserialize_error`` (which must never raise: unreadable details become a ``TaskError``).
The contract checked on every call:

* only a value or :class:`~flowwire.DecodeError` comes out (``deserialize_error``: a
  ``TaskError``); anything else is a *crash* finding;
* no call takes over ``TIME_LIMIT`` seconds of CPU time (thread time, so that a loaded
  machine does not make findings; a slow call is run again before it counts);
* memory stays bounded: every ``MEMORY_EVERY``-th input is decoded under ``tracemalloc``,
  whose peak must stay under ``MEMORY_LIMIT``, and any call that raises the process's peak
  RSS by more than ``MEMORY_LIMIT`` is a finding too.
"""

from __future__ import annotations

import random
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowwire.errors import DecodeError, TaskError

from ._mutate import mutate
from ._targets import HINTS, Target, typed_run

TIME_LIMIT = 1.0
"""Seconds of CPU time one decode call may take."""

MEMORY_LIMIT = 64 * 2**20
"""Bytes one decode call may allocate over what it started with (the issue's bound for a
payload of at most 1 MiB; fuzzed payloads are far smaller)."""

MEMORY_EVERY = 64
"""Every this-many-th input is decoded under tracemalloc."""


@dataclass
class Finding:
    """An input that broke the contract."""

    target: str
    index: int
    call: str
    kind: str  # "crash", "slow", "memory"
    detail: str
    payload: str

    def short(self) -> str:
        shown = self.payload if len(self.payload) <= 120 else self.payload[:117] + "..."
        return f"{self.target}#{self.index} {self.call}: {self.kind}: {self.detail} <- {shown!r}"


@dataclass
class Counts:
    """What a run did: inputs, calls, outcomes by kind, and the findings."""

    inputs: int = 0
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    depths: Counter[str] = field(default_factory=Counter)
    traced: int = 0
    peak: int = 0
    slowest: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        self.inputs += other.inputs
        self.calls += other.calls
        self.outcomes.update(other.outcomes)
        self.depths.update(other.depths)
        self.traced += other.traced
        self.peak = max(self.peak, other.peak)
        self.slowest = max(self.slowest, other.slowest)
        self.findings.extend(other.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "calls": self.calls,
            "outcomes": dict(self.outcomes),
            "depths": dict(self.depths),
            "traced": self.traced,
            "peak": self.peak,
            "slowest": self.slowest,
            "findings": [f.__dict__ for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Counts:
        counts = cls(
            inputs=data["inputs"],
            calls=data["calls"],
            outcomes=Counter(data["outcomes"]),
            depths=Counter(data["depths"]),
            traced=data["traced"],
            peak=data["peak"],
            slowest=data["slowest"],
        )
        counts.findings = [Finding(**f) for f in data["findings"]]
        return counts


def make_input(target: Target, index: int) -> tuple[str, str]:
    """Input ``index`` of ``target``: ``(payload, depth)``; index 0..len(seeds)-1 are the
    seeds themselves (``depth`` ``"seed"``)."""
    seeds = target.seeds
    if index < len(seeds):
        return seeds[index], "seed"
    rng = random.Random(f"{target.name}:{index}")
    payload = rng.choice(seeds)
    other = rng.choice(seeds)
    return mutate(rng, payload, other, armor=target.armor, inner=target.inner, rewrap=target.rewrap)


def _calls(target: Target, index: int) -> list[tuple[str, Callable[[str], Any]]]:
    t = target.transport
    hint = HINTS[index % len(HINTS)]
    return [
        ("result", t.deserialize_result),
        (
            f"result[{getattr(hint, '__name__', str(hint))}]",
            lambda p: t.deserialize_result(p, type_hint=hint),
        ),
        ("arguments", t.deserialize_arguments),
        ("arguments[typed]", lambda p: t.deserialize_arguments(p, signature=typed_run)),
        ("error", lambda p: _error_must_not_raise(t.deserialize_error("Reason", p))),
    ]


def _error_must_not_raise(error: Any) -> Any:
    if not isinstance(error, TaskError):
        raise AssertionError(f"deserialize_error returned {type(error).__name__}")
    return error


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _one(func: Callable[[str], Any], payload: str) -> tuple[str, float, str]:
    start = time.thread_time()
    try:
        func(payload)
        outcome, detail = "value", ""
    except DecodeError:
        outcome, detail = "DecodeError", ""
    except Exception as exc:  # the contract says: never
        outcome, detail = "crash", f"{type(exc).__name__}: {exc!s:.300}"
    return outcome, time.thread_time() - start, detail


def run(target: Target, start: int, count: int) -> Counts:
    """Inputs ``start`` .. ``start + count - 1`` of ``target``."""
    counts = Counts()
    rss = _rss()
    for index in range(start, start + count):
        payload, depth = make_input(target, index)
        counts.inputs += 1
        counts.depths[depth] += 1
        traced = index % MEMORY_EVERY == 0
        for name, func in _calls(target, index):
            counts.calls += 1
            if traced:
                tracemalloc.start()
            outcome, seconds, detail = _one(func, payload)
            if traced:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                counts.traced += 1
                counts.peak = max(counts.peak, peak)
                if peak > MEMORY_LIMIT:
                    counts.findings.append(
                        Finding(
                            target.name,
                            index,
                            name,
                            "memory",
                            f"tracemalloc peak {peak:,} bytes",
                            payload,
                        )
                    )
            counts.outcomes[outcome] += 1
            if outcome == "crash":
                counts.findings.append(Finding(target.name, index, name, "crash", detail, payload))
            if seconds > TIME_LIMIT:  # again, to tell a slow input from a busy machine
                _, seconds, _ = _one(func, payload)
                if seconds > TIME_LIMIT:
                    counts.findings.append(
                        Finding(
                            target.name,
                            index,
                            name,
                            "slow",
                            f"{seconds:.2f} s of CPU time",
                            payload,
                        )
                    )
            counts.slowest = max(counts.slowest, seconds)
            now = _rss()
            if now - rss > MEMORY_LIMIT:
                counts.findings.append(
                    Finding(
                        target.name,
                        index,
                        name,
                        "memory",
                        f"peak RSS grew by {now - rss:,} bytes",
                        payload,
                    )
                )
            rss = now
        if index % 512 == 0:
            target.purge()
    target.purge()
    return counts


def replay(target: Target, index: int) -> list[tuple[str, str, str]]:
    """``(call, outcome, detail)`` of every call on input ``index`` (to reproduce a finding)."""
    payload, _ = make_input(target, index)
    return [(name, *_drop_time(_one(func, payload))) for name, func in _calls(target, index)]


def _drop_time(result: tuple[str, float, str]) -> tuple[str, str]:
    return result[0], result[2]
