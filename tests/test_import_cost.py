"""What a bare ``import flowwire`` loads: a structural check, no timing.

``flowwire`` imports its public names on first use, so a command, a worker start or a script
pays only for what it uses. A fresh interpreter imports flowwire and reports the modules that
import added to ``sys.modules``; anything beyond :data:`ALLOWED` fails the test by name. The
time itself is measured by ``bench/import_time.py`` (figures on docs/architecture.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Every module a bare ``import flowwire`` may add to those the interpreter started with.
ALLOWED = {"flowwire", "__future__"}

#: Never loaded by a bare import (named here so a failure says what an import pulled in).
HEAVY = [
    "multiprocessing",
    "concurrent.futures",
    "google.protobuf",
    "hypothesis",
    "boto3",
    "botocore",
    "sqlite3",
    "typing",
    "flowwire.engines",
    "flowwire.runtime",
    "flowwire.transport",
]

_PROBE = """
import json, sys
before = set(sys.modules)
{statement}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def loaded_by(statement: str) -> list[str]:
    """The modules ``statement`` adds to ``sys.modules`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(result.stdout))


def test_a_bare_import_loads_only_the_package_itself() -> None:
    added = loaded_by("import flowwire")
    unexpected = sorted(set(added) - ALLOWED)
    assert not unexpected, f"import flowwire now also loads: {', '.join(unexpected)}"
    for heavy in HEAVY:
        assert not [m for m in added if m == heavy or m.startswith(heavy + ".")], heavy


@pytest.mark.parametrize(
    "statement",
    [
        "from flowwire import Workflow, Activity, workflow, activity, ActivityProxy, wait",
        "from flowwire import get_transport, JSONTransport, TaskError, RetryPolicy",
    ],
)
def test_the_programming_model_loads_no_engine_protobuf_or_process_pool(statement: str) -> None:
    added = loaded_by(statement)
    for heavy in ("multiprocessing", "google.protobuf", "sqlite3", "hypothesis", "boto3"):
        assert heavy not in added, f"{statement!r} loads {heavy}"
    assert not [m for m in added if m.startswith(("flowwire.engines", "flowwire.runtime"))]


def test_names_load_on_first_use_and_are_the_real_objects() -> None:
    code = (
        "import sys, flowwire; "
        "assert 'flowwire.engines.local' not in sys.modules; "
        "from flowwire.engines.local import LocalEngine; "
        "assert flowwire.LocalEngine is LocalEngine; "
        "assert 'LocalEngine' in vars(flowwire); "  # cached after the first use
        "assert set(flowwire.__all__) <= set(dir(flowwire)); "
        "assert flowwire.errors.TaskError is flowwire.TaskError; "  # a submodule, by attribute
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import flowwire

    with pytest.raises(AttributeError, match="has no attribute 'LocalEngin'"):
        flowwire.LocalEngin  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '_private'"):
        flowwire._private  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize("command", ["worker", "run", "start", "history"])
def test_a_local_command_line_loads_no_other_engine_or_package_metadata(command: str) -> None:
    """The parser of a local command (``flowwire worker ...``) is built without the optional
    commands' modules (``swf``, ``bench``, ``decode``) and without ``importlib.metadata``
    (``--version`` reads it when asked); the whole parser still has them all."""
    added = loaded_by(f"from flowwire.cli import build_parser; build_parser({command!r})")
    for heavy in (
        "flowwire.engines.swf",
        "flowwire.benchmark",
        "flowwire.decode_cli",
        "importlib.metadata",
        "email",
        "boto3",
        "botocore",
        "google.protobuf",
    ):
        found = [m for m in added if m == heavy or m.startswith(heavy + ".")]
        assert not found, f"the parser of {command!r} loads {', '.join(found)}"
    from flowwire.cli import build_parser

    whole = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"decode", "swf", "bench", command} <= set(whole)
