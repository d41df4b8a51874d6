"""What every ``flowwire`` command does the same way with its arguments.

* Task arguments (``ARG`` and ``-k NAME=VALUE``): JSON when they parse, else the plain string;
  text that *looks* like JSON (it starts with ``{``, ``[`` or ``"``) but does not parse is a
  usage error, because taking ``'{"n": 2'`` as a string would only fail later, in the workflow.
* Targets: ``module:Class``; a file path (``hello.py:Greeting``) gets a hint with the module
  name to use instead.
* Numbers that must be positive (``--workers 0``): argparse types that refuse the value, so
  the command stops with a usage error (exit status 2) before anything runs.
* Offload stores (``--store`` of ``flowwire decode``, ``--offload-store`` of ``flowwire swf``):
  ``DIR`` or ``NAME=DIR`` (a :class:`~flowwire.transport.stages.LocalDirectoryStore`, named
  ``local`` unless ``NAME`` is given; the directory must exist) or ``s3://BUCKET/PREFIX``
  (an :class:`~flowwire.transport.stages.S3Store`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path, PurePath
from typing import Any

__all__ = [
    "UsageError",
    "file_target_hint",
    "non_negative_float",
    "parse_argument",
    "parse_kwarg",
    "positive_float",
    "positive_int",
    "store_from_spec",
]


class UsageError(ValueError):
    """A command-line argument the command cannot use; its message is printed as is."""


def parse_argument(text: str, *, where: str = "argument") -> Any:
    """A task argument from the command line: JSON when it parses, else the plain string.

    Raises:
        UsageError: ``text`` starts like a JSON object, array or string but is not valid JSON
            (the message names ``where``, the JSON error and how to pass the text as is).
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        if text.lstrip()[:1] in ("{", "[", '"'):
            quoted = json.dumps(text)
            raise UsageError(
                f"{where} {text!r} looks like JSON but is not valid JSON: {exc.args[0]} "
                f"(to pass it as a string, write it as the JSON string {quoted})"
            ) from None
        return text


def parse_kwarg(item: str) -> tuple[str, Any]:
    """``NAME=VALUE`` of ``-k/--kwarg``, the value parsed as :func:`parse_argument` does.

    Raises:
        UsageError: no ``=``, a name that is not an identifier, or malformed JSON.
    """
    name, sep, value = item.partition("=")
    if not sep or not name.isidentifier():
        raise UsageError(f"-k/--kwarg takes NAME=VALUE, got {item!r}")
    return name, parse_argument(value, where=f"-k {name}=")


def file_target_hint(target: str) -> str | None:
    """For ``hello.py:Greeting`` or ``pkg/mod.py:Class``: a sentence naming the module target
    to write instead (``hello:Greeting``); ``None`` when ``target`` does not name a file."""
    module, sep, rest = target.partition(":")
    if not module.endswith(".py") and "/" not in module and "\\" not in module:
        return None
    path = PurePath(module)
    parts = [*path.parent.parts, path.stem] if path.suffix == ".py" else list(path.parts)
    parts = [p for p in parts if p not in (".", "")]
    if not parts or any(not p.isidentifier() for p in parts):
        return f"{module!r} is a file path; give the module's dotted name (run from its package)"
    suggestion = ".".join(parts) + (sep + rest if sep else "")
    return (
        f"{module!r} is a file path, not a module: use {suggestion} (run from the directory "
        "that contains it, or add that directory to PYTHONPATH)"
    )


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number of seconds greater than 0."""
    value = _float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a number of seconds, 0 or more."""
    value = _float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def store_from_spec(spec: str, *, option: str, s3_endpoint_url: str | None = None) -> Any:
    """The offload store a command-line ``spec`` names (see the module docstring).

    Raises:
        UsageError: an ``s3://`` spec without a bucket, or a directory that does not exist
            (the message names ``option`` and the spec).
        ConfigurationError: an ``s3://`` spec without boto3 installed (the ``s3`` extra).
    """
    from flowwire.transport.stages import LocalDirectoryStore, S3Store

    if spec.startswith("s3://"):
        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise UsageError(f"{option} {spec}: no bucket (write s3://BUCKET/PREFIX)")
        return S3Store(bucket, prefix, endpoint_url=s3_endpoint_url)
    name, sep, directory = spec.partition("=")
    if not sep:
        name, directory = "local", spec
    if not Path(directory).is_dir():
        raise UsageError(f"{option} {spec}: {directory} is not a directory")
    return LocalDirectoryStore(directory, name=name)
