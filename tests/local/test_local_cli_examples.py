"""Every example runs from the CLI with each built-in transport (tests/docs/test_examples_run.py
runs each as a script)."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

from flowwire.cli import main
from flowwire.transport import builtin_codecs

ROOT = Path(__file__).resolve().parents[2]

EXAMPLES = [
    ("examples.echo:Echo", ["hello"], "hello"),
    ("examples.dependencies:Dependencies", ["2", "3"], 21),
    ("examples.sequential:Doubling", ["3"], 192),
    ("examples.fan_out:SumOfSquares", ["20"], sum(i * i for i in range(1, 21))),
    (
        "examples.errors:Tolerant",
        ["x"],
        {
            "error": "ValueError",
            "message": "invalid literal for int() with base 10: 'x'",
            "task": "activity 'examples.parse' v1 (parse-0-0)",
        },
    ),
    (
        "examples.mixed_codecs:Billing",
        ['"ACME"', "3"],
        {"customer": "ACME", "total": 7.5, "thumbnail": "3b195b2512a1b6f3"},
    ),
]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))


@pytest.mark.parametrize("transport", builtin_codecs())
@pytest.mark.parametrize(("target", "args", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_examples_from_the_cli(
    target: str,
    args: list[str],
    expected: object,
    transport: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["run", target, *args, "--transport", transport, "--quiet"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out) == expected


def test_a_failed_workflow_exits_1_with_its_error_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "examples.errors:Strict", "x", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "workflow 'examples.strict' v1 failed" in err
    assert "activity 'examples.parse' v1 (parse-0-0) failed: ValueError" in err


def test_scan_finds_activities_in_other_modules(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "local"))
    try:
        assert main(["run", "_cli_by_name:ByName", "5", "--quiet"]) == 1
        assert "ACTIVITY_TYPE_DOES_NOT_EXIST" in capsys.readouterr().err
        assert main(["run", "_cli_by_name:ByName", "5", "--scan", "examples.sequential"]) == 0
        assert capsys.readouterr().out.strip() == "11"
    finally:
        sys.path.remove(str(ROOT / "tests" / "local"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "examples.nope:X"], "No module named 'examples.nope'"),
        (["run", "examples.echo"], "expected module:Workflow"),
        (["run", "examples.echo:EchoActivity"], "is not a Workflow subclass"),
        (["run", "examples.echo:Echo", "--transport", "nope"], "nope"),
        (["run", "examples.echo:Echo", "-k", "=1"], "NAME=VALUE"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_keyword_arguments_and_json_parsing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "examples.echo:Echo", "-k", 'value={"a": [1, 2.5, null]}', "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": [1, 2.5, None]}


def test_transports_lists_the_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transports"]) == 0
    names = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert set(builtin_codecs()) <= set(names)


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    # Reports start after the 10 ms floor of the interval: 3,000 activities take well over
    # that (300 could finish first on a quiet machine, and then nothing was printed).
    status = main(["run", "examples.fan_out:SumOfSquares", "3000", "--progress-interval", "0"])
    out, err = capsys.readouterr()
    assert status == 0 and json.loads(out) == sum(i * i for i in range(1, 3001))
    assert "[flowwire]" in err and "decisions" in err


@pytest.mark.parametrize(
    ("script", "printed"),
    [("echo", "hello"), ("sequential", "192"), ("fan_out", str(sum(i * i for i in range(1, 11))))],
)
def test_examples_without_arguments_run_their_defaults(
    script: str, printed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/docs/test_examples_run.py runs every example as a script, with the arguments its
    docstring shows; these three also run without any (their ``__main__``'s defaults), here
    in this process rather than in another interpreter."""
    monkeypatch.setattr(sys, "argv", [f"examples/{script}.py"])
    runpy.run_path(str(ROOT / "examples" / f"{script}.py"), run_name="__main__")
    assert capsys.readouterr().out == f"{printed}\n"
