"""Which transport the local engine uses for each task class, with the engine's offload store.

A task class's own transport comes first, then the engine's (``LocalEngine(transport=...)``, an
object or a registered name), then the default (one set on ``Activity``/``Workflow``
themselves, else JSON). Every ``offload`` stage without a store in the chosen transport gets the
engine's ``LocalDirectoryStore(offload_dir)``: the transport is rebuilt with it once per
transport object (``with_default_store``), and a task whose transport the engine cannot rebuild
(a custom transport class) is rejected before a run starts.
"""

from __future__ import annotations

from flowwire.engines._local_workers import (
    has_storeless_offload,
    transport_by_name,
    uses_offload_store,
    with_default_store,
)
from flowwire.errors import ConfigurationError
from flowwire.proxy import proxy_targets
from flowwire.scanner import Registry
from flowwire.task import Workflow, declared_transport, describe_task, resolve_transport
from flowwire.transport import Transport

__all__ = ["EngineTransports"]


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
