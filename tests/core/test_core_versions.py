"""Versions as str or int everywhere, one normalisation, and every bad name, version or option
refused where the class body runs, naming the class, the attribute and the value."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flowwire import ActivityProxy, Workflow, WorkflowProxy, workflow
from flowwire.engines.swf.registration import ActivityTypeSpec, WorkflowTypeSpec
from flowwire.errors import RegistrationError
from flowwire.task import Activity, activity, meta_of

BAD_VERSIONS: list[tuple[Any, str]] = [
    (True, r"version must be a string or a whole number >= 0, got True \(bool\)"),
    (2.0, r"got 2\.0 \(float\)"),
    (-1, "version must be a whole number >= 0, got -1"),
    ("", "version must not be empty"),
    ("v" * 65, "version is 65 characters, over SWF's limit of 64"),
    (" 1", "starts or ends with whitespace"),
    ("1\t", "starts or ends with whitespace"),
    ("1:2", "contains ':'"),
    ("a/b", "contains '/'"),
    ("a|b", "contains '|'"),
    ("a\x00b", r"contains '\\x00'"),
    ("a\x85b", r"contains '\\x85'"),
    ("arn", "must not be the literal string 'arn'"),
]
BAD_NAMES: list[tuple[Any, str]] = [
    (7, r"got 7\b"),
    ("", "name must not be empty"),
    ("n" * 257, "name is 257 characters, over SWF's limit of 256"),
    ("pay:charge", "contains ':'"),
    ("charge ", "starts or ends with whitespace"),
    ("arn", "literal string 'arn'"),
]


def test_an_int_version_is_its_decimal_string_everywhere() -> None:
    @workflow(name="echo", version=1, task_list="my_tasklist")
    class Echo(Workflow):
        def run(self, value: Any) -> Any:
            return value

    @activity("echo", 0, "tl")
    class EchoActivity(Activity):
        pass

    class Host(Workflow):
        by_int = ActivityProxy("echo", 2)
        by_str = ActivityProxy("echo", "2")
        child = WorkflowProxy(name="Echo", version=2, workflow_duration=30)

    assert meta_of(Echo).version == "1"  # type: ignore[union-attr]
    assert meta_of(EchoActivity).version == "0"  # type: ignore[union-attr]
    assert Host.by_int._spec().version == Host.by_str._spec().version == "2"
    assert Host.child._spec().version == "2"
    assert ActivityTypeSpec("echo", 3, "tl").version == "3"  # type: ignore[arg-type]
    assert WorkflowTypeSpec("echo", 10**20, "tl").version == "100000000000000000000"  # type: ignore[arg-type]


@pytest.mark.parametrize(("version", "message"), BAD_VERSIONS)
def test_bad_versions_are_refused_by_the_decorators(version: Any, message: str) -> None:
    class Target(Workflow):
        pass

    with pytest.raises(RegistrationError, match=r"@workflow\(\.\.\.\) on .*Target: .*" + message):
        workflow("w", version, "tl")(Target)
    assert meta_of(Target) is None


@pytest.mark.parametrize(("version", "message"), BAD_VERSIONS)
@pytest.mark.parametrize("proxy", [ActivityProxy, WorkflowProxy])
def test_bad_versions_are_refused_when_the_class_body_runs(
    proxy: Any, version: Any, message: str
) -> None:
    label = f"{proxy.__name__}('echo', {version!r})"
    with pytest.raises(RegistrationError) as info:

        class MyWorkflow(Workflow):
            echo = proxy(name="echo", version=version)

    text = str(info.value)
    assert f"MyWorkflow.echo = {label}: " in text, text
    assert re.search(message, text), text


@pytest.mark.parametrize(("name", "message"), BAD_NAMES)
def test_bad_names_are_refused_by_proxies_and_decorators(name: Any, message: str) -> None:
    with pytest.raises(
        RegistrationError, match=r"MyWorkflow\.charge = ActivityProxy\(.*" + message
    ):

        class MyWorkflow(Workflow):
            charge = ActivityProxy(name, "1")

    class Plain(Activity):
        pass

    with pytest.raises(RegistrationError, match="on .*Plain: .*" + message):
        activity(name, "1", "tl")(Plain)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"heartbeat": 0}, "heartbeat must be a positive whole number of seconds, got 0"),
        ({"start_to_close": 1.5}, "start_to_close must be a positive .* got 1.5"),
        ({"schedule_to_close": True}, "schedule_to_close must be .* got True"),
        ({"task_list": ""}, "task_list must not be empty"),
        ({"task_list": "a/b"}, "task_list 'a/b' contains '/'"),
        ({"retry": -1}, "retry must be a whole number >= 0 or a flowwire.RetryPolicy, got -1"),
        ({"delay": 0.5}, "delay must be a whole number >= 0, got 0.5"),
    ],
)
def test_bad_proxy_options_are_refused_when_the_class_body_runs(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(
        RegistrationError, match=r"Checkout\.charge = ActivityProxy\('charge', '1'\): " + message
    ):

        class Checkout(Workflow):
            charge = ActivityProxy("charge", "1", **options)


def test_bad_child_durations_and_targets_are_refused_when_the_class_body_runs() -> None:
    with pytest.raises(RegistrationError, match=r"Parent\.child = .*workflow_duration must be"):

        class Parent(Workflow):
            child = WorkflowProxy("child", 1, workflow_duration=-5)

    class Undecorated(Activity):
        pass

    with pytest.raises(
        RegistrationError,
        match=r"Host\.task = ActivityProxy\(.*Undecorated\): the target must be a decorated",
    ):

        class Host(Workflow):
            task = ActivityProxy(Undecorated)

    @activity("decorated", "1", "tl")
    class Decorated(Activity):
        pass

    with pytest.raises(RegistrationError, match="brings its own version; got version 2 too"):

        class Host2(Workflow):
            task = ActivityProxy(Decorated, 2)  # type: ignore[arg-type]


def test_an_attribute_name_that_cannot_make_call_keys_is_refused() -> None:
    with pytest.raises(RegistrationError, match=r"Host\.bad-name = .*\[A-Za-z0-9_\]"):
        type("Host", (Workflow,), {"bad-name": ActivityProxy("a", "1")})


def test_the_seed_proxy_snippet_defines_without_error() -> None:
    class MyWorkflow(Workflow):
        echo_activity_proxy = ActivityProxy(name="Echo", version="v1", heartbeat=10)
        echo_workflow_proxy = WorkflowProxy(name="Echo", version=2, workflow_duration=30)

    activity_spec = MyWorkflow.echo_activity_proxy._spec()
    workflow_spec = MyWorkflow.echo_workflow_proxy._spec()
    assert (activity_spec.version, activity_spec.options) == ("v1", {"heartbeat": 10})
    assert (workflow_spec.version, workflow_spec.options) == ("2", {"workflow_duration": 30})
    # flowy's positional order: name, version, then the timeouts, task_list, retry, delay
    positional = ActivityProxy("Echo", "v1", 10, 20, 30, 40, "tl", 3, 0, False)
    child = WorkflowProxy("Echo", 2, 60, 30, "tl", 3, 0, False)

    class Positional(Workflow):
        a = positional
        c = child

    assert Positional.a._spec().options == {
        "heartbeat": 10,
        "schedule_to_close": 20,
        "schedule_to_start": 30,
        "start_to_close": 40,
        "task_list": "tl",
    }
    assert Positional.c._spec().options == {
        "decision_duration": 60,
        "workflow_duration": 30,
        "task_list": "tl",
    }


def test_registration_specs_check_names_like_the_decorators() -> None:
    with pytest.raises(RegistrationError, match="activity type spec 'a:b': name 'a:b' contains"):
        ActivityTypeSpec("a:b", "1", "tl")
    with pytest.raises(RegistrationError, match="version must be a string"):
        WorkflowTypeSpec("w", 1.5, "tl")  # type: ignore[arg-type]
