"""The command line as a new user meets it: each friction of issue 17, item 4, as a test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flowwire.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(autouse=True)
def _tasks_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.chdir(ROOT)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _interrupt(argv: list[str], ready: str | None, stdin: int | None = None) -> tuple[int, str]:
    """Start ``python -m flowwire ARGV`` in its own session, wait for ``ready`` on stderr (or
    a moment), press Ctrl-C (SIGINT to the process group, as a terminal does)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flowwire", *argv],
        cwd=HERE,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    try:
        if ready is not None:
            seen = ""
            while ready not in seen:
                line = process.stderr.readline()
                assert line, f"exited before {ready!r}: {process.wait()}"
                seen += line
        else:
            time.sleep(1.5)
        os.killpg(process.pid, signal.SIGINT)
        # communicate() returns once every process holding the pipes has gone: a worker
        # process left behind would keep stderr open and time out here
        _, rest = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, rest


@pytest.mark.parametrize("mode", [[], ["--processes"]], ids=["threads", "processes"])
def test_ctrl_c_during_a_run_is_one_line_and_status_130(mode: list[str]) -> None:
    argv = ["run", "_cli_tasks:Slow", "60", "--quiet", *mode]
    status, err = _interrupt(argv, ready="sleepy: started")
    assert status == 130
    assert err.strip() == "flowwire run: _cli_tasks:Slow: interrupted"


def test_ctrl_c_while_decode_waits_for_standard_input() -> None:
    status, err = _interrupt(["decode"], ready=None, stdin=subprocess.PIPE)
    assert status == 130
    assert err.strip() == "flowwire: interrupted"


def test_traceback_shows_the_failing_activitys_own_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "examples.errors:Strict", '"x"', "--quiet", "--traceback"]) == 1
    err = capsys.readouterr().err
    activity_frame = err.index("return int(text)")
    caused = err.index("The above exception was the direct cause of the following exception:")
    assert activity_frame < caused
    assert err.rstrip().endswith("ValueError: invalid literal for int() with base 10: 'x'")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "examples.echo:Echo", "hi", "--workers", "0"], "--workers: must be at least 1"),
        (["run", "examples.echo:Echo", "hi", "--workers", "two"], "expected a whole number"),
        (["swf", "worker", "x", "--threads", "0"], "--threads: must be at least 1"),
        (["swf", "start", "m:W", "--timeout", "-1"], "--timeout: must be greater than 0"),
        (["swf", "register", "m", "--retention-days", "0"], "must be at least 1"),
        (["swf", "worker", "x", "--log-level", "LOUD"], "--log-level: invalid choice"),
    ],
)
def test_impossible_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "examples.echo:Echo", '{"n": 2'],
            "argument 1 '{\"n\": 2' looks like JSON but is not valid JSON",
        ),
        (["run", "examples.echo:Echo", "-k", "x=[1,"], "-k x= '[1,' looks like JSON"),
        (["run", "examples.echo:Echo", '"unterminated'], "write it as the JSON string"),
    ],
)
def test_malformed_json_arguments_stop_before_the_run(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("flowwire run: ") and message in captured.err
    assert captured.err.count("\n") == 1 and not captured.out


def test_malformed_json_for_swf_start_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["swf", "start", "examples.swf_orders:PlaceOrder", '{"id": 1', "--domain", "d"]
    assert main([*argv, "--endpoint-url", "http://127.0.0.1:9"]) == 2
    assert "looks like JSON but is not valid JSON" in capsys.readouterr().err


def test_plain_text_arguments_still_pass_as_strings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "examples.echo:Echo", "hello world", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out) == "hello world"


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("hello.py:Greeting", "use hello:Greeting"),
        ("examples/echo.py:Echo", "use examples.echo:Echo"),
        ("./examples/echo.py:Echo", "use examples.echo:Echo"),
    ],
)
def test_a_file_path_gets_the_module_name_to_use(
    target: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", target, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "is a file path, not a module" in err and hint in err
    assert main(["swf", "start", target, "--domain", "d"]) == 2
    assert hint in capsys.readouterr().err


def test_results_are_printed_as_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "_cli_tasks:NonJson", "--quiet"]) == 0
    out = capsys.readouterr().out
    value = json.loads(out, parse_constant=_no_constants)  # NaN/Infinity would raise here
    assert value == {
        "nan": {"$float": "nan"},
        "inf": {"$float": "-inf"},
        "raw": {"$bytes": "AP8="},
        "big": {"$int": "1180591620717411303424"},
        "when": "2026-11-27T09:30:00",
        "price": "9.90",
        "pair": [1, 2],
    }


def _run_without(tmp_path: Path, modules: tuple[str, ...], *argv: str) -> Any:
    from _without import env_without

    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env_without(tmp_path, *modules),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_swf_without_boto3_names_the_extra(tmp_path: Path) -> None:
    for command in (["register", "examples.swf_orders"], ["worker", "examples.swf_orders"]):
        argv = ["-m", "flowwire", "swf", *command, "--domain", "d", "--region", "us-east-1"]
        result = _run_without(tmp_path, ("boto3", "botocore"), *argv)
        assert result.returncode == 2, result.stderr
        assert (
            result.stderr.strip()
            == "error: the SWF engine needs boto3: pip install 'flowwire[swf]'"
        )


def test_the_moto_example_names_the_extra_without_moto(tmp_path: Path) -> None:
    result = _run_without(tmp_path, ("moto",), "examples/swf_orders.py", "--moto")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "swf_orders: MotoServer needs moto in server mode: pip install 'flowwire[testing]'"
    )


@pytest.mark.swf
def test_the_moto_example_runs_without_hypothesis(tmp_path: Path) -> None:
    result = _run_without(tmp_path, ("hypothesis",), "examples/swf_orders.py", "--moto")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "shipped"


def test_the_pytest_plugin_is_registered_by_its_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for fixture in ("moto_server", "moto_swf_client", "swf_domain"):
        assert f"\n{fixture} -- " in result.stdout, fixture
