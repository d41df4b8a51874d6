"""The ``flowwire`` command.

::

    flowwire run module:Workflow [ARG ...] [--transport NAME] [--scan PKG ...]
    flowwire transports

``run`` executes a workflow on the local engine, named ``module:Class`` or, by its registered
name and version, ``module:name@version``. Each ARG is parsed as JSON, falling back to the
plain string (``flowwire run examples.echo:Echo hello`` passes ``"hello"``); ``-k
NAME=VALUE`` passes a keyword argument the same way. The result is printed as JSON on stdout;
a failed workflow exits with status 1 and its error on stderr; a usage or setup problem
(unknown module, a module that fails to import, wrong arguments, registration error) exits
with status 2 and one line naming the target and the cause. ``--offload-dir DIR`` is where a
transport name with an ``offload`` stage (``--transport json+offload``) stores large payloads
(default ``$FLOWWIRE_OFFLOAD_DIR``, else ``~/.cache/flowwire/offload``; see ``LocalEngine``).
Progress of long runs goes to stderr. ``flowwire swf ...`` and ``flowwire bench`` appear
when those parts are installed.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from flowwire.errors import FlowwireError, PayloadTooLarge, TaskError

__all__ = ["build_parser", "format_task_failure", "main"]


def format_task_failure(error: TaskError, *, command: str, traceback: bool = False) -> str:
    """The text a command prints on stderr for a failed workflow (``flowwire run``,
    ``flowwire swf start --wait``): one line ``COMMAND: TASK failed: TYPE: MESSAGE``, then, when
    ``traceback`` asks for it, the remote traceback (or a note that none was recorded).

    ``TYPE`` is the remote exception's class name, else the error's own (``TaskTimedout``).
    """
    kind = error.type_name or type(error).__name__
    text = f"{command}: {error.task or 'the workflow'} failed: {kind}: {error.message}"
    if traceback:
        remote = (error.traceback or "").rstrip("\n")
        text += "\n" + (remote or "(no remote traceback was recorded)")
    return text


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    from flowwire.transport._model import lower_fully

    lowered = lower_fully(value)
    if lowered is value:
        raise TypeError(f"cannot print a {type(value).__name__} as JSON")
    return lowered


class _UsageError(Exception):
    """A problem with what the user asked ``run`` to do; its message is printed as is."""


def _workflows_in(module: Any) -> list[str]:
    from flowwire.task import Workflow

    return sorted(
        name
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, Workflow) and value is not Workflow
    )


def _load_workflow(target: str) -> Any:
    from flowwire.task import Workflow

    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname:
        raise _UsageError(f"expected module:Workflow, got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # SyntaxError, a missing dependency, an error at import time
        raise _UsageError(
            f"cannot import module {module_name!r} for {target}: {type(exc).__name__}: {exc}"
        ) from exc
    if "@" in qualname:  # module:name@version, the registered name and version
        from flowwire.scanner import find_type

        name, _, version = qualname.rpartition("@")
        try:
            return find_type(module, name, version, kind="workflow")
        except FlowwireError as exc:
            raise _UsageError(f"{target}: {exc}") from None
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            available = _workflows_in(module)
            close = difflib.get_close_matches(part, available, n=1)
            hint = f"; did you mean {module_name}:{close[0]}?" if close else ""
            listing = ", ".join(available) if available else "none"
            raise _UsageError(
                f"{target}: module {module_name!r} has no {part!r} (workflows in it: "
                f"{listing}){hint}"
            ) from None
    if not isinstance(obj, type) or not issubclass(obj, Workflow):
        raise _UsageError(f"{target} is not a Workflow subclass")
    return obj


def _check_arguments(target: str, workflow: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    from flowwire.task import bind_run_arguments

    try:
        bind_run_arguments(workflow, args, kwargs)
    except FlowwireError as exc:
        raise _UsageError(f"{target}: {exc}") from None


def _progress_printer(started: float) -> Any:
    def report(progress: dict[str, int]) -> None:
        print(
            f"[flowwire] {time.monotonic() - started:.1f}s: {progress['decisions']} decisions, "
            f"{progress['activities_done']} activity tasks done, "
            f"{progress['activities_running']} running, {progress['runs_open']} runs open",
            file=sys.stderr,
            flush=True,
        )

    return report


def _run(args: argparse.Namespace) -> int:
    from flowwire.engines.local import LocalEngine

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if args.workflow is None:
        print(
            "flowwire run: which workflow? usage: flowwire run module:Workflow [ARG ...] "
            "(for example: flowwire run examples.echo:Echo hello)",
            file=sys.stderr,
        )
        return 2
    try:
        workflow = _load_workflow(args.workflow)
        kwargs: dict[str, Any] = {}
        for item in args.kwarg:
            name, sep, value = item.partition("=")
            if not sep or not name.isidentifier():
                raise ValueError(f"expected NAME=VALUE for -k/--kwarg, got {item!r}")
            kwargs[name] = _parse_value(value)
        positional = [_parse_value(a) for a in args.args]
        _check_arguments(args.workflow, workflow, positional, kwargs)
        engine = LocalEngine(
            args.scan,
            ignore=args.ignore,
            transport=args.transport,
            offload_dir=args.offload_dir,
            processes=args.processes,
            max_workers=args.workers,
            progress=None if args.quiet else _progress_printer(time.monotonic()),
            progress_interval=args.progress_interval,
        )
    except (_UsageError, ImportError, AttributeError, ValueError, FlowwireError) as exc:
        print(f"flowwire run: {exc}", file=sys.stderr)
        return 2
    if args.offload_dir is not None and not engine.uses_offload_store(workflow):
        print(
            f"flowwire run: warning: --offload-dir {args.offload_dir} has no effect: no "
            "transport of this run has an offload stage without a store (for example "
            "--transport json+offload)",
            file=sys.stderr,
        )
    try:
        result = engine.run(workflow, *positional, **kwargs)
    except KeyboardInterrupt:  # the engine stopped its workers (and killed worker processes)
        print(f"flowwire run: {args.workflow}: interrupted", file=sys.stderr)
        return 130
    except TaskError as exc:
        print(
            format_task_failure(exc, command="flowwire run", traceback=args.traceback),
            file=sys.stderr,
        )
        return 1
    except PayloadTooLarge as exc:
        print(f"flowwire run: {args.workflow}: PayloadTooLarge: {exc}", file=sys.stderr)
        return 1
    except FlowwireError as exc:
        print(f"flowwire run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    try:
        text = json.dumps(result, default=_jsonable, ensure_ascii=False)
    except (TypeError, ValueError):
        text = json.dumps(repr(result))
    print(text)
    return 0


def _transports(args: argparse.Namespace) -> int:
    from flowwire.transport import available_transports, get_transport

    for name in available_transports():
        try:
            description = repr(get_transport(name))
        except Exception as exc:  # a transport needing options or a missing extra
            description = f"(needs configuration: {exc})"
        print(f"{name}\t{description}")
    from flowwire.transport.registry import broken_codecs

    for name, message in sorted(broken_codecs().items()):
        print(f"{name}\t(broken: {message})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``flowwire`` command, with optional sub-commands added."""
    parser = argparse.ArgumentParser(prog="flowwire", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a workflow on the local engine")
    run.add_argument(
        "workflow",
        nargs="?",
        help="module:Workflow or module:name@version, for example examples.echo:Echo",
    )
    run.add_argument(
        "args", nargs="*", default=[], help="arguments, each parsed as JSON (else a string)"
    )
    run.add_argument("-k", "--kwarg", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--transport", help="transport for task classes that chose none")
    run.add_argument(
        "--offload-dir",
        metavar="DIR",
        help="store of an 'offload' stage in --transport (default: $FLOWWIRE_OFFLOAD_DIR, "
        "else ~/.cache/flowwire/offload)",
    )
    run.add_argument(
        "--scan", action="append", default=[], metavar="PKG", help="find tasks in PKG too"
    )
    run.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATTERN",
        help="skip modules matching this glob while scanning (for example '*.tests')",
    )
    run.add_argument("--processes", action="store_true", help="run activities in processes")
    run.add_argument("--workers", type=int, default=None, help="size of the activity pool")
    run.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    run.add_argument("--traceback", action="store_true", help="print remote tracebacks")
    run.add_argument("--progress-interval", type=float, default=2.0, help=argparse.SUPPRESS)
    run.set_defaults(func=_run)

    transports = sub.add_parser("transports", help="list the registered transports")
    transports.set_defaults(func=_transports)

    # optional parts register their own sub-commands: (module, function)
    for module_name, function in (
        ("flowwire.decode_cli", "add_decode_command"),
        ("flowwire.engines.swf.cli", "add_swf_commands"),
        ("flowwire.bench_cli", "add_bench_command"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        getattr(module, function)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flowwire`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
