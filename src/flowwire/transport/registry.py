"""Names for codecs, transports and stages, for string configuration.

Composition comes first (pass objects: ``transport=MsgpackTransport()``); this registry serves
``transport="msgpack"`` and the CLI. Names are unique: registering a name twice raises
:class:`~flowwire.errors.RegistrationError` (pass ``replace=True`` to override on purpose). An
unknown name raises :class:`~flowwire.errors.UnknownTransportError` with "did you mean".

Third-party codecs are found through the entry-point group ``flowwire.codecs``: each entry point
names a codec class (or a factory taking keyword options) and is registered under the entry
point's name the first time a name is looked up. A codec registered this way is also available
as a transport of the same name.

The built-in codecs are registered the way a plugin's are, from the list in
:mod:`flowwire.transport.codecs` (name, ``"module:attribute"`` of the codec, and of its
transport), through the same function :func:`register_codec` calls; a reference is imported
the first time it is used, so ``import flowwire`` loads no codec. This module imports no codec,
no stage and no transport: a transport is given :data:`DECODERS`, not the other way round.
"""

from __future__ import annotations

import difflib
import threading
import warnings
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from flowwire.errors import ConfigurationError, RegistrationError, UnknownTransportError
from flowwire.transport import codecs as _builtin
from flowwire.transport._protocols import Codec, CodecTraits, Stage, Transport, traits_of

__all__ = [
    "DECODERS",
    "ENTRY_POINT_GROUP",
    "available_codecs",
    "available_stages",
    "available_transports",
    "broken_codecs",
    "builtin_codecs",
    "codec_traits",
    "get_codec",
    "get_stage",
    "get_transport",
    "get_unconfigured_stage",
    "register_codec",
    "register_stage",
    "register_transport",
]

ENTRY_POINT_GROUP = "flowwire.codecs"
#: The transport of a codec registered without one (a plugin's): a codec and its stages.
GENERIC_TRANSPORT = "flowwire.transport._transport:CodecTransport"
#: The built-in stages: (name, ``"module:attribute"`` of the factory, decodes without
#: configuration). Called without options, the aesgcm and offload factories return stand-ins
#: whose decode raises a DecodeError naming the missing key id or store, so an unconfigured
#: receiver says exactly what it lacks.
BUILTIN_STAGES = (
    ("zstd", "flowwire.transport.stages:zstd_stage", True),
    ("aesgcm", "flowwire.transport.stages:aesgcm_stage", True),
    ("offload", "flowwire.transport.stages:offload_stage", True),
)

_codecs: dict[str, Callable[..., Codec]] = {}
_transports: dict[str, Callable[..., Transport]] = {}
_stages: dict[str, Callable[..., Stage]] = {}
_unconfigured_names: set[str] = set()
_unconfigured: dict[str, Stage] = {}
_broken: dict[str, tuple[str, Exception]] = {}  # entry points that failed to load
_builtins: list[str] = []  # the built-in codecs, in the order of their list
_lock = threading.Lock()
_state = {"builtins": False, "entry_points": False}


class Reference:
    """A factory named by ``"module:attribute"`` (the form of an entry point's value), imported
    the first time it is called; equal to another reference to the same name."""

    __slots__ = ("_loaded", "value")

    def __init__(self, value: str) -> None:
        module, _, attribute = value.partition(":")
        if not module or not attribute:
            raise RegistrationError(f"a reference must be 'module:attribute', got {value!r}")
        self.value = value
        self._loaded: Any = None

    def load(self) -> Any:
        """The object named (imported once)."""
        if self._loaded is None:
            module, _, attribute = self.value.partition(":")
            found: Any = import_module(module)
            for part in attribute.split("."):
                found = getattr(found, part)
            self._loaded = found
        return self._loaded

    def __call__(self, *args: Any, **options: Any) -> Any:
        return self.load()(*args, **options)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Reference({self.value!r})"


def _factory(kind: str, name: str, factory: Any) -> Any:
    if isinstance(factory, str):
        return Reference(factory)
    if not callable(factory):
        raise RegistrationError(f"{kind} {name!r}: factory must be callable, got {factory!r}")
    return factory


def _register(table: dict[str, Any], kind: str, name: str, factory: Any, replace: bool) -> None:
    if not isinstance(name, str) or not name:
        raise RegistrationError(f"{kind} name must be a non-empty string, got {name!r}")
    factory = _factory(kind, name, factory)
    if name in table and not replace and table[name] is not factory and table[name] != factory:
        raise RegistrationError(
            f"{kind} {name!r} is already registered (by {table[name]!r}); "
            "pass replace=True to override it on purpose"
        )
    table[name] = factory


