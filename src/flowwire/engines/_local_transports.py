"""Which transport the local engine uses for each task class, with the engine's offload store.

A task class's own transport comes first, then the engine's (``LocalEngine(transport=...)``, an
object or a registered name), then the default (one set on ``Activity``/``Workflow``
themselves, else JSON). Every ``offload`` stage without a store in the chosen transport gets the
engine's ``LocalDirectoryStore(offload_dir)``: the transport is rebuilt with it once per
transport object (``with_default_store``), and a task whose transport the engine cannot rebuild
(a custom transport class) is rejected before a run starts. A registered name is built with
``transport_by_name`` (its ``offload`` stages get the same store); worker processes use it and
``with_default_store`` to rebuild an attempt's transport on their side.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from flowwire.errors import ConfigurationError
from flowwire.proxy import proxy_targets
from flowwire.scanner import Registry
from flowwire.task import Workflow, declared_transport, describe_task, resolve_transport
from flowwire.transport import Transport

__all__ = [
    "EngineTransports",
    "default_offload_dir",
    "has_storeless_offload",
    "transport_by_name",
    "uses_offload_store",
    "with_default_store",
]


class EngineTransports:
    """The transports of one ``LocalEngine``: its own (``default``, ``None`` when it has none,
    built from ``name`` when that was given) and the one of each task class.

    Raises:
        ConfigurationError: (constructor) ``transport`` is neither a transport nor a string,
            or is an object while ``processes=True``; ``UnknownTransportError`` when the name
            is not registered.
    """

    def __init__(self, transport: object, offload_dir: str | None, processes: bool) -> None:
        self.name = transport if isinstance(transport, str) else None
        self.default = _engine_transport(transport, offload_dir, processes)
        self._offload_dir = offload_dir
        # transports with the engine's store in their store-less offload stages, by id of the
        # original (kept alive in the value so that the id stays its own)
        self._adapted: dict[int, tuple[Transport, Transport]] = {}

    def for_class(self, cls: type) -> Transport:
        """See ``LocalEngine.transport_for``."""
        chosen = declared_transport(cls)
        if chosen is None:
            chosen = self.default
        if chosen is None:
            chosen = resolve_transport(getattr(cls, "transport", None)) or _default_transport()
        return self.adapt(chosen)

    def uses_offload_store(self, workflow: type[Workflow], registry: Registry) -> bool:
        """See ``LocalEngine.uses_offload_store``; ``registry`` holds the registered classes."""
        classes = {id(c): c for c in (workflow, *proxy_targets(workflow))}
        for meta in registry.metadata():
            found = registry.activity(meta.name, meta.version) or registry.workflow(
                meta.name, meta.version
            )
            if found is not None:
                classes.setdefault(id(found), found)
        return uses_offload_store(classes.values(), self.default, self.name)

    def adapt(self, transport: Transport) -> Transport:
        """``transport`` with the engine's store in its store-less offload stages (made once
        per transport object)."""
        found = self._adapted.get(id(transport))
        if found is not None and found[0] is transport:
            return found[1]
        adapted = with_default_store(transport, self._offload_dir)
        self._adapted[id(transport)] = (transport, adapted)
        return adapted

    def check_offload_stores(self, workflow: type[Workflow]) -> None:
        """Raises ConfigurationError at start for a task whose transport has an offload stage
        without a store that the engine cannot give its own (a custom transport class)."""
        for cls in (workflow, *proxy_targets(workflow)):
            transport = self.for_class(cls)
            if has_storeless_offload(transport):
                raise ConfigurationError(
                    f"{describe_task(cls)} uses transport {transport!r}, whose offload stage "
                    "has no store, and the local engine cannot add its own to a "
                    f"{type(transport).__qualname__}: give the stage a store, for example "
                    "stages=[..., Offload(LocalDirectoryStore('DIR'))], or declare the "
                    "transport by name (transport='json+offload') to use the engine's store"
                )


def default_offload_dir() -> str:
    """The directory the local engine offloads to when none is given.

    ``$FLOWWIRE_OFFLOAD_DIR`` when set and non-empty, else ``flowwire/offload`` under the
    per-user cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``). Nothing is created here.
    """
    chosen = os.environ.get("FLOWWIRE_OFFLOAD_DIR")
    if chosen:
        return chosen
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "flowwire", "offload")


def transport_by_name(name: str, offload_dir: str | os.PathLike[str] | None) -> Transport:
    """Build the registered transport ``name`` as the local engine uses it.

    Every ``offload`` stage in a ``codec+stage`` name becomes ``Offload(LocalDirectoryStore(
    offload_dir))`` (the store named ``"local"``), so ``"json+offload"`` works without further
    configuration; other names are exactly :func:`~flowwire.transport.get_transport`.

    Raises:
        UnknownTransportError: the name or one of its stages is not registered.
        ConfigurationError: ``offload_dir`` exists and is not a directory.
    """
    from flowwire.transport import get_transport

    base, *stage_names = name.split("+")
    if "offload" not in stage_names:
        return get_transport(name)
    from flowwire.transport.stages import LocalDirectoryStore, Offload

    directory = default_offload_dir() if offload_dir is None else offload_dir
    stage = Offload(LocalDirectoryStore(directory))
    stages: list[Any] = [stage if s == "offload" else s for s in stage_names]
    return get_transport(base, stages=stages)


def has_storeless_offload(transport: object) -> bool:
    """Whether ``transport`` has an ``offload`` stage without a store (``"json+offload"`` built
    by :func:`~flowwire.transport.get_transport`, which has no store to give it)."""
    from flowwire.transport.stages import UnconfiguredOffload

    return any(isinstance(s, UnconfiguredOffload) for s in getattr(transport, "stages", ()))


def with_default_store(transport: Transport, offload_dir: str | None) -> Transport:
    """``transport`` with every store-less ``offload`` stage replaced by ``Offload(
    LocalDirectoryStore(offload_dir or default_offload_dir()))``, every other stage and option
    kept; ``transport`` itself when it has no such stage or is not a built-in
    :class:`~flowwire.transport.CodecTransport` (which the engine cannot rebuild)."""
    from flowwire.transport import CodecTransport, JSONTransport, MsgpackTransport
    from flowwire.transport.stages import LocalDirectoryStore, Offload, UnconfiguredOffload

    if not has_storeless_offload(transport) or not isinstance(transport, CodecTransport):
        return transport
    kind = type(transport)
    protobuf = sys.modules.get("flowwire.transport.protobuf")  # loaded if transport is one
    builtin = (JSONTransport, MsgpackTransport, getattr(protobuf, "ProtobufTransport", None))
    if kind is not CodecTransport and kind not in builtin:
        return transport  # a subclass may take other options: the engine cannot rebuild it
    directory = default_offload_dir() if offload_dir is None else offload_dir
    store = Offload(LocalDirectoryStore(directory))
    options: dict[str, Any] = {
        "stages": [store if isinstance(s, UnconfiguredOffload) else s for s in transport.stages],
        "accept": transport.accept,
        "max_payload_chars": transport.max_payload_chars,
        "max_depth": transport.max_depth,
        "name": transport.name,
        "armor": transport.armor,
    }
    if kind is CodecTransport:
        return CodecTransport(transport.codec, **options)
    return kind(**options)


def uses_offload_store(
    classes: Iterable[type], engine_transport: Transport | None, engine_name: str | None
) -> bool:
    """Whether the local engine's offload store would serve any of ``classes``: through the
    engine's transport (``engine_transport``, built from ``engine_name`` if it is a name) for
    a class that chose none, or through a class's own transport with a store-less stage."""
    engine_uses = "offload" in (engine_name or "").split("+")[1:] or has_storeless_offload(
        engine_transport
    )
    for cls in classes:
        declared = declared_transport(cls)
        if engine_uses if declared is None else has_storeless_offload(declared):
            return True
    return False


def _engine_transport(
    transport: object, offload_dir: str | None, processes: bool
) -> Transport | None:
    if transport is None:
        return None
    if isinstance(transport, str):
        return transport_by_name(transport, offload_dir)
    if not isinstance(transport, Transport):
        raise ConfigurationError(
            f"LocalEngine(transport=...) needs a transport object or a registered name, got "
            f"{type(transport).__name__} {transport!r}"
        )
    if processes:
        raise ConfigurationError(
            f"LocalEngine(processes=True) cannot send the transport object {transport!r} to "
            "worker processes: pass a registered transport name (for example "
            "transport='json' or 'msgpack+zstd') or register yours with "
            "flowwire.transport.register_transport"
        )
    return transport


def _default_transport() -> Transport:
    from flowwire.transport import get_transport

    return get_transport("json")
