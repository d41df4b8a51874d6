"""``flowwire run`` usage errors: one clear line on stderr, exit status 2 (issue 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowwire.cli import main
from flowwire.task import Workflow, workflow

ROOT = Path(__file__).resolve().parents[2]


@workflow("tests.cli_errors.pair", "1", "tl-cli")
class Pair(Workflow):
    def run(self, left: int, right: int, *, scale: int = 1) -> list[int]:
        return [left * scale, right * scale]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 2) -> str:
    assert main(argv) == status
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err  # one line, no traceback
    return lines[0]


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("def broken(:\n", "SyntaxError"),
        ("import flowwire_no_such_dependency_xyz\n", "No module named"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    ],
)
def test_a_module_that_fails_to_import_is_one_line(
    source: str,
    cause: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = f"cli_broken_{abs(hash(source))}"
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    line = _fails(["run", f"{name}:Flow"], capsys)
    assert f"{name}:Flow" in line
    assert cause in line


def test_a_missing_workflow_lists_the_module_workflows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _fails(["run", "examples.sequential:Doubler"], capsys)
    assert "has no 'Doubler'" in line
    assert "workflows in it: Doubling" in line
    assert "did you mean examples.sequential:Doubling?" in line


def test_wrong_arguments_are_reported_before_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{__name__}:Pair"
    line = _fails(["run", target, "1", "--quiet"], capsys)
    assert target in line
    assert "run(left: int, right: int, *, scale: int = 1)" in line
    assert "missing a required argument: 'right'" in line
    line = _fails(["run", target, "1", "2", "3", "--quiet"], capsys)
    assert "too many positional arguments" in line
    line = _fails(["run", target, "1", "2", "-k", "size=3", "--quiet"], capsys)
    assert "'size'" in line
    assert main(["run", target, "1", "2", "-k", "scale=3", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out) == [3, 6]


def test_too_large_input_names_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    big = json.dumps("x" * 40_000)
    line = _fails(["run", f"{__name__}:Pair", big, "2", "--quiet"], capsys, status=1)
    assert "PayloadTooLarge" in line
    assert "input of workflow 'tests.cli_errors.pair' v1" in line
    assert "over the limit of 32,768" in line


def test_run_without_arguments_asks_for_the_workflow_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _fails(["run"], capsys)
    assert "args" not in line
    assert "module:Workflow" in line
