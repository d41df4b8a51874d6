"""Type adapters: how a type outside the base model lowers to model values and lifts back.

Every extended type of the value model enters through an adapter, the built-ins too
(``datetime``, ``Decimal``, enums, dataclasses, ...); pydantic v2 models, attrs classes and
``msgspec.Struct`` types have shipped adapters that load the first time such a class is met.
A user teaches the model a type in one call::

    register_adapter(TypeAdapter.of(Money, shape=tuple[Decimal, str],
                                    lower=lambda m: (m.amount, m.currency),
                                    lift=lambda v: Money(*v)))

The contract of an adapter:

* ``lower(value)`` returns a value of the model (base types, or other adapted types, which are
  lowered in turn) that the annotation ``shape(cls)`` describes. It is called on encode with
  the value itself; it must not lose anything, or the round trip is not exact.
* ``lift(cls, value)`` rebuilds an instance of ``cls`` from ``value``, already converted under
  ``shape(cls)`` (so a ``Decimal`` in the shape arrives as a ``Decimal`` whichever codec carried
  it). Whatever it raises becomes :class:`~flowwire.DecodeError` with the value's path.
* An adapter is chosen by the *annotation's* class on decode and by the *value's* class on
  encode, by exact type (``types``) or by predicate (``matches``); nothing in a payload names
  a type. Resolution order: the built-in scalar types and enums (which cannot be replaced),
  then user adapters (exact types first, then predicates, the latest registered first), then
  the shipped adapters, then dataclasses, named tuples, protobuf messages, TypedDicts and
  subclasses of base types.

:class:`RecordAdapter` is the adapter of a class made of named fields (dataclasses, attrs,
pydantic, msgspec): its fields are compiled one by one, and the schema-evolution rules of
:mod:`flowwire.transport.model.evolution` apply to it.

Register adapters at import time, before the first payload is encoded or decoded: registering
clears the compiled plans, which are then rebuilt.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.transport.model import _lowerers as _lowerer_cache

__all__ = [
    "MISSING",
    "RecordAdapter",
    "RecordField",
    "TypeAdapter",
    "adapter_for",
    "lowerer_for",
    "register_adapter",
    "unregister_adapter",
]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: "No default": a :class:`RecordField` without one is required.
MISSING: Any = _Missing()


class TypeAdapter:
    """How one family of classes lowers to model values and lifts back.

    Subclass it and set ``types`` (exact classes) or override ``matches`` (a predicate over
    classes), or build one with :meth:`of`. ``shape``, ``lower`` and ``lift`` are the contract
    (see the module docstring); the class attribute ``name`` is shown in error messages.
    """

    #: Classes this adapter handles exactly (subclasses are not included).
    types: tuple[type, ...] = ()
    name: str = "adapter"

    def matches(self, cls: type) -> bool:
        """True if this adapter handles ``cls`` (asked only for classes not in ``types``)."""
        return False

    def shape(self, cls: type) -> Any:
        """The annotation describing ``lower``'s result for instances of ``cls``."""
        raise NotImplementedError

    def lower(self, value: Any) -> Any:
        """``value`` as a model value described by ``shape(type(value))``."""
        raise NotImplementedError

    def lift(self, cls: type, value: Any) -> Any:
        """An instance of ``cls`` from ``value`` (already converted under ``shape(cls)``)."""
        raise NotImplementedError

    @classmethod
    def of(
        cls,
        target: type,
        *,
        shape: Any,
        lower: Callable[[Any], Any],
        lift: Callable[[Any], Any],
    ) -> TypeAdapter:
        """An adapter for exactly ``target``: ``lift`` takes the converted value only."""
        return _SimpleAdapter(target, shape, lower, lift)

    # -- the mechanism (what compiled plans call; rarely overridden) -----------------------

    def lowerer(self, cls: type) -> Callable[[Any], Any]:
        """The function that lowers instances of ``cls`` (cached per class by the caller)."""
        return self.lower

    def compile(self, cls: type, compile_hint: Callable[[Any], Any]) -> Any:
        """The checked converter ``(value, path) -> instance`` for annotations of ``cls``."""
        from flowwire.transport.model._converters import describe

        inner = compile_hint(self.shape(cls))
        ref = weakref.ref(cls)
        simple = isinstance(self, _SimpleAdapter)
        label = cls.__qualname__ if simple else f"{cls.__qualname__} ({self.name})"
        lift = self.lift

        def conv(value: Any, path: str) -> Any:
            target = ref()
            if target is None:
                raise DecodeError(f"class {label} no longer exists", path=path)
            if type(value) is target:
                return value
            if inner is not None:
                value = inner(value, path)
            try:
                return lift(target, value)
            except DecodeError as exc:
                raise DecodeError(exc.reason, path=exc.path or path) from exc
            except Exception as exc:
                raise DecodeError(
                    f"{label} could not be rebuilt from {describe(value)}: "
                    f"{type(exc).__name__}: {_short(exc)}",
                    path=path,
                ) from exc

        return conv


