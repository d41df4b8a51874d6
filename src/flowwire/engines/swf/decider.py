"""The decider (workflow worker): decision tasks in, neutral decisions out.

One :meth:`Decider.poll_once` call:

1. ``PollForDecisionTask`` (a long poll). An answer without ``taskToken`` is an empty poll.
2. The history: on a cache hit for the run, only the new events are needed, so the poll asks
   SWF to start at the previous decision (``startAtPreviousStartedEvent``) and the events are
   appended to the cached, already translated history; otherwise (first sight of the run, or a
   gap because another decider handled decisions in between) every page is read
   (``nextPageToken``), falling back to ``GetWorkflowExecutionHistory``.
3. Replay of the workflow class against the neutral history (:mod:`flowwire.replay`).
4. ``RespondDecisionTaskCompleted`` with the decisions translated by
   :mod:`~flowwire.engines.swf.decisions`, every field checked against SWF's limits first.

Duplicate decision tasks (a new task for a history that has not changed, as moto produces) are
answered again from the same history: replay is deterministic, and decisions already acted on
are not repeated by the core. A decision task whose run is closed or whose token expired is
reported in the log and dropped. An error inside replay that the core does not turn into a
decision fails the execution with that error, so it never loops silently.

The exception is an offload store that does not answer, read or written
(:class:`~flowwire.StoreOutage`): the object may be intact, so the run must not fail. The
decider decides again with backoff for up to ``outage_wait`` seconds; if the store is still
down it does not answer the task at all, so SWF times it out (after the type's
``decision_duration``) and schedules a new one. A write the offload stage gave up on (its
``write_wait`` passed: :class:`~flowwire.StoreWriteFailed`) fails the run.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flowwire._backoff import outage_delay
from flowwire.decision import (
    CancelWorkflow,
    CompleteWorkflow,
    ContinueAsNew,
    Decision,
    FailWorkflow,
)
from flowwire.engines.swf.client import SWF, SWFError, poll_until
from flowwire.engines.swf.decisions import to_swf_all
from flowwire.engines.swf.events import HistoryBuilder
from flowwire.engines.swf.limits import MAX_DETAILS, MAX_REASON
from flowwire.errors import BackendError, FlowwireError, StoreOutage, TaskError
from flowwire.history import Event

__all__ = ["Decider", "DecisionTask", "HistoryCache", "Replayer", "default_identity"]

log = logging.getLogger("flowwire.swf.decider")

MAX_REQUEST = 1_000_000
"""SWF refuses requests over 1 MB; decisions are checked against it before sending."""


class Replayer(Protocol):
    """What the decider needs from the core (see :class:`~.bindings.WorkflowReplayer`)."""

    def decide(
        self, name: str, version: str, run_id: str, history: Sequence[Event]
    ) -> Sequence[Decision]:
        """The decisions of workflow type ``(name, version)`` for run ``run_id``."""
        ...

    def forget(self, run_id: str) -> None:
        """Drop any state kept for ``run_id``: its next history must be replayed in full."""
        ...

    def serialize_error(self, name: str, version: str, exc: BaseException) -> tuple[str, str]:
        """``(reason, details)`` of ``exc`` in the transport of workflow type ``(name, version)``,
        so that whoever waits for the run can read the failure."""
        ...


_CLOSING = (CompleteWorkflow, FailWorkflow, ContinueAsNew, CancelWorkflow)


def default_identity() -> str:
    """``host:pid:thread``, what SWF shows as the worker identity (at most 256 characters)."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:256]


class DecisionTask:
    """One decision task as the decider sees it: the token, the execution, the type and the
    neutral history up to the task's ``startedEventId``."""

    __slots__ = (
        "error",
        "history",
        "run_id",
        "started_event_id",
        "token",
        "workflow_id",
        "workflow_type",
    )

    def __init__(
        self,
        token: str,
        workflow_id: str,
        run_id: str,
        workflow_type: tuple[str, str],
        started_event_id: int,
        history: Sequence[Event],
        error: Exception | None = None,
    ) -> None:
        self.token = token
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type
        self.started_event_id = started_event_id
        self.history = history
        self.error = error  # the history could not be read: the run fails with this

    @property
    def what(self) -> str:
        name, version = self.workflow_type
        return f"workflow {name!r} v{version} ({self.workflow_id})"


