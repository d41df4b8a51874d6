"""How ``flowwire run`` prints a failed workflow: the formatter it shares with ``flowwire swf
start --wait`` (tests/swf/test_swf_cli_failures.py): one line ``COMMAND: TASK failed: TYPE:
MESSAGE``, then the remote traceback when ``--traceback`` asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowwire.cli import format_task_failure, main
from flowwire.errors import TaskError, TaskTimedOutError

HERE = Path(__file__).resolve().parent
FAILED = (
    "flowwire run: workflow 'failing' v1 failed: TaskError: "
    "activity 'explode' v1 (explode-0-0) failed: ValueError: kaboom"
)


@pytest.fixture(autouse=True)
def _tasks_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))


def test_format_names_task_type_and_message_and_adds_the_traceback_on_request() -> None:
    error = TaskError("kaboom", task="activity 'x' v1 (x-0-0)", type_name="ValueError")
    error.traceback = "Traceback (most recent call last):\n  ...\nValueError: kaboom\n"
    line = "flowwire run: activity 'x' v1 (x-0-0) failed: ValueError: kaboom"
    assert format_task_failure(error, command="flowwire run") == line
    assert format_task_failure(error, command="flowwire run", traceback=True) == (
        line + "\nTraceback (most recent call last):\n  ...\nValueError: kaboom"
    )


def test_format_of_an_error_without_remote_type_or_task_or_traceback() -> None:
    timed_out = TaskTimedOutError("timed out (START_TO_CLOSE)", task="workflow 'w' v1 (w-1)")
    assert format_task_failure(timed_out, command="c", traceback=True) == (
        "c: workflow 'w' v1 (w-1) failed: TaskTimedOutError: timed out (START_TO_CLOSE)\n"
        "(no remote traceback was recorded)"
    )
    assert format_task_failure(TaskError("gone"), command="c") == (
        "c: the workflow failed: TaskError: gone"
    )


def test_flowwire_run_prints_the_failure_in_the_shared_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "_local_tasks:Failing", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == FAILED + "\n"


def test_flowwire_run_traceback_follows_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "_local_tasks:Failing", "--quiet", "--traceback"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == FAILED
    assert len(lines) > 1 and "TaskError" in lines[-1]
