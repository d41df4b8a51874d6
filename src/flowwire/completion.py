"""The completion-client protocol: finishing activity tasks left open, on any engine.

An activity that raises :class:`flowwire.SuspendTask` leaves its task open; something else
later finishes it by the task's token (``Activity.token``). Both engines offer a client of this
shape (:class:`flowwire.LocalCompletionClient`, from ``LocalEngine.client()``, and
:class:`flowwire.engines.swf.AsyncCompletion`), with the same errors: a token that no open task
has (unknown, already finished, timed out) raises :class:`flowwire.UnknownTaskError`, a
``LookupError``; a result the transport cannot carry raises ``EncodeError``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["CompletionClient"]


@runtime_checkable
class CompletionClient(Protocol):
    """Finishes open activity tasks by token (see the module docstring)."""

    def complete(self, token: str, result: Any = None) -> None:
        """Complete the task with ``result``, encoded by the activity type's transport."""
        ...

    def fail(self, token: str, reason: str | BaseException) -> None:
        """Fail the task with an exception, or a message carried as a ``TaskError``."""
        ...

    def heartbeat(self, token: str, details: str | None = None) -> bool:
        """Record a heartbeat; ``False`` once the task is no longer open."""
        ...
