"""The README's example and commands stay true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_example_runs(tmp_path: Path) -> None:
    (block,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    script = tmp_path / "readme_example.py"
    script.write_text(block)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "192"


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert [c.strip() for c in commands] == [
        "pip install . && flowwire run examples.dependencies:Dependencies 2 3",
        "pip install -e '.[dev]' && python -m pytest",
    ]


def test_readme_main_job_prints_the_documented_result() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "flowwire", "run", "examples.dependencies:Dependencies", "2", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "21"


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    """CI must run exactly what the README tells a reader to run: the README's second set-up
    command is a command line of ``.ci/run`` as written (not a comment, not a variant)."""
    commands = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert len(commands) >= 2, "the README lost its test command"
    test_command = commands[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines()]
    assert test_command in lines, f".ci/run does not run the README's test command {test_command!r}"
    # Nothing before it ends the script early.
    before = lines[: lines.index(test_command)]
    assert not [line for line in before if re.match(r"(exit|exec)\b", line)], before
