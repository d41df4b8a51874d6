"""The comparison suite of a flowwire checkout: one entry point for every benchmark in bench/.

    python bench/run.py                       # every default section (several minutes)
    python bench/run.py --quick               # fewer and shorter rounds (under a minute)
    python bench/run.py --only codecs,engine --json results.json --plot charts/
    python bench/run.py --only swf            # SWF over moto (needs the testing extra)

Sections, each a module of this directory, in this order:

* ``codecs`` (``codecs_bench.py``): every transport, stage combination and codec against the
  raw libraries (orjson, msgpack, protobuf, a memory copy) and the peers of ``peers/`` (msgspec,
  pydantic, flowy-style json, Temporal's converter), then the transport core's and the typed
  values' targets.
* ``engine`` (``engine_bench.py``): the local engine, against a bare thread pool and flowy 0.4.1.
* ``durable`` (``durable_bench.py``): the durable local engine against DBOS and raw sqlite3.
* ``stages`` (``stages_bench.py``): zstd, the below-threshold skip, offload (local, S3 on moto).
* ``protobuf`` (``protobuf_value.py``): the protobuf codec's Value against raw msgpack.
* ``swf`` (``swf_bench.py``, only with ``--only``): the SWF engine against moto.

Every figure is a median of interleaved rounds, and every comparison a ratio within the same
run; nothing asserts a timing. A peer that is not installed is skipped with a line naming the
package to install; the machine and every library version are printed and written with the
results. ``--smoke`` runs every default section at its smallest (seconds), to check that the
suite works, not to measure.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any

from flowwire.benchmark import report
from flowwire.errors import ConfigurationError

#: Sections run when ``--only`` is not given, in order; ``swf`` runs only when named.
DEFAULT_SECTIONS = ("codecs", "engine", "durable", "stages", "protobuf")
SECTIONS = (*DEFAULT_SECTIONS, "swf")

#: Libraries whose versions the environment records, beside flowwire's own.
PEER_LIBRARIES = ("msgspec", "pydantic", "temporalio", "flowy", "dbos", "boto3", "moto")

#: What each section's module needs beyond flowwire, and the line that says how to get it.
NEEDS = {
    "swf": ("moto", "pip install 'flowwire[testing]' (moto and boto3)"),
    "protobuf": ("grpc_tools", "pip install grpcio-tools"),
}

FORMAT = "flowwire-bench-suite/1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    parser.add_argument(
        "--smoke", action="store_true", help="every section at its smallest: checks, not figures"
    )
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        help=f"comma-separated sections ({', '.join(SECTIONS)}); default: all but swf",
    )
    parser.add_argument("--rounds", type=int, help="codecs: interleaved rounds")
    parser.add_argument("--min-time", type=float, help="codecs: seconds per timed batch")
    parser.add_argument(
        "--payloads", help="codecs: comma-separated built-in payloads (default: all)"
    )
    parser.add_argument(
        "--stages",
        choices=["none", "default", "all"],
        help="codecs: stage combinations (default: a representative few)",
    )
    parser.add_argument("--json", metavar="FILE", help="write every figure and the environment")
    parser.add_argument("--plot", metavar="DIR", help="write the docs' PNG charts into DIR")
    parser.add_argument("--markdown", metavar="FILE", help="write the codecs tables as Markdown")
    parser.add_argument("--no-flowy", action="store_true", help="engine: skip flowy")
    parser.add_argument("--no-dbos", action="store_true", help="durable: skip DBOS")
    parser.add_argument("--no-s3", action="store_true", help="stages: skip S3 on moto")
    return parser


def _sections(only: str | None) -> list[str]:
    if only is None:
        return list(DEFAULT_SECTIONS)
    chosen = [part.strip() for part in only.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        raise ConfigurationError(
            f"unknown section {unknown[0] if unknown else only!r} (sections: {', '.join(SECTIONS)})"
        )
    return chosen


def _missing_peers(args: argparse.Namespace, sections: list[str]) -> list[dict[str, str]]:
    """The engine peers that will be skipped, each with the line naming what to install."""
    import peers
    from peers import flowy_engine

    out = []
    if "engine" in sections and not args.no_flowy:
        reason = peers.missing("flowy", flowy_engine.INSTALL.removeprefix("pip install "))
        if reason:
            out.append({"section": "engine", "candidate": flowy_engine.NAME, "reason": reason})
    if "durable" in sections and not args.no_dbos:
        reason = peers.missing("dbos", "dbos==3.4.0")
        if reason and not os.environ.get("FLOWWIRE_BENCH_DBOS_PYTHON"):  # its own venv
            out.append({"section": "durable", "candidate": "DBOS", "reason": reason})
    return out


#: The module of each section.
MODULES = {
    "codecs": "codecs_bench",
    "engine": "engine_bench",
    "durable": "durable_bench",
    "stages": "stages_bench",
    "protobuf": "protobuf_value",
    "swf": "swf_bench",
}


def _run_section(
    name: str, args: argparse.Namespace, console: Any, state: dict[str, Any]
) -> dict[str, Any]:
    """Run one section, print its tables and return its JSON-ready figures."""
    quick, smoke = args.quick or args.smoke, args.smoke
    module: Any = importlib.import_module(MODULES[name])
    if name == "codecs":
        options = module.options(
            quick,
            smoke=smoke,
            rounds=args.rounds,
            min_time=args.min_time,
            payloads=None if args.payloads is None else args.payloads.split(","),
            stages=args.stages,
        )
        results, document = module.run(options)
        module.render(console, results, document)
        state["codec_results"] = results
        return document  # type: ignore[no-any-return]
    figures: dict[str, Any]
    if name == "engine":
        figures = module.run(quick, smoke=smoke, flowy=not args.no_flowy)
        module.render(console, figures)
    elif name == "durable":
        figures = module.run_durable_bench(quick=quick, dbos=not args.no_dbos, smoke=smoke)
        module.render_durable(console, figures)
    elif name == "stages":
        figures = module.run(quick, s3=not (args.no_s3 or smoke), smoke=smoke)
        module.render(console, figures)
    elif name == "protobuf":
        figures = module.figures(quick)
        module.render(console, figures)
    else:
        figures = module.run(quick)
        module.render(console, figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        sections = _sections(args.only)
        console = report.need("rich.console").Console(width=160)
    except ConfigurationError as exc:
        print(f"bench/run.py: {exc}", file=sys.stderr)
        return 2
    env = report.environment(PEER_LIBRARIES)
    console.print(
        f"[bold]flowwire comparison suite[/bold]  Python {env['python']}  {env['cpu_model']}  "
        f"{env['usable_cores']}/{env['cpu_count']} cores  sections: {', '.join(sections)}"
        + ("  (smoke run: not figures)" if args.smoke else "  (quick)" if args.quick else "")
    )
    console.print(
        "libraries: " + ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v),
        highlight=False,
    )
    skipped = _missing_peers(args, sections)
    document: dict[str, Any] = {
        "format": FORMAT,
        "environment": env,
        "config": {"quick": args.quick, "smoke": args.smoke, "sections": sections},
        "skipped": skipped,
        "sections": {},
    }
    state: dict[str, Any] = {}
    started = time.perf_counter()
    for name in sections:
        need = NEEDS.get(name)
        if need is not None and importlib.util.find_spec(need[0]) is None:
            skipped.append({"section": name, "candidate": name, "reason": f"needs {need[1]}"})
            continue
        console.rule(f"[bold]{name}[/bold]")
        began = time.perf_counter()
        try:
            document["sections"][name] = _run_section(name, args, console, state)
        except ConfigurationError as exc:  # an unknown payload, say: the message names it
            print(f"bench/run.py: {name}: {exc}", file=sys.stderr)
            return 2
        console.print(f"[dim]{name}: {time.perf_counter() - began:.1f} s[/dim]")
    codecs = document["sections"].get("codecs")
    if codecs is not None:
        skipped[:0] = [{"section": "codecs", **entry} for entry in codecs["skipped_candidates"]]
    for entry in skipped:
        console.print(
            f"[yellow]skipped {entry['candidate']}[/yellow] ({entry['section']}): {entry['reason']}"
        )
    if args.json:
        console.print(f"wrote {report.write_json(args.json, document)}")
    if args.markdown and codecs is not None:
        Path(args.markdown).write_text(report.markdown(codecs), encoding="utf-8")
        console.print(f"wrote {args.markdown}")
    if args.plot:
        paths: list[Path] = []
        if "codec_results" in state:
            from flowwire.benchmark.plot import plot_throughput

            paths += plot_throughput(state["codec_results"], args.plot)
        if "engine" in document["sections"]:
            from local_engine import plot_replay

            replay = plot_replay(document["sections"]["engine"], args.plot)
            paths += [replay] if replay else []
        console.print(f"wrote {len(paths)} charts to {args.plot}")
    console.print(f"[dim]done in {time.perf_counter() - started:.1f} s[/dim]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
