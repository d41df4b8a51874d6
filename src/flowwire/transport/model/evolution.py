"""Schema evolution: what a reader does with a record written by an older or newer writer.

The rules (the docs page "Schema evolution" shows a rolling deploy):

* **Added field with a default**: a payload without it (an older writer) gets the default.
  An added field *without* a default makes older payloads fail with "missing field": add
  fields with defaults.
* **Removed field** / a field the reader does not know (a newer writer): handled by the
  *unknown-field policy*: ``"refuse"`` (the default: :class:`~flowwire.DecodeError` naming the
  field), ``"ignore"`` (dropped), or ``"keep"`` (kept beside the instance, readable with
  :func:`unknown_fields`, and written again when the instance is encoded, so a value that
  passes through an older worker loses nothing).
* **Renamed field**: ``renamed={"old": "new"}`` lets a reader take the old name for the new
  field; a payload with both names is refused.
* **Enum member added**: a reader whose enum lacks the member refuses the value, unless the
  enum defines ``_missing_``, whose answer is used (when it is a member).

A policy is set per type with :func:`evolution` (as a class decorator) or per transport with
``unknown_fields=`` (``JSONTransport(unknown_fields="ignore")``); the type's wins. The policy
is the same in every codec: it applies to the decoded object of fields, whichever codec
carried it.
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError

__all__ = [
    "UNKNOWN_POLICIES",
    "Evolution",
    "evolution",
    "evolution_of",
    "unknown_fields",
    "unknown_policy",
]

#: The unknown-field policies.
UNKNOWN_POLICIES = ("refuse", "ignore", "keep")


@dataclass(frozen=True)
class Evolution:
    """The evolution settings of one record type (see :func:`evolution`)."""

    unknown: str | None = None
    renamed: Mapping[str, str] = field(default_factory=dict)


_NONE = Evolution()
_by_class: weakref.WeakKeyDictionary[type, Evolution] = weakref.WeakKeyDictionary()
#: The policy of the transport decoding right now (set only when it is not "refuse").
_policy: contextvars.ContextVar[str] = contextvars.ContextVar("flowwire_unknown", default="refuse")


def check_policy(policy: str, where: str) -> str:
    if policy not in UNKNOWN_POLICIES:
        raise ConfigurationError(
            f"{where}: unknown-field policy {policy!r} is not one of {', '.join(UNKNOWN_POLICIES)}"
        )
    return policy


def evolution(
    *, unknown: str | None = None, renamed: Mapping[str, str] | None = None
) -> Callable[[type[Any]], type[Any]]:
    """A class decorator setting a record type's evolution rules::

        @evolution(unknown="keep", renamed={"customer_name": "customer"})
        @dataclass
        class Order: ...

    ``unknown``: the unknown-field policy for this type (``None``: the transport's).
    ``renamed``: old field name -> current field name.

    Raises:
        ConfigurationError: for an unknown policy.
    """
    if unknown is not None:
        check_policy(unknown, "evolution(unknown=...)")
    settings = Evolution(unknown, dict(renamed or {}))

    def apply(cls: type[Any]) -> type[Any]:
        for old, new in settings.renamed.items():
            if old == new:
                raise ConfigurationError(f"{cls.__qualname__}: renamed {old!r} to itself")
        _by_class[cls] = settings
        from flowwire.transport.model import _hint_cache

        _hint_cache.clear()  # plans compiled before the decorator ran know no rules
        return cls

    return apply


def evolution_of(cls: type) -> Evolution:
    """The evolution settings of ``cls`` (the defaults when it has none)."""
    try:
        return _by_class.get(cls, _NONE)
    except TypeError:  # pragma: no cover - every class is weakly referable
        return _NONE


def unknown_policy() -> str:
    """The unknown-field policy in force for types that set none (the transport's)."""
    return _policy.get()


def set_policy(policy: str) -> contextvars.Token[str]:
    return _policy.set(policy)


def reset_policy(token: contextvars.Token[str]) -> None:
    _policy.reset(token)


# -- kept fields -----------------------------------------------------------------------------------

#: id(instance) -> its kept unknown fields; an entry goes with its instance.
kept: dict[int, dict[str, Any]] = {}
_kept_refs: dict[int, weakref.ref[Any]] = {}


def keep(obj: Any, extra: dict[str, Any], path: str) -> None:
    ident = id(obj)

    def drop(_: object, ident: int = ident) -> None:
        kept.pop(ident, None)
        _kept_refs.pop(ident, None)

    try:
        _kept_refs[ident] = weakref.ref(obj, drop)
    except TypeError:
        raise DecodeError(
            f"unknown field(s) {', '.join(map(repr, extra))} cannot be kept: instances of "
            f"{type(obj).__qualname__} take no weak references (use unknown='ignore', or "
            "give the class weak references)",
            path=path,
        ) from None
    kept[ident] = extra
    cls = type(obj)
    kept_classes.add(cls)
    for listener in _keep_listeners:  # the JSON writer: orjson's own would drop the fields
        listener(cls)


#: The classes whose instances have had unknown fields kept, and who wants to know of a new
#: one (a writer that must then write such instances field by field, see :func:`on_keep`).
kept_classes: weakref.WeakSet[type] = weakref.WeakSet()
_keep_listeners: list[Callable[[type], None]] = []


def on_keep(listener: Callable[[type], None]) -> None:
    """Call ``listener(cls)`` for every class whose instances carry kept unknown fields: at
    once for those met so far, then each time an instance gets kept fields."""
    _keep_listeners.append(listener)
    for cls in list(kept_classes):
        listener(cls)


def unknown_fields(obj: Any) -> dict[str, Any]:
    """The unknown fields kept for ``obj`` by the ``"keep"`` policy (a copy; empty if none)."""
    return dict(kept.get(id(obj), {})) if id(obj) in _kept_refs else {}
