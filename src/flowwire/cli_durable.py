"""The commands of the durable local engine: one ``--db FILE`` meaning the same everywhere.

::

    flowwire worker --db FILE TARGET [TARGET ...] [--processes] [--workers N]
    flowwire start --db FILE module:Workflow [ARG ...] [--id ID] [--attach] [--wait]
    flowwire run --db FILE module:Workflow [ARG ...] [--id ID]
    flowwire signal --db FILE ID NAME [VALUE] [--target TARGET ...]
    flowwire cancel --db FILE ID
    flowwire executions --db FILE [--status STATUS] [--json]
    flowwire history --db FILE ID [TARGET ...] [--json] [--raw]
    flowwire prune --db FILE --older-than DAYS [--vacuum]
    flowwire backup --db FILE DESTINATION

``--db FILE`` is the SQLite file of the executions: created by the commands that write
(``worker``, ``start``, ``run``), required by those that read. ``run --db`` is ``run`` made
durable: give it ``--id`` (or note the id it prints) and the same command after a crash
resumes the execution; an id that already closed prints its outcome without running anything
again. Exit statuses are ``run``'s: 0 done, 1 the workflow failed (or was cancelled) or the
file could not be written, 2 a usage or setup problem (including a file that cannot be opened),
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from flowwire._cli_args import non_negative_float, positive_float, positive_int
from flowwire.errors import Cancelled, ConfigurationError, FlowwireError, StoreError, TaskError

__all__ = ["COMMANDS", "add_durable_commands", "add_run_options", "run_durable"]

#: The sub-commands :func:`add_durable_commands` adds.
COMMANDS = ("worker", "start", "signal", "cancel", "executions", "history", "prune", "backup")

Printer = Callable[[str], None]


def _say(command: str, quiet: bool = False) -> Printer | None:
    if quiet:
        return None

    def say(line: str) -> None:
        print(f"flowwire {command}: {line}", file=sys.stderr, flush=True)

    return say


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="the SQLite file")


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", help="transport for task classes that chose none")
    parser.add_argument("--offload-dir", metavar="DIR", help="store of 'offload' stages")
    parser.add_argument(
        "--synchronous",
        choices=["full", "normal"],
        default="full",
        help="full (default): every commit survives a power cut; normal: a process crash",
    )


def add_run_options(run: argparse.ArgumentParser) -> None:
    """``--db``, ``--id`` and ``--synchronous`` of ``flowwire run``."""
    run.add_argument("--db", metavar="FILE", help="run durably in this SQLite file")
    run.add_argument("--id", metavar="ID", help="(--db) the execution id; again to resume it")
    run.add_argument(
        "--synchronous", choices=["full", "normal"], default="full", help=argparse.SUPPRESS
    )


def _print_json(value: Any) -> None:
    from flowwire.tools.jsonview import to_json

    print(to_json(value), flush=True)


def _task_failure(exc: TaskError, command: str, traceback: bool) -> int:
    from flowwire.cli import format_task_failure

    print(
        format_task_failure(exc, command=f"flowwire {command}", traceback=traceback),
        file=sys.stderr,
    )
    return 1


def run_durable(
    args: argparse.Namespace,
    engine: Any,
    workflow: Any,
    positional: list[Any],
    kwargs: dict[str, Any],
) -> int:
    """The durable part of ``flowwire run --db``: run or resume ``--id`` to its end."""
    from flowwire.tasktype import type_of

    say = _say("run", args.quiet)
    task_type = type_of(workflow)
    assert task_type is not None
    workflow_id = args.id or f"{task_type.name}-{uuid.uuid4().hex[:12]}"
    if args.id is None and say:
        say(
            f"execution {workflow_id} in {args.db} (to resume it: the same command with --id "
            f"{workflow_id})"
        )
    try:
        result = engine.execute(workflow, positional, kwargs, workflow_id=workflow_id, notice=say)
    except KeyboardInterrupt:
        print(
            f"flowwire run: {args.workflow}: interrupted (resume with --id {workflow_id})",
            file=sys.stderr,
        )
        return 130
    except TaskError as exc:
        return _task_failure(exc, "run", args.traceback)
    except Cancelled as exc:
        print(f"flowwire run: {exc}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:  # another workflow or other arguments for this id
        print(f"flowwire run: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"flowwire run: {exc}", file=sys.stderr)
        return 1
    except FlowwireError as exc:
        print(f"flowwire run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    _print_json(result)
    return 0


def check_db(path: str) -> str | None:
    """Why the file ``path`` cannot be used by a writer (``None``: it can)."""
    from flowwire.runtime.sqlite import SQLiteStore

    try:
        SQLiteStore(path).close()
    except StoreError as exc:
        return str(exc)
    return None


def _targets(names: list[str]) -> list[Any]:
    """Modules, packages or ``module:Class`` names, importable from the current directory."""
    import importlib

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    found: list[Any] = []
    for name in names:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise ValueError(f"cannot import {module_name!r} (from {name!r}): {exc}") from exc
        if not attribute:
            found.append(module)
            continue
        try:
            found.append(getattr(module, attribute))
        except AttributeError:
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}") from None
    return found


def _worker(args: argparse.Namespace) -> int:
    from flowwire.engines.local import LocalEngine

    try:
        engine = LocalEngine(
            _targets(args.targets),
            transport=args.transport,
            offload_dir=args.offload_dir,
            processes=args.processes,
            max_workers=args.workers,
            db=args.db,
            synchronous=args.synchronous,
        )
    except (ValueError, FlowwireError) as exc:
        print(f"flowwire worker: {exc}", file=sys.stderr)
        return 2
    workflows = [t.describe() for t in engine._registry.of_kind("workflow")]
    if not workflows:
        print(
            f"flowwire worker: nothing to run: {', '.join(args.targets)} has no @workflow classes",
            file=sys.stderr,
        )
        return 2
    problem = check_db(args.db)
    if problem:
        print(f"flowwire worker: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # the second signal: leave now
            raise KeyboardInterrupt
        stop.set()
        print(
            f"flowwire worker: {signal.Signals(signum).name}, finishing the attempts in hand "
            "(again to quit now)",
            file=sys.stderr,
            flush=True,
        )

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    mode = f"{engine._max_workers} {'process' if args.processes else 'thread'}(s)"
    print(
        f"flowwire worker: serving {args.db} (pid {os.getpid()}, {mode}): {', '.join(workflows)}",
        file=sys.stderr,
        flush=True,
    )
    try:
        engine.work(stop, interval=args.poll, max_runs=args.max_runs, notice=_say("worker"))
    except KeyboardInterrupt:
        print("flowwire worker: interrupted", file=sys.stderr)
        return 130
    except StoreError as exc:
        print(f"flowwire worker: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("flowwire worker: stopped", file=sys.stderr)
    return 0


def _start(args: argparse.Namespace) -> int:
    from flowwire.cli import _UsageError, workflow_call
    from flowwire.engines.local import LocalEngine

    try:
        workflow, positional, kwargs = workflow_call(args)
        engine = LocalEngine(
            _targets(args.scan),
            transport=args.transport,
            offload_dir=args.offload_dir,
            db=args.db,
            synchronous=args.synchronous,
        )
        started = engine.start(
            workflow, positional, kwargs, workflow_id=args.id, attach=args.attach
        )
    except (_UsageError, ValueError, FlowwireError) as exc:
        print(f"flowwire start: {exc}", file=sys.stderr)
        return 2
    what = "attached to the running" if started.existing else "started"
    print(
        f"flowwire start: {what} execution {started.workflow_id} (run {started.run_id}) in "
        f"{args.db}",
        file=sys.stderr,
        flush=True,
    )
    if not args.wait:
        _print_json(
            {
                "workflowId": started.workflow_id,
                "runId": started.run_id,
                "existing": started.existing,
            }
        )
        return 0
    try:
        result = engine.result(workflow, started.workflow_id, timeout=args.timeout)
    except TaskError as exc:
        return _task_failure(exc, "start", args.traceback)
    except Cancelled as exc:
        print(f"flowwire start: {exc}", file=sys.stderr)
        return 1
    except TimeoutError as exc:
        print(f"flowwire start: {exc} (is a worker running on {args.db}?)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("flowwire start: interrupted (the execution goes on)", file=sys.stderr)
        return 130
    _print_json(result)
    return 0


def _signal(args: argparse.Namespace) -> int:
    from flowwire._cli_args import UsageError, parse_argument
    from flowwire.engines.local import LocalEngine

    try:
        value = None if args.value is None else parse_argument(args.value, where="VALUE")
        engine = LocalEngine(
            _targets(args.target),
            transport=args.transport,
            offload_dir=args.offload_dir,
            db=args.db,
            synchronous=args.synchronous,
        )
        engine.signal(args.id, args.name, value)
    except (UsageError, ValueError, ConfigurationError) as exc:
        print(f"flowwire signal: {exc}", file=sys.stderr)
        return 2
    except FlowwireError as exc:  # UnknownExecutionError, StoreError, EncodeError
        print(f"flowwire signal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"flowwire signal: sent {args.name!r} to {args.id} in {args.db}", file=sys.stderr)
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from flowwire.engines.local import LocalEngine

    try:
        LocalEngine(db=args.db, synchronous=args.synchronous).cancel(args.id)
    except (ValueError, ConfigurationError) as exc:
        print(f"flowwire cancel: {exc}", file=sys.stderr)
        return 2
    except FlowwireError as exc:  # UnknownExecutionError, StoreError
        print(f"flowwire cancel: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"flowwire cancel: asked {args.id} in {args.db} to cancel", file=sys.stderr)
    return 0


def _open(path: str) -> Any:
    from flowwire.runtime.sqlite import SQLiteStore

    return SQLiteStore(path, readonly=True)


def _executions(args: argparse.Namespace) -> int:
    from flowwire.engines.durable_history import summaries
    from flowwire.tools.histories import executions_json, format_executions

    try:
        store = _open(args.db)
        try:
            found = summaries(store, status=args.status)
        finally:
            store.close()
    except StoreError as exc:
        print(f"flowwire executions: {exc}", file=sys.stderr)
        return 2
    print(executions_json(found) if args.json else format_executions(found))
    return 0


def _history(args: argparse.Namespace) -> int:
    from flowwire.engines.durable_history import durable_timeline, history_entries, summary_of
    from flowwire.engines.local import LocalEngine
    from flowwire.tools.histories import format_history, history_json
    from flowwire.tools.timeline import write_timeline

    if args.timeline is not None and Path(args.timeline).suffix.lower() not in _PICTURES:
        print(
            f"flowwire history: --timeline {args.timeline}: use a .svg, .html or .png file",
            file=sys.stderr,
        )
        return 2
    try:
        engine = LocalEngine(
            _targets(args.targets), transport=args.transport, offload_dir=args.offload_dir
        )
        store = _open(args.db)
    except (ValueError, FlowwireError) as exc:
        print(f"flowwire history: {exc}", file=sys.stderr)
        return 2
    try:
        found = store.find(args.id)
        if found is None:
            print(f"flowwire history: {args.db} has no execution {args.id!r}", file=sys.stderr)
            return 2
        runs = [found] if found.run_id == args.id else store.chain(found.workflow_id)
        shown = []
        for record in runs:
            entries = history_entries(
                store, record, engine._registry, engine.rule, decode=not args.raw
            )
            shown.append((summary_of(record), entries))
        timeline = durable_timeline(store, runs[-1]) if args.timeline else None
    except StoreError as exc:
        print(f"flowwire history: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    for summary, entries in shown:  # a run and the runs it continued as, oldest first
        if args.json:
            print(history_json(summary, entries))
        else:
            print(format_history(summary, entries, everything=True, traceback=args.traceback))
    if timeline is not None:
        write_timeline(timeline, args.timeline)
        print(f"timeline of {len(timeline.rows)} rows written to {args.timeline}", file=sys.stderr)
    return 0


_PICTURES = (".svg", ".html", ".htm", ".png")


def _prune(args: argparse.Namespace) -> int:
    from flowwire.runtime.sqlite import SQLiteStore

    try:
        store = SQLiteStore(args.db)
        try:
            count = store.prune(closed_before=time.time() - args.older_than * 86400)
            if args.vacuum:
                store.vacuum()
        finally:
            store.close()
    except StoreError as exc:
        print(f"flowwire prune: {exc}", file=sys.stderr)
        return 2
    print(f"flowwire prune: deleted {count} closed run(s) of {args.db}", file=sys.stderr)
    return 0


def _backup(args: argparse.Namespace) -> int:
    try:
        store = _open(args.db)
        try:
            store.backup(args.destination)
        finally:
            store.close()
    except StoreError as exc:
        print(f"flowwire backup: {exc}", file=sys.stderr)
        return 2
    print(f"flowwire backup: {args.db} copied to {args.destination}", file=sys.stderr)
    return 0


def add_durable_commands(sub: Any) -> None:
    """Add ``worker``, ``start``, ``signal``, ``cancel``, ``executions``, ``history``,
    ``prune`` and ``backup`` to an argparse ``subparsers`` (each sets ``func``)."""
    worker = sub.add_parser("worker", help="run the executions of a durable engine's file")
    _db(worker)
    worker.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="modules, packages or module:Class with the task classes",
    )
    _engine_options(worker)
    worker.add_argument("--processes", action="store_true", help="run activities in processes")
    worker.add_argument(
        "--workers", type=positive_int, default=None, help="size of the activity pool (1 or more)"
    )
    worker.add_argument(
        "--max-runs", type=positive_int, default=1000, help="open executions at once"
    )
    worker.add_argument(
        "--poll", type=positive_float, default=0.1, help="seconds between looks for work"
    )
    worker.set_defaults(func=_worker)

    start = sub.add_parser("start", help="start a durable execution for a worker to run")
    _db(start)
    start.add_argument("workflow", help="module:Workflow")
    start.add_argument("args", nargs="*", default=[], help="arguments, each parsed as JSON")
    start.add_argument(
        "-k",
        "--kwarg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument, its value parsed as JSON (else a string); repeatable",
    )
    start.add_argument("--id", metavar="ID", help="the execution id (default: NAME-<hex>)")
    start.add_argument(
        "--attach", action="store_true", help="if ID is running, return it instead of failing"
    )
    start.add_argument("--wait", action="store_true", help="wait for the result and print it")
    start.add_argument(
        "--timeout", type=positive_float, default=None, help="(--wait) seconds at most"
    )
    start.add_argument(
        "--scan", action="append", default=[], metavar="PKG", help="find tasks in PKG too"
    )
    start.add_argument("--traceback", action="store_true", help="print remote tracebacks")
    _engine_options(start)
    start.set_defaults(func=_start)

    sig = sub.add_parser(
        "signal",
        help="send a signal to a running durable execution",
        description="Queue the signal NAME with VALUE for the execution ID in the file's "
        "inbox; the worker holding the execution delivers it to its wait_signal(NAME).",
    )
    _db(sig)
    sig.add_argument("id", metavar="ID", help="workflow id (or run id) of an open execution")
    sig.add_argument("name", metavar="NAME", help="the signal's name")
    sig.add_argument("value", metavar="VALUE", nargs="?", help="JSON, else a plain string")
    sig.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TARGET",
        help="module or module:Class with the workflow class (for its own transport)",
    )
    _engine_options(sig)
    sig.set_defaults(func=_signal)

    cancel = sub.add_parser(
        "cancel",
        help="ask a durable execution to cancel",
        description="Queue a cancellation request for the execution ID in the file's inbox; "
        "the worker holding the execution (now, or the next to take it over) delivers it: "
        "its run() gets Cancelled at its next wait and may clean up before it closes.",
    )
    _db(cancel)
    cancel.add_argument("id", metavar="ID", help="workflow id (or run id) of an open execution")
    cancel.add_argument(
        "--synchronous",
        choices=("full", "normal"),
        default="full",
        help="SQLite durability of the write (default: full)",
    )
    cancel.set_defaults(func=_cancel)

    executions = sub.add_parser("executions", help="list the executions of a durable file")
    _db(executions)
    executions.add_argument("--status", help="only runs with this status (open, completed, ...)")
    executions.add_argument("--json", action="store_true", help="print JSON")
    executions.set_defaults(func=_executions)

    history = sub.add_parser("history", help="print an execution's history, payloads decoded")
    _db(history)
    history.add_argument("id", metavar="ID", help="workflow id or run id")
    history.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="modules with the task classes (their transports decode)",
    )
    history.add_argument("--json", action="store_true", help="print JSON (times, payloads)")
    history.add_argument("--raw", action="store_true", help="payloads as stored, not decoded")
    history.add_argument("--traceback", action="store_true", help="print remote tracebacks")
    history.add_argument(
        "--timeline",
        metavar="FILE",
        help="also draw the (last) run as a timeline: out.svg, out.html or out.png",
    )
    history.add_argument("--transport", help="transport of task classes that chose none")
    history.add_argument("--offload-dir", metavar="DIR", help="store of 'offload' stages")
    history.set_defaults(func=_history)

    prune = sub.add_parser("prune", help="delete old closed executions of a durable file")
    _db(prune)
    prune.add_argument(
        "--older-than",
        type=non_negative_float,
        required=True,
        metavar="DAYS",
        help="closed more than DAYS days ago (may be a fraction)",
    )
    prune.add_argument("--vacuum", action="store_true", help="then shrink the file")
    prune.set_defaults(func=_prune)

    backup = sub.add_parser("backup", help="copy a durable file safely while workers run")
    _db(backup)
    backup.add_argument("destination", metavar="DESTINATION", help="the copy to write")
    backup.set_defaults(func=_backup)
