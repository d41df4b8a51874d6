"""Starting a workflow with arguments its ``run`` cannot take fails at the start, naming the
workflow and the binding problem, before any history exists (issue 3; the SWF starter does the
same, tests/swf/test_swf_start_arguments.py)."""

from __future__ import annotations

from typing import Any

import _local_tasks as tasks
import pytest

from flowwire.engines.local import LocalEngine, run_workflow
from flowwire.errors import ConfigurationError
from flowwire.task import Workflow, bind_run_arguments, workflow


@workflow("tests.start_arguments.pair", "1", "tl-start-args")
class Pair(Workflow):
    def run(self, left: int, right: int, *, scale: int = 1) -> list[int]:
        return [left * scale, right * scale]


@workflow("tests.start_arguments.anything", "1", "tl-start-args")
class Anything(Workflow):
    def run(self, *args: Any, **kwargs: Any) -> int:
        return len(args) + len(kwargs)


@workflow("tests.start_arguments.static", "1", "tl-start-args")
class Static(Workflow):
    @staticmethod
    def run(only: int) -> int:  # type: ignore[override]
        return only


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        ((1,), {}, "missing a required argument: 'right'"),
        ((1, 2, 3), {}, "too many positional arguments"),
        ((1, 2), {"size": 3}, "unexpected keyword argument 'size'"),
        ((1,), {"left": 2, "right": 3}, "multiple values for argument 'left'"),
        ((1, 2, 3), {}, "got 3 argument(s)"),
    ],
)
def test_local_engine_refuses_arguments_run_cannot_take(
    args: tuple[Any, ...], kwargs: dict[str, Any], problem: str
) -> None:
    engine = LocalEngine()
    with pytest.raises(ConfigurationError) as info:
        engine.run(Pair, *args, **kwargs)
    message = str(info.value)
    assert "workflow 'tests.start_arguments.pair' v1" in message
    assert "run(left: int, right: int, *, scale: int = 1)" in message
    assert problem in message
    assert isinstance(info.value.__cause__, TypeError)
    assert engine.histories == {}  # nothing was started


def test_run_workflow_refuses_them_too() -> None:
    with pytest.raises(ConfigurationError, match="missing a required argument: 'right'"):
        run_workflow(Pair, 1)


def test_arguments_that_bind_still_run() -> None:
    engine = LocalEngine(verify_replay=True)
    assert engine.run(Pair, 1, 2, scale=3) == [3, 6]
    assert engine.run(Pair, left=1, right=2) == [1, 2]
    assert engine.run(Anything, 1, 2, x=3) == 3
    assert LocalEngine([tasks]).run(tasks.Signatures, 5, 6, 7, scale=2, flag=True)


def test_a_static_run_binds_without_dropping_its_first_parameter() -> None:
    bind_run_arguments(Static, (1,), {})
    with pytest.raises(ConfigurationError, match="too many positional arguments"):
        bind_run_arguments(Static, (1, 2), {})


def test_an_undecorated_workflow_is_named_by_its_class() -> None:
    class Plain(Workflow):
        def run(self, value: int) -> int:
            return value

    with pytest.raises(ConfigurationError, match=r"workflow .*Plain takes run\(value: int\)"):
        bind_run_arguments(Plain, (), {})
