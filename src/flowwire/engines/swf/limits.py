"""Amazon SWF's field limits, checked before anything is sent.

A transport already raises :class:`~flowwire.errors.PayloadTooLarge` (or offloads) when its
payload passes the limit it was given; this module is the engine's last check on every field it
sends, so that nothing reaches SWF that SWF would refuse or that would need truncating. Nothing
is ever truncated.
"""

from __future__ import annotations

import warnings

from flowwire.errors import PayloadTooLarge

__all__ = [
    "MAX_DETAILS",
    "MAX_ID",
    "MAX_INPUT",
    "MAX_REASON",
    "MAX_RESULT",
    "LatinArmorWarning",
    "check_field",
]

MAX_INPUT = 32_768
MAX_RESULT = 32_768
MAX_DETAILS = 32_768
MAX_REASON = 256
MAX_ID = 256
"""activityId, workflowId and timerId: at most 256 characters."""


_LATIN1_ENVELOPE = "FW\x01"  # a latin-1-armored envelope starts with its magic and version
_warned_latin1 = False


class LatinArmorWarning(UserWarning):
    """A payload sent to Amazon SWF uses the latin-1 armor (``armor="latin-1"``), whose control
    characters flowwire has not verified SWF to keep; use the default base64 armor there."""


def check_field(value: str | None, limit: int, what: str) -> None:
    """Raise :class:`PayloadTooLarge` naming ``what`` when ``value`` has more than ``limit``
    characters. ``what`` must name the field and the task, for example
    ``"result of activity 'resize' v1"``.

    Warns once per process with :class:`LatinArmorWarning` when a payload is latin-1-armored.
    """
    if value is None:
        return
    if len(value) > limit:
        raise PayloadTooLarge(len(value), limit, what=what)
    if value.startswith(_LATIN1_ENVELOPE):
        _warn_latin1(what)


def _warn_latin1(what: str) -> None:
    global _warned_latin1
    if _warned_latin1:
        return
    _warned_latin1 = True
    warnings.warn(
        f"the {what} is latin-1-armored (a transport built with armor='latin-1'); its control "
        "characters are not verified to survive Amazon SWF: give SWF transports the default "
        "base64 armor (this warning is shown once per process)",
        LatinArmorWarning,
        stacklevel=3,
    )
