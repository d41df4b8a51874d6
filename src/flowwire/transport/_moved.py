"""The old import paths of the transport modules that moved into ``codecs/`` and ``model/``.

``flowwire.transport.json``, ``.msgpack``, ``.protobuf``, ``.adapters`` and ``.evolution`` were
documented paths before the codecs and the value model got their own subpackages. They stay
importable: importing one gives the module at its new place (the same module object, so
patching through the old name patches the real module) and a :class:`DeprecationWarning`
naming the new path. No file is left at the old path, so nothing is imported until asked for.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

__all__ = ["MOVED", "install"]

#: old module name -> new module name
MOVED = {
    "flowwire.transport.json": "flowwire.transport.codecs.json",
    "flowwire.transport.msgpack": "flowwire.transport.codecs.msgpack",
    "flowwire.transport.protobuf": "flowwire.transport.codecs.protobuf",
    "flowwire.transport.adapters": "flowwire.transport.model.adapters",
    "flowwire.transport.evolution": "flowwire.transport.model.evolution",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old name of :data:`MOVED` and loads it as the module at its new name."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there (its public names are also in "
            "flowwire.transport and flowwire)",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        spec.loader_state = module.__spec__  # put back by exec_module (the import overwrites it)
        return module

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        if spec is not None and isinstance(spec.loader_state, importlib.machinery.ModuleSpec):
            module.__spec__ = spec.loader_state


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
