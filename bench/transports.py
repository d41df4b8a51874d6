"""Issue 2's first bench: each built-in transport next to its raw library, same value, same run.

Run from the repository root (after ``pip install -e '.[bench]'``)::

    python bench/transports.py            # 15 interleaved rounds (about a minute)
    python bench/transports.py --quick    # a smoke run (a few seconds)
    python bench/transports.py --json out.json

For tiny / record / 1,000-record batch / 1 MiB bytes / 1 MiB text / a call with one record /
the typed ``Order`` dataclasses it prints every transport's
encode and decode time (``serialize_result`` / ``deserialize_result``; for the tiny call also
``serialize_arguments`` / ``deserialize_arguments``), the codec alone, and the raw library on
the same value (orjson for json, msgpack for msgpack, google.protobuf.Value for protobuf), with
ratios, then the transport core's targets and the typed values' (against pydantic v2 and
msgspec, when installed). Medians over interleaved rounds; no assertion.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from flowwire.benchmark import report, runner
from flowwire.benchmark.candidates import build_candidates
from flowwire.benchmark.payloads import builtin_payloads
from flowwire.benchmark.targets import (
    TRANSPORT_TABLE_CANDIDATES,
    render_targets,
    render_transport_table,
    transport_targets,
)

PAYLOADS = ["tiny", "record", "batch", "bytes_1mib", "text_1mib", "record_call", "typed"]
#: The typed peers, for the typed values' targets (skipped with a note when not installed).
TYPED_PEERS = ("pydantic", "msgspec Struct")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 15)")
    parser.add_argument("--json", metavar="FILE", help="write the results document")
    args = parser.parse_args(argv)

    base = runner.QUICK if args.quick else runner.RunConfig()
    config = runner.RunConfig(rounds=args.rounds or base.rounds, min_time=base.min_time)
    console = report.need("rich.console").Console(width=160)
    env = report.environment()
    console.print(
        f"Python {env['python']} on {env['cpu_model']} ({env['usable_cores']} usable cores); "
        f"{config.rounds} rounds; libraries: "
        + ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v)
    )
    payloads = builtin_payloads(PAYLOADS)
    with ExitStack() as stack:
        built = build_candidates(stack, stages="none")
        wanted = (*TRANSPORT_TABLE_CANDIDATES, *TYPED_PEERS)
        chosen = [c for c in built.candidates if c.name in wanted]
        results = runner.run(payloads, chosen, config)
    render_transport_table(console, results)
    render_targets(console, transport_targets(results))
    if args.json:
        doc = report.results_document(
            results,
            config=config,
            baseline="msgpack",
            payloads=[{"name": p.name, "description": p.description} for p in payloads],
            skipped=[{"candidate": s.name, "reason": s.reason} for s in built.skipped],
        )
        doc["targets"] = [{**vars(t), "met": t.met} for t in transport_targets(results)]
        console.print(f"wrote {report.write_json(args.json, doc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