def _add_codec(
    name: str, factory: Any, transport: Any, replace: bool, *, builtin: bool = False
) -> None:
    """What every codec registration does, a built-in's, a plugin's or a call's."""
    _register(_codecs, "codec", name, factory, replace)
    if transport is not None:
        _register(_transports, "transport", name, transport, replace)
    if builtin:
        _builtins.append(name)


def register_codec(
    name: str,
    factory: Callable[..., Codec] | str,
    *,
    replace: bool = False,
    transport: Callable[..., Transport] | str | None = None,
) -> None:
    """Register a codec class/factory under ``name`` (keyword options: ``max_depth``).

    ``factory`` may be a ``"module:attribute"`` reference, imported on first use (as the
    built-in codecs are registered). ``transport``: the transport class/factory (or reference)
    that ``get_transport(name)`` builds; without it, a
    :class:`~flowwire.transport.CodecTransport` of this codec.
    """
    _ensure_loaded()
    _add_codec(name, factory, transport, replace)


def register_transport(
    name: str, factory: Callable[..., Transport] | str, *, replace: bool = False
) -> None:
    """Register a transport class/factory (or ``"module:attribute"`` reference) under
    ``name``."""
    _ensure_loaded()
    _register(_transports, "transport", name, factory, replace)


def register_stage(
    name: str,
    factory: Callable[..., Stage] | str,
    *,
    replace: bool = False,
    decodes_unconfigured: bool = False,
) -> None:
    """Register a stage class/factory (or ``"module:attribute"`` reference). With
    ``decodes_unconfigured`` a default instance also undoes this stage on transports that did
    not configure it (e.g. decompression)."""
    _ensure_loaded()
    _add_stage(name, factory, replace, decodes_unconfigured)


def _add_stage(name: str, factory: Any, replace: bool, decodes_unconfigured: bool) -> None:
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
    if options.get("stages"):  # names the user wrote: the stages they name, here
        options["stages"] = [get_stage(s) if isinstance(s, str) else s for s in options["stages"]]
    factory = _transports.get(base)
    if factory is not None:
        return factory(**options)
    if base not in _codecs:
        _ensure_entry_points()
    if base in _codecs:
        max_depth = options.get("max_depth")
        codec = get_codec(base, **({} if max_depth is None else {"max_depth": max_depth}))
        return _GENERIC(codec, **options)  # type: ignore[no-any-return]
    if base in _broken:
        message, cause = _broken[base]
        raise ConfigurationError(message) from cause
    raise _unknown("transport", name, sorted(set(_transports) | set(_codecs)))


def builtin_codecs(*, text: bool | None = None, native: Sequence[type] = ()) -> list[str]:
    """The names of the built-in codecs, in the order of their list, read from the registry
    with their traits: only the text (``text=True``) or binary (``text=False``) ones, only
    those that carry every type of ``native`` without annotations. Tests, strategies and
    benchmarks take their codecs from here."""
    _ensure_loaded()
    return [
        name
        for name in _builtins
        if (text is None or codec_traits(name).text == text)
        and (not native or set(native) <= codec_traits(name).native)
    ]


def codec_traits(name: str) -> CodecTraits:
    """The :class:`~flowwire.transport.CodecTraits` of the codec registered as ``name`` (a
    codec class's are read without building one)."""
    _ensure_loaded()
    if name not in _codecs:
        _ensure_entry_points()
    factory = _codecs.get(name)
    if factory is None:
        get_codec(name)  # raises, naming the problem
    if isinstance(factory, Reference):
        factory = factory.load()
    if isinstance(factory, type):
        return traits_of(factory)
    return traits_of(get_codec(name))


class RegistryDecoders:
    """The registry as a transport's :class:`~flowwire.transport.Decoders`: every codec and
    stage registered here (built-ins, plugins, your own)."""

    def codec(self, name: str, *, max_depth: int) -> Codec:
        return get_codec(name, max_depth=max_depth)

    def stage(self, name: str) -> Stage | None:
        return get_unconfigured_stage(name)

    def __repr__(self) -> str:
        return "flowwire.transport.registry.DECODERS"


#: The default :class:`~flowwire.transport.Decoders` of every transport.
DECODERS = RegistryDecoders()
_GENERIC = Reference(GENERIC_TRANSPORT)


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
    for name, codec, transport in _builtin.BUILTINS:
        _add_codec(name, codec, transport, False, builtin=True)
    for name, stage, unconfigured in BUILTIN_STAGES:
        _add_stage(name, stage, False, unconfigured)


def _load_entry_points() -> None:
    from importlib.metadata import entry_points

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
            _add_codec(ep.name, ep.load(), None, False)
        except Exception as exc:
            # Keep the failure: every lookup of this name reports it, other names still work.
            _broken[ep.name] = (
                f"cannot load codec entry point {ep.name!r} = {ep.value!r}: {exc}",
                exc,
            )
            continue
