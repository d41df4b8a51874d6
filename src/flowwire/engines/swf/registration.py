"""Registering the domain, workflow types and activity types with Amazon SWF.

Registration is idempotent: ``DomainAlreadyExistsFault`` and ``TypeAlreadyExistsFault`` are
success. SWF types are immutable, though, so when a type already exists the engine describes it
and compares the registered defaults with the ones the decorator declares; a difference is a
:class:`~flowwire.errors.RegistrationError` that lists every differing default (or a warning,
with ``on_conflict="warn"``), because SWF would silently keep using the old defaults.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from flowwire._checks import check_name, check_version
from flowwire.engines.swf.client import SWF, SWFError
from flowwire.errors import ConfigurationError, RegistrationError

__all__ = [
    "ActivityTypeSpec",
    "WorkflowTypeSpec",
    "register_activity_type",
    "register_all",
    "register_domain",
    "register_workflow_type",
    "timeout_value",
]

OnConflict = Literal["raise", "warn"]


def timeout_value(seconds: int | None) -> str:
    """SWF's spelling of a timeout: whole seconds as a string, ``"NONE"`` for no limit."""
    if seconds is None:
        return "NONE"
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ConfigurationError(f"a timeout must be whole seconds >= 0 or None, not {seconds!r}")
    return str(seconds)


@dataclass(frozen=True, slots=True)
class ActivityTypeSpec:
    """An activity type as SWF registers it; timeouts in seconds, ``None`` = no limit."""

    name: str
    version: str
    task_list: str
    heartbeat: int | None = None
    schedule_to_close: int | None = 420
    schedule_to_start: int | None = 120
    start_to_close: int | None = 300
    description: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "activity")

    def defaults(self) -> dict[str, str]:
        """The ``default*`` fields, exactly as DescribeActivityType reports them."""
        return {
            "defaultTaskList": self.task_list,
            "defaultTaskHeartbeatTimeout": timeout_value(self.heartbeat),
            "defaultTaskScheduleToCloseTimeout": timeout_value(self.schedule_to_close),
            "defaultTaskScheduleToStartTimeout": timeout_value(self.schedule_to_start),
            "defaultTaskStartToCloseTimeout": timeout_value(self.start_to_close),
        }


@dataclass(frozen=True, slots=True)
class WorkflowTypeSpec:
    """A workflow type as SWF registers it; durations in seconds."""

    name: str
    version: str
    task_list: str
    workflow_duration: int = 3600
    decision_duration: int = 60
    child_policy: str = "TERMINATE"
    description: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "workflow")

    def defaults(self) -> dict[str, str]:
        """The ``default*`` fields, exactly as DescribeWorkflowType reports them."""
        return {
            "defaultTaskList": self.task_list,
            "defaultExecutionStartToCloseTimeout": timeout_value(self.workflow_duration),
            "defaultTaskStartToCloseTimeout": timeout_value(self.decision_duration),
            "defaultChildPolicy": self.child_policy,
        }


def _normalise(spec: ActivityTypeSpec | WorkflowTypeSpec, kind: str) -> None:
    """Check the name and task list and normalise the version (``2`` is ``"2"``), as the
    decorators do. Raises :class:`RegistrationError` naming the spec and the value."""
    where = f"{kind} type spec {spec.name!r}"
    object.__setattr__(spec, "name", check_name("name", spec.name, where))
    object.__setattr__(spec, "version", check_version(spec.version, where))
    object.__setattr__(spec, "task_list", check_name("task_list", spec.task_list, where))


def register_domain(swf: SWF, *, retention_days: int = 1, description: str | None = None) -> bool:
    """Register ``swf.domain``; return True if it was created, False if it already existed.

    Raises :class:`~flowwire.engines.swf.client.SWFError` for any other refusal.
    """
    params: dict[str, object] = {
        "name": swf.domain,
        "workflowExecutionRetentionPeriodInDays": str(retention_days),
    }
    if description:
        params["description"] = description
    try:
        swf.call("RegisterDomain", **params)
    except SWFError as exc:
        if exc.code == "DomainAlreadyExistsFault":
            return False
        raise
    return True


