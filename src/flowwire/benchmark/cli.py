"""``flowwire bench``: the command line of the payload benchmark.

``flowwire.cli`` calls :func:`add_bench_command` on its subparsers (guarded by ImportError);
``python -m flowwire.benchmark`` runs :func:`main` directly. The rich table, the progress bar
and the plots need the ``bench`` extra (``pip install 'flowwire[bench]'``); without it the
command says so and exits with status 2. The comparison with other libraries and the engine
benchmarks are the repository's ``python bench/run.py``; ``--engine`` and ``--swf``, which ran
them here before, now exit with status 2 and say so.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowwire.errors import ConfigurationError

__all__ = ["add_bench_command", "build_parser", "main", "run_bench_command"]

_DESCRIPTION = (
    "Measure payload throughput of every registered transport, stage combinations and the "
    "codecs alone, next to the raw libraries they build on (orjson, msgpack, protobuf) and a "
    "memory copy, on built-in payload shapes and your own. Comparisons with other libraries "
    "and the engine benchmarks: python bench/run.py in a flowwire checkout."
)

#: What ``--engine`` and ``--swf`` answer: they ran benchmarks that now live in ``bench/``.
MOVED = (
    "the engine and SWF benchmarks moved out of the package: run 'python bench/run.py "
    "--only engine' (or '--only swf') in a flowwire checkout"
)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a smoke run: under a minute")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 15; quick: 3)")
    parser.add_argument(
        "--min-time", type=float, help="seconds per timed batch (default 0.01; quick: 0.002)"
    )
    parser.add_argument(
        "--payloads",
        help="comma-separated built-in payloads (tiny,record,batch,bytes_1mib,text_1mib,"
        "protobuf,record_call,typed); 'none' for only --payload ones",
    )
    parser.add_argument(
        "--payload",
        action="append",
        default=[],
        metavar="FILE|MODULE:FUNC",
        help="your own payload: a JSON file or module:function returning the value (repeatable)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated substrings: keep candidates whose name contains one",
    )
    parser.add_argument(
        "--stages",
        default="default",
        choices=["none", "default", "all"],
        help="stage combinations to include (default: a representative few)",
    )
    parser.add_argument(
        "--baseline", default="msgpack", help="candidate the 'x baseline' column divides by"
    )
    # moved to bench/run.py: kept so that old command lines get a clear answer, not a usage error
    parser.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--swf", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="FILE", help="write results and environment as JSON")
    parser.add_argument("--plot", metavar="DIR", help="write PNG charts into DIR")
    parser.add_argument("--markdown", metavar="FILE", help="write the tables as Markdown")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_bench_command)


def add_bench_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` sub-command to an argparse ``subparsers`` object.

    The sub-parser's default ``func`` is :func:`run_bench_command`, which takes the parsed
    namespace and returns the exit status.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="benchmark your payloads through the transports", description=_DESCRIPTION
    )
    _configure(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with the same options as ``flowwire bench``."""
    parser = argparse.ArgumentParser(prog="python -m flowwire.benchmark", description=_DESCRIPTION)
    _configure(parser)
    return parser


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip() and part.strip() != "none"]


def _options(args: argparse.Namespace) -> Any:
    from flowwire.benchmark.suite import Options

    return Options(
        quick=args.quick,
        rounds=args.rounds,
        min_time=args.min_time,
        payloads=_split(args.payloads),
        user_payloads=list(args.payload),
        only=_split(args.only),
        stages=args.stages,
        baseline=args.baseline,
    )


def run_bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark for parsed arguments; returns the exit status (0, or 2 for a
    configuration problem such as a missing extra or an unknown payload)."""
    try:
        return _run(args)
    except ConfigurationError as exc:
        print(f"flowwire bench: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.engine or args.swf:
        raise ConfigurationError(MOVED)
    from flowwire.benchmark import report
    from flowwire.benchmark.suite import run_suite

    rich_console = report.need("rich.console")
    console = rich_console.Console()
    if not console.is_terminal:  # piped into a file: do not squeeze the tables to 80 columns
        console = rich_console.Console(width=150)
    options = _options(args)
    env = report.environment()
    console.print(
        f"[bold]flowwire bench[/bold]  Python {env['python']}  {env['cpu_model']}  "
        f"{env['usable_cores']}/{env['cpu_count']} cores  "
        f"rounds={options.config().rounds} min_time={options.config().min_time}s"
    )
    started = time.perf_counter()
    if args.no_progress:
        outcome = run_suite(options)
    else:
        progress_mod = report.need("rich.progress")
        with progress_mod.Progress(
            progress_mod.TextColumn("{task.description:<48}"),
            progress_mod.BarColumn(),
            progress_mod.MofNCompleteColumn(),
            progress_mod.TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("preparing payloads", total=None)

            def on_step(description: str, total: int) -> None:
                progress.update(task, total=total, advance=1, description=description[:48])

            outcome = run_suite(options, on_step=on_step)
    report.render_results(console, outcome.results, baseline=options.baseline)
    for skipped in outcome.document["skipped_candidates"]:
        console.print(f"[yellow]skipped {skipped['candidate']}[/yellow]: {skipped['reason']}")
    if args.json:
        path = report.write_json(args.json, outcome.document)
        console.print(f"wrote {path}")
    if args.markdown:
        Path(args.markdown).write_text(report.markdown(outcome.document), encoding="utf-8")
        console.print(f"wrote {args.markdown}")
    if args.plot:
        from flowwire.benchmark import plot

        paths = plot.plot_throughput(outcome.results, args.plot)
        console.print(f"wrote {len(paths)} charts to {args.plot}")
    console.print(f"[dim]done in {time.perf_counter() - started:.1f} s[/dim]")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m flowwire.benchmark``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
