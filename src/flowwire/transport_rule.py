"""The one rule that says which transport writes and reads every payload.

Each engine holds one :class:`TransportRule`; the replay ``Execution`` (the decider side),
activity workers, child-workflow deciders and every starter ask it, so both ends of every
payload use the same transport on every engine.

**A task type's transport** is the one its class declared (decorator ``transport=`` or the
``transport`` class attribute), else the engine's default (``LocalEngine(transport=...)``,
``TaskRegistry(transport=...)`` on SWF), else JSON. The engine's context (its offload store) is
handed to it once (:meth:`~flowwire.transport.CodecTransport.with_context`); nothing is rebuilt.

=======================================  ==========================================
payload                                  written and read with
=======================================  ==========================================
workflow input (a start)                 the workflow type's transport
workflow result, restart input, failure  the workflow type's transport
call input (proxy -> activity / child)   the proxy's ``transport=`` if it has one, else the
                                         target type's transport
call result and failure                  written by the target type's transport; read by
                                         the proxy's ``transport=`` if it has one, else the
                                         target type's transport
=======================================  ==========================================

So without a proxy ``transport=`` a call uses exactly one transport end to end. A proxy that
sets one changes how *this caller* writes the input and reads the result; the worker still
answers in its type's transport (payloads name their codec, so the proxy's transport reads it
if its accept-list allows that codec). The calling workflow's own transport never encodes its
calls. A proxy given only a name and a version reaches the target type through the engine's
registry; a type the engine does not know (a worker written in another language) uses the
engine default, else JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flowwire.errors import ConfigurationError
from flowwire.tasktype import TaskType
from flowwire.transport import Transport, TransportContext, get_transport

if TYPE_CHECKING:
    from flowwire.proxy import ProxySpec

__all__ = ["DEFAULT_TRANSPORT", "TransportRule", "has_storeless_offload"]

DEFAULT_TRANSPORT = "json"
"""The transport of a task type that declared none, on an engine that has no default."""

Lookup = Callable[[str, str, str], TaskType | None]


class TransportRule:
    """Resolves transports for one engine (see the module docstring for the rule).

    Args:
        default: the engine's default transport (object or registered name) for task types
            that declared none; ``None``: JSON.
        context: what the engine supplies to transports (its offload store).
        lookup: ``(kind, name, version) -> TaskType | None``, the engine's registry, used for
            proxies that name their target by name and version.

    Raises:
        ConfigurationError: ``default`` is neither a transport nor a name;
            ``UnknownTransportError`` for an unregistered name.
    """

    def __init__(
        self,
        default: Transport | str | None = None,
        *,
        context: TransportContext | None = None,
        lookup: Lookup | None = None,
    ) -> None:
        self.context = context if context is not None else TransportContext()
        self.default_name = default if isinstance(default, str) else None
        if isinstance(default, str):
            default = get_transport(default)
        elif default is not None and not isinstance(default, Transport):
            raise ConfigurationError(
                f"an engine's default transport must be a transport object or a registered "
                f"name, got {type(default).__name__} {default!r}"
            )
        self._lookup = lookup
        self._bound: dict[int, tuple[Transport, Transport]] = {}
        self._specs: dict[int, tuple[ProxySpec, Transport]] = {}
        self._json: Transport | None = None
        self.default: Transport | None = None if default is None else self.bind(default)

    def bind(self, transport: Transport) -> Transport:
        """``transport`` with the engine's context (once per transport object).

        Raises:
            ConfigurationError: the transport has an ``offload`` stage without a store, the
                engine offers none or the transport cannot take a context.
        """
        found = self._bound.get(id(transport))
        if found is not None and found[0] is transport:
            return found[1]
        bound = transport
        with_context = getattr(transport, "with_context", None)
        if with_context is not None:
            bound = with_context(self.context)
        if has_storeless_offload(bound):
            store = "this engine offers no offload store"
            if self.context.store is not None:
                store = f"a {type(transport).__qualname__} cannot take the engine's store"
            raise ConfigurationError(
                f"transport {transport!r} has an offload stage without a store and {store}: "
                "give the stage a store, for example stages=[..., Offload("
                "LocalDirectoryStore('DIR'))], or give the engine one"
            )
        self._bound[id(transport)] = (transport, bound)
        return bound

    def of(self, task_type: TaskType | None) -> Transport:
        """The transport of ``task_type`` (declared, else the engine default, else JSON);
        ``None`` stands for a type the engine does not know."""
        declared = None if task_type is None else task_type.declared
        if declared is not None:
            return self.bind(declared)
        if self.default is not None:
            return self.default
        json = self._json
        if json is None:
            json = self._json = self.bind(get_transport(DEFAULT_TRANSPORT))
        return json

    def target(self, kind: str, name: str, version: str) -> TaskType | None:
        """The registered type a name/version proxy reaches, if the engine knows it."""
        return None if self._lookup is None else self._lookup(kind, name, version)

    def for_call(self, proxy: Transport | None, target: TaskType | None) -> Transport:
        """The transport that writes a call's input and reads its result on the caller's side:
        the proxy's ``transport=``, else the target type's."""
        return self.of(target) if proxy is None else self.bind(proxy)

    def for_spec(self, spec: ProxySpec) -> Transport:
        """:meth:`for_call` for a proxy, resolved once per proxy."""
        found = self._specs.get(id(spec))
        if found is not None and found[0] is spec:
            return found[1]
        target = spec.target
        if target is None:
            target = self.target(spec.kind, spec.name, spec.version)
        transport = self.for_call(spec.transport, target)
        self._specs[id(spec)] = (spec, transport)
        return transport

    def declares_offload(self, task_type: TaskType) -> bool:
        """Whether ``task_type``'s transport, unbound, needs the engine's store."""
        declared = task_type.declared
        if declared is not None:
            return has_storeless_offload(declared)
        return "offload" in (self.default_name or "").split("+")[1:]


def has_storeless_offload(transport: object) -> bool:
    """Whether ``transport`` has an ``offload`` stage without a store (``"json+offload"``
    built by :func:`~flowwire.transport.get_transport`, which has no store to give it)."""
    stages = getattr(transport, "stages", ())
    if not stages:
        return False
    from flowwire.transport.stages import UnconfiguredOffload

    return any(isinstance(s, UnconfiguredOffload) for s in stages)
