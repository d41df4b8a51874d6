"""The shipped adapter of ``msgspec.Struct`` types (extra ``msgspec``), loaded the first time a
Struct class is met.

A Struct travels as an object of its fields by Python name (``rename=`` and ``array_like``
affect msgspec's own encoders only); each field is rebuilt from its annotation and passed to
the Struct's constructor. The ``"keep"`` unknown-field policy needs ``weakref=True`` on the
Struct.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from flowwire.transport.model.adapters import MISSING, RecordAdapter, RecordField

__all__ = ["ADAPTER", "MsgspecAdapter"]


class MsgspecAdapter(RecordAdapter):
    """``msgspec.Struct`` subclasses."""

    name = "msgspec"

    def matches(self, cls: type) -> bool:
        return issubclass(cls, msgspec.Struct) and cls is not msgspec.Struct

    def fields(self, cls: type) -> Sequence[RecordField]:
        out = []
        for f in msgspec.structs.fields(cls):
            default = MISSING if f.default is msgspec.NODEFAULT else f.default
            factory = None if f.default_factory is msgspec.NODEFAULT else f.default_factory
            out.append(RecordField(f.name, f.type, default=default, factory=factory))
        return out


ADAPTER = MsgspecAdapter()
