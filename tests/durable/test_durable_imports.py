"""What a ``flowwire worker`` process has imported when it runs its first step: a structural
check of the recovery path (a worker that restarts after a crash spends most of its time to the
next step importing), no timing.

A worker runs one execution of ``_import_probe.ImportProbe``, whose activity writes
``sys.modules``; the test fails by name on a module of :data:`NEVER` and when the count of
modules passes :data:`MOST` (the time itself: ``bench/run.py --only durable``, recovery).
"""

from __future__ import annotations

import json
from pathlib import Path

from _durable_processes import run_command, start_worker, stop, until

#: Modules the worker never needs for its first step: other engines' and commands' code,
#: optional extras, package metadata (``importlib.metadata`` pulls in ``email`` and ``zipfile``).
NEVER = (
    "flowwire.engines.swf",
    "flowwire.benchmark",
    "flowwire.decode_cli",
    "flowwire.tools",
    "flowwire.engines.durable_history",
    "flowwire.transport.codecs.protobuf",
    "importlib.metadata",
    "email",
    "zipfile",
    "boto3",
    "botocore",
    "zstandard",
    "cryptography",
    "google.protobuf",
    "pydantic",
    "attrs",
    "hypothesis",
    "sphinx",
    "rich",
    "moto",
)

#: At most this many entries of ``sys.modules`` (the interpreter's own included) when the
#: first step runs: 251 on Python 3.11 when this was written, down from 294 (the ``swf``,
#: ``decode`` and ``bench`` commands and ``importlib.metadata`` were imported for every
#: command). Raise it only for a module the first step really needs.
MOST = 265


def test_a_worker_runs_its_first_step_without_the_other_commands_or_extras(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "flow.db")
    started = run_command(tmp_path, "start", "--db", db, "_import_probe:ImportProbe", "--id", "p")
    assert started.returncode == 0, started.stderr
    worker = start_worker(tmp_path, db, "_import_probe")
    try:
        until("the probe step", (tmp_path / "modules.json").exists)
    finally:
        stop(worker)
    loaded = json.loads((tmp_path / "modules.json").read_text(encoding="utf-8"))
    found = sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in NEVER))
    assert not found, f"a worker's first step now also loads: {', '.join(found)}"
    assert "flowwire.engines.durable" in loaded  # the probe ran in a durable worker
    assert len(loaded) <= MOST, f"{len(loaded)} modules loaded (at most {MOST})"
