"""One benchmark run from options to a results document: what ``flowwire bench`` does.

Kept apart from the command line so tests and the repository's ``bench/run.py`` drive the same
code in-process (``bench/run.py`` adds its peer candidates through ``run_suite(extra=...)``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from flowwire.benchmark import runner
from flowwire.benchmark.candidates import STAGE_SETS, Candidate, CandidateSet, build_candidates
from flowwire.benchmark.payloads import Payload, builtin_payloads, load_payload
from flowwire.benchmark.report import results_document
from flowwire.errors import ConfigurationError

__all__ = ["Options", "Outcome", "run_suite"]


@dataclass
class Options:
    """What to run.

    ``payloads``: built-in names (``None``: all; ``[]``: none). ``user_payloads``:
    ``--payload`` specs. ``only``: keep candidates whose name contains one of these substrings
    (the baseline and their raw libraries come along). ``rounds`` and ``min_time`` override the
    mode's defaults (``quick``: 3 rounds of 2 ms batches; otherwise 15 rounds of 10 ms).
    """

    quick: bool = False
    rounds: int | None = None
    min_time: float | None = None
    payloads: list[str] | None = None
    user_payloads: list[str] = field(default_factory=list)
    only: list[str] | None = None
    stages: str = "default"
    baseline: str = "msgpack"
    seed: int = 1

    def config(self) -> runner.RunConfig:
        base = runner.QUICK if self.quick else runner.RunConfig()
        return runner.RunConfig(
            rounds=self.rounds if self.rounds is not None else base.rounds,
            min_time=self.min_time if self.min_time is not None else base.min_time,
            seed=self.seed,
        )


@dataclass
class Outcome:
    """The results of a run and the JSON-ready document describing it."""

    results: list[runner.Result]
    document: dict[str, Any]
    payloads: list[Payload]
    candidates: list[Candidate]


def _select(candidates: list[Candidate], only: list[str] | None, baseline: str) -> list[Candidate]:
    """The candidates matching ``only``, plus the baseline and the raw libraries they are
    compared with (so the ratio columns stay filled)."""
    if not only:
        return candidates
    chosen = {c.name for c in candidates if any(part in c.name for part in only)}
    if chosen:
        chosen |= {baseline} | {c.peer for c in candidates if c.name in chosen and c.peer}
    return [c for c in candidates if c.name in chosen]


def run_suite(
    options: Options,
    *,
    on_step: Callable[[str, int], None] | None = None,
    extra: CandidateSet | None = None,
) -> Outcome:
    """Build the payloads and candidates, measure them, and assemble the document.

    ``extra`` adds candidates after the built ones (and its ``skipped`` entries to the
    document's); ``only`` filters them like the others.

    Raises:
        ConfigurationError: for an unknown payload name, an unreadable ``--payload``, an
            unknown stage set, or a filter that leaves no candidate.
    """
    if options.stages not in STAGE_SETS:
        raise ConfigurationError(
            f"unknown stage set {options.stages!r} (choose from {', '.join(STAGE_SETS)})"
        )
    payloads = builtin_payloads(options.payloads)
    payloads += [load_payload(spec) for spec in options.user_payloads]
    config = options.config()
    with ExitStack() as stack:
        built = build_candidates(stack, stages=options.stages)
        if extra is not None:
            built.candidates += extra.candidates
            built.skipped += extra.skipped
        candidates = _select(built.candidates, options.only, options.baseline)
        if not candidates:
            raise ConfigurationError(
                f"no candidate matches {options.only!r} (candidates: "
                f"{', '.join(c.name for c in built.candidates)})"
            )
        results = runner.run(payloads, candidates, config, on_step=on_step)
    document = results_document(
        results,
        config=config,
        baseline=options.baseline,
        payloads=[
            {
                "name": p.name,
                "description": p.description,
                "kind": p.kind,
                "nominal_size": p.nominal_size,
            }
            for p in payloads
        ],
        skipped=[{"candidate": s.name, "reason": s.reason} for s in built.skipped],
    )
    return Outcome(results, document, payloads, candidates)
