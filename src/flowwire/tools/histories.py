"""Engine-neutral executions and histories, and how the command line prints them.

An engine's history source provides :class:`ExecutionSummary` objects (``flowwire swf
executions``; the durable local engine's ``flowwire executions --db``) and, for one run,
:class:`HistoryEntry` objects with the payloads already decoded by the task types'
transports (``flowwire swf history``; ``flowwire history --db``). The printers here give every
engine the same text and the same ``--json`` form:

* :func:`format_executions` / :func:`executions_json`: one line (one object) per execution:
  workflow id, run id, type, status, start and close times, duration;
* :func:`format_history` / :func:`history_json`: the run's summary, then one line (one
  object) per event: its id, the time since the start, the event type, the call key and task,
  and the decoded ``input``/``result``/``details``, or the ``error`` (type, message, and with
  ``traceback=True`` the remote traceback). Values print as :mod:`flowwire.tools.jsonview`
  JSON. Bookkeeping events (decision tasks, markers) are left out of the text unless
  ``everything=True``; the JSON always has every event.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flowwire.tools.jsonview import to_json

__all__ = [
    "ExecutionSummary",
    "HistoryEntry",
    "executions_json",
    "format_executions",
    "format_history",
    "history_json",
    "iso",
]

#: Events that only record the engine's own bookkeeping.
BOOKKEEPING = ("DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted", "Marker")


@dataclass(frozen=True)
class ExecutionSummary:
    """One execution (one run); times in seconds since the epoch, ``closed`` ``None`` while
    it is open. ``status``: ``OPEN``, ``COMPLETED``, ``FAILED``, ``TIMED_OUT``, ..."""

    workflow_id: str
    run_id: str
    workflow: str
    status: str
    started: float
    closed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        took = None if self.closed is None else round(self.closed - self.started, 3)
        return {
            "workflowId": self.workflow_id,
            "runId": self.run_id,
            "workflow": self.workflow,
            "status": self.status,
            "started": iso(self.started),
            "closed": None if self.closed is None else iso(self.closed),
            "seconds": took,
        }


@dataclass
class HistoryEntry:
    """One event of a history, its payloads decoded (``problems`` says why one could not be)."""

    event_id: int
    time: float
    event: str
    key: str = ""
    task: str = ""
    payloads: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self, origin: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "eventId": self.event_id,
            "time": iso(self.time),
            "offset": round(self.time - origin, 3),
            "event": self.event,
        }
        if self.key:
            out["key"] = self.key
        if self.task:
            out["task"] = self.task
        for name, value in self.payloads.items():
            if name in self.problems:
                out[name] = {"$unreadable": self.problems[name]}
            else:
                out[name] = json.loads(to_json(value))
        if self.error is not None:
            out["error"] = self.error
        out.update(self.notes)
        return out


def iso(seconds: float) -> str:
    """ISO 8601 UTC text with milliseconds, such as ``2026-12-02T03:20:01.123Z``."""
    moment = _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(summary: ExecutionSummary) -> str:
    if summary.closed is None:
        return "open"
    return f"{summary.closed - summary.started:.3f} s"


def format_executions(summaries: Sequence[ExecutionSummary]) -> str:
    """A table of executions, one per line, under a header."""
    header = ("WORKFLOW ID", "RUN ID", "TYPE", "STATUS", "STARTED (UTC)", "TOOK")
    rows = [header] + [
        (s.workflow_id, s.run_id, s.workflow, s.status, iso(s.started), _duration(s))
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in rows
    )


def executions_json(summaries: Sequence[ExecutionSummary]) -> str:
    """The executions as one JSON array."""
    return json.dumps([s.to_dict() for s in summaries], ensure_ascii=False)


def format_history(
    summary: ExecutionSummary,
    entries: Sequence[HistoryEntry],
    *,
    everything: bool = False,
    traceback: bool = False,
) -> str:
    """The run's summary line, then one line per event (see the module docstring)."""
    title = [
        summary.workflow,
        summary.workflow_id,
        f"run {summary.run_id}" if summary.run_id else "",
        summary.status,
        f"started {iso(summary.started)}",
        f"took {_duration(summary)}",
    ]
    lines = ["  ".join(part for part in title if part)]
    for entry in entries:
        if not everything and entry.event in BOOKKEEPING:
            continue
        where = "  ".join(part for part in (entry.key, entry.task) if part)
        head = f"{entry.event_id:>5}  +{entry.time - summary.started:8.3f}s  {entry.event}"
        lines.append(f"{head}  {where}".rstrip())
        for name, value in entry.payloads.items():
            text = entry.problems.get(name) or to_json(value)
            prefix = "unreadable " if name in entry.problems else ""
            lines.append(f"{'':18}{name}: {prefix}{text}")
        if entry.error is not None:
            kind = entry.error.get("type")
            message = entry.error.get("message", "")
            lines.append(f"{'':18}error: {kind}: {message}" if kind else f"{'':18}error: {message}")
            if traceback and entry.error.get("traceback"):
                lines += [f"{'':20}{line}" for line in entry.error["traceback"].splitlines()]
        for name, value in entry.notes.items():
            lines.append(f"{'':18}{name}: {value}")
    return "\n".join(lines)


def history_json(summary: ExecutionSummary, entries: Sequence[HistoryEntry]) -> str:
    """The run's summary and every event as one JSON object."""
    document = {
        "execution": summary.to_dict(),
        "events": [e.to_dict(summary.started) for e in entries],
    }
    return json.dumps(document, ensure_ascii=False)
