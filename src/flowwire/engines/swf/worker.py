"""The activity worker and the async-completion client.

:class:`ActivityWorker` polls one task list, hands each task to a *runner* (the function that
decodes the input with the activity's transport, runs it and encodes the outcome; see
:mod:`flowwire.engines.swf.bindings`) and reports the outcome. Every field is checked against
SWF's limits before it is sent: a result over the limit is never sent and never truncated, the
task fails with :class:`~flowwire.errors.PayloadTooLarge` naming the activity instead (the
transport normally raises it already while encoding, or offloads when it has a store).

Heartbeats go through :meth:`ActivityWorker.heartbeat`, which answers ``False`` once SWF says
the task was cancelled, timed out or closed, so the activity can stop cleanly.

:class:`AsyncCompletion` finishes tasks left open (``SuspendTask``) from anywhere, by token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowwire._backoff import retry_writes
from flowwire.engines.swf.client import SWF, SWFError, poll_until
from flowwire.engines.swf.decider import default_identity
from flowwire.engines.swf.limits import MAX_DETAILS, MAX_REASON, MAX_RESULT, check_field
from flowwire.errors import PayloadTooLarge, TaskError, UnknownTaskError
from flowwire.task import ActivityOutcome
from flowwire.transport._protocols import Transport

__all__ = [
    "ActivityTask",
    "ActivityWorker",
    "AsyncCompletion",
    "Completed",
    "Failed",
    "Outcome",
    "Runner",
    "Suspended",
]

log = logging.getLogger("flowwire.swf.worker")

_GONE = ("UnknownResourceFault", "ValidationException")
"""SWF's answers for a task that timed out, was closed, or whose token is not valid."""


@dataclass(slots=True)
class ActivityTask:
    """One activity task as polled; ``heartbeat(details=None) -> bool`` reports progress and
    answers ``False`` once the task was cancelled or timed out."""

    token: str
    activity_id: str
    name: str
    version: str
    input: str
    workflow_id: str
    run_id: str
    heartbeat: Callable[..., bool] = field(repr=False)

    @property
    def what(self) -> str:
        return f"activity {self.name!r} v{self.version} ({self.activity_id})"


Outcome = ActivityOutcome
"""What a runner returns: the one activity-outcome type of every engine."""


def Completed(result: str) -> ActivityOutcome:
    """The outcome of a completed task (its result payload)."""
    return ActivityOutcome("completed", result=result)


def Failed(reason: str, details: str) -> ActivityOutcome:
    """The outcome of a failed task (what the transport's ``serialize_error`` made)."""
    return ActivityOutcome("failed", reason=reason, details=details)


def Suspended() -> ActivityOutcome:
    """The outcome of a task that raised ``SuspendTask``: left open for async completion."""
    return ActivityOutcome("suspended")


Runner = Callable[[ActivityTask], Outcome]
"""Runs one task; must not raise: failures are a :class:`Failed` outcome."""


class ActivityWorker:
    """Runs the activity tasks of one task list with ``runner``."""

    def __init__(
        self,
        swf: SWF,
        task_list: str,
        runner: Runner,
        *,
        identity: str | None = None,
    ) -> None:
        self.swf = swf
        self.task_list = task_list
        self.runner = runner
        self.identity = identity or default_identity()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()

    def poll(self) -> ActivityTask | None:
        """Long-poll for an activity task; ``None`` on an empty poll."""
        response = self.swf.call(
            "PollForActivityTask",
            domain=self.swf.domain,
            taskList={"name": self.task_list},
            identity=self.identity,
        )
        return self.read_task(response)

    def read_task(self, response: dict[str, Any]) -> ActivityTask | None:
        """A ``PollForActivityTask`` answer as an :class:`ActivityTask`; ``None`` if empty."""
        token = response.get("taskToken")
        if not token:
            return None
        token = str(token)
        execution = response.get("workflowExecution") or {}
        return ActivityTask(
            token=token,
            activity_id=str(response["activityId"]),
            name=str(response["activityType"]["name"]),
            version=str(response["activityType"]["version"]),
            input=str(response.get("input") or ""),
            workflow_id=str(execution.get("workflowId", "")),
            run_id=str(execution.get("runId", "")),
            heartbeat=lambda details=None: self.heartbeat(token, details),
        )

    def heartbeat(self, token: str, details: str | None = None) -> bool:
        """Record a heartbeat; False once the task was cancelled, timed out or closed.
        Other SWF errors are logged and answered True (the task may still be alive)."""
        try:
            answer = _record_heartbeat(self.swf, token, details)
        except SWFError as exc:
            if exc.code in _GONE:
                return False
            log.warning("heartbeat failed, assuming the task is alive: %s", exc)
            return True
        if answer.get("cancelRequested"):
            with self._lock:
                self._cancelled.add(token)
            return False
        return True

    def handle(self, task: ActivityTask) -> Outcome:
        """Run ``task`` and report its outcome to SWF; returns the outcome reported."""
        try:
            outcome = self.runner(task)
        except Exception as exc:  # a runner must not raise; report it rather than lose the task
            log.exception("runner failed on %s", task.what)
            outcome = Failed(f"{type(exc).__name__} in the SWF worker"[:MAX_REASON], str(exc))
        if outcome.status == "completed":
            try:
                check_field(outcome.result, MAX_RESULT, f"result of {task.what}")
            except PayloadTooLarge as exc:
                outcome = Failed("PayloadTooLarge", str(exc))
        if outcome.status == "failed":
            outcome = Failed(*_fit_failure(outcome.reason, outcome.details, task.what))
        with self._lock:
            cancelled = task.token in self._cancelled
            self._cancelled.discard(task.token)
        try:
            if outcome.status == "suspended":
                return outcome
            if cancelled:
                details = outcome.result if outcome.status == "completed" else outcome.details
                self.swf.call("RespondActivityTaskCanceled", taskToken=task.token, details=details)
            elif outcome.status == "completed":
                self.swf.call(
                    "RespondActivityTaskCompleted", taskToken=task.token, result=outcome.result
                )
            else:
                self.swf.call(
                    "RespondActivityTaskFailed",
                    taskToken=task.token,
                    reason=outcome.reason,
                    details=outcome.details,
                )
        except SWFError as exc:
            if exc.code not in _GONE:
                raise
            log.warning("outcome of %s dropped, SWF no longer has the task: %s", task.what, exc)
        return outcome

    def poll_once(self) -> bool:
        """Poll and handle at most one task; True when a task was handled."""
        task = self.poll()
        if task is None:
            return False
        outcome = self.handle(task)
        log.info("%s: %s", task.what, outcome.status)
        return True

    def run(self, stop: threading.Event) -> None:
        """Handle tasks until ``stop`` is set; a task in hand is always finished and
        reported. SWF errors are logged and the loop goes on after a short pause."""
        poll_until(stop, self.poll_once, log, f"activity worker on {self.task_list!r}")


