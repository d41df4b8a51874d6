"""Discovery and registration of decorated task classes.

``scan`` finds the classes decorated with ``flowwire.activity`` or
``flowwire.workflow`` in modules and packages (walking sub-modules), skipping ignored
module names; :func:`find_type` finds the class a command-line target names. The classes found
go into a :class:`flowwire.tasktype.TaskRegistry`, the one task registry of every engine.
``Registry``, the name this module gave that registry until issue 18, is a deprecated alias of
it that warns when read.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from flowwire._checks import check_version
from flowwire.errors import RegistrationError
from flowwire.task import meta_of
from flowwire.tasktype import TaskRegistry

__all__ = ["find_type", "scan"]

Target = ModuleType | str | type


def _ignored(module_name: str, ignore: Iterable[str]) -> bool:
    """Whether ``module_name`` or one of the packages it is in matches an ignore pattern."""
    parts = module_name.split(".")
    prefixes = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) for pattern in ignore for prefix in prefixes)


def _modules(target: ModuleType | str, ignore: tuple[str, ...]) -> Iterator[ModuleType]:
    if isinstance(target, str):
        if _ignored(target, ignore):
            return
        target = importlib.import_module(target)
    if _ignored(target.__name__, ignore):
        return
    yield target
    path = getattr(target, "__path__", None)
    if path is None:
        return
    # not pkgutil.walk_packages: it imports every package to walk it, ignored ones too
    for info in pkgutil.iter_modules(path, prefix=target.__name__ + "."):
        if not _ignored(info.name, ignore):
            yield from _modules(importlib.import_module(info.name), ignore)


def scan(*targets: Target, ignore: Iterable[str] = ()) -> list[type]:
    """Return the decorated task classes found in ``targets``, in discovery order.

    A target is a module, a module or package name (packages are walked recursively), or a
    class (taken as is). ``ignore`` holds glob patterns (``fnmatch``, case-sensitive) matched
    against dotted module names: a module is skipped, and never imported, when its name or the
    name of a package it is in matches one, so ``"myapp.legacy"`` skips ``myapp.legacy`` and
    everything under it and ``"*.tests"`` skips ``myapp.tests`` and ``myapp.tests.fake``. Only
    classes defined in a module are taken from it (imported names are found in their own
    module).

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


def find_type(
    module: ModuleType | str, name: str, version: object, *, kind: str | None = None
) -> type:
    """The decorated class of ``module`` (a package is walked) registered as ``name`` and
    ``version`` (normalised as the decorators do: ``2`` and ``"2"`` are the same), of ``kind``
    (``"activity"``, ``"workflow"`` or either). This is what a command-line target
    ``module:name@version`` names.

    Raises:
        RegistrationError: a bad version, or no such class (the message lists the types of
            that kind the module has, with the closest one).
        ImportError: the module cannot be imported.
    """
    wanted = check_version(version, f"{name}@{version}")
    classes = scan(module)
    for cls in classes:
        meta = meta_of(cls)
        if meta is not None and (meta.name, meta.version, kind or meta.kind) == (
            name,
            wanted,
            meta.kind,
        ):
            return cls
    registry = TaskRegistry(classes)
    if kind is None:  # say what was meant: an activity if one has that name
        kind = "activity" if registry.has_name("activity", name) else "workflow"
    where = module if isinstance(module, str) else module.__name__
    raise RegistrationError(f"{where}: {registry.missing(kind, name, wanted)}")


def __getattr__(name: str) -> Any:
    if name == "Registry":  # the name until issue 18
        import warnings

        warnings.warn(
            "flowwire.scanner.Registry is deprecated, use flowwire.tasktype.TaskRegistry "
            "(the same class)",
            DeprecationWarning,
            stacklevel=2,
        )
        return TaskRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