class HistoryCache:
    """Translated histories by run id, shared by the deciders of a process (any of them may
    get a run's next decision task). Holds at most ``size`` runs, least recently used out;
    ``size=0`` keeps nothing. Thread-safe; a history taken is private until put back."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._runs: OrderedDict[str, HistoryBuilder] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, run_id: str) -> HistoryBuilder | None:
        with self._lock:
            return self._runs.pop(run_id, None)

    def put(self, run_id: str, builder: HistoryBuilder) -> None:
        if not self.size:
            return
        with self._lock:
            self._runs[run_id] = builder
            self._runs.move_to_end(run_id)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)


class Decider:
    """Answers the decision tasks of one task list with ``replayer``.

    ``replayer.decide`` gets the workflow type's name and version, the run id and the neutral
    history, and must return the decisions (:class:`~.bindings.WorkflowReplayer` does it for
    workflow classes). ``cache`` keeps translated histories between decision tasks (share one
    among the deciders of a process; default: a private one of 1,000 runs); with a cache of
    size 0 every page is read every time. ``outage_wait`` bounds the seconds spent deciding
    again while an offload store is unavailable, after which the task is left unanswered
    (keep it well under the workflow types' ``decision_duration``).
    """

    def __init__(
        self,
        swf: SWF,
        task_list: str,
        replayer: Replayer,
        *,
        identity: str | None = None,
        cache: HistoryCache | None = None,
        page_size: int = 1000,
        outage_wait: float = 10.0,
    ) -> None:
        self.swf = swf
        self.task_list = task_list
        self.replayer = replayer
        self.identity = identity or default_identity()
        self.cache = HistoryCache() if cache is None else cache
        self.page_size = page_size
        self.outage_wait = outage_wait

    # -- polling -----------------------------------------------------------------------------

    def poll(self) -> DecisionTask | None:
        """Long-poll for a decision task and build its history; ``None`` on an empty poll.
        Raises :class:`SWFError` when SWF refuses the poll."""
        params: dict[str, Any] = {
            "domain": self.swf.domain,
            "taskList": {"name": self.task_list},
            "identity": self.identity,
            "maximumPageSize": self.page_size,
        }
        if self.cache.size:
            params["startAtPreviousStartedEvent"] = True
        response = self.swf.call("PollForDecisionTask", **params)
        return self.read_task(response, params)

    def read_task(
        self, response: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> DecisionTask | None:
        """Turn a ``PollForDecisionTask`` answer into a :class:`DecisionTask`, fetching the
        remaining pages (or the whole history) as needed. ``params`` are the poll's parameters,
        reused for the next pages; ``None`` on an empty answer."""
        token = response.get("taskToken")
        if not token:
            return None
        execution = response["workflowExecution"]
        workflow_id, run_id = str(execution["workflowId"]), str(execution["runId"])
        wtype = response["workflowType"]
        started = int(response["startedEventId"])
        task_type = (str(wtype["name"]), str(wtype["version"]))
        builder = self.cache.take(run_id) or HistoryBuilder(workflow_id)
        try:
            try:
                self._feed_pages(builder, response, params)
            except SWFError:
                raise
            except BackendError:  # a gap: someone else decided in between
                self.replayer.forget(run_id)
                builder = HistoryBuilder(workflow_id)
                self._feed_full_history(builder, workflow_id, run_id)
            if builder.last_event_id < started:
                raise BackendError(
                    f"history of workflow {workflow_id!r} ends at event "
                    f"{builder.last_event_id}, before the decision task's startedEventId {started}"
                )
        except SWFError:
            raise
        except BackendError as exc:  # an unreadable history: fail the run, never loop on it
            return DecisionTask(str(token), workflow_id, run_id, task_type, started, [], exc)
        self.cache.put(run_id, builder)
        return DecisionTask(
            str(token), workflow_id, run_id, task_type, started, list(builder.events)
        )

    def _feed_pages(
        self, builder: HistoryBuilder, response: Mapping[str, Any], params: Mapping[str, Any] | None
    ) -> None:
        builder.feed(response.get("events", ()))
        token = response.get("nextPageToken")
        while token:
            if params is None:
                raise BackendError("a paged decision task needs the poll parameters")
            page = self.swf.call("PollForDecisionTask", **params, nextPageToken=token)
            builder.feed(page.get("events", ()))
            token = page.get("nextPageToken")

    def _feed_full_history(self, builder: HistoryBuilder, workflow_id: str, run_id: str) -> None:
        params: dict[str, Any] = {
            "domain": self.swf.domain,
            "execution": {"workflowId": workflow_id, "runId": run_id},
            "maximumPageSize": self.page_size,
        }
        while True:
            page = self.swf.call("GetWorkflowExecutionHistory", **params)
            builder.feed(page.get("events", ()))
            token = page.get("nextPageToken")
            if not token:
                return
            params["nextPageToken"] = token

    def forget(self, run_id: str) -> None:
        """Drop what is cached for ``run_id`` (the next task reads and replays it in full)."""
        self.cache.discard(run_id)
        self.replayer.forget(run_id)

    # -- deciding ----------------------------------------------------------------------------

    def decisions_for(self, task: DecisionTask) -> list[dict[str, Any]] | None:
        """The SWF decisions answering ``task``. An error from replay or from the limits
        check becomes a ``FailWorkflowExecution`` naming it (the run is never left stuck).
        ``None`` when an offload store stayed unavailable for ``outage_wait`` seconds: the
        task must not be answered (SWF times it out and schedules another)."""
        try:
            if task.error is not None:
                raise task.error
            decisions = self._decide(task)
            if decisions is None:
                return None
            if decisions and isinstance(decisions[-1], _CLOSING):
                self.cache.discard(task.run_id)
            swf_decisions = to_swf_all(decisions, workflow_id=task.workflow_id, workflow=task.what)
            size = sum(_size(d) for d in swf_decisions)
            if size > MAX_REQUEST:
                raise BackendError(
                    f"the decisions of {task.what} are {size:,} characters, over SWF's "
                    f"request limit of {MAX_REQUEST:,}; schedule fewer tasks per decision"
                )
            return swf_decisions
        except Exception as exc:  # replay or limits: fail the run, clearly, never loop
            log.exception("decision for %s failed", task.what)
            self.forget(task.run_id)
            return to_swf_all(
                [_failure(self.replayer, task, exc)],
                workflow_id=task.workflow_id,
                workflow=task.what,
            )

    def _decide(self, task: DecisionTask) -> Sequence[Decision] | None:
        """Replay, deciding again with backoff while a store is unavailable."""
        name, version = task.workflow_type
        failures, waited = 0, 0.0
        while True:
            try:
                return self.replayer.decide(name, version, task.run_id, task.history)
            except StoreOutage as exc:
                failures += 1
                delay = outage_delay(failures)
                if waited + delay > self.outage_wait:
                    log.warning(
                        "decision for %s left unanswered after %d tries over %.1f s, SWF will "
                        "time it out and schedule another: %s",
                        task.what,
                        failures,
                        waited,
                        exc,
                    )
                    return None
                log.info("decision for %s: %s; deciding again in %.1f s", task.what, exc, delay)
                time.sleep(delay)
                waited += delay

    def respond(self, task: DecisionTask, decisions: list[dict[str, Any]]) -> bool:
        """Send the decisions; False when SWF no longer knows the task (closed run, expired
        or duplicate token), which is logged, not raised."""
        try:
            self.swf.call("RespondDecisionTaskCompleted", taskToken=task.token, decisions=decisions)
        except SWFError as exc:
            if exc.code in ("UnknownResourceFault", "ValidationException"):
                log.warning("decision for %s dropped: %s", task.what, exc)
                self.forget(task.run_id)
                return False
            raise
        return True

    def poll_once(self) -> bool:
        """Poll, decide and respond once; True when a decision task was handled."""
        task = self.poll()
        if task is None:
            return False
        try:
            decisions = self.decisions_for(task)
            if decisions is None:  # a store outage: let SWF time the task out and retry it
                return True
            self.respond(task, decisions)
        except BaseException:
            self.forget(task.run_id)  # what the replayer thinks it sent never reached SWF
            raise
        log.info("decision for %s: %d decision(s)", task.what, len(decisions))
        return True

    def run(self, stop: threading.Event) -> None:
        """Handle decision tasks until ``stop`` is set. A task received after ``stop`` was set
        is still answered; SWF errors are logged and the loop goes on after a short pause."""
        poll_until(stop, self.poll_once, log, f"decider on {self.task_list!r}")


def _size(decision: Mapping[str, Any]) -> int:
    total = 64
    for attrs in decision.values():
        if isinstance(attrs, Mapping):
            total += sum(len(v) for v in attrs.values() if isinstance(v, str)) + 64 * len(attrs)
    return total


def _failure(replayer: Replayer, task: DecisionTask, exc: BaseException) -> Decision:
    name, version = task.workflow_type
    error = exc
    if not isinstance(exc, FlowwireError):
        error = TaskError(f"{type(exc).__name__}: {exc}", type_name=type(exc).__name__)
    try:
        reason, details = replayer.serialize_error(name, version, error)
    except Exception:  # the transport itself failed: say so in plain text
        log.exception("cannot encode the failure of %s", task.what)
        reason, details = f"{type(exc).__name__} in the SWF decider", f"{task.what}: {exc}"
    if len(reason) > MAX_REASON or len(details) > MAX_DETAILS:  # say so instead of cutting
        reason = f"{type(exc).__name__} in the SWF decider"[:MAX_REASON]
        details = f"{task.what}: the failure is {len(details):,} characters (see decider log)"
    return FailWorkflow(reason=reason, details=details)
