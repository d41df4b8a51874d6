"""The public names of ``flowwire`` that docs, examples and users depend on."""

from __future__ import annotations

import importlib

import pytest

import flowwire

#: Fixed by issue 2 (transport core); TaskError and TaskTimedOutError (spelled TaskTimedout until
#: issue 18) are issue 3's names but live in the error tree that issue 2 ships.
TRANSPORT_NAMES = [
    "DecodeError",
    "EncodeError",
    "JSONTransport",
    "MsgpackTransport",
    "PayloadTooLarge",
    "ProtobufTransport",
    "TaskError",
    "TaskTimedOutError",
    "get_transport",
]

#: Fixed by issue 3 (workflow core and local engine).
CORE_NAMES = [
    "Activity",
    "ActivityProxy",
    "BoundProxy",  # the type of self.<proxy> in run(), with options(...)
    "SuspendTask",
    "Workflow",
    "WorkflowProxy",
    "activity",
    "finish_order",
    "first",
    "parallel_reduce",
    "restart",
    "wait",
    "workflow",
]


def test_all_is_sorted_and_unique() -> None:
    assert flowwire.__all__ == sorted(flowwire.__all__)
    assert len(set(flowwire.__all__)) == len(flowwire.__all__)


@pytest.mark.parametrize("name", flowwire.__all__)
def test_every_name_in_all_imports(name: str) -> None:
    assert getattr(flowwire, name) is not None
    namespace: dict[str, object] = {}
    exec(f"from flowwire import {name}", namespace)  # the way users import it
    assert namespace[name] is getattr(flowwire, name)


@pytest.mark.parametrize("name", TRANSPORT_NAMES)
def test_transport_names_are_public(name: str) -> None:
    assert name in flowwire.__all__
    assert getattr(flowwire, name) is not None


def test_transport_names_are_the_real_objects() -> None:
    from flowwire import errors, transport

    assert flowwire.JSONTransport is transport.JSONTransport
    assert flowwire.MsgpackTransport is transport.MsgpackTransport
    assert flowwire.ProtobufTransport is transport.ProtobufTransport
    assert flowwire.get_transport is transport.get_transport
    assert flowwire.EncodeError is errors.EncodeError
    assert flowwire.DecodeError is errors.DecodeError
    assert flowwire.PayloadTooLarge is errors.PayloadTooLarge
    assert isinstance(flowwire.get_transport("json"), flowwire.JSONTransport)


def test_testing_check_transport_is_public() -> None:
    testing = importlib.import_module("flowwire.testing")
    assert "check_transport" in testing.__all__
    assert callable(testing.check_transport)
    assert testing.__all__ == sorted(testing.__all__)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        flowwire.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", CORE_NAMES)
def test_core_names_are_public(name: str) -> None:
    assert name in flowwire.__all__
    assert getattr(flowwire, name) is not None


def test_bound_proxy_is_what_a_workflow_sees_as_its_proxy() -> None:
    """``BoundProxy`` is public because users meet it: ``self.<proxy>`` inside ``run`` is one
    (and its ``options(...)`` returns one), so they can name it in annotations."""
    from flowwire import (
        Activity,
        ActivityProxy,
        BoundProxy,
        LocalEngine,
        Workflow,
        activity,
        workflow,
    )
    from flowwire.proxy import BoundProxy as defined

    assert BoundProxy is defined
    seen: list[type] = []

    @activity("tests.public_api.echo", "1", "tl-public-api")
    class Echo(Activity):
        def run(self, value: int) -> int:
            return value

    @workflow("tests.public_api.uses_proxy", "1", "tl-public-api")
    class UsesProxy(Workflow):
        echo = ActivityProxy(Echo)

        def run(self, value: int) -> int:
            seen.extend([type(self.echo), type(self.echo.options(retry=1))])
            return self.echo(value)

    assert LocalEngine([Echo]).run(UsesProxy, 7) == 7
    assert seen and set(seen) == {BoundProxy}
