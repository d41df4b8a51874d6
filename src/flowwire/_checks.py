"""The one place where task names, versions, task lists and timeouts are checked and normalised.

Every entry point that accepts them (the decorators, the proxies, the command-line targets, the
SWF starter and registration) calls these functions, so ``version=2`` and ``version="2"`` are the
same version everywhere. The rules are Amazon SWF's for ``RegisterActivityType`` /
``RegisterWorkflowType`` (names and task lists 1 to 256 characters, versions 1 to 64), applied on
every engine so that a workflow that runs locally also registers on SWF:

- no leading or trailing whitespace;
- no ``:`` (colon), ``/`` (slash), ``|`` (vertical bar) or control character
  (U+0000-U+001F, U+007F-U+009F);
- not the literal string ``arn``.

A version may be a ``str`` or an ``int`` >= 0; an int is the same version as its decimal string.
``bool``, ``float`` and every other type are refused.
"""

from __future__ import annotations

import re

from flowwire.errors import RegistrationError

__all__ = ["MAX_NAME", "MAX_VERSION", "check_name", "check_seconds", "check_version"]

MAX_NAME = 256
"""SWF's limit for type names and task list names, in characters."""
MAX_VERSION = 64
"""SWF's limit for type versions, in characters."""

_FORBIDDEN = re.compile(r"[:/|\x00-\x1f\x7f-\x9f]")


def _check_text(what: str, value: str, limit: int) -> str | None:
    """What is wrong with the string ``value`` under SWF's rules, or ``None``."""
    if not value:
        return f"{what} must not be empty"
    if len(value) > limit:
        return f"{what} is {len(value)} characters, over SWF's limit of {limit}"
    if value != value.strip():
        return f"{what} {value!r} starts or ends with whitespace, which SWF refuses"
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        return f"{what} {value!r} contains {bad.group()!r}, which SWF refuses (: / | and controls)"
    if value == "arn":
        return f"{what} must not be the literal string 'arn' (SWF refuses it)"
    return None


def check_version(value: object, where: str) -> str:
    """``value`` as a version string: an ``int`` >= 0 becomes its decimal string.

    Raises:
        RegistrationError: ``value`` is not a ``str`` or an ``int`` >= 0 (``bool`` and
            ``float`` are refused), or breaks SWF's rules; the message starts with ``where``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise RegistrationError(f"{where}: version must be a whole number >= 0, got {value}")
        value = str(value)
    if not isinstance(value, str):
        raise RegistrationError(
            f"{where}: version must be a string or a whole number >= 0, got {value!r} "
            f"({type(value).__name__})"
        )
    problem = _check_text("version", value, MAX_VERSION)
    if problem is not None:
        raise RegistrationError(f"{where}: {problem}")
    return value


def check_name(what: str, value: object, where: str) -> str:
    """``value`` as a name or task list (``what`` says which, for the message).

    Raises:
        RegistrationError: ``value`` is not a ``str`` or breaks SWF's rules; the message
            starts with ``where``.
    """
    if not isinstance(value, str):
        raise RegistrationError(
            f"{where}: {what} must be a non-empty string, got {value!r} ({type(value).__name__})"
        )
    problem = _check_text(what, value, MAX_NAME)
    if problem is not None:
        raise RegistrationError(f"{where}: {problem}")
    return value


def check_seconds(what: str, value: object, where: str, *, optional: bool = False) -> int | None:
    """``value`` as a timeout: a whole number of seconds > 0 (``None`` too when ``optional``).

    Raises:
        RegistrationError: anything else (``bool`` and ``float`` included); the message starts
            with ``where`` and names ``what`` and the value.
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RegistrationError(
            f"{where}: {what} must be a positive whole number of seconds, got {value!r}"
        )
    return value
