"""``flowwire.testing`` imports without hypothesis; using a strategy then names the extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _without import env_without

SCRIPT = """
import flowwire.testing as t
import flowwire.testing.moto
assert t.values_equal(float("nan"), float("nan")) and not t.values_equal(0.0, -0.0)
for use in (lambda: t.values(), lambda: t.check_transport(None)):
    try:
        use()
    except t.ConfigurationError as exc:
        print(exc)
    else:
        raise SystemExit("no error without hypothesis")
"""


def test_testing_imports_and_names_the_extra_without_hypothesis(tmp_path: Path) -> None:
    script = SCRIPT.replace("t.ConfigurationError", "__import__('flowwire').ConfigurationError")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env_without(tmp_path, "hypothesis"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    for line in lines:
        assert "needs hypothesis" in line and "pip install 'flowwire[testing]'" in line, line
