"""``flowwire swf ...``: register types, run workers, start workflows on Amazon SWF.

The core CLI (:mod:`flowwire.cli`) calls :func:`add_swf_commands` with its subparsers; each
command stores its handler in ``func`` (``args.func(args)`` returns the exit code). The same
commands run without the core CLI as ``python -m flowwire.engines.swf.cli ...``.

Targets name where the task classes are: ``package.module`` (every decorated class defined in
it; packages are walked, ``--ignore PATTERN`` skips modules whose dotted name, or a package
they are in, matches the glob, such as ``'*.tests'``), ``package.module:Class``, or
``package.module:name@version`` (the class registered with that name and version there).

Exit codes: 0 success, 1 the workflow failed (its error on stderr), 2 a usage or configuration
error, 3 SWF refused a call.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime
import decimal
import enum
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

from flowwire.cli import format_task_failure
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF, SWFError
from flowwire.engines.swf.registration import ActivityTypeSpec, register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.errors import ConfigurationError, FlowwireError, TaskError
from flowwire.scanner import find_type, scan
from flowwire.task import Workflow, WorkflowMeta, declared_transport, meta_of
from flowwire.transport import Transport, get_transport

__all__ = ["add_swf_commands", "main", "parse_argument"]

log = logging.getLogger("flowwire.swf")


# -- arguments ------------------------------------------------------------------------------


def parse_argument(text: str) -> Any:
    """A workflow argument from the command line: JSON when it parses, else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _load(target: str, ignore: Sequence[str] = ()) -> list[type]:
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


def _registry(args: argparse.Namespace) -> TaskRegistry:
    classes: list[type] = []
    for target in args.targets:
        for cls in _load(target, args.ignore):
            if cls not in classes:
                classes.append(cls)
    transport = get_transport(args.transport) if args.transport else None
    return TaskRegistry(classes, transport=transport)


def _kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ConfigurationError(f"-k/--kwarg takes NAME=VALUE, got {pair!r}")
        kwargs[name] = parse_argument(value)
    return kwargs


def _swf(args: argparse.Namespace) -> SWF:
    domain = args.domain or os.environ.get("FLOWWIRE_SWF_DOMAIN")
    if not domain:
        raise ConfigurationError("no SWF domain: pass --domain or set FLOWWIRE_SWF_DOMAIN")
    endpoint = args.endpoint_url or os.environ.get("FLOWWIRE_SWF_ENDPOINT_URL")
    return SWF.connect(domain, region=args.region, endpoint_url=endpoint)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domain", help="SWF domain (default: $FLOWWIRE_SWF_DOMAIN)")
    parser.add_argument("--region", help="AWS region (default: the standard AWS configuration)")
    parser.add_argument(
        "--endpoint-url",
        help="SWF endpoint, e.g. a moto server (default: $FLOWWIRE_SWF_ENDPOINT_URL or AWS)",
    )
    parser.add_argument(
        "--transport", help="transport for task classes that chose none (default: json)"
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


def _cmd_worker(args: argparse.Namespace) -> int:
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
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("flowwire swf worker: stopped", file=sys.stderr)
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    swf = _swf(args)
    (workflow,) = _load(args.workflow)
    if not (isinstance(workflow, type) and issubclass(workflow, Workflow)):
        raise ConfigurationError(f"{args.workflow!r} is not a Workflow class")
    meta = meta_of(workflow)
    assert isinstance(meta, WorkflowMeta)
    transport: Transport | None = None
    if args.transport and declared_transport(workflow) is None:  # as the workers decide
        transport = get_transport(args.transport)
    run = start(
        swf,
        workflow,
        [parse_argument(a) for a in args.args],
        _kwargs(args.kwarg),
        workflow_id=args.workflow_id or f"{meta.name}-{uuid.uuid4()}",
        task_list=args.task_list,
        tags=args.tag or (),
        transport=transport,
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
    print(json.dumps(value, default=_json_default))
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _guard(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = handler(args)
            return code
        except SWFError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        except FlowwireError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def add_swf_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``swf register``, ``swf worker`` and ``swf start`` to an argparse ``subparsers``;
    each sets ``func`` (``args.func(args) -> exit code``). Returns the ``swf`` parser."""
    swf_parser: argparse.ArgumentParser = subparsers.add_parser(
        "swf", help="run workflows on Amazon SWF", description=__doc__.split("\n\n")[0]
    )
    commands = swf_parser.add_subparsers(dest="swf_command", required=True)

    register = commands.add_parser("register", help="register the domain and task types")
    register.add_argument("targets", nargs="+", metavar="TARGET", help="module or module:Class")
    register.add_argument("--on-conflict", choices=("raise", "warn"), default="raise")
    register.add_argument(
        "--retention-days", type=int, default=1, help="how long SWF keeps closed executions"
    )
    register.add_argument("--ignore", action="append", default=[], metavar="PATTERN")
    _common(register)
    register.set_defaults(func=_guard(_cmd_register))

    worker = commands.add_parser("worker", help="run deciders and/or activity workers")
    worker.add_argument("targets", nargs="+", metavar="TARGET", help="module or module:Class")
    worker.add_argument(
        "--role", choices=("decider", "activity", "both"), default="both", help="default: both"
    )
    worker.add_argument("--threads", type=int, default=2, help="threads per role and task list")
    worker.add_argument(
        "--task-list",
        action="append",
        help="poll this task list (repeatable; default: the classes' task lists)",
    )
    worker.add_argument("--register", action="store_true", help="register the types first")
    worker.add_argument("--ignore", action="append", default=[], metavar="PATTERN")
    worker.add_argument("--stagger", type=float, default=0.0, help=argparse.SUPPRESS)
    _common(worker)
    worker.set_defaults(func=_guard(_cmd_worker))

    starter = commands.add_parser("start", help="start a workflow execution")
    starter.add_argument("workflow", metavar="module:Workflow|module:name@version")
    starter.add_argument("args", nargs="*", metavar="ARG", help="JSON, else a plain string")
    starter.add_argument("-k", "--kwarg", action="append", default=[], metavar="NAME=VALUE")
    starter.add_argument("--wait", action="store_true", help="wait and print the result as JSON")
    starter.add_argument("--timeout", type=float, default=None, help="seconds to --wait at most")
    starter.add_argument(
        "--traceback", action="store_true", help="with --wait: print the remote traceback"
    )
    starter.add_argument("--workflow-id", help="default: <workflow name>-<uuid>")
    starter.add_argument("--task-list", help="default: the workflow's task list")
    starter.add_argument("--tag", action="append", help="execution tag (repeatable, at most 5)")
    _common(starter)
    starter.set_defaults(func=_guard(_cmd_start))
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
