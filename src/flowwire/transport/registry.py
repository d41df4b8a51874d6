"""Names for codecs, transports and stages, for string configuration.

Composition comes first (pass objects: ``transport=MsgpackTransport()``); this registry serves
``transport="msgpack"`` and the CLI. Names are unique: registering a name twice raises
:class:`~flowwire.errors.RegistrationError` (pass ``replace=True`` to override on purpose). An
unknown name raises :class:`~flowwire.errors.UnknownTransportError` with "did you mean".

Third-party codecs are found through the entry-point group ``flowwire.codecs``: each entry point
names a codec class (or a factory taking keyword options) and is registered under the entry
point's name the first time a name is looked up. A codec registered this way is also available
as a transport of the same name.
"""

from __future__ import annotations

import difflib
import threading
import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from flowwire.errors import ConfigurationError, RegistrationError, UnknownTransportError
from flowwire.transport._protocols import Codec, Stage, Transport

__all__ = [
    "ENTRY_POINT_GROUP",
    "available_codecs",
    "available_stages",
    "available_transports",
    "broken_codecs",
    "get_codec",
    "get_stage",
    "get_transport",
    "get_unconfigured_stage",
    "register_codec",
    "register_stage",
    "register_transport",
]

ENTRY_POINT_GROUP = "flowwire.codecs"

_codecs: dict[str, Callable[..., Codec]] = {}
_transports: dict[str, Callable[..., Transport]] = {}
_stages: dict[str, Callable[..., Stage]] = {}
_unconfigured_names: set[str] = set()
_unconfigured: dict[str, Stage] = {}
_broken: dict[str, tuple[str, Exception]] = {}  # entry points that failed to load
_lock = threading.Lock()
_state = {"builtins": False, "entry_points": False}


