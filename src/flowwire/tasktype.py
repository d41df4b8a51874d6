"""Task types: everything about a decorated task class, resolved once.

``@activity`` and ``@workflow`` build one :class:`TaskType` per class when the class is
decorated: its kind, name, version, registered defaults (the decorator's metadata), the
transport it declared, and (on first use, because annotations may name classes defined later in
the module) its ``run`` signature, argument types and return hint. Proxies, the replay
``Execution``, activity execution, both engines and every starter read the task type; nothing
else derives any of this again.

A :class:`TaskRegistry` maps ``(kind, name, version)`` to task types. It is the one task
registry: the local engine's, the SWF engine's (:class:`flowwire.engines.swf.TaskRegistry`, a
subclass that adds the SWF registration specs and the engine's transport rule) and the one
:func:`flowwire.scanner.find_type` builds. It refuses a second class for a taken type and
answers an unknown type with the registered names of that kind. ``TaskTypes`` (and
``flowwire.scanner.Registry``) are deprecated aliases of it that warn when read.

This module imports no engine and no user code.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowwire.errors import ConfigurationError, RegistrationError

if TYPE_CHECKING:
    from flowwire.task import Activity, ActivityMeta, Workflow, WorkflowMeta
    from flowwire.transport import Transport

__all__ = [
    "TaskRegistry",
    "TaskType",
    "check_binding",
    "run_signature",
    "type_of",
]

_UNSET: Any = object()
_LISTED = 20  # registered types named in a "not registered" message


class TaskType:
    """One decorated task class, as every layer below the user's code sees it.

    Attributes:
        kind: ``"activity"`` or ``"workflow"``.
        name, version: the type's identity (strings).
        cls: the decorated class.
        meta: the decorator's metadata (task list and default timeouts, whole seconds).
        declared: the transport the class chose (decorator or class attribute), or ``None``
            when it chose none and takes its engine's default.
    """

    __slots__ = ("_return_hint", "_signature", "cls", "declared", "kind", "meta", "name", "version")

    def __init__(
        self, cls: type, meta: ActivityMeta | WorkflowMeta, declared: Transport | None
    ) -> None:
        self.cls: type[Any] = cls
        self.meta = meta
        self.kind: str = meta.kind
        self.name: str = meta.name
        self.version: str = meta.version
        self.declared = declared
        self._signature: Any = _UNSET
        self._return_hint: Any = _UNSET

    @property
    def key(self) -> tuple[str, str, str]:
        """``(kind, name, version)``."""
        return (self.kind, self.name, self.version)

    @property
    def task_list(self) -> str:
        return self.meta.task_list

    def describe(self) -> str:
        """``activity 'charge' v1``: how error messages name the type."""
        return f"{self.kind} {self.name!r} v{self.version}"

    def __repr__(self) -> str:
        return f"<TaskType {self.describe()} ({self.cls.__module__}.{self.cls.__qualname__})>"

    @property
    def run(self) -> Callable[..., Any]:
        """The class's ``run`` function (its annotations type the input)."""
        function: Callable[..., Any] = self.cls.run
        return function

    def return_hint(self) -> Any:
        """The return annotation of ``run`` (``Any`` when absent or unresolvable); resolved on
        first use and kept."""
        hint = self._return_hint
        if hint is _UNSET:
            try:
                hint = typing.get_type_hints(self.run).get("return", Any)
            except Exception:  # an unresolvable forward reference: decode without a type
                hint = Any
            self._return_hint = hint
        return hint

    def signature(self) -> inspect.Signature | None:
        """``run``'s signature without the instance, or ``None`` when it cannot be read."""
        signature = self._signature
        if signature is _UNSET:
            signature = self._signature = run_signature(self.cls)
        return typing.cast("inspect.Signature | None", signature)

    def bind_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        """Check that ``run`` accepts these arguments before a start sends them anywhere.

        Raises:
            ConfigurationError: they do not bind; the message names the task, its ``run``
                signature and the problem (the ``TypeError`` of ``bind`` is the ``__cause__``).
        """
        check_binding(self.signature(), args, kwargs, self.describe())


def check_binding(
    signature: inspect.Signature | None, args: Sequence[Any], kwargs: Mapping[str, Any], what: str
) -> None:
    """Raise :class:`ConfigurationError` naming ``what`` when ``signature`` (of a ``run``)
    does not take these arguments; ``None`` (no signature to read) takes anything."""
    if signature is None:
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        names = f" and keyword(s) {', '.join(sorted(kwargs))}" if kwargs else ""
        raise ConfigurationError(
            f"{what} takes run{signature}, got {len(args)} argument(s){names}: {exc}"
        ) from exc


def run_signature(cls: type) -> inspect.Signature | None:
    """``cls.run``'s signature without the instance (a classmethod's or staticmethod's as it is),
    or ``None`` when it cannot be read."""
    run = inspect.getattr_static(cls, "run", None)
    function = getattr(cls, "run", None)
    if function is None:
        return None
    try:
        try:
            signature = inspect.signature(function, eval_str=True)
        except Exception:  # an annotation that does not evaluate: show it as written
            signature = inspect.signature(function)
    except (TypeError, ValueError):  # no introspectable signature: the run decides
        return None
    if isinstance(run, staticmethod | classmethod):
        return signature  # a classmethod's ``cls`` is already bound
    params = list(signature.parameters.values())
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        signature = signature.replace(parameters=params[1:])  # the instance
    return signature


