"""The shipped adapter of pydantic v2 models (extra ``pydantic``), loaded the first time a
model class is met.

A model travels as an object of its declared fields by field name (aliases are for the
constructor only); each field is rebuilt from its annotation, then the model is constructed
with ``cls(**fields)`` so its validators run. Private attributes and computed fields are not
carried (as in ``model_dump``); a model holding extra fields (``extra="allow"``) refuses to
encode rather than lose them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pydantic
from pydantic_core import PydanticUndefined

from flowwire.errors import EncodeError
from flowwire.transport.model.adapters import MISSING, RecordAdapter, RecordField

__all__ = ["ADAPTER", "PydanticAdapter"]


class PydanticAdapter(RecordAdapter):
    """pydantic v2 ``BaseModel`` subclasses."""

    name = "pydantic"

    def matches(self, cls: type) -> bool:
        return issubclass(cls, pydantic.BaseModel) and cls is not pydantic.BaseModel

    def fields(self, cls: type) -> Sequence[RecordField]:
        out = []
        for name, info in cls.model_fields.items():  # type: ignore[attr-defined]
            default = MISSING if info.default is PydanticUndefined else info.default
            out.append(
                RecordField(
                    name,
                    info.annotation,
                    default=default,
                    factory=info.default_factory,
                    arg=info.alias or name,
                )
            )
        return out

    def lowerer(self, cls: type) -> Callable[[Any], Any]:
        fields = super().lowerer(cls)

        def lower(value: Any) -> Any:
            extra = value.__pydantic_extra__
            if extra:
                raise EncodeError(
                    f"{cls.__qualname__} holds extra fields {', '.join(map(repr, extra))}, "
                    "which would be lost: declare them as fields"
                )
            return fields(value)

        return lower


ADAPTER = PydanticAdapter()