def _register(table: dict[str, Any], kind: str, name: str, factory: Any, replace: bool) -> None:
    if not isinstance(name, str) or not name:
        raise RegistrationError(f"{kind} name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise RegistrationError(f"{kind} {name!r}: factory must be callable, got {factory!r}")
    if name in table and not replace and table[name] is not factory:
        raise RegistrationError(
            f"{kind} {name!r} is already registered (by {table[name]!r}); "
            "pass replace=True to override it on purpose"
        )
    table[name] = factory


def register_codec(name: str, factory: Callable[..., Codec], *, replace: bool = False) -> None:
    """Register a codec class/factory under ``name`` (keyword options: ``max_depth``)."""
    _ensure_loaded()
    _register(_codecs, "codec", name, factory, replace)


def register_transport(
    name: str, factory: Callable[..., Transport], *, replace: bool = False
) -> None:
    """Register a transport class/factory under ``name``."""
    _ensure_loaded()
    _register(_transports, "transport", name, factory, replace)


def register_stage(
    name: str,
    factory: Callable[..., Stage],
    *,
    replace: bool = False,
    decodes_unconfigured: bool = False,
) -> None:
    """Register a stage class/factory. With ``decodes_unconfigured`` a default instance also
    undoes this stage on transports that did not configure it (e.g. decompression)."""
    _ensure_loaded()
    _register(_stages, "stage", name, factory, replace)
    _unconfigured.pop(name, None)
    if decodes_unconfigured:
        _unconfigured_names.add(name)
    else:
        _unconfigured_names.discard(name)


def _unknown(kind: str, name: str, known: Sequence[str]) -> UnknownTransportError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(sorted(known)) or "none"
    return UnknownTransportError(f"unknown {kind} {name!r}{hint} (registered: {listing})")


def get_codec(name: str, **options: Any) -> Codec:
    """A new codec instance by name."""
    _ensure_loaded()
    if name not in _codecs:
        _ensure_entry_points()
    try:
        factory = _codecs[name]
    except KeyError:
        if name in _broken:
            message, cause = _broken[name]
            raise ConfigurationError(message) from cause
        raise _unknown("codec", name, list(_codecs)) from None
    return factory(**options)


def broken_codecs() -> dict[str, str]:
    """Codec entry points that failed to load, with the reason (shown by ``flowwire
    transports``)."""
    _ensure_entry_points()
    return {name: message for name, (message, _) in _broken.items()}


def get_stage(name: str, **options: Any) -> Stage:
    """A new stage instance by name."""
    _ensure_loaded()
    try:
        factory = _stages[name]
    except KeyError:
        raise _unknown("stage", name, list(_stages)) from None
    return factory(**options)


def get_unconfigured_stage(name: str) -> Stage | None:
    """The default instance that undoes stage ``name`` without configuration, if any."""
    _ensure_loaded()
    if name not in _unconfigured_names:
        return None
    stage = _unconfigured.get(name)
    if stage is None:
        try:
            stage = _unconfigured[name] = _stages[name]()
        except ConfigurationError as exc:  # e.g. its optional dependency is not installed
            from flowwire.errors import DecodeError

            raise DecodeError(f"cannot undo stage {name!r} here: {exc}") from exc
    return stage


def get_transport(name: str, **options: Any) -> Transport:
    """A transport by name: ``"json"``, ``"msgpack"``, ``"protobuf"``, a registered name, or
    a codec name plus stages joined by ``+`` (``"msgpack+zstd"``). Options go to the
    transport's constructor (``stages=``, ``max_payload_chars=``, ...)."""
    _ensure_loaded()
    if not isinstance(name, str):
        raise ConfigurationError(f"transport name must be a string, got {name!r}")
    base, *stage_names = name.split("+")
    if stage_names:
        options = {**options, "stages": [*stage_names, *options.get("stages", ())]}
    factory = _transports.get(base)
    if factory is not None:
        return factory(**options)
    if base not in _codecs:
        _ensure_entry_points()
    if base in _codecs:
        from flowwire.transport._transport import CodecTransport

        max_depth = options.get("max_depth")
        codec = get_codec(base, **({} if max_depth is None else {"max_depth": max_depth}))
        return CodecTransport(codec, **options)
    if base in _broken:
        message, cause = _broken[base]
        raise ConfigurationError(message) from cause
    raise _unknown("transport", name, sorted(set(_transports) | set(_codecs)))


def available_transports() -> list[str]:
    _ensure_entry_points()
    return sorted(set(_transports) | set(_codecs))


def available_codecs() -> list[str]:
    _ensure_entry_points()
    return sorted(_codecs)


def available_stages() -> list[str]:
    _ensure_loaded()
    return sorted(_stages)


def _ensure_loaded() -> None:
    """Register the built-ins (cheap: factories import lazily)."""
    if _state["builtins"]:
        return
    with _lock:
        if not _state["builtins"]:
            _load_builtins()
            _state["builtins"] = True


def _ensure_entry_points() -> None:
    """Load third-party codecs. Called only when a name is not found or the names are listed,
    never at ``import flowwire``: a broken or clashing package must not break flowwire."""
    _ensure_loaded()
    if _state["entry_points"]:
        return
    with _lock:
        if not _state["entry_points"]:
            _state["entry_points"] = True
            _load_entry_points()


def _load_builtins() -> None:
    from flowwire.transport import builtins

    for name, codec, transport in builtins.CODECS:
        _codecs[name] = codec
        _transports[name] = transport
    for name, stage, unconfigured in builtins.STAGES:
        _stages[name] = stage
        if unconfigured:
            _unconfigured_names.add(name)


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _codecs:
            warnings.warn(
                f"codec entry point {ep.name!r} = {ep.value!r} is ignored: a codec is already "
                "registered under that name",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        try:
            factory = ep.load()
        except Exception as exc:
            # Keep the failure: every lookup of this name reports it, other names still work.
            _broken[ep.name] = (
                f"cannot load codec entry point {ep.name!r} = {ep.value!r}: {exc}",
                exc,
            )
            continue
        _codecs[ep.name] = factory
