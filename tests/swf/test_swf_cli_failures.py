"""How ``flowwire swf start --wait`` prints a failed workflow: the formatter it shares with
``flowwire run`` (tests/local/test_cli_failures.py), against moto with in-process workers."""

from __future__ import annotations

import pytest

from flowwire.engines.swf import cli
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.testing.moto import MotoServer

from . import workflows as w

pytestmark = pytest.mark.swf

DOMAIN = "cli-failures"
FAILED = (
    "flowwire swf start: workflow 'failing' v1 (failing-{id}) failed: TaskError: "
    "activity 'fail' v1 (fail-0-0) failed: ValueError: no luck"
)


@pytest.mark.parametrize("traceback", [False, True], ids=["line", "traceback"])
def test_start_wait_prints_the_failure_in_the_shared_format(
    traceback: bool,
    cli_on_moto: MotoServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    swf = SWF(cli_on_moto.client("swf"), DOMAIN)
    registry = TaskRegistry(w.ALL)
    register_all(swf, registry.specs())
    argv = ["start", "swf.workflows:Failing", "no luck", "--wait", "--timeout", "30"]
    argv += ["--workflow-id", "failing-1", "--domain", DOMAIN]
    argv += ["--endpoint-url", cli_on_moto.endpoint_url]
    with WorkerPool(swf, registry, deciders=2, activity_threads=2, stagger=0.25):
        status = cli.main([*argv, "--traceback"] if traceback else argv)
    captured = capsys.readouterr()
    assert status == 1, captured.err
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("started workflow 'failing' v1 (failing-1), run ")
    assert lines[1] == FAILED.format(id=1)
    if traceback:
        assert len(lines) > 2 and "no luck" in lines[-1]
    else:
        assert len(lines) == 2
