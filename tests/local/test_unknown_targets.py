"""A proxy whose type nobody registered fails its call, as on SWF, with an error that lists
the registered types of that kind and the closest one; a command-line target
``module:name@version`` finds a type by its registered name and (normalised) version."""

from __future__ import annotations

import pytest

from flowwire import (
    Activity,
    ActivityProxy,
    LocalEngine,
    Workflow,
    WorkflowProxy,
    activity,
    workflow,
)
from flowwire.cli import main
from flowwire.errors import RegistrationError, TaskError
from flowwire.scanner import find_type
from flowwire.tasktype import TaskRegistry


@activity("charge", "1", "shop")
class Charge(Activity):
    def run(self) -> str:
        return "receipt"


@activity("charge", "2", "shop")
class ChargeV2(Activity):
    def run(self) -> str:
        return "receipt v2"


@activity("ship", "1", "shop")
class Ship(Activity):
    def run(self) -> str:
        return "parcel"


@workflow("invoice", "1", "shop")
class Invoice(Workflow):
    def run(self) -> str:
        return "invoice"


def calling(proxy: ActivityProxy | WorkflowProxy) -> type[Workflow]:
    @workflow("caller", "1", "shop")
    class Caller(Workflow):
        task = proxy

        def run(self) -> str:
            return self.task() + ""

    return Caller


def failure(proxy: ActivityProxy | WorkflowProxy) -> str:
    engine = LocalEngine([Charge, ChargeV2, Ship, Invoice])
    with pytest.raises(TaskError) as info:
        engine.run(calling(proxy))
    return str(info.value)


def test_a_misspelt_activity_lists_the_registered_ones_and_the_closest() -> None:
    message = failure(ActivityProxy("chrage", "1"))
    assert "ACTIVITY_TYPE_DOES_NOT_EXIST: activity 'chrage' v1 is not registered" in message
    assert "registered activities: 'charge' v1, 'charge' v2, 'ship' v1" in message
    assert "did you mean 'charge' v1?" in message
    assert "activity 'chrage' v1 (task-0-0)" in message


def test_an_unregistered_version_suggests_a_registered_one() -> None:
    message = failure(ActivityProxy("charge", 3))
    assert "activity 'charge' v3 is not registered" in message
    assert "did you mean 'charge' v2?" in message


def test_a_child_workflow_lists_the_registered_workflows() -> None:
    message = failure(WorkflowProxy("invoicing", 1))
    assert "WORKFLOW_TYPE_DOES_NOT_EXIST: workflow 'invoicing' v1 is not registered" in message
    assert "registered workflows: 'caller' v1, 'invoice' v1" in message
    assert "did you mean 'invoice' v1?" in message


def test_no_suggestion_without_a_near_miss() -> None:
    message = failure(ActivityProxy("zzz", "1"))
    assert "registered activities:" in message and "did you mean" not in message


def test_a_long_listing_is_cut() -> None:
    classes = []
    for i in range(25):
        cls = type(f"A{i}", (Activity,), {"run": lambda self: None})
        classes.append(activity(f"task{i:02}", "1", "tl")(cls))
    text = TaskRegistry(classes).missing("activity", "tusk07", "1")
    assert text.endswith("'task19' v1 and 5 more; did you mean 'task07' v1?"), text
    assert TaskRegistry().missing("workflow", "w", "1") == (
        "workflow 'w' v1 is not registered; registered workflows: none"
    )


def test_targets_by_registered_name_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.echo import Echo

    assert find_type("examples.echo", "examples.echo_workflow", 1) is Echo
    assert find_type("examples.echo", "examples.echo_workflow", "1", kind="workflow") is Echo
    with pytest.raises(RegistrationError, match=r"did you mean 'examples\.echo_workflow' v1"):
        find_type("examples.echo", "examples.echo_workflow", 2)
    with pytest.raises(RegistrationError, match="version '1:0' contains ':'"):
        find_type("examples.echo", "examples.echo_workflow", "1:0")
    assert main(["run", "examples.echo:examples.echo_workflow@1", '"hi"', "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == '"hi"'
    assert main(["run", "examples.echo:examples.echo_workflow@7", "x", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "workflow 'examples.echo_workflow' v7 is not registered" in err
    assert "did you mean 'examples.echo_workflow' v1?" in err


def test_swf_targets_by_registered_name_and_version() -> None:
    from examples.echo import Echo, EchoActivity
    from flowwire.engines.swf.cli import _load

    assert _load("examples.echo:examples.echo_workflow@1") == [Echo]
    assert _load("examples.echo:examples.echo@1") == [EchoActivity]
    with pytest.raises(RegistrationError, match=r"activity 'examples\.echo' v2 is not registered"):
        _load("examples.echo:examples.echo@2")
