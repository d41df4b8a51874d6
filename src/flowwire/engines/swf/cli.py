"""``flowwire swf ...``: register types, run workers, start workflows on Amazon SWF, and read
what ran (``executions``, ``history``: :mod:`flowwire.engines.swf.history_cli`).

The core CLI (:mod:`flowwire.cli`) calls :func:`add_swf_commands` with its subparsers; each
command stores its handler in ``func`` (``args.func(args)`` returns the exit code). The same
commands run without the core CLI as ``python -m flowwire.engines.swf.cli ...``.

Targets name where the task classes are: ``package.module`` (every decorated class defined in
it; packages are walked, ``--ignore PATTERN`` skips modules whose dotted name, or a package
they are in, matches the glob, such as ``'*.tests'``), ``package.module:Class``, or
``package.module:name@version`` (the class registered with that name and version there).

Exit codes: 0 success, 1 the workflow failed (its error on stderr), 2 a usage or configuration
error, 3 SWF refused a call, 130 interrupted (Ctrl-C).

Workers log to stderr at ``--log-level`` (default ``WARNING``; ``INFO`` shows each task,
``DEBUG`` each poll).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Sequence
from types import FrameType
from typing import Any

from flowwire._cli_args import (
    UsageError,
    file_target_hint,
    non_negative_float,
    parse_kwarg,
    positive_float,
    positive_int,
    store_from_spec,
)
from flowwire._cli_args import parse_argument as _parse_argument
from flowwire.cli import format_task_failure
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF, SWFError
from flowwire.engines.swf.registration import ActivityTypeSpec, register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import cancel as cancel_execution
from flowwire.engines.swf.starter import signal as signal_execution
from flowwire.engines.swf.starter import start
from flowwire.errors import Cancelled, ConfigurationError, FlowwireError, TaskError
from flowwire.scanner import find_type, scan
from flowwire.task import Workflow, WorkflowMeta, meta_of
from flowwire.transport import get_transport

__all__ = ["add_swf_commands", "main", "parse_argument"]

log = logging.getLogger("flowwire.swf")

#: The environment variables ``--offload-store`` and ``--s3-endpoint-url`` default to.
OFFLOAD_STORE_ENV = "FLOWWIRE_OFFLOAD_STORE"
S3_ENDPOINT_ENV = "FLOWWIRE_S3_ENDPOINT_URL"


# -- arguments ------------------------------------------------------------------------------


def parse_argument(text: str) -> Any:
    """A workflow argument from the command line: JSON when it parses, else the plain string.

    Raises:
        UsageError: text that starts like JSON (``{``, ``[``, ``"``) but is not valid JSON.
    """
    return _parse_argument(text)


def _load(target: str, ignore: Sequence[str] = ()) -> list[type]:
    hint = file_target_hint(target)
    if hint is not None:
        raise ConfigurationError(f"{target}: {hint}")
    module_name, _, attribute = target.partition(":")
    if os.getcwd() not in sys.path:  # as with python -m: modules of the current directory
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
        if not attribute:
            found = scan(module, ignore=ignore)
            if not found:
                raise ConfigurationError(f"{module_name!r} has no @workflow/@activity classes")
            return found
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} (from {target!r}): {exc}") from exc
    if "@" in attribute:  # module:name@version, the registered name and version
        name, _, version = attribute.rpartition("@")
        return [find_type(module, name, version)]
    try:
        value = getattr(module, attribute)
    except AttributeError:
        raise ConfigurationError(f"{module_name!r} has no attribute {attribute!r}") from None
    if meta_of(value) is None:
        raise ConfigurationError(f"{target!r} is not a @workflow/@activity-decorated class")
    return [value]


def _store(args: argparse.Namespace) -> Any:
    """The engine's offload store of ``--offload-store`` (else ``$FLOWWIRE_OFFLOAD_STORE``),
    or ``None``."""
    spec = args.offload_store or os.environ.get(OFFLOAD_STORE_ENV)
    if not spec:
        return None
    option = "--offload-store" if args.offload_store else f"${OFFLOAD_STORE_ENV}"
    endpoint = args.s3_endpoint_url or os.environ.get(S3_ENDPOINT_ENV)
    return store_from_spec(spec, option=option, s3_endpoint_url=endpoint)


def _registry(args: argparse.Namespace, classes: Sequence[type] | None = None) -> TaskRegistry:
    """The registry of ``classes`` (default: every class of the targets) with the engine
    default of ``--transport`` and the store of ``--offload-store``: the workers' transport
    rule, which a starter must follow too."""
    if classes is None:
        found: list[type] = []
        for target in args.targets:
            found += [cls for cls in _load(target, args.ignore) if cls not in found]
        classes = found
    transport = get_transport(args.transport) if args.transport else None
    return TaskRegistry(classes, transport=transport, store=_store(args))


def _kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    return dict(parse_kwarg(pair) for pair in pairs)


def _swf(args: argparse.Namespace) -> SWF:
    domain = args.domain or os.environ.get("FLOWWIRE_SWF_DOMAIN")
    if not domain:
        raise ConfigurationError("no SWF domain: pass --domain or set FLOWWIRE_SWF_DOMAIN")
    endpoint = args.endpoint_url or os.environ.get("FLOWWIRE_SWF_ENDPOINT_URL")
    return SWF.connect(domain, region=args.region, endpoint_url=endpoint)


def _common(parser: argparse.ArgumentParser) -> None:
    _connection(parser)
    parser.add_argument(
        "--transport", help="transport for task classes that chose none (default: json)"
    )
    parser.add_argument(
        "--offload-store",
        metavar="STORE",
        help="store of the offload stages configured without one: s3://BUCKET/PREFIX, or a "
        f"directory every worker shares, DIR or NAME=DIR (default: ${OFFLOAD_STORE_ENV})",
    )
    parser.add_argument(
        "--s3-endpoint-url",
        metavar="URL",
        help=f"endpoint of an s3:// store (default: ${S3_ENDPOINT_ENV}, else AWS)",
    )


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domain", help="SWF domain (default: $FLOWWIRE_SWF_DOMAIN)")
    parser.add_argument("--region", help="AWS region (default: the standard AWS configuration)")
    parser.add_argument(
        "--endpoint-url",
        help="SWF endpoint, e.g. a moto server (default: $FLOWWIRE_SWF_ENDPOINT_URL or AWS)",
    )


# -- commands -------------------------------------------------------------------------------


def _cmd_register(args: argparse.Namespace) -> int:
    swf = _swf(args)
    registry = _registry(args)
    results = register_all(
        swf, registry.specs(), retention_days=args.retention_days, on_conflict=args.on_conflict
    )
    for spec, created in results:
        kind = "activity" if isinstance(spec, ActivityTypeSpec) else "workflow"
        state = "registered" if created else "already registered"
        print(f"{kind} {spec.name!r} v{spec.version}: {state}", file=sys.stderr)
    return 0


def _configure_logging(level: str) -> None:
    """Log records of flowwire at ``level`` and above to stderr (one handler, set once)."""
    logger = logging.getLogger("flowwire")
    logger.setLevel(level)
    if not any(getattr(h, "_flowwire_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._flowwire_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False


def _cmd_worker(args: argparse.Namespace) -> int:
    _configure_logging(args.log_level)
    swf = _swf(args)
    registry = _registry(args)
    if args.register:
        register_all(swf, registry.specs())
    role = args.role
    pool = WorkerPool(
        swf,
        registry,
        deciders=args.threads if role in ("decider", "both") else 0,
        activity_threads=args.threads if role in ("activity", "both") else 0,
        decision_task_lists=args.task_list or None,
        activity_task_lists=args.task_list or None,
        stagger=args.stagger,
    )
    if not pool.deciders and not pool.activity_workers:
        raise ConfigurationError(f"nothing to run: the targets have no classes for role {role!r}")
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():  # second signal: leave now
            raise KeyboardInterrupt
        stopping.set()
        pool.stop_event.set()
        print(
            f"flowwire swf worker: {signal.Signals(signum).name}, finishing the tasks in hand "
            "(again to quit now)",
            file=sys.stderr,
        )

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        pool.start()
        print(
            f"flowwire swf worker: {len(pool.deciders)} decider and "
            f"{len(pool.activity_workers)} activity thread(s) on domain {swf.domain!r}",
            file=sys.stderr,
            flush=True,
        )
        pool.join()
        pool.stop()
    except KeyboardInterrupt:
        print("flowwire swf worker: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("flowwire swf worker: stopped", file=sys.stderr)
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    # everything the user typed is checked before SWF is contacted
    (workflow,) = _load(args.workflow)
    if not (isinstance(workflow, type) and issubclass(workflow, Workflow)):
        raise ConfigurationError(f"{args.workflow!r} is not a Workflow class")
    meta = meta_of(workflow)
    assert isinstance(meta, WorkflowMeta)
    registry = _registry(args, [workflow])  # the input is encoded as the workers decide
    positional = [_parse_argument(a, where=f"argument {i}") for i, a in enumerate(args.args, 1)]
    kwargs = _kwargs(args.kwarg)
    swf = _swf(args)
    run = start(
        swf,
        workflow,
        positional,
        kwargs,
        workflow_id=args.workflow_id or f"{meta.name}-{uuid.uuid4()}",
        task_list=args.task_list,
        tags=args.tag or (),
        registry=registry,
    )
    print(f"started {run.what}, run {run.run_id}", file=sys.stderr, flush=True)
    if not args.wait:
        print(json.dumps({"workflowId": run.workflow_id, "runId": run.run_id}))
        return 0
    try:
        value = run.result(timeout=args.timeout)
    except TaskError as exc:
        text = format_task_failure(exc, command="flowwire swf start", traceback=args.traceback)
        print(text, file=sys.stderr)
        return 1
    except Cancelled as exc:
        print(f"flowwire swf start: {exc}", file=sys.stderr)
        return 1
    from flowwire.tools.jsonview import to_json

    print(to_json(value))
    return 0


def _cmd_signal(args: argparse.Namespace) -> int:
    workflow: type[Workflow] | None = None
    if args.workflow:
        (found,) = _load(args.workflow)
        if not (isinstance(found, type) and issubclass(found, Workflow)):
            raise ConfigurationError(f"{args.workflow!r} is not a Workflow class")
        workflow = found
    # the value is encoded as the deciders read it: with the workflow's transport on the
    # workers' rule, else with --transport (JSON by default)
    registry = _registry(args, [] if workflow is None else [workflow])
    transport = registry.transport if workflow is None else None
    value = None if args.value is None else _parse_argument(args.value, where="VALUE")
    signal_execution(
        _swf(args),
        args.workflow_id,
        args.name,
        value,
        run_id=args.run_id,
        workflow=workflow,
        transport=transport,
        registry=registry,
    )
    print(f"sent {args.name!r} to {args.workflow_id}", file=sys.stderr)
    return 0


def _cmd_cancel(args: argparse.Namespace) -> int:
    cancel_execution(_swf(args), args.workflow_id, run_id=args.run_id)
    print(f"asked {args.workflow_id} to cancel", file=sys.stderr)
    return 0


def _guard(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = handler(args)
            return code
        except SWFError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        except (FlowwireError, UsageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


_IGNORE_HELP = "skip modules matching this glob while scanning (for example '*.tests')"


def add_swf_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``swf register``, ``swf worker`` and ``swf start`` to an argparse ``subparsers``;
    each sets ``func`` (``args.func(args) -> exit code``). Returns the ``swf`` parser."""
    swf_parser: argparse.ArgumentParser = subparsers.add_parser(
        "swf",
        help="run workflows on Amazon SWF",
        description="Register types, run workers and start workflows on Amazon SWF.",
    )
    commands = swf_parser.add_subparsers(dest="swf_command", required=True)

    register = commands.add_parser(
        "register",
        help="register the domain and task types",
        description="Register the domain and the task types of the targets on SWF.",
    )
    register.add_argument("targets", nargs="+", metavar="TARGET", help="module or module:Class")
    register.add_argument(
        "--on-conflict",
        choices=("raise", "warn"),
        default="raise",
        help="a type registered with other defaults: fail (raise, the default) or warn",
    )
    register.add_argument(
        "--retention-days",
        type=positive_int,
        default=1,
        help="days SWF keeps closed executions (1 or more; default 1)",
    )
    register.add_argument(
        "--ignore", action="append", default=[], metavar="PATTERN", help=_IGNORE_HELP
    )
    _common(register)
    register.set_defaults(func=_guard(_cmd_register))

    worker = commands.add_parser(
        "worker",
        help="run deciders and/or activity workers",
        description="Poll SWF for decision and activity tasks of the targets until stopped "
        "(Ctrl-C or SIGTERM finishes the tasks in hand; a second one quits at once).",
    )
    worker.add_argument("targets", nargs="+", metavar="TARGET", help="module or module:Class")
    worker.add_argument(
        "--role",
        choices=("decider", "activity", "both"),
        default="both",
        help="what to run (default: both)",
    )
    worker.add_argument(
        "--threads",
        type=positive_int,
        default=2,
        help="threads per role and task list (1 or more; default 2)",
    )
    worker.add_argument(
        "--task-list",
        action="append",
        help="poll this task list (repeatable; default: the classes' task lists)",
    )
    worker.add_argument("--register", action="store_true", help="register the types first")
    worker.add_argument(
        "--ignore", action="append", default=[], metavar="PATTERN", help=_IGNORE_HELP
    )
    worker.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
        type=str.upper,
        help="log flowwire's records at this level and above on stderr (default: WARNING)",
    )
    worker.add_argument("--stagger", type=non_negative_float, default=0.0, help=argparse.SUPPRESS)
    _common(worker)
    worker.set_defaults(func=_guard(_cmd_worker))

    starter = commands.add_parser(
        "start",
        help="start a workflow execution",
        description="Start a workflow execution on SWF; with --wait, print its result as JSON.",
    )
    starter.add_argument(
        "workflow",
        metavar="module:Workflow|module:name@version",
        help="the workflow class, or its registered name and version in that module",
    )
    starter.add_argument("args", nargs="*", metavar="ARG", help="JSON, else a plain string")
    starter.add_argument(
        "-k",
        "--kwarg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a keyword argument, its value parsed as JSON (else a string); repeatable",
    )
    starter.add_argument("--wait", action="store_true", help="wait and print the result as JSON")
    starter.add_argument(
        "--timeout", type=positive_float, default=None, help="seconds to --wait at most"
    )
    starter.add_argument(
        "--traceback",
        action="store_true",
        help="with --wait: on failure, print the remote traceback of the failed task",
    )
    starter.add_argument("--workflow-id", help="default: <workflow name>-<uuid>")
    starter.add_argument("--task-list", help="default: the workflow's task list")
    starter.add_argument("--tag", action="append", help="execution tag (repeatable, at most 5)")
    _common(starter)
    starter.set_defaults(func=_guard(_cmd_start))

    sig = commands.add_parser(
        "signal",
        help="send a signal to an open workflow execution",
        description="Send the signal NAME with VALUE (encoded by the workflow's transport) to "
        "the open execution WORKFLOW_ID; its wait_signal(NAME) receives it.",
    )
    sig.add_argument("workflow_id", metavar="WORKFLOW_ID", help="the execution's workflow id")
    sig.add_argument("name", metavar="NAME", help="the signal's name")
    sig.add_argument("value", metavar="VALUE", nargs="?", help="JSON, else a plain string")
    sig.add_argument(
        "--workflow", metavar="module:Workflow", help="the workflow class (for its transport)"
    )
    sig.add_argument("--run-id", help="only this run of the execution")
    _common(sig)
    sig.set_defaults(func=_guard(_cmd_signal))

    cancel = commands.add_parser(
        "cancel",
        help="ask an open workflow execution to cancel",
        description="Ask the open execution WORKFLOW_ID to cancel "
        "(RequestCancelWorkflowExecution): its run() gets Cancelled at its next wait and may "
        "clean up before it closes.",
    )
    cancel.add_argument("workflow_id", metavar="WORKFLOW_ID", help="the execution's workflow id")
    cancel.add_argument("--run-id", help="only this run of the execution")
    _common(cancel)
    cancel.set_defaults(func=_guard(_cmd_cancel))

    from flowwire.engines.swf.history_cli import add_history_commands

    add_history_commands(commands, _connection, _common, _guard)
    return swf_parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m flowwire.engines.swf.cli`` (the same as ``flowwire swf``)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="flowwire")
    add_swf_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["swf", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
