"""The measuring loop: interleaved rounds, medians, ratios.

For every (payload, candidate) pair the runner first checks the round trip once (unsupported
values are listed with the library's message; values that come back changed are timed but
marked ``converts`` with the first difference). It then calibrates a batch size per pair and
direction so one batch takes at least ``min_time`` seconds, and runs ``rounds`` rounds. Each
round times one encode batch and one decode batch of *every* pair, in a shuffled order, so slow
drifts of a shared machine (other tenants, CPU frequency) spread over all candidates instead of
favouring whichever ran first. Reported times are medians of the per-round figures.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from flowwire.benchmark.candidates import Candidate
from flowwire.benchmark.payloads import Payload

__all__ = ["Result", "RunConfig", "first_difference", "run"]


@dataclass(frozen=True)
class RunConfig:
    """How long to measure. ``rounds``: interleaved rounds (the median is taken over them);
    ``min_time``: seconds one timed batch must last at least; ``seed``: the shuffle seed."""

    rounds: int = 15
    min_time: float = 0.01
    seed: int = 1


QUICK = RunConfig(rounds=3, min_time=0.002)


@dataclass
class Result:
    """The figures of one (payload, candidate) pair. Times are seconds per operation."""

    payload: str
    candidate: str
    group: str
    library: str
    peer: str | None
    status: str  # "ok", "converts" (timed, but the value changed), "unsupported", "failed"
    note: str = ""
    size: int | None = None  # encoded size: bytes, or characters for str payloads
    nominal_size: int = 0
    encode_s: float | None = None
    decode_s: float | None = None
    roundtrip_s: float | None = None
    encode_samples: list[float] = field(default_factory=list)
    decode_samples: list[float] = field(default_factory=list)

    @property
    def timed(self) -> bool:
        return self.roundtrip_s is not None

    @property
    def ops_per_s(self) -> float | None:
        """Round trips (encode + decode) per second."""
        return None if not self.roundtrip_s else 1.0 / self.roundtrip_s

    def mb_per_s(self, seconds: float | None = None) -> float | None:
        """MB/s (10^6 bytes of the payload's nominal size) for ``seconds`` per operation,
        by default the round trip."""
        seconds = self.roundtrip_s if seconds is None else seconds
        if not seconds or not self.nominal_size:
            return None
        return self.nominal_size / seconds / 1e6


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` differs from ``expected`` (types must match exactly), or ``None``."""
    if type(expected) is not type(actual):
        return f"{path}: {type(expected).__name__} came back as {type(actual).__name__}"
    if isinstance(expected, dict):
        if expected.keys() != actual.keys():  # key order is not compared, as in dict ==
            return f"{path}: keys differ"
        for key, item in expected.items():
            found = first_difference(item, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, (list, tuple)):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items came back as {len(actual)}"
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, float) and math.isnan(expected) and math.isnan(actual):
        return None
    if expected != actual:
        return f"{path}: value differs"
    return None


def _size(data: Any) -> int:
    return len(data) if isinstance(data, (bytes, bytearray, str, memoryview)) else 0


