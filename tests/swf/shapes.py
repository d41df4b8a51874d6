"""Hand-built SWF-shaped histories and PollForDecisionTask answers, for what moto lacks
(child workflows, continue-as-new, start-to-close timeouts, paging)."""

from __future__ import annotations

from typing import Any


class SwfHistory:
    """Appends SWF history events with consecutive ids, shaped as real SWF sends them."""

    def __init__(self, workflow_id: str = "wf-1", run_id: str = "run-1") -> None:
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.events: list[dict[str, Any]] = []
        self.previous_started = 0
        self.scheduled: dict[str, int] = {}

    def add(self, event_type: str, **attrs: Any) -> int:
        event_id = len(self.events) + 1
        name = event_type[0].lower() + event_type[1:] + "EventAttributes"
        self.events.append(
            {
                "eventId": event_id,
                "eventTimestamp": 1468840287.0 + event_id,
                "eventType": event_type,
                name: attrs,
            }
        )
        return event_id

    def started(self, input: str, name: str = "wf", version: str = "1") -> SwfHistory:
        self.add(
            "WorkflowExecutionStarted",
            input=input,
            childPolicy="TERMINATE",
            executionStartToCloseTimeout="3600",
            taskStartToCloseTimeout="60",
            taskList={"name": "decisions"},
            workflowType={"name": name, "version": version},
            parentInitiatedEventId=0,
        )
        return self

    def decision(self) -> SwfHistory:
        """A decision task scheduled, started and completed."""
        scheduled = self.add(
            "DecisionTaskScheduled", startToCloseTimeout="60", taskList={"name": "decisions"}
        )
        started = self.add("DecisionTaskStarted", identity="x", scheduledEventId=scheduled)
        self.previous_started = started
        self.add("DecisionTaskCompleted", scheduledEventId=scheduled, startedEventId=started)
        return self

    def activity(
        self, key: str, name: str = "act", input: str = "[]", version: str = "1", **timeouts: str
    ) -> int:
        attrs = {
            "scheduleToCloseTimeout": "420",
            "scheduleToStartTimeout": "120",
            "startToCloseTimeout": "300",
            "heartbeatTimeout": "NONE",
            **timeouts,
        }
        event_id = self.add(
            "ActivityTaskScheduled",
            activityId=key,
            activityType={"name": name, "version": version},
            input=input,
            decisionTaskCompletedEventId=len(self.events),
            taskList={"name": "activities"},
            **attrs,
        )
        self.scheduled[key] = event_id
        return event_id

    def activity_schedule_failed(self, key: str, name: str, cause: str) -> None:
        self.add(
            "ScheduleActivityTaskFailed",
            activityId=key,
            activityType={"name": name, "version": "1"},
            cause=cause,
            decisionTaskCompletedEventId=len(self.events),
        )

    def activity_started(self, key: str) -> int:
        return self.add("ActivityTaskStarted", identity="w", scheduledEventId=self.scheduled[key])

    def activity_completed(self, key: str, result: str) -> None:
        started = self.activity_started(key)
        self.add(
            "ActivityTaskCompleted",
            result=result,
            scheduledEventId=self.scheduled[key],
            startedEventId=started,
        )

    def activity_failed(self, key: str, reason: str, details: str | None = None) -> None:
        started = self.activity_started(key)
        attrs: dict[str, Any] = {
            "reason": reason,
            "scheduledEventId": self.scheduled[key],
            "startedEventId": started,
        }
        if details is not None:
            attrs["details"] = details
        self.add("ActivityTaskFailed", **attrs)

    def activity_timed_out(self, key: str, timeout_type: str = "START_TO_CLOSE") -> None:
        started = self.activity_started(key)
        self.add(
            "ActivityTaskTimedOut",
            timeoutType=timeout_type,
            scheduledEventId=self.scheduled[key],
            startedEventId=started,
        )

    def child(
        self, workflow_id: str, name: str = "child", input: str = "[]", version: str = "1"
    ) -> int:
        event_id = self.add(
            "StartChildWorkflowExecutionInitiated",
            workflowId=workflow_id,
            workflowType={"name": name, "version": version},
            input=input,
            childPolicy="TERMINATE",
            decisionTaskCompletedEventId=len(self.events),
            taskList={"name": "decisions"},
            executionStartToCloseTimeout="3600",
            taskStartToCloseTimeout="60",
        )
        self.scheduled[workflow_id] = event_id
        return event_id

    def _child_execution(self, workflow_id: str) -> dict[str, Any]:
        return {"workflowId": workflow_id, "runId": "child-run"}

    def child_started(self, workflow_id: str) -> int:
        return self.add(
            "ChildWorkflowExecutionStarted",
            initiatedEventId=self.scheduled[workflow_id],
            workflowExecution=self._child_execution(workflow_id),
            workflowType={"name": "child", "version": "1"},
        )

    def child_completed(self, workflow_id: str, result: str) -> None:
        started = self.child_started(workflow_id)
        self.add(
            "ChildWorkflowExecutionCompleted",
            result=result,
            initiatedEventId=self.scheduled[workflow_id],
            startedEventId=started,
            workflowExecution=self._child_execution(workflow_id),
            workflowType={"name": "child", "version": "1"},
        )

    def child_failed(self, workflow_id: str, reason: str, details: str) -> None:
        started = self.child_started(workflow_id)
        self.add(
            "ChildWorkflowExecutionFailed",
            reason=reason,
            details=details,
            initiatedEventId=self.scheduled[workflow_id],
            startedEventId=started,
            workflowExecution=self._child_execution(workflow_id),
            workflowType={"name": "child", "version": "1"},
        )

    def child_timed_out(self, workflow_id: str) -> None:
        started = self.child_started(workflow_id)
        self.add(
            "ChildWorkflowExecutionTimedOut",
            timeoutType="START_TO_CLOSE",
            initiatedEventId=self.scheduled[workflow_id],
            startedEventId=started,
            workflowExecution=self._child_execution(workflow_id),
            workflowType={"name": "child", "version": "1"},
        )

    def child_start_failed(self, workflow_id: str, cause: str, name: str = "child") -> None:
        self.add(
            "StartChildWorkflowExecutionFailed",
            workflowId=workflow_id,
            cause=cause,
            workflowType={"name": name, "version": "1"},
            initiatedEventId=0,
            decisionTaskCompletedEventId=len(self.events),
        )

    def timer(self, timer_id: str, fired: bool = True) -> None:
        started = self.add(
            "TimerStarted",
            timerId=timer_id,
            startToFireTimeout="5",
            decisionTaskCompletedEventId=len(self.events),
        )
        if fired:
            self.add("TimerFired", timerId=timer_id, startedEventId=started)

    def poll_response(
        self,
        *,
        page_size: int = 1000,
        with_previous: bool = True,
        workflow_type: tuple[str, str] = ("wf", "1"),
    ) -> list[dict[str, Any]]:
        """PollForDecisionTask answers (pages) for a new decision task on this history."""
        scheduled = self.add(
            "DecisionTaskScheduled", startToCloseTimeout="60", taskList={"name": "decisions"}
        )
        started = self.add("DecisionTaskStarted", identity="x", scheduledEventId=scheduled)
        pages = []
        for start in range(0, len(self.events), page_size):
            page: dict[str, Any] = {
                "taskToken": f"token-{started}",
                "startedEventId": started,
                "workflowExecution": {"workflowId": self.workflow_id, "runId": self.run_id},
                "workflowType": {"name": workflow_type[0], "version": workflow_type[1]},
                "events": [dict(e) for e in self.events[start : start + page_size]],
            }
            if with_previous:
                page["previousStartedEventId"] = self.previous_started
            if start + page_size < len(self.events):
                page["nextPageToken"] = f"page-{start + page_size}"
            pages.append(page)
        self.previous_started = started
        self.add("DecisionTaskCompleted", scheduledEventId=scheduled, startedEventId=started)
        return pages
