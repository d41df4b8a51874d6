"""``flowwire decode``: print what payload strings hold, envelope and value.

::

    flowwire decode PAYLOAD ...                 payloads given as arguments
    flowwire decode < payloads.txt              one payload per line on standard input
    flowwire decode --history history.json      every input, result and details field of an
                                                SWF history (GetWorkflowExecutionHistory)

Keys come from a JSON keyring in an environment variable (``--keyring-env NAME``, default
``FLOWWIRE_KEYRING`` when it is set) or a file (``--keyring-file PATH``), never from the
command line. With a keyring, unencrypted payloads are read too: this is an operator's tool,
not a worker, so it does not require encryption (``require_encryption=False``) as a transport
with an ``aesgcm`` stage does; each payload's stages are printed, so one without ``aesgcm``
shows as such. Offloaded payloads are read from the stores given with ``--store`` (a local
directory, ``NAME=DIR``, or ``s3://bucket/prefix/``) and from the local engine's default
offload directory when it exists. ``--type module:Class`` rebuilds typed values (a task
class's ``run`` signature and return type, or any annotation class). ``--json`` prints one
JSON object per payload (JSON Lines) for scripts.

Exit status: 0 when every payload was read, 1 when a payload was refused (the transport's
reason is printed for it, and the others are still decoded), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flowwire.errors import ConfigurationError

__all__ = ["add_decode_command"]

KEYRING_ENV = "FLOWWIRE_KEYRING"


class _Usage(Exception):
    """A usage problem: printed as one line, exit status 2."""


def _keyring(args: argparse.Namespace) -> Any:
    from flowwire.tools.decode import load_keyring

    if args.keyring_file and args.keyring_env:
        raise _Usage("give --keyring-env or --keyring-file, not both")
    if args.keyring_file:
        try:
            text = Path(args.keyring_file).read_text(encoding="utf-8")
        except OSError as exc:
            message = f"cannot read --keyring-file {args.keyring_file}: {exc.strerror}"
            raise _Usage(message) from None
        return load_keyring(text, f"file {args.keyring_file}")
    name = args.keyring_env or KEYRING_ENV
    value = os.environ.get(name)
    if value is None:
        if args.keyring_env:
            raise _Usage(f"--keyring-env {name}: the environment variable is not set")
        return None
    return load_keyring(value, f"${name}")


def _stores(args: argparse.Namespace) -> list[Any]:
    from flowwire._cli_args import UsageError, store_from_spec
    from flowwire.engines.local import default_offload_dir
    from flowwire.transport.stages import LocalDirectoryStore

    stores: list[Any] = []
    for spec in args.store:
        try:
            stores.append(
                store_from_spec(spec, option="--store", s3_endpoint_url=args.s3_endpoint_url)
            )
        except UsageError as exc:
            raise _Usage(str(exc)) from None
    default = default_offload_dir()
    if all(s.name != "local" for s in stores) and Path(default).is_dir():
        stores.append(LocalDirectoryStore(default))
    return stores


def _type(target: str | None) -> tuple[Any, Any]:
    """``(type hint for results, signature for arguments)`` of ``--type module:Class``."""
    from typing import Any as AnyType

    if target is None:
        return AnyType, None
    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname or module_name.endswith(".py"):
        hint = f" (a module name, not a file: {module_name[:-3].replace('/', '.')}:...)"
        raise _Usage(
            f"--type takes module:Class, got {target!r}"
            + (hint if module_name.endswith(".py") else "")
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise _Usage(f"--type {target}: {type(exc).__name__}: {exc}") from None
    from flowwire.task import meta_of

    if meta_of(obj) is not None:  # a task class: its run signature and return type
        from flowwire.task import return_hint

        return return_hint(obj), obj.run
    return obj, None


def _payloads(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """``(label, payload)`` pairs from the arguments, standard input or the history."""
    from flowwire.tools.decode import history_payloads

    if args.history is not None:
        source = sys.stdin if args.history == "-" else None
        try:
            text = source.read() if source else Path(args.history).read_text(encoding="utf-8")
            document = json.loads(text)
            found = list(history_payloads(document))
        except OSError as exc:
            raise _Usage(f"cannot read --history {args.history}: {exc.strerror}") from None
        except ValueError as exc:
            raise _Usage(f"--history {args.history} is not an SWF history: {exc}") from None
        for event_id, event_type, name, payload in found:
            yield f"event {event_id} {event_type} {name}", payload
        return
    given = args.payloads or ["-"]
    number = 0
    for item in given:
        lines = sys.stdin.read().splitlines() if item == "-" else [item]
        for line in lines:
            if line.strip():
                number += 1
                yield f"payload {number}", line.strip() if item == "-" else line


def _text(label: str, report: Any, value_text: str | None) -> str:
    kind = f"{report.kind}, " if report.kind else ""
    lines = [f"{label} ({kind}{report.chars:,} characters)"]
    codec = f", codec {report.codec}" if report.codec else ""
    size = ""
    if report.envelope_bytes is not None:
        size = f", {report.envelope_bytes:,} bytes (body {report.body_bytes:,})"
    lines.append(f"  envelope  {report.form}{codec}{size}")
    for i, stage in enumerate(report.stages):
        head = "  stages    " if i == 0 else "            "
        details = ", ".join(f"{k.replace('_', ' ')} {v!r}" for k, v in stage.details.items())
        lines.append(f"{head}{stage.name}: {details}")
    if report.error is not None:
        lines.append(f"  refused   {report.error}")
    elif value_text is not None:
        first, *rest = value_text.splitlines()
        lines.append(f"  value     {first}")
        lines += [f"            {line}" for line in rest]
    return "\n".join(lines)


def _decode(args: argparse.Namespace) -> int:
    from flowwire.tools.decode import inspect_payload
    from flowwire.tools.jsonview import to_json

    try:
        type_hint, signature = _type(args.type)
        keyring = _keyring(args)
        stores = _stores(args)
        payloads = list(_payloads(args))
    except (_Usage, ConfigurationError) as exc:
        print(f"flowwire decode: {exc}", file=sys.stderr)
        return 2
    if not payloads:
        print("flowwire decode: no payload to decode", file=sys.stderr)
        return 2
    refused = 0
    for number, (label, payload) in enumerate(payloads):
        report = inspect_payload(
            payload,
            keyring=keyring,
            stores=stores,
            kind=args.kind,
            type_hint=type_hint,
            signature=signature,
        )
        refused += report.error is not None
        if args.json:
            record = {"source": label, **report.to_dict()}
            if report.error is None:
                record["value"] = json.loads(to_json(report.value))
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            value = None if report.error else to_json(report.value, indent=True)
            print(("\n" if number else "") + _text(label, report, value), flush=True)
    return 1 if refused else 0


def add_decode_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``decode`` to the ``flowwire`` command's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "decode",
        help="print what payload strings hold: envelope and value",
        description=__doc__.split("\n\n")[0].split(": ", 1)[1],
        epilog=(
            "Values are printed as JSON; NaN, infinities, bytes and big integers as "
            'escape objects such as {"$float": "nan"} (see the command-line docs page). '
            "With a keyring, unencrypted payloads are read too (unlike a transport with an "
            "aesgcm stage, which refuses them): the stages printed show which were encrypted."
        ),
    )
    parser.add_argument(
        "payloads",
        nargs="*",
        metavar="PAYLOAD",
        help="payload strings; '-' or none: read standard input, one payload per line",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help="decode every input, result and details field of an SWF history (the JSON "
        "GetWorkflowExecutionHistory returns; '-' for standard input)",
    )
    parser.add_argument(
        "--keyring-env",
        metavar="NAME",
        help=f"environment variable holding the JSON keyring (default: {KEYRING_ENV}, when set)",
    )
    parser.add_argument("--keyring-file", metavar="PATH", help="file holding the JSON keyring")
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        metavar="SPEC",
        help="offload store to read from: DIR or NAME=DIR (a local directory store, name "
        "'local' by default) or s3://BUCKET/PREFIX/ (repeatable)",
    )
    parser.add_argument(
        "--s3-endpoint-url", metavar="URL", help="endpoint of the s3:// stores (default: AWS)"
    )
    parser.add_argument(
        "--type",
        metavar="module:Class",
        help="rebuild typed values: a task class (its run arguments and return type) or a "
        "class to read results as",
    )
    parser.add_argument(
        "--as",
        dest="kind",
        choices=("auto", "arguments", "result"),
        default="auto",
        help="what the payloads are (default: auto, arguments when the value is an "
        "{args, kwargs} object)",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per payload, for scripts"
    )
    parser.set_defaults(func=_decode)
    return parser
