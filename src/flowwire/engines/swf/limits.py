"""Amazon SWF's field limits, checked before anything is sent.

A transport already raises :class:`~flowwire.errors.PayloadTooLarge` (or offloads) when its
payload passes the limit it was given; this module is the engine's last check on every field it
sends, so that nothing reaches SWF that SWF would refuse or that would need truncating. Nothing
is ever truncated.
"""

from __future__ import annotations

from flowwire.errors import PayloadTooLarge

__all__ = [
    "MAX_DETAILS",
    "MAX_ID",
    "MAX_INPUT",
    "MAX_REASON",
    "MAX_RESULT",
    "check_field",
]

MAX_INPUT = 32_768
MAX_RESULT = 32_768
MAX_DETAILS = 32_768
MAX_REASON = 256
MAX_ID = 256
"""activityId, workflowId and timerId: at most 256 characters."""


def check_field(value: str | None, limit: int, what: str) -> None:
    """Raise :class:`PayloadTooLarge` naming ``what`` when ``value`` has more than ``limit``
    characters. ``what`` must name the field and the task, for example
    ``"result of activity 'resize' v1"``."""
    if value is not None and len(value) > limit:
        raise PayloadTooLarge(len(value), limit, what=what)