def type_of(cls: object) -> TaskType | None:
    """The task type ``cls`` itself was decorated with (not inherited), or ``None``."""
    if not isinstance(cls, type):
        return None
    found = cls.__dict__.get("__flowwire_type__")
    return found if isinstance(found, TaskType) else None


class TaskRegistry:
    """Task types by ``(kind, name, version)``: the registry every engine looks types up in;
    ``kind`` is ``"activity"`` or ``"workflow"``.

    Raises:
        RegistrationError: (``add``, ``register``) a class without task metadata, or a second
            class for a type that is taken (both are named).
    """

    def __init__(self, classes: Iterable[type | TaskType] = ()) -> None:
        self._types: dict[tuple[str, str, str], TaskType] = {}
        for cls in classes:
            self.add(cls)

    def add(self, cls: type | TaskType) -> TaskType:
        """Register a decorated class (or its task type); the same class twice is a no-op."""
        task_type = cls if isinstance(cls, TaskType) else type_of(cls)
        if task_type is None:
            where = f"{cls.__module__}.{cls.__qualname__}" if isinstance(cls, type) else repr(cls)
            raise RegistrationError(
                f"{where} has no task metadata: decorate it with @activity(...) or @workflow(...)"
            )
        other = self._types.get(task_type.key)
        if other is not None and other.cls is not task_type.cls:
            raise RegistrationError(
                f"duplicate {task_type.describe()}: {other.cls.__module__}."
                f"{other.cls.__qualname__} and {task_type.cls.__module__}."
                f"{task_type.cls.__qualname__}"
            )
        self._types[task_type.key] = task_type
        return task_type

    def register(self, cls: object) -> None:
        """Add a decorated class; registering the same class twice is a no-op.

        Raises:
            RegistrationError: not a class, no metadata, or another class already has the
                same kind, name and version.
        """
        if not isinstance(cls, type):
            raise RegistrationError(f"only task classes can be registered, got {cls!r}")
        self.add(cls)

    def get(self, kind: str, name: str, version: str) -> TaskType | None:
        return self._types.get((kind, name, version))

    def activity(self, name: str, version: str) -> type[Activity] | None:
        """The activity class registered as ``name`` ``version``, or ``None``."""
        found = self._types.get(("activity", name, version))
        return None if found is None else found.cls

    def workflow(self, name: str, version: str) -> type[Workflow] | None:
        """The workflow class registered as ``name`` ``version``, or ``None``."""
        found = self._types.get(("workflow", name, version))
        return None if found is None else found.cls

    def metadata(self) -> list[ActivityMeta | WorkflowMeta]:
        """The decorator metadata of every registered type, in registration order."""
        return [t.meta for t in self._types.values()]

    def has_name(self, kind: str, name: str) -> bool:
        """Whether some version of ``kind`` ``name`` is registered."""
        return any(k == kind and n == name for k, n, _ in self._types)

    def missing(self, kind: str, name: str, version: str) -> str:
        """Why ``kind`` ``(name, version)`` is not found: ``activity 'chrage' v1 is not
        registered; registered activities: 'charge' v1, 'ship' v1; did you mean 'charge' v1?``
        (the closest registered type of that kind, by name then version)."""
        noun = "activities" if kind == "activity" else "workflows"
        types = sorted((n, v) for k, n, v in self._types if k == kind)
        shown = [f"{n!r} v{v}" for n, v in types]
        listing = ", ".join(shown[:_LISTED]) if shown else "none"
        if len(shown) > _LISTED:
            listing += f" and {len(shown) - _LISTED} more"
        text = f"{kind} {name!r} v{version} is not registered; registered {noun}: {listing}"
        names = sorted({n for n, _ in types})
        close = [name] if name in names else difflib.get_close_matches(name, names, n=1)
        if close:
            versions = [v for n, v in types if n == close[0]]
            near = difflib.get_close_matches(version, versions, n=1, cutoff=0) or versions
            return f"{text}; did you mean {close[0]!r} v{near[0]}?"
        return text

    def of_kind(self, kind: str) -> list[TaskType]:
        return [t for t in self._types.values() if t.kind == kind]

    def __iter__(self) -> Iterator[TaskType]:
        return iter(list(self._types.values()))

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, cls: object) -> bool:
        return any(t.cls is cls or t is cls for t in self._types.values())


def __getattr__(name: str) -> Any:
    if name == "TaskTypes":  # the name until issue 18
        import warnings

        warnings.warn(
            "flowwire.tasktype.TaskTypes is deprecated, use flowwire.tasktype.TaskRegistry "
            "(the same class)",
            DeprecationWarning,
            stacklevel=2,
        )
        return TaskRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