def _record_heartbeat(swf: SWF, token: str, details: str | None) -> dict[str, Any]:
    """RecordActivityTaskHeartbeat, with the details checked against SWF's limit first."""
    params: dict[str, Any] = {"taskToken": token}
    if details is not None:
        check_field(details, MAX_DETAILS, "heartbeat details")
        params["details"] = details
    return swf.call("RecordActivityTaskHeartbeat", **params)


def _fit_failure(reason: str, details: str, what: str) -> tuple[str, str]:
    """Failure fields within SWF's limits without cutting anything: an over-long reason or
    details are replaced by a statement of their size (the transport keeps its own
    ``serialize_error`` output within the limits, so this only guards foreign runners)."""
    if len(reason) > MAX_REASON:
        details = f"reason of {len(reason):,} characters: {reason}\n{details}"
        reason = f"failure of {what}"[:MAX_REASON]
    if len(details) > MAX_DETAILS:
        details = (
            f"failure details of {what} were {len(details):,} characters, over {MAX_DETAILS:,}"
        )
    return reason, details


class AsyncCompletion:
    """Completes, fails and heartbeats activity tasks by token, from any process: the SWF
    engine's :class:`~flowwire.completion.CompletionClient`.

    ``transport`` encodes results and errors and must be the activity type's transport (the
    decider decodes with it): a transport object or registered name, or the activity class
    itself (its transport on an engine without a default; default: JSON). ``complete`` and
    ``fail`` raise :class:`~flowwire.UnknownTaskError` for a task SWF no longer has open
    (timed out, already closed, an invalid token), as the local engine does; other refusals
    are :class:`SWFError`.
    """

    def __init__(self, swf: SWF, transport: Transport | str | type | None = None) -> None:
        from flowwire.tasktype import type_of
        from flowwire.transport import get_transport
        from flowwire.transport_rule import DEFAULT_TRANSPORT, TransportRule

        if isinstance(transport, type):
            transport = TransportRule().of(type_of(transport))
        elif transport is None or isinstance(transport, str):
            transport = get_transport(transport or DEFAULT_TRANSPORT)
        self.swf = swf
        self.transport: Transport = transport

    def _respond(self, operation: str, token: str, **params: Any) -> None:
        try:
            self.swf.call(operation, taskToken=token, **params)
        except SWFError as exc:
            if exc.code in _GONE:
                shown = repr(token) if len(token) <= 60 else f"{token[:60]!r}..."
                raise UnknownTaskError(
                    f"no open activity task has the token {shown} ({exc.code}: {exc.message})"
                ) from exc
            raise

    def complete(self, token: str, result: Any = None) -> None:
        """Complete the task with ``result`` (a value, encoded by the transport)."""
        payload = retry_writes(lambda: self.transport.serialize_result(result))
        check_field(payload, MAX_RESULT, "async completion result")
        self._respond("RespondActivityTaskCompleted", token, result=payload)

    def fail(self, token: str, reason: str | BaseException) -> None:
        """Fail the task with an exception, or a message (carried as a :class:`TaskError`)."""
        exc = reason if isinstance(reason, BaseException) else TaskError(str(reason))
        why, details = retry_writes(lambda: self.transport.serialize_error(exc))
        why, details = _fit_failure(why, details, "async completion")
        self._respond("RespondActivityTaskFailed", token, reason=why, details=details)

    def heartbeat(self, token: str, details: str | None = None) -> bool:
        """Record a heartbeat; False once the task was cancelled, timed out or closed."""
        try:
            answer = _record_heartbeat(self.swf, token, details)
        except SWFError as exc:
            if exc.code in _GONE:
                return False
            raise
        return not answer.get("cancelRequested", False)
