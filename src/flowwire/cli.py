"""The ``flowwire`` command.

::

    flowwire run module:Workflow [ARG ...] [--transport NAME] [--scan PKG ...] [--db FILE --id ID]
    flowwire transports
    flowwire worker|start|executions|history|prune|backup --db FILE ...

``run`` executes a workflow on the local engine, named ``module:Class`` or, by its registered
name and version, ``module:name@version``. Each ARG is parsed as JSON, falling back to the
plain string (``flowwire run examples.echo:Echo hello`` passes ``"hello"``); text that starts
like JSON but does not parse is a usage error. ``-k NAME=VALUE`` passes a keyword argument the
same way. The result is printed on stdout as valid JSON (non-JSON values as escape objects,
see :mod:`flowwire.tools.jsonview`); a failed workflow exits with status 1 and its error on
stderr; a usage or setup problem (unknown module, a file path instead of a module, a module
that fails to import, wrong arguments, impossible options, registration error) exits with
status 2 and one line naming the target and the cause. Ctrl-C stops any command with one line
on stderr and status 130. ``--offload-dir DIR`` is where a
transport name with an ``offload`` stage (``--transport json+offload``) stores large payloads
(default ``$FLOWWIRE_OFFLOAD_DIR``, else ``~/.cache/flowwire/offload``; see ``LocalEngine``).
Progress of long runs goes to stderr. ``--db FILE`` runs it on the durable local engine
(``flowwire.cli_durable``, which also has the ``worker``, ``start``, ``executions``,
``history``, ``prune`` and ``backup`` commands). ``flowwire swf ...`` and ``flowwire bench``
need their extras; without them they say which extra to install.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from flowwire import cli_durable
from flowwire._cli_args import (
    UsageError,
    file_target_hint,
    non_negative_float,
    parse_argument,
    parse_kwarg,
    positive_int,
)
from flowwire.errors import FlowwireError, PayloadTooLarge, TaskError

__all__ = ["build_parser", "format_task_failure", "main"]


def format_task_failure(error: TaskError, *, command: str, traceback: bool = False) -> str:
    """The text a command prints on stderr for a failed workflow (``flowwire run``,
    ``flowwire swf start --wait``): one line ``COMMAND: TASK failed: TYPE: MESSAGE``, then, when
    ``traceback`` asks for it, the remote traceback (or a note that none was recorded).

    ``TYPE`` is the remote exception's class name, else the error's own (``TaskTimedOutError``).
    """
    kind = error.type_name or type(error).__name__
    text = f"{command}: {error.task or 'the workflow'} failed: {kind}: {error.message}"
    if traceback:
        remote = (error.traceback or "").rstrip("\n")
        text += "\n" + (remote or "(no remote traceback was recorded)")
    return text


#: What the top-level help says the command is (plain text: argparse prints it as is).
DESCRIPTION = (
    "Run workflows on the local engine or Amazon SWF, and read their payloads and histories."
)

_UsageError = UsageError  # a problem with what the user asked ``run`` to do


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
    hint = file_target_hint(target)
    if hint is not None:
        raise _UsageError(f"{target}: {hint}")
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
            import difflib

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


def workflow_call(args: argparse.Namespace) -> tuple[Any, list[Any], dict[str, Any]]:
    """The workflow class of ``args.workflow`` and its arguments (``args.args``, ``-k``
    ``args.kwarg``), checked against its ``run`` signature.

    Raises:
        _UsageError, ValueError: what the command prints before exiting with status 2.
    """
    workflow = _load_workflow(args.workflow)
    kwargs = dict(parse_kwarg(item) for item in args.kwarg)
    positional = [parse_argument(a, where=f"argument {i}") for i, a in enumerate(args.args, 1)]
    _check_arguments(args.workflow, workflow, positional, kwargs)
    return workflow, positional, kwargs


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
        workflow, positional, kwargs = workflow_call(args)
        if args.id is not None and args.db is None:
            raise _UsageError("--id needs --db FILE (only a durable execution has an id)")
        problem = None if args.db is None else cli_durable.check_db(args.db)
        if problem:
            raise _UsageError(problem)
        engine = LocalEngine(
            args.scan,
            ignore=args.ignore,
            transport=args.transport,
            offload_dir=args.offload_dir,
            processes=args.processes,
            max_workers=args.workers,
            progress=None if args.quiet else _progress_printer(time.monotonic()),
            progress_interval=args.progress_interval,
            db=args.db,
            synchronous=args.synchronous,
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
    if args.db is not None:
        return cli_durable.run_durable(args, engine, workflow, positional, kwargs)
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
    from flowwire.tools.jsonview import to_json

    print(to_json(result))
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


#: The sub-commands :func:`build_parser` always has (the others come from modules with optional
#: dependencies, imported only when the command line may need them).
LOCAL_COMMANDS = frozenset(
    {"run", "transports", *cli_durable.COMMANDS},
)


class _VersionAction(argparse.Action):
    """``--version``: the installed version, read from the package metadata only when asked
    (``importlib.metadata`` costs more to import than the rest of a worker's command line)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"flowwire {_version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``flowwire`` command, with optional sub-commands added.

    ``command``: the sub-command the command line names, when known; a local one
    (:data:`LOCAL_COMMANDS`) gets a parser without the optional sub-commands (``decode``,
    ``swf``, ``bench``), whose modules are then not imported: a worker starts sooner.
    """
    parser = argparse.ArgumentParser(
        prog="flowwire",
        description=DESCRIPTION,
        epilog="Results and decoded values are printed as JSON; NaN, infinities, bytes and "
        'integers beyond 64 bits as escape objects such as {"$float": "nan"}.',
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a workflow on the local engine",
        description="Run a workflow on the local engine and print its result as JSON.",
    )
    run.add_argument(
        "workflow",
        nargs="?",
        help="module:Workflow or module:name@version, for example examples.echo:Echo",
    )
    run.add_argument(
        "args", nargs="*", default=[], help="arguments, each parsed as JSON (else a string)"
    )
    run.add_argument(
        "-k",
        "--kwarg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument, its value parsed as JSON (else a string); repeatable",
    )
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
    run.add_argument(
        "--workers", type=positive_int, default=None, help="size of the activity pool (1 or more)"
    )
    run.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    run.add_argument(
        "--traceback",
        action="store_true",
        help="on failure, print the remote traceback of the failed task (an activity's own)",
    )
    run.add_argument(
        "--progress-interval", type=non_negative_float, default=2.0, help=argparse.SUPPRESS
    )
    cli_durable.add_run_options(run)
    run.set_defaults(func=_run)

    transports = sub.add_parser(
        "transports",
        help="list the registered transports",
        description="List the registered transport names and what each one is.",
    )
    transports.set_defaults(func=_transports)
    cli_durable.add_durable_commands(sub)
    if command in LOCAL_COMMANDS:
        return parser

    # parts with optional dependencies register their own sub-commands
    for command, module_name, function, extra in (
        ("decode", "flowwire.decode_cli", "add_decode_command", None),
        ("swf", "flowwire.engines.swf.cli", "add_swf_commands", "swf"),
        ("bench", "flowwire.benchmark.cli", "add_bench_command", "bench"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if extra is None:
                raise
            _add_missing_extra(sub, command, extra, exc)
            continue
        getattr(module, function)(sub)
    return parser


def _add_missing_extra(sub: Any, command: str, extra: str, error: ImportError) -> None:
    """A placeholder ``command`` that says which extra to install, whatever it is given."""
    missing = error.name or str(error)
    message = f"flowwire {command} needs {missing}: pip install 'flowwire[{extra}]'"
    parser = sub.add_parser(
        command, help=f"(needs the {extra} extra) {message}", description=message, add_help=False
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def refuse(args: argparse.Namespace) -> int:
        print(message, file=sys.stderr)
        return 2

    parser.set_defaults(func=refuse)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flowwire")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "(not installed)"


def _interrupted() -> int:
    """Ctrl-C: one line, status 130. Worker processes are stopped (they would outlive the
    command, still running their task); worker threads still running an activity would keep
    the process alive until their task ends, so the process then leaves at once."""
    import multiprocessing

    print("flowwire: interrupted", file=sys.stderr, flush=True)
    threading.excepthook = lambda args: None  # pools whose workers stop now have nothing to say
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=5)
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not t.daemon for t in others):
        sys.stdout.flush()
        os._exit(130)
    return 130


def _interrupt_here_only() -> Any:
    """Ctrl-C reaches the whole process group: let only this process raise KeyboardInterrupt.
    Worker processes forked from it inherit the handler and ignore the signal; this process
    stops them (:func:`_interrupted`), so no worker prints a traceback of its own. Returns
    the handler to restore, or ``None`` when nothing was changed."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        return None  # ignored on purpose (a background job) or handled by the embedding program
    here = os.getpid()

    def interrupt(signum: int, frame: Any) -> None:
        if os.getpid() == here:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    return previous


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flowwire`` console script; returns the exit status.

    Ctrl-C ends any command with ``flowwire: interrupted`` on stderr and status 130, without
    a traceback; a closed stdout (``flowwire ... | head``) ends it quietly.
    """
    previous = _interrupt_here_only()
    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        command = arguments[0] if arguments else None  # options first: the whole parser
        args = build_parser(command).parse_args(arguments)
        status: int = args.func(args)
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        # the reader went away: say nothing more, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGINT, previous)
    return status


if __name__ == "__main__":
    sys.exit(main())