def _encode_batch(encode: Callable[[Any], Any], value: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        encode(value)
    return time.perf_counter() - start


def _decode_batch(decode: Callable[[Any, Any], Any], data: Any, hint: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, n):
        decode(data, hint)
    return time.perf_counter() - start


@dataclass
class _Pair:
    payload: Payload
    candidate: Candidate
    result: Result
    data: Any = None
    value: Any = None  # the payload's value in the candidate's types (see Candidate.prepare)
    n_encode: int = 1
    n_decode: int = 1


def _check(payload: Payload, cand: Candidate, value: Any) -> tuple[Result, Any]:
    result = Result(
        payload=payload.name,
        candidate=cand.name,
        group=cand.group,
        library=cand.library,
        peer=cand.peer,
        status="ok",
        nominal_size=payload.nominal_size,
    )
    try:
        data = cand.encode(value)
    except Exception as exc:
        result.status, result.note = "unsupported", f"{type(exc).__name__}: {exc}"[:160]
        return result, None
    try:
        decoded = cand.decode(data, payload.type_hint)
    except Exception as exc:
        result.status, result.note = "failed", f"decode: {type(exc).__name__}: {exc}"[:160]
        return result, None
    if cand.normalize is not None:
        decoded = cand.normalize(decoded)
    result.size = _size(data)
    difference = first_difference(payload.value, decoded)
    if difference:
        result.status, result.note = "converts", difference[:160]
    return result, data


def _calibrate(timer: Callable[[int], float], min_time: float) -> int:
    single = max(timer(1), 1e-7)
    n = max(1, min(math.ceil(min_time / single), 1_000_000))
    if n > 1:
        elapsed = max(timer(n), 1e-7)
        n = max(1, min(round(n * min_time / elapsed), 1_000_000))
    return n


def _calibrate_pair(pair: _Pair, min_time: float) -> None:
    encode, decode = pair.candidate.encode, pair.candidate.decode
    value, data, hint = pair.value, pair.data, pair.payload.type_hint
    pair.n_encode = _calibrate(lambda n: _encode_batch(encode, value, n), min_time)
    pair.n_decode = _calibrate(lambda n: _decode_batch(decode, data, hint, n), min_time)


def plan(payloads: list[Payload], candidates: list[Candidate]) -> list[tuple[Payload, Candidate]]:
    """The (payload, candidate) pairs a run covers, in display order."""
    return [(p, c) for p in payloads for c in candidates if c.kinds is None or p.kind in c.kinds]


def run(
    payloads: list[Payload],
    candidates: list[Candidate],
    config: RunConfig = RunConfig(),
    *,
    on_step: Callable[[str, int], None] | None = None,
) -> list[Result]:
    """Measure every applicable pair; returns one :class:`Result` per pair, in display order.

    ``on_step(description, total)`` is called once per pair checked and calibrated and once per
    timed pair in each round (``total`` is the number of steps of the whole run, fixed after
    the checks); use it to drive a progress bar.
    """
    pairs: list[_Pair] = []
    checks = plan(payloads, candidates)
    total = len(checks) * (1 + config.rounds)
    for payload, cand in checks:
        value = payload.value if cand.prepare is None else cand.prepare(payload.value)
        result, data = _check(payload, cand, value)
        pair = _Pair(payload, cand, result, data, value)
        if result.status in ("ok", "converts"):
            try:
                _calibrate_pair(pair, config.min_time)
            except Exception as exc:  # worked once, then failed
                result.status = "failed"
                result.note = f"calibration: {type(exc).__name__}: {exc}"[:160]
        pairs.append(pair)
        if on_step:
            on_step(f"calibrating {payload.name}: {cand.name}", total)
    timed = [p for p in pairs if p.result.status in ("ok", "converts")]
    skipped_steps = (len(pairs) - len(timed)) * config.rounds
    if on_step:
        for _ in range(skipped_steps):
            on_step("skipping unsupported pairs", total)
    rng = random.Random(config.seed)
    for round_no in range(config.rounds):
        order = list(timed)
        rng.shuffle(order)
        gc.collect()
        for pair in order:
            if on_step:
                on_step(f"round {round_no + 1}/{config.rounds}", total)
            if pair.result.status == "failed":
                continue
            value, data, hint = pair.value, pair.data, pair.payload.type_hint
            try:
                per_encode = _encode_batch(pair.candidate.encode, value, pair.n_encode)
                per_decode = _decode_batch(pair.candidate.decode, data, hint, pair.n_decode)
            except Exception as exc:  # worked once, then failed: report it, keep the others
                pair.result.status = "failed"
                pair.result.note = f"round {round_no + 1}: {type(exc).__name__}: {exc}"[:160]
                continue
            pair.result.encode_samples.append(per_encode / pair.n_encode)
            pair.result.decode_samples.append(per_decode / pair.n_decode)
    for pair in timed:
        if pair.result.status == "failed":
            continue
        r = pair.result
        r.encode_s = statistics.median(r.encode_samples)
        r.decode_s = statistics.median(r.decode_samples)
        r.roundtrip_s = statistics.median(
            e + d for e, d in zip(r.encode_samples, r.decode_samples, strict=True)
        )
    return [p.result for p in pairs]


def ratio(result: Result, other: Result | None, attr: str = "roundtrip_s") -> float | None:
    """``result``'s time over ``other``'s for the same payload (> 1: slower), or ``None``."""
    if other is None:
        return None
    mine, theirs = getattr(result, attr), getattr(other, attr)
    if not mine or not theirs:
        return None
    return float(mine / theirs)