def _short(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a hostile __str__
        text = "?"
    return text if len(text) <= 200 else text[:197] + "..."


class _SimpleAdapter(TypeAdapter):
    def __init__(
        self,
        target: type,
        shape: Any,
        lower: Callable[[Any], Any],
        lift: Callable[[Any], Any],
    ) -> None:
        self.types = (target,)
        self.name = f"adapter of {target.__qualname__}"
        self._shape = shape
        self._lower = lower
        self._lift = lift

    def shape(self, cls: type) -> Any:
        return self._shape

    def lower(self, value: Any) -> Any:
        return self._lower(value)

    def lift(self, cls: type, value: Any) -> Any:
        return self._lift(value)


@dataclasses.dataclass(frozen=True)
class RecordField:
    """One field of a record class.

    ``hint``: its annotation. ``default`` / ``factory``: used when a payload lacks the field
    (neither: the field is required). ``arg``: the keyword of the constructor that takes it
    (``None``: the field is not a constructor argument and is set on the instance afterwards,
    like a dataclass field with ``init=False``).
    """

    name: str
    hint: Any = Any
    default: Any = MISSING
    factory: Callable[[], Any] | None = None
    arg: str | None = ""  # "" means: the field's name

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.factory is None

    @property
    def keyword(self) -> str | None:
        return self.name if self.arg == "" else self.arg


class RecordAdapter(TypeAdapter):
    """The adapter of classes made of named fields; payloads carry an object of the fields
    by name. Subclasses implement ``fields`` (and ``create`` if the constructor is not
    ``cls(**{field.keyword: value})``); ``lower`` reads the fields as attributes."""

    name = "record"

    def fields(self, cls: type) -> Sequence[RecordField]:
        raise NotImplementedError

    def create(self, cls: type, values: dict[str, Any]) -> Any:
        """An instance from the constructor arguments ``values`` (by keyword)."""
        return cls(**values)

    def shape(self, cls: type) -> Any:
        return dict[str, Any]

    def lower(self, value: Any) -> Any:
        return self.lowerer(type(value))(value)

    def lowerer(self, cls: type) -> Callable[[Any], Any]:
        from flowwire.transport.model._records import record_lowerer

        return record_lowerer(cls, self)

    def compile(self, cls: type, compile_hint: Callable[[Any], Any]) -> Any:
        from flowwire.transport.model._records import compile_record

        return compile_record(cls, self, compile_hint)


# -- the registry --------------------------------------------------------------------------------

_lock = threading.RLock()
_user_exact: dict[type, TypeAdapter] = {}
_user_predicates: list[TypeAdapter] = []
#: Built-ins: exact classes (datetime, ...) and the kinds asked in order (see the docstring).
_builtin_exact: dict[type, TypeAdapter] = {}
_builtin_first: list[TypeAdapter] = []  # enums: before user adapters (orjson writes them)
_builtin_last: list[TypeAdapter] = []  # shipped, dataclasses, ...: after user adapters
#: True once a user adapter exists: the JSON codec then lets no dataclass through orjson.
user_adapters = False
_resolved: dict[int, TypeAdapter | None] = {}  # by id(class), held weakly (below)
_watchers: dict[int, weakref.ref[Any]] = {}
_lowerers = _lowerer_cache.lowerers


def _add_builtin(adapter: TypeAdapter, *, first: bool = False) -> None:
    for cls in adapter.types:
        _builtin_exact[cls] = adapter
    if not adapter.types:
        (_builtin_first if first else _builtin_last).append(adapter)


def register_adapter(adapter: TypeAdapter) -> TypeAdapter:
    """Teach the value model the classes ``adapter`` handles; returns ``adapter``.

    Raises:
        ConfigurationError: if ``adapter`` claims a built-in type of the value model (``int``,
            ``datetime``, ``Decimal``, ...: codecs carry those natively), or an enum.
    """
    if not isinstance(adapter, TypeAdapter):
        raise ConfigurationError(f"register_adapter() takes a TypeAdapter, got {adapter!r}")
    from enum import Enum

    for cls in adapter.types:
        if not isinstance(cls, type):
            raise ConfigurationError(f"adapter {adapter.name!r}: {cls!r} is not a class")
        if cls in _builtin_exact or cls in _BASE or issubclass(cls, Enum):
            raise ConfigurationError(
                f"{cls.__qualname__} is a built-in type of the value model; its adapter "
                "cannot be replaced"
            )
    global user_adapters
    with _lock:
        for cls in adapter.types:
            _user_exact[cls] = adapter
        if not adapter.types:
            _user_predicates.insert(0, adapter)
        user_adapters = True
        _invalidate()
    return adapter


def unregister_adapter(adapter: TypeAdapter) -> None:
    """Undo :func:`register_adapter` (for tests; compiled plans are rebuilt)."""
    global user_adapters
    with _lock:
        for cls in adapter.types:
            if _user_exact.get(cls) is adapter:
                del _user_exact[cls]
        if adapter in _user_predicates:
            _user_predicates.remove(adapter)
        user_adapters = bool(_user_exact or _user_predicates)
        _invalidate()


def _invalidate() -> None:
    from flowwire.transport.model import _hint_cache

    _resolved.clear()
    _lowerers.clear()
    _watchers.clear()
    _hint_cache.clear()


_BASE = frozenset({type(None), bool, int, float, str, bytes, list, dict})


def _remember(cls: type) -> None:
    ident = id(cls)
    if ident in _watchers:
        return

    def drop(_: object, ident: int = ident) -> None:
        _resolved.pop(ident, None)
        _lowerers.pop(ident, None)
        _watchers.pop(ident, None)

    _watchers[ident] = weakref.ref(cls, drop)  # every class is weakly referable


def adapter_for(cls: type) -> TypeAdapter | None:
    """The adapter that handles ``cls`` (see the resolution order), or ``None``."""
    try:
        return _resolved[id(cls)]
    except KeyError:
        pass
    with _lock:
        found = _resolve(cls)
        _remember(cls)
        _resolved[id(cls)] = found
    return found


def _resolve(cls: type) -> TypeAdapter | None:
    found = _builtin_exact.get(cls)
    if found is not None:
        return found
    for adapter in _builtin_first:
        if adapter.matches(cls):
            return adapter
    found = _user_exact.get(cls)
    if found is not None:
        return found
    for adapter in (*_user_predicates, *_builtin_last):
        try:
            if adapter.matches(cls):
                return adapter.load() if isinstance(adapter, _Shipped) else adapter
        except Exception as exc:
            raise ConfigurationError(
                f"adapter {adapter.name!r}.matches({cls.__qualname__}) raised {exc!r:.200}"
            ) from exc
    return None


def lowerer_for(cls: type) -> Callable[[Any], Any] | None:
    """The lowering function for instances of ``cls`` (cached), or ``None``."""
    try:
        return _lowerers[id(cls)]
    except KeyError:
        pass
    adapter = adapter_for(cls)
    fn = None if adapter is None else adapter.lowerer(cls)
    with _lock:
        _remember(cls)
        _lowerers[id(cls)] = fn
    return fn


def lower_with_adapter(value: Any, path: str) -> Any:
    """Lower ``value`` one level through its class's adapter. Raises EncodeError (with
    ``path``) when no adapter takes it, or when its adapter fails."""
    cls = type(value)
    fn = lowerer_for(cls)
    if fn is None:
        raise EncodeError(
            f"a value of type {cls.__module__}.{cls.__qualname__} is not part of the value "
            "model (see the value-model page: use a dataclass, a protobuf message, base types, "
            "or register a type adapter)",
            path=path,
        )
    try:
        return fn(value)
    except EncodeError as exc:
        if exc.path == "$" and path != "$":
            raise EncodeError(exc.reason, path=path) from exc
        raise
    except Exception as exc:
        raise EncodeError(
            f"the adapter of {cls.__qualname__} failed to lower it: {type(exc).__name__}: "
            f"{_short(exc)}",
            path=path,
        ) from exc


class _Shipped(TypeAdapter):
    """A shipped adapter that loads ``flowwire.transport.<adapter_module>`` the first time a
    class of the library ``module`` is met (never importing the library itself): until the
    library is imported, no class of it can exist."""

    def __init__(self, module: str, adapter_module: str) -> None:
        self.name = module
        self._module = module
        self._adapter_module = adapter_module
        self._real: TypeAdapter | None = None

    def load(self) -> TypeAdapter:
        if self._real is None:
            from importlib import import_module

            module = import_module(f"flowwire.transport.model.{self._adapter_module}")
            self._real = module.ADAPTER
        assert self._real is not None
        return self._real

    def matches(self, cls: type) -> bool:
        return self._module in sys.modules and self.load().matches(cls)


def _install_builtins() -> None:
    from flowwire.transport.model import _builtin_adapters as b

    for adapter in b.SCALARS:
        _add_builtin(adapter)
    _add_builtin(b.ENUMS, first=True)
    _add_builtin(b.NAMED_TUPLES, first=True)
    for module, adapter_module in (
        ("pydantic", "_adapt_pydantic"),
        ("attr", "_adapt_attrs"),
        ("msgspec", "_adapt_msgspec"),
    ):
        _add_builtin(_Shipped(module, adapter_module))
    for adapter in b.KINDS:
        _add_builtin(adapter)


_install_builtins()
