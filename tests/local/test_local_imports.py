"""What a thread-mode run of the local engine imports: a structural check, no timing.

Only worker processes need ``multiprocessing`` and ``concurrent.futures`` (22-29 ms of a
worker's start when they were imported with ``flowwire.runtime.workers``): a run on worker
threads, in memory or durable, never loads them; ``processes=True`` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import json, os, sys
sys.path.insert(0, {tests!r})
from _local_tasks import FanOut
from flowwire.engines.local import LocalEngine
kwargs = json.loads({kwargs!r})
if "db" in kwargs:
    kwargs["db"] = os.path.join(kwargs["db"], "flow.db")
assert LocalEngine(**kwargs).run(FanOut, 3) is not None
print(json.dumps(sorted(sys.modules)))
"""

_PROCESS_ONLY = ("multiprocessing", "concurrent.futures", "_multiprocessing")


def _loaded_by_a_run(**kwargs: object) -> list[str]:
    code = _PROBE.format(tests=str(Path(__file__).parent), kwargs=json.dumps(kwargs))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def _process_modules(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == n or m.startswith(n + ".") for n in _PROCESS_ONLY)]


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "durable"])
def test_a_thread_mode_run_never_imports_multiprocessing(durable: bool, tmp_path: Path) -> None:
    loaded = _loaded_by_a_run(**({"db": str(tmp_path)} if durable else {}))
    assert "flowwire.runtime.workers" in loaded  # the probe ran the engine's workers
    assert not _process_modules(loaded), f"a thread-mode run loads {_process_modules(loaded)}"


def test_a_process_mode_run_imports_it_when_it_starts_its_pool() -> None:
    loaded = _loaded_by_a_run(processes=True)
    assert "multiprocessing" in loaded
    assert "concurrent.futures.process" in loaded
