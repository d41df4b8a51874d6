"""The shipped adapter of attrs classes (extra ``attrs``), loaded the first time an attrs
class is met.

An instance travels as an object of its attributes by name; each is rebuilt from its
annotation and passed to ``__init__`` under its init alias (so private attributes such as
``_secret``, taken as ``secret=``, work), which runs the class's converters and validators.
Attributes with ``init=False`` are set on the instance afterwards.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import attr

from flowwire.errors import ConfigurationError
from flowwire.transport.model.adapters import MISSING, RecordAdapter, RecordField

__all__ = ["ADAPTER", "AttrsAdapter"]


class AttrsAdapter(RecordAdapter):
    """Classes made with ``attrs.define`` / ``attr.s``."""

    name = "attrs"

    def matches(self, cls: type) -> bool:
        return attr.has(cls)

    def fields(self, cls: type) -> Sequence[RecordField]:
        try:
            hints = typing.get_type_hints(cls)
        except Exception as exc:
            raise ConfigurationError(
                f"cannot resolve the annotations of {cls.__qualname__}: {exc}"
            ) from exc
        out = []
        for a in attr.fields(cls):
            default: Any = MISSING
            factory = None
            if isinstance(a.default, attr.Factory):  # type: ignore[arg-type]
                factory = a.default.factory
            elif a.default is not attr.NOTHING:
                default = a.default
            if not a.init and default is MISSING and factory is None:
                factory = dict  # never called: marks the attribute as optional on the wire
            alias = getattr(a, "alias", None) or a.name.lstrip("_")
            out.append(
                RecordField(
                    a.name,
                    hints.get(a.name, Any),
                    default=default,
                    factory=factory,
                    arg=alias if a.init else None,
                )
            )
        return out


ADAPTER = AttrsAdapter()