def _request(defaults: dict[str, str]) -> dict[str, object]:
    return {
        key: ({"name": value} if key == "defaultTaskList" else value)
        for key, value in defaults.items()
    }


def _registered(configuration: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in configuration.items():
        if isinstance(value, dict):  # defaultTaskList: {"name": ...}
            value = value.get("name")
        if value is not None:
            out[key] = str(value)
    return out


def _report(kind: str, name: str, version: str, diff: list[str], on_conflict: OnConflict) -> None:
    message = (
        f"{kind} type {name!r} v{version} is already registered in SWF with other defaults: "
        + "; ".join(diff)
        + ". SWF types are immutable: register a new version (or deprecate the old type)"
    )
    if on_conflict == "warn":
        warnings.warn(message, stacklevel=3)
    else:
        raise RegistrationError(message)


def _compare(wanted: dict[str, str], registered: dict[str, str]) -> list[str]:
    return [
        f"{key} registered {registered.get(key, '(unset)')!r}, declared {value!r}"
        for key, value in wanted.items()
        if registered.get(key, "NONE" if value == "NONE" else None) != value
    ]


def register_activity_type(
    swf: SWF, spec: ActivityTypeSpec, *, on_conflict: OnConflict = "raise"
) -> bool:
    """Register an activity type; return True if created, False if it already existed with
    the same defaults. An existing type with other defaults raises
    :class:`RegistrationError` listing the differences (``on_conflict="warn"``: a warning).
    """
    return _register_type(swf, "activity", spec, on_conflict)


def register_workflow_type(
    swf: SWF, spec: WorkflowTypeSpec, *, on_conflict: OnConflict = "raise"
) -> bool:
    """Register a workflow type; same contract as :func:`register_activity_type`."""
    return _register_type(swf, "workflow", spec, on_conflict)


def _register_type(
    swf: SWF,
    kind: Literal["activity", "workflow"],
    spec: ActivityTypeSpec | WorkflowTypeSpec,
    on_conflict: OnConflict,
) -> bool:
    noun = kind.capitalize()  # SWF's operations: RegisterActivityType, DescribeWorkflowType...
    params = _request(spec.defaults())
    if spec.description:
        params["description"] = spec.description
    try:
        swf.call(
            f"Register{noun}Type",
            domain=swf.domain,
            name=spec.name,
            version=spec.version,
            **params,
        )
    except SWFError as exc:
        if exc.code != "TypeAlreadyExistsFault":
            raise
    else:
        return True
    described = swf.call(
        f"Describe{noun}Type",
        domain=swf.domain,
        **{f"{kind}Type": {"name": spec.name, "version": spec.version}},
    )
    diff = _compare(spec.defaults(), _registered(described.get("configuration", {})))
    if diff:
        _report(kind, spec.name, spec.version, diff, on_conflict)
    return False


def register_all(
    swf: SWF,
    specs: Iterable[ActivityTypeSpec | WorkflowTypeSpec],
    *,
    domain: bool = True,
    retention_days: int = 1,
    on_conflict: OnConflict = "raise",
) -> list[tuple[ActivityTypeSpec | WorkflowTypeSpec, bool]]:
    """Register the domain (when ``domain``, keeping closed executions ``retention_days``
    days) and every spec; return ``(spec, created)`` pairs. Stops at the first conflict or SWF
    error (raised as documented above)."""
    if domain:
        register_domain(swf, retention_days=retention_days)
    done: list[tuple[ActivityTypeSpec | WorkflowTypeSpec, bool]] = []
    for spec in specs:
        if isinstance(spec, ActivityTypeSpec):
            done.append((spec, register_activity_type(swf, spec, on_conflict=on_conflict)))
        else:
            done.append((spec, register_workflow_type(swf, spec, on_conflict=on_conflict)))
    return done
