"""The converter caches, and compiling an annotation into them.

The caches must not keep alive what a long-lived worker builds and drops (classes, functions):
classes are held weakly (``classes``, a ``WeakTable``: an entry goes with its class, and
converters refer to their class through a weak reference; ``ArgumentTypes`` keeps its
per-function table the same way), other annotations (``list[Order]``, ``Order | None``,
``Literal[...]``: compared by value, so not weakly keyable) live in a bounded cache that drops
its oldest entry first (``hints``, at most ``HINTS_MAX``). A hit in either cache is one
dictionary lookup, which ``flowwire.transport.model._typing.compile_hint`` makes itself before it
calls ``compile_and_cache``.
"""

from __future__ import annotations

import threading
import types
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flowwire.transport.model._converters import Converter

__all__ = [
    "HINTS_MAX",
    "MISSING",
    "WeakTable",
    "classes",
    "compile_and_cache",
    "hints",
    "lock",
]

#: Most annotations that are not classes kept at once (oldest dropped first).
HINTS_MAX = 1024

hints: dict[Any, Converter | None] = {}  # other annotations, bounded
_compiling: dict[Any, Converter] = {}  # trampolines of the compile in progress
_added: list[Any] = []  # hints cached during the outermost compile in progress
lock = threading.RLock()  # also guards ArgumentTypes' bounded table
_ref = weakref.ref
_V = TypeVar("_V")


class WeakTable(Generic[_V]):
    """Values keyed by ``id(key)`` for keys that can be weakly referenced: an entry is removed
    by a weak reference callback when its key dies, which CPython runs before the key's memory
    (and so its id) can be reused. A hit is ``entries[id(key)]``, one dict lookup."""

    __slots__ = ("entries", "watchers")

    def __init__(self, entries: dict[int, _V] | None = None) -> None:
        self.entries: dict[int, _V] = {} if entries is None else entries
        self.watchers: dict[int, weakref.ref[Any]] = {}  # a callback runs only while its ref lives

    def store(self, key: Any, value: _V) -> None:
        """Raises TypeError if ``key`` cannot be weakly referenced."""
        ident = id(key)
        entries, watchers = self.entries, self.watchers

        def drop(_: object, ident: int = ident) -> None:
            entries.pop(ident, None)
            watchers.pop(ident, None)

        watchers[ident] = _ref(key, drop)
        entries[ident] = value

    def discard(self, key: Any) -> None:
        self.discard_id(id(key))

    def discard_id(self, ident: int) -> None:
        self.entries.pop(ident, None)
        self.watchers.pop(ident, None)


MISSING: Any = object()
# Converters of classes, held weakly (see WeakTable). A converter refers to its class through a
# weak reference too, or its entry would keep the class alive.
_class_table: WeakTable[Converter | None] = WeakTable()
classes = _class_table.entries


def _is_class(hint: Any) -> bool:
    return isinstance(hint, type) and not isinstance(hint, types.GenericAlias)


def _cached(hint: Any) -> Any:
    if _is_class(hint):
        return classes.get(id(hint), MISSING)
    return hints.get(hint, MISSING)


def _store(hint: Any, conv: Converter | None) -> None:
    if _is_class(hint):
        _class_table.store(hint, conv)
        return
    while len(hints) >= HINTS_MAX:
        del hints[next(iter(hints))]  # the oldest entry (dicts keep insertion order)
    hints[hint] = conv


def _uncache(hint: Any) -> None:
    if _is_class(hint):
        _class_table.discard(hint)
    else:
        hints.pop(hint, None)


def compile_and_cache(hint: Any, build: Callable[[Any], Converter | None]) -> Converter | None:
    """``build(hint)``, cached; a recursive reference to ``hint`` met while building it (a
    dataclass whose fields name itself) gets a trampoline to the converter being built. When
    ``build`` raises, the converters cached on the way are dropped again."""
    with lock:
        found = _cached(hint)
        if found is not MISSING:
            return found  # type: ignore[no-any-return]
        pending = _compiling.get(hint)
        if pending is not None:  # a recursive reference inside this thread's compile
            return pending
        # Recursive types (a dataclass whose fields name itself) resolve through this
        # trampoline, visible only to the compiling thread until the converter is complete.
        slot: list[Converter | None] = [None]

        def trampoline(value: Any, path: str) -> Any:
            conv = slot[0]
            return value if conv is None else conv(value, path)

        def fast_trampoline(value: Any) -> Any:
            conv = slot[0]
            if conv is None:
                return value
            fast = getattr(conv, "__flowwire_fast__", None)
            return conv(value, "$") if fast is None else fast(value)

        trampoline.__flowwire_fast__ = fast_trampoline  # type: ignore[attr-defined]

        outermost = not _compiling
        _compiling[hint] = trampoline
        try:
            conv = build(hint)
        except BaseException:
            if outermost:  # converters built on the way may refer to a failed trampoline
                for key in _added:
                    _uncache(key)
                _added.clear()
            raise
        finally:
            del _compiling[hint]
        slot[0] = conv
        _store(hint, conv)
        if outermost:
            _added.clear()
        else:
            _added.append(hint)
        return conv


def clear() -> None:
    """Drop every compiled converter (a type adapter or evolution rule was registered)."""
    from flowwire.transport.model import _typing

    with lock:
        hints.clear()
        for ident in list(classes):
            _class_table.discard_id(ident)
        _typing.clear_argument_types()
