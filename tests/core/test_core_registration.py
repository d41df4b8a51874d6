"""Decorators, metadata, proxies and discovery: clear errors at registration time."""

from __future__ import annotations

from typing import Any

import pytest
from _extras import requires
from _scanpkg.sub.more import ScanB
from _scanpkg.tasks import ScanA, ScanW, Undecorated

from flowwire.errors import RegistrationError, UnknownTransportError
from flowwire.proxy import ActivityProxy, WorkflowProxy
from flowwire.scanner import scan
from flowwire.task import (
    Activity,
    ActivityMeta,
    Workflow,
    activity,
    declared_transport,
    meta_of,
    workflow,
)
from flowwire.tasktype import TaskRegistry
from flowwire.transport import MsgpackTransport


def test_decorator_attaches_metadata_and_transport() -> None:
    @activity("meta", "1", "tl", heartbeat=5, transport="msgpack")
    class Meta(Activity):
        pass

    assert Meta.__flowwire_meta__ == ActivityMeta("meta", "1", "tl", 5, 420, 120, 300)  # type: ignore[attr-defined]
    assert isinstance(declared_transport(Meta), MsgpackTransport)
    assert declared_transport(ScanA) is None


class Plain(Activity):
    pass


class PlainWorkflow(Workflow):
    pass


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: activity("", "1", "tl")(Plain), "on Plain: name must not be empty"),
        (
            lambda: activity("a", "1", "tl", start_to_close=0)(Plain),
            "on Plain: start_to_close must be a positive",
        ),
        (
            lambda: workflow("w", "1", "tl", workflow_duration=1.5)(PlainWorkflow),
            "on PlainWorkflow: workflow_duration",
        ),
        (lambda: activity("a", None, "tl")(Plain), "version must be"),  # type: ignore[arg-type]
    ],
)
def test_bad_metadata_is_refused(call: Any, message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        call()
    assert meta_of(Plain) is None and meta_of(PlainWorkflow) is None


def test_bad_targets_are_refused() -> None:
    with pytest.raises(RegistrationError, match="must decorate a class"):
        activity("a", "1", "tl")(lambda: None)
    with pytest.raises(RegistrationError, match=r"subclass of flowwire\.Activity"):
        activity("a", "1", "tl")(ScanW)
    with pytest.raises(RegistrationError, match="ScanW is already decorated"):
        workflow("again", "1", "tl")(ScanW)
    with pytest.raises(UnknownTransportError):
        activity("a", "1", "tl", transport="no-such-codec")


def test_scan_finds_decorated_classes_in_packages_with_ignores() -> None:
    assert set(scan("_scanpkg")) == {ScanA, ScanW, ScanB}
    assert set(scan("_scanpkg", ignore=["_scanpkg.sub"])) == {ScanA, ScanW}
    assert set(scan("_scanpkg", ignore=["*.tasks"])) == {ScanB}
    with pytest.raises(RegistrationError, match="Undecorated has no task metadata"):
        scan(Undecorated)


def test_registry_refuses_duplicates_and_undecorated_classes() -> None:
    registry = TaskRegistry(scan("_scanpkg"))
    assert registry.activity("scan_b", "2") is ScanB and registry.workflow("scan_w", "1") is ScanW
    assert registry.activity("scan_w", "1") is None
    registry.register(ScanA)  # the same class again is fine

    @activity("scan_a", "1", "tl")
    class Impostor(Activity):
        pass

    with pytest.raises(RegistrationError, match="duplicate activity 'scan_a' v1"):
        registry.register(Impostor)
    with pytest.raises(RegistrationError, match="no task metadata"):
        registry.register(Undecorated)
    with pytest.raises(RegistrationError, match="only task classes"):
        registry.register("scan_a")
    assert [m.name for m in registry.metadata()] == [t.name for t in registry]


@pytest.mark.parametrize(("module", "old"), [("tasktype", "TaskTypes"), ("scanner", "Registry")])
def test_the_old_registry_names_are_the_one_registry_and_warn(module: str, old: str) -> None:
    namespace: dict[str, object] = {}
    with pytest.warns(DeprecationWarning, match=rf"flowwire\.{module}\.{old} is deprecated"):
        exec(f"from flowwire.{module} import {old}", namespace)  # the way old code imports it
    assert namespace[old] is TaskRegistry
    with pytest.raises(ImportError, match="cannot import name 'Nothing'"):
        exec(f"from flowwire.{module} import Nothing", {})


def test_the_swf_registry_is_the_one_registry_and_follows_additions() -> None:
    requires("boto3")
    from flowwire.engines.swf import TaskRegistry as SWFTaskRegistry

    registry = SWFTaskRegistry([ScanA], transport="msgpack")
    assert isinstance(registry, TaskRegistry)
    registry.register(ScanW)
    registry.add(ScanB)
    assert registry.workflows == {("scan_w", "1"): ScanW}
    assert registry.activities == {("scan_a", "1"): ScanA, ("scan_b", "2"): ScanB}
    assert registry.get("workflow", "scan_w", "1") is not None
    assert registry.transport_for(ScanW).name == "msgpack"


def test_proxies_resolve_names_defaults_and_return_types() -> None:
    class Host(Workflow):
        by_name = ActivityProxy("scan_a", "1", start_to_close=9, retry=0)
        by_class = ActivityProxy(ScanA, task_list="fast")
        child = WorkflowProxy(ScanW, workflow_duration=50)

    spec = Host.by_name._spec()
    assert (spec.name, spec.version, spec.retry, spec.options) == (
        "scan_a",
        "1",
        0,
        {"start_to_close": 9},
    )
    spec = Host.by_class._spec()
    assert spec.returns is int and spec.options["task_list"] == "fast"
    assert spec.options["schedule_to_close"] == 420
    child = Host.child._spec()
    assert child.kind == "workflow" and child.options["workflow_duration"] == 50
    assert child.options["decision_duration"] == 60


def test_bad_proxies_are_refused_when_the_class_is_defined() -> None:
    with pytest.raises(RegistrationError, match=r"Host0\.a = ActivityProxy\('a', '1'\): retry"):

        class Host0(Workflow):
            a = ActivityProxy("a", "1", retry=-1)

    with pytest.raises(RegistrationError, match=r"decorated flowwire\.Activity subclass"):

        class Host(Workflow):
            wrong = ActivityProxy(ScanW)  # type: ignore[arg-type]

    with pytest.raises(RegistrationError, match="must be a class attribute"):
        ActivityProxy("a", "1")._spec()
    with pytest.raises(RegistrationError, match=r"Host2\.nameless = .*needs a version too"):

        class Host2(Workflow):
            nameless = ActivityProxy("a")


def test_proxy_calls_outside_an_engine_are_refused() -> None:
    class Host(Workflow):
        a = ActivityProxy("a", "1")

    with pytest.raises(RuntimeError, match="engine is executing"):
        Host().a()


def test_a_transport_name_as_class_attribute() -> None:
    class Named(Activity):
        transport = "msgpack"

    assert isinstance(declared_transport(Named), MsgpackTransport)
    assert isinstance(Named()._transport(), MsgpackTransport)
