"""The cache of lowering functions by class, which :func:`flowwire.transport.model._model.lower`
reads with one lookup. Filled and cleared by :mod:`flowwire.transport.model.adapters` (imported
only when a class is met for the first time, so that ``_model`` imports nothing it depends on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["lower_with_adapter", "lowerers"]

#: id(class) -> its lowering function (None: no adapter takes the class); entries go with
#: their class (see ``adapters._remember``).
lowerers: dict[int, Callable[[Any], Any] | None] = {}


def lower_with_adapter(value: Any, path: str) -> Any:
    from flowwire.transport.model import adapters

    return adapters.lower_with_adapter(value, path)
