"""Discovery and registration of decorated task classes.

``scan`` finds the classes decorated with ``flowwire.activity`` or
``flowwire.workflow`` in modules and packages (walking sub-modules), skipping ignored
module names; a ``Registry`` maps ``(kind, name, version)`` to classes and refuses
duplicates. Engines look task types up in a registry when they execute decisions.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType

from flowwire.errors import RegistrationError
from flowwire.task import Activity, ActivityMeta, Workflow, WorkflowMeta, meta_of
from flowwire.tasktype import TaskTypes, type_of

__all__ = ["Registry", "scan"]

Target = ModuleType | str | type


def _ignored(module_name: str, ignore: Iterable[str]) -> bool:
    return any(
        module_name == pattern
        or module_name.startswith(pattern + ".")
        or fnmatch.fnmatchcase(module_name, pattern)
        for pattern in ignore
    )


def _modules(target: ModuleType | str, ignore: tuple[str, ...]) -> Iterator[ModuleType]:
    module = importlib.import_module(target) if isinstance(target, str) else target
    if _ignored(module.__name__, ignore):
        return
    yield module
    path = getattr(module, "__path__", None)
    if path is None:
        return
    for info in pkgutil.walk_packages(path, prefix=module.__name__ + "."):
        if not _ignored(info.name, ignore):
            yield importlib.import_module(info.name)


def scan(*targets: Target, ignore: Iterable[str] = ()) -> list[type]:
    """Return the decorated task classes found in ``targets``, in discovery order.

    A target is a module, a module or package name (packages are walked recursively), or a
    class (taken as is). ``ignore`` holds module names (a name also ignores its sub-modules)
    or ``fnmatch`` patterns such as ``"*.tests"``. Only classes defined in a module are taken
    from it (imported names are found in their own module).

    Raises:
        RegistrationError: a class target without task metadata.
        ImportError: a module cannot be imported.
    """
    ignored = tuple(ignore)
    found: dict[int, type] = {}
    for target in targets:
        if isinstance(target, type):
            if meta_of(target) is None:
                raise RegistrationError(
                    f"{target.__qualname__} has no task metadata: decorate it with "
                    "@activity(...) or @workflow(...)"
                )
            found.setdefault(id(target), target)
            continue
        for module in _modules(target, ignored):
            for value in list(vars(module).values()):
                if (
                    isinstance(value, type)
                    and value.__module__ == module.__name__
                    and meta_of(value) is not None
                ):
                    found.setdefault(id(value), value)
    return list(found.values())


class Registry(TaskTypes):
    """Task classes by ``(kind, name, version)``; ``kind`` is ``"activity"`` or ``"workflow"``.

    The engines' one registry (:class:`flowwire.tasktype.TaskTypes`), with lookups by class.
    """

    def register(self, cls: object) -> None:
        """Add a decorated class; registering the same class twice is a no-op.

        Raises:
            RegistrationError: not a class, no metadata, or another class already has the
                same kind, name and version.
        """
        if not isinstance(cls, type):
            raise RegistrationError(f"only task classes can be registered, got {cls!r}")
        if type_of(cls) is None or not issubclass(cls, Activity | Workflow):
            raise RegistrationError(
                f"{cls.__module__}.{cls.__qualname__} has no task metadata: decorate it with "
                "@activity(...) or @workflow(...)"
            )
        self.add(cls)

    def activity(self, name: str, version: str) -> type[Activity] | None:
        found = self.get("activity", name, version)
        return None if found is None else found.cls

    def workflow(self, name: str, version: str) -> type[Workflow] | None:
        found = self.get("workflow", name, version)
        return None if found is None else found.cls

    def metadata(self) -> list[ActivityMeta | WorkflowMeta]:
        return [t.meta for t in self]
