"""Optional dependencies of :mod:`flowwire.testing`, loaded on first use.

``flowwire.testing`` must import (and its reference must build) without the ``testing`` extra:
``values_equal`` needs nothing, and the moto fixtures need moto, not hypothesis. A module
that is not installed is replaced by a :class:`MissingModule`, which raises
:class:`~flowwire.ConfigurationError` naming the extra the first time anything uses it.
"""

from __future__ import annotations

from typing import NoReturn

from flowwire.errors import ConfigurationError

__all__ = ["MissingModule"]


class MissingModule:
    """Stands in for ``module``; any attribute access raises ``ConfigurationError`` that names
    ``pip install 'flowwire[<extra>]'`` and the original import error."""

    def __init__(self, module: str, extra: str, error: ImportError) -> None:
        self._module = module
        self._extra = extra
        self._error = error

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):  # copy, pickle and inspect probe dunders: not a use
            raise AttributeError(name)
        raise ConfigurationError(
            f"flowwire.testing needs {self._module} for this ({self._module}.{name}): "
            f"pip install 'flowwire[{self._extra}]' ({self._error})"
        ) from self._error

    def __repr__(self) -> str:
        return f"<{self._module}: not installed, pip install 'flowwire[{self._extra}]'>"
