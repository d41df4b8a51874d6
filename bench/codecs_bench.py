"""The codecs section: every transport, stage combination and codec next to the raw libraries
and the peers, on the built-in payloads, with the transport core's and the typed values'
targets.

It is ``flowwire bench``'s run (``flowwire.benchmark.run_suite``: interleaved rounds, medians,
round trips checked before timing) with the peers of ``peers/`` added as candidates: msgspec
(msgpack, JSON, and a ``Struct`` mirror of the typed ``Order``), pydantic v2, stdlib ``json``
used the way flowy 0.4.1 does, Temporal's default converter. A peer that is not installed is
skipped with a line naming its package. Then the table of each built-in transport against its
raw library, and the targets (``targets.py``): bench ratios, never timed tests. Last, the
decode-only speed of 1 MiB of bytes against a memory copy's (``bytes(x)``), for the codecs
alone and the binary transports (the targets are round trips; a decode that scans every byte
of the body shows here first).

Run by ``python bench/run.py --only codecs``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import peers
from targets import render_targets, render_transport_table, transport_targets

from flowwire.benchmark import Options, Result, run_suite
from flowwire.benchmark.report import render_results

#: The candidates whose decode of ``bytes_1mib`` is compared with a memory copy's.
DECODE_SPEED_CANDIDATES = (
    "codec msgpack",
    "codec protobuf",
    "flowwire msgpack latin-1",
    "flowwire protobuf latin-1",
    "flowwire msgpack",
    "flowwire protobuf",
)

#: The payloads of a smoke run (``--smoke``): small, plus the typed ones the typed peers need.
SMOKE_PAYLOADS = ["tiny", "record", "record_call", "typed", "protobuf"]


def options(
    quick: bool,
    *,
    smoke: bool = False,
    rounds: int | None = None,
    min_time: float | None = None,
    payloads: list[str] | None = None,
    stages: str | None = None,
) -> Options:
    """The run's options: ``flowwire bench``'s defaults (all payloads, the default stage
    combinations), or for ``smoke`` one round of tiny batches on :data:`SMOKE_PAYLOADS`
    without stages; the arguments given override them."""
    if smoke:
        return Options(
            quick=True,
            rounds=rounds or 1,
            min_time=min_time or 0.0001,
            payloads=payloads or SMOKE_PAYLOADS,
            stages=stages or "none",
        )
    return Options(
        quick=quick, rounds=rounds, min_time=min_time, payloads=payloads, stages=stages or "default"
    )


def run(opts: Options) -> tuple[list[Result], dict[str, Any]]:
    """Measure; returns the results and the section's document: ``flowwire bench``'s results
    document plus ``targets`` (every target, measured or not: ``value`` is then ``None``)."""
    outcome = run_suite(opts, extra=peers.codec_candidates())
    document = outcome.document
    document["targets"] = [{**asdict(t), "met": t.met} for t in transport_targets(outcome.results)]
    document["bytes_1mib_decode_speed_vs_memcopy"] = decode_speeds(outcome.results)
    return outcome.results, document


def decode_speeds(results: list[Result]) -> dict[str, float]:
    """Per candidate of :data:`DECODE_SPEED_CANDIDATES` that was timed on ``bytes_1mib``: the
    memory copy's decode time over its own (1.0: as fast as a copy), target >= 0.25."""
    rows = {(r.payload, r.candidate): r for r in results}
    copy = rows.get(("bytes_1mib", "memcopy"))
    speeds: dict[str, float] = {}
    if copy is None or not copy.decode_s:
        return speeds
    for name in DECODE_SPEED_CANDIDATES:
        mine = rows.get(("bytes_1mib", name))
        if mine is not None and mine.decode_s:
            speeds[name] = copy.decode_s / mine.decode_s
    return speeds


def render(console: Any, results: list[Result], document: dict[str, Any]) -> None:
    render_results(console, results, baseline=document["baseline"])
    render_transport_table(console, results)
    render_targets(console, [t for t in transport_targets(results) if t.value is not None])
    for name, speed in document.get("bytes_1mib_decode_speed_vs_memcopy", {}).items():
        console.print(
            f"1 MiB bytes, decode only, {name}: {speed:.0%} of a memory copy's speed "
            "(target >= 25%)",
            markup=False,
            highlight=False,
        )
