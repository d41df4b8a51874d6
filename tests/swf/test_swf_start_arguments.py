"""Starting a workflow on SWF with arguments its ``run`` cannot take fails at the starter (API
and ``flowwire swf start``), naming the workflow and the binding problem, and nothing is
started; the local engine does the same (tests/local/test_start_arguments.py)."""

from __future__ import annotations

from typing import Any

import pytest

from flowwire.engines.swf import cli
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.starter import start
from flowwire.errors import ConfigurationError
from flowwire.testing.moto import MotoServer

from . import workflows as w

pytestmark = pytest.mark.swf

DOMAIN = "start-args"


@pytest.fixture
def swf(moto_server: MotoServer) -> SWF:
    swf = SWF(moto_server.client("swf"), DOMAIN)
    register_all(swf, TaskRegistry([w.Sequence]).specs())
    return swf


def open_executions(swf: SWF) -> list[Any]:
    answer = swf.call(
        "ListOpenWorkflowExecutions", domain=DOMAIN, startTimeFilter={"oldestDate": 0}
    )
    return list(answer["executionInfos"])


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        ((), {}, "missing a required argument: 'value'"),
        ((1, 2), {}, "too many positional arguments"),
        ((1,), {"speed": 2}, "unexpected keyword argument 'speed'"),
    ],
)
def test_starter_refuses_arguments_run_cannot_take(
    swf: SWF, args: tuple[Any, ...], kwargs: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        start(swf, w.Sequence, args, kwargs)
    message = str(info.value)
    assert "workflow 'sequence' v1 takes run(value: int) -> int" in message
    assert problem in message
    assert isinstance(info.value.__cause__, TypeError)
    assert open_executions(swf) == []


def test_starter_starts_when_the_arguments_bind(swf: SWF) -> None:
    run = start(swf, w.Sequence, [], {"value": 3}, task_list="nobody-polls")
    assert [e["execution"]["runId"] for e in open_executions(swf)] == [run.run_id]


def test_swf_start_command_refuses_them_with_status_2(
    swf: SWF,
    cli_on_moto: MotoServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["start", "swf.workflows:Sequence", "1", "2", "--domain", DOMAIN]
    status = cli.main([*argv, "--endpoint-url", cli_on_moto.endpoint_url])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "error: workflow 'sequence' v1 takes run(value: int) -> int, got 2 argument(s): "
        "too many positional arguments"
    ]
    assert open_executions(swf) == []
