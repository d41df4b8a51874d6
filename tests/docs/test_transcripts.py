"""Every console transcript in the docs runs and prints exactly what the page shows.

A page marks a console session with ``:class: transcript``; the files it asks the reader to
create are its code blocks captioned with a file name (see docs/_ext/flowwire_sphinx.py). Each
transcript runs in a fresh directory holding those files (and, with ``with-examples``, a copy of
the repository's ``examples/``), with ``python`` and ``flowwire`` meaning this interpreter and
its ``flowwire`` command.
"""

from __future__ import annotations

import doctest
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import needs, reason, used_by

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

pytest.importorskip("sphinx", reason=reason("sphinx"))

import flowwire_sphinx  # noqa: E402  (lives in docs/_ext)

PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
FOUND = [
    (page, number, session)
    for page in PAGES
    for number, session in enumerate(flowwire_sphinx.page_transcripts(page), 1)
]
SESSIONS = [
    pytest.param(
        page,
        number,
        session,
        id=f"{page.relative_to(DOCS)}#{number}",
        # the page's files may import an optional package or use the moto fixtures
        marks=[needs(p) for p in used_by("\n".join(flowwire_sphinx.page_files(page).values()))],
    )
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


def _matches(expected: str, got: str, ellipsis: bool) -> bool:
    if not ellipsis:
        return got == expected
    checker = doctest.OutputChecker()
    return checker.check_output(expected + "\n", got + "\n", doctest.ELLIPSIS)


def test_the_quickstart_has_transcripts() -> None:
    quickstart = [session for page, _, session in FOUND if page.name == "quickstart.md"]
    assert len(quickstart) >= 2


def test_transcript_classes_are_parsed(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```{code-block} console\n:class: transcript with-examples exit-1 ellipsis\n\n"
        "$ flowwire run x:Y\nline one\n\nline two\n$ python -V\n```\n",
        encoding="utf-8",
    )
    (session,) = flowwire_sphinx.page_transcripts(page)
    assert session.steps == (("flowwire run x:Y", "line one\n\nline two"), ("python -V", ""))
    assert (session.with_examples, session.status, session.ellipsis) == (True, 1, True)
    page.write_text("```{code-block} console\n:class: transcript exit\n\n$ x\n```\n")
    with pytest.raises(ValueError, match="unknown transcript class 'exit'"):
        flowwire_sphinx.page_transcripts(page)


def test_ellipsis_matches_only_where_the_page_says_so() -> None:
    assert _matches("1 passed in ...s", "1 passed in 2.04s", ellipsis=True)
    assert not _matches("1 passed in ...s", "1 failed in 2.04s", ellipsis=True)
    assert not _matches("1 passed in ...s", "1 passed in 2.04s", ellipsis=False)


@pytest.mark.parametrize(("page", "number", "session"), SESSIONS)
def test_transcript(
    page: Path, number: int, session: flowwire_sphinx.Transcript, tmp_path: Path
) -> None:
    for name, text in flowwire_sphinx.page_files(page).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    if session.with_examples:
        shutil.copytree(
            ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__")
        )
    # COLUMNS: pytest and rich draw to the width of an ordinary terminal.
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "80"}
    env.pop("PYTEST_ADDOPTS", None)  # a transcript's pytest run sees only the page's options
    for command, expected in session.steps:
        result = subprocess.run(
            _argv(command), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == session.status, (
            f"$ {command}: exit status {result.returncode}, the page expects {session.status}\n"
            f"{result.stdout}{result.stderr}"
        )
        shown = result.stdout if result.returncode == 0 else result.stdout + result.stderr
        assert _matches(expected, shown.rstrip(), session.ellipsis), (
            f"$ {command}: output differs from the page\n--- page\n{expected}\n--- got\n{shown}"
        )
