"""SWF-shaped histories recorded by other code, fed to the decider: every mismatch under a call
key (name, version, kind, in any state of the recorded task) and every recorded task the code no
longer reaches fails the execution with a NondeterminismError, live and on full replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .shapes import SwfHistory
from .test_swf_decider import JSON, args, attrs, decide, make_decider

Record = Callable[[SwfHistory], None]

# Sequence calls activity 'double' v1 under double-0-0 (then double-1-0, ...)
RECORDED: dict[str, tuple[Record, str]] = {
    "another name, completed": (
        lambda h: (
            h.activity("double-0-0", name="triple"),
            h.activity_completed("double-0-0", "6"),
        ),
        "activity 'triple' v1 (completed)",
    ),
    "another version, failed": (
        lambda h: (
            h.activity("double-0-0", name="double", version="2"),
            h.activity_failed("double-0-0", "ValueError: x", JSON.serialize_error(ValueError())[1]),
        ),
        "activity 'double' v2 (failed)",
    ),
    "another version, timed out": (
        lambda h: (
            h.activity("double-0-0", name="double", version="0"),
            h.activity_timed_out("double-0-0"),
        ),
        "activity 'double' v0 (timed out)",
    ),
    "another name, open": (
        lambda h: h.activity("double-0-0", name="quadruple"),
        "activity 'quadruple' v1 (still open)",
    ),
    "a child workflow, completed": (
        lambda h: (
            h.child("wf-1:double-0-0", name="double"),
            h.child_completed("wf-1:double-0-0", "6"),
        ),
        "child workflow 'double' v1 (completed)",
    ),
    "a child workflow, open": (
        lambda h: h.child("wf-1:double-0-0", name="double"),
        "child workflow 'double' v1 (still open)",
    ),
    "a child workflow, refused": (
        lambda h: h.child_start_failed("wf-1:double-0-0", "X", name="double"),
        "child workflow 'double' v1 (refused by the backend)",
    ),
    "another name, refused": (
        lambda h: h.activity_schedule_failed("double-0-0", "triple", "X"),
        "activity 'triple' v1 (refused by the backend)",
    ),
}


def failure(decisions: list[dict[str, Any]]) -> str:
    (failed,) = decisions
    assert failed["decisionType"] == "FailWorkflowExecution", failed
    error = JSON.deserialize_error(**attrs(failed))
    assert error.type_name == "NondeterminismError", error
    return str(error)


@pytest.mark.parametrize("live", [True, False], ids=["live", "replay"])
@pytest.mark.parametrize("case", list(RECORDED))
def test_a_changed_task_under_a_key_fails_the_run(case: str, live: bool) -> None:
    record, shown = RECORDED[case]
    h = SwfHistory().started(args(3))
    h.decision()
    record(h)
    message = failure(
        decide(make_decider(live=live), h.poll_response(workflow_type=("sequence", "1")))
    )
    assert f"{shown} under key 'double-0-0'" in message
    assert "asks for activity 'double' v1 there" in message


@pytest.mark.parametrize("live", [True, False], ids=["live", "replay"])
def test_a_recorded_task_the_code_no_longer_reaches(live: bool) -> None:
    h = SwfHistory().started(args(60))
    h.decision()
    h.activity("double-0-0", name="double")
    h.activity("audit-0-0", name="audit")  # the old code also called audit
    h.activity_completed("audit-0-0", "1")
    h.activity_completed("double-0-0", "120")
    message = failure(
        decide(make_decider(live=live), h.poll_response(workflow_type=("sequence", "1")))
    )
    assert "activity 'audit' v1 (completed) under key 'audit-0-0'" in message
    assert "no longer schedules" in message


def test_the_live_decider_checks_what_another_decider_scheduled() -> None:
    """The live execution kept for the run sees only the new events; a task that another
    deployment scheduled under the key it waits on is still refused."""
    decider = make_decider(live=True)
    h = SwfHistory().started(args(3))
    (first,) = decide(decider, h.poll_response(workflow_type=("sequence", "1")))
    assert attrs(first)["activityId"] == "double-0-0"
    h.activity("double-0-0", name="double", version="9")
    message = failure(decide(decider, h.poll_response(workflow_type=("sequence", "1"))))
    assert "activity 'double' v9 (still open) under key 'double-0-0'" in message


def test_a_matching_history_replays_as_before() -> None:
    h = SwfHistory().started(args(60))
    h.decision()
    h.activity("double-0-0", name="double")
    h.activity_completed("double-0-0", "120")
    (done,) = decide(make_decider(), h.poll_response(workflow_type=("sequence", "1")))
    assert attrs(done)["result"] == "120"
