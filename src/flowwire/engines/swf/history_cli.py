"""``flowwire swf executions`` and ``flowwire swf history``: what ran on SWF, decoded.

::

    flowwire swf executions [--open | --closed] [--days N] [--workflow-id ID] [--json]
    flowwire swf history WORKFLOW_ID [--run-id RUN] [--scan TARGET ...] [--json]
                         [--all] [--traceback] [--timeline out.svg|out.html|out.png]
    flowwire swf history --file history.json ...

The SWF commands carry the engine in their name (``flowwire swf start`` starts on SWF,
``flowwire start --db`` on the durable local engine); listing and reading histories follow the
same rule, and both engines print with :mod:`flowwire.tools.histories` and draw with
:mod:`flowwire.tools.timeline`, so their output has one shape.

``history`` decodes payloads with the transports of the task classes found in ``--scan``
targets (as ``flowwire swf worker`` finds them), so encrypted payloads are read with the keys
the classes configure; other payloads are read with the built-in codecs. ``--file`` reads a
history saved from ``GetWorkflowExecutionHistory`` (for example ``aws swf
get-workflow-execution-history ... > history.json``) instead of asking SWF.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from flowwire._cli_args import positive_int

__all__ = ["add_history_commands"]


def _cmd_executions(args: argparse.Namespace) -> int:
    from flowwire.engines.swf.cli import _swf
    from flowwire.engines.swf.inspect import list_executions
    from flowwire.tools.histories import executions_json, format_executions

    which = "open" if args.open else "closed" if args.closed else "all"
    since = time.time() - args.days * 86400
    found = list_executions(_swf(args), since=since, which=which, workflow_id=args.workflow_id)
    print(executions_json(found) if args.json else format_executions(found))
    return 0


def _events(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str, str]:
    """``(events, workflow id, run id)`` from SWF or from ``--file``."""
    from flowwire.engines.swf.cli import _swf
    from flowwire.engines.swf.inspect import fetch_history, list_executions
    from flowwire.errors import ConfigurationError

    if args.file is not None:
        try:
            document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot read --file {args.file}: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigurationError(f"--file {args.file} is not JSON: {exc}") from None
        events = document.get("events") if isinstance(document, dict) else None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ConfigurationError(f'--file {args.file}: expected {{"events": [...]}}')
        execution = document.get("workflowExecution", {})
        workflow_id = args.workflow_id or execution.get("workflowId", "")
        return events, workflow_id, args.run_id or execution.get("runId", "")
    if not args.workflow_id:
        raise ConfigurationError("which execution? give WORKFLOW_ID (or --file FILE)")
    swf = _swf(args)
    run_id = args.run_id
    if run_id is None:
        runs = list_executions(swf, since=time.time() - 90 * 86400, workflow_id=args.workflow_id)
        if not runs:
            raise ConfigurationError(
                f"no execution of workflow id {args.workflow_id!r} on domain {swf.domain!r} "
                "started in the last 90 days"
            )
        run_id = runs[0].run_id
    return fetch_history(swf, args.workflow_id, run_id), args.workflow_id, run_id


def _cmd_history(args: argparse.Namespace) -> int:
    from flowwire.engines.swf.bindings import TaskRegistry
    from flowwire.engines.swf.cli import _load, _store
    from flowwire.engines.swf.inspect import history_entries, summary_of, swf_timeline
    from flowwire.tools.histories import format_history, history_json
    from flowwire.tools.timeline import write_timeline

    if args.timeline is not None and Path(args.timeline).suffix.lower() not in (
        ".svg",
        ".html",
        ".htm",
        ".png",
    ):
        from flowwire.errors import ConfigurationError

        raise ConfigurationError(f"--timeline {args.timeline}: use a .svg, .html or .png file")
    classes: list[type] = []
    for target in args.scan:
        classes += [c for c in _load(target, args.ignore) if c not in classes]
    from flowwire.transport import get_transport

    default = get_transport(args.transport) if args.transport else None
    store = _store(args)  # offloaded payloads are read from it
    registry = TaskRegistry(classes, transport=default, store=store) if classes or store else None
    events, workflow_id, run_id = _events(args)
    summary = summary_of(workflow_id, run_id, events)
    entries = history_entries(events, workflow_id=workflow_id, registry=registry)
    if args.json:
        print(history_json(summary, entries))
    else:
        print(format_history(summary, entries, everything=args.all, traceback=args.traceback))
    if args.timeline is not None:
        timeline = swf_timeline(events, workflow_id=workflow_id)
        write_timeline(timeline, args.timeline)
        print(f"timeline of {len(timeline.rows)} rows written to {args.timeline}", file=sys.stderr)
    return 0


def add_history_commands(commands: Any, connection: Any, common: Any, guard: Any) -> None:
    """Add ``executions`` and ``history`` to the ``flowwire swf`` subparsers; ``connection``
    adds the connection options, ``common`` those and ``--transport``, ``guard`` turns a
    handler's errors into exit codes."""
    executions = commands.add_parser(
        "executions",
        help="list executions with status and times",
        description="List the executions of a domain started in the last --days days, "
        "newest first.",
    )
    state = executions.add_mutually_exclusive_group()
    state.add_argument("--open", action="store_true", help="only open executions")
    state.add_argument("--closed", action="store_true", help="only closed executions")
    executions.add_argument(
        "--days", type=positive_int, default=7, help="started in the last DAYS days (default 7)"
    )
    executions.add_argument("--workflow-id", help="only executions with this workflow id")
    executions.add_argument("--json", action="store_true", help="a JSON array, for scripts")
    connection(executions)
    executions.set_defaults(func=guard(_cmd_executions))

    history = commands.add_parser(
        "history",
        help="print one execution's history, payloads decoded",
        description="Print the events of one run with its inputs, results and errors decoded; "
        "optionally draw it as a timeline.",
    )
    history.add_argument(
        "workflow_id", nargs="?", metavar="WORKFLOW_ID", help="the execution's workflow id"
    )
    history.add_argument("--run-id", help="the run (default: the latest run of the id)")
    history.add_argument(
        "--file",
        metavar="FILE",
        help="read the history from FILE (GetWorkflowExecutionHistory's JSON) instead of SWF",
    )
    history.add_argument(
        "--scan",
        action="append",
        default=[],
        metavar="TARGET",
        help="decode with the transports of the task classes in TARGET (module or "
        "module:Class; repeatable)",
    )
    history.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="MODULE",
        help="skip MODULE when scanning --scan packages (repeatable)",
    )
    history.add_argument("--all", action="store_true", help="show decision-task events too")
    history.add_argument(
        "--traceback", action="store_true", help="print the remote traceback of each failure"
    )
    history.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    history.add_argument(
        "--timeline",
        metavar="FILE",
        help="also draw the run: FILE.svg, FILE.html (self-contained) or FILE.png "
        "(needs the timeline extra)",
    )
    common(history)
    history.set_defaults(func=guard(_cmd_history))
