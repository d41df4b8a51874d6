"""Every console transcript in the docs runs and prints exactly what the page shows.

A page marks a console session with ``:class: transcript``; the files it asks the reader to
create are its code blocks captioned with a file name (see docs/_ext/flowwire_sphinx.py). Each
transcript runs in a fresh directory holding those files, with ``python`` and ``flowwire``
meaning this interpreter and its ``flowwire`` command.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import flowwire_sphinx  # noqa: E402  (lives in docs/_ext)

PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
FOUND = [
    (page, number, session)
    for page in PAGES
    for number, session in enumerate(flowwire_sphinx.page_transcripts(page), 1)
]
SESSIONS = [
    pytest.param(page, number, session, id=f"{page.relative_to(DOCS)}#{number}")
    for page, number, session in FOUND
]


def _argv(command: str) -> list[str]:
    argv = shlex.split(command)
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    if argv[0] == "flowwire":
        script = Path(sys.executable).with_name("flowwire")
        assert script.exists(), f"the flowwire command is not installed next to {sys.executable}"
        return [str(script), *argv[1:]]
    raise AssertionError(f"transcripts may run only 'python' and 'flowwire', not {command!r}")


def test_the_quickstart_has_transcripts() -> None:
    quickstart = [session for page, _, session in FOUND if page.name == "quickstart.md"]
    assert len(quickstart) >= 2


@pytest.mark.parametrize(("page", "number", "session"), SESSIONS)
def test_transcript(
    page: Path, number: int, session: list[tuple[str, str]], tmp_path: Path
) -> None:
    for name, text in flowwire_sphinx.page_files(page).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"}
    for command, expected in session:
        result = subprocess.run(
            _argv(command), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"$ {command}\n{result.stdout}{result.stderr}"
        assert result.stdout.rstrip() == expected, f"$ {command}: output differs from the page"
