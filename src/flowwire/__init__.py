"""flowwire: workflows on a local engine or Amazon SWF, with a pluggable transport layer.

The names of ``__all__`` are imported on first use (a module ``__getattr__``), so ``import
flowwire`` loads almost nothing: a command, a worker or a script pays only for what it uses
(protobuf, multiprocessing, SQLite and the engines load with the names that need them). Type
checkers and IDEs see the names through the ``TYPE_CHECKING`` imports below; ``dir(flowwire)``
lists them. ``tests/test_import_cost.py`` keeps the list of modules a bare import loads.
"""

from __future__ import annotations

# Not ``typing.TYPE_CHECKING``: importing typing would cost more than the rest of this module
# (type checkers treat any ``TYPE_CHECKING`` name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flowwire.engines.local import LocalCompletionClient, LocalEngine, run_workflow
    from flowwire.errors import (
        ApplicationError,
        BackendError,
        Cancelled,
        ConfigurationError,
        DecodeError,
        EncodeError,
        FlowwireError,
        NondeterminismError,
        PayloadTooLarge,
        RegistrationError,
        StoreError,
        StoreOutage,
        StoreUnavailable,
        StoreWriteFailed,
        StoreWriteUnavailable,
        TaskError,
        TaskTimedOutError,
        TransportError,
        UnknownExecutionError,
        UnknownTaskError,
        UnknownTransportError,
    )
    from flowwire.proxy import ActivityProxy, BoundProxy, TaskClass, WorkflowProxy
    from flowwire.result import (
        SuspendTask,
        TaskResult,
        finish_order,
        first,
        parallel_reduce,
        restart,
        wait,
    )
    from flowwire.retry import RetryPolicy
    from flowwire.task import Activity, Workflow, activity, workflow
    from flowwire.transport import (
        Codec,
        CodecTransport,
        JSONTransport,
        MsgpackTransport,
        Stage,
        Transport,
        get_transport,
        register_codec,
        register_stage,
        register_transport,
    )
    from flowwire.transport.codecs.protobuf import ProtobufTransport
    from flowwire.transport.model.adapters import (
        RecordAdapter,
        RecordField,
        TypeAdapter,
        register_adapter,
        unregister_adapter,
    )
    from flowwire.transport.model.evolution import evolution, unknown_fields
    from flowwire.waits import send_signal, sleep, timer, wait_signal

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "ActivityProxy",
    "ApplicationError",
    "BackendError",
    "BoundProxy",
    "Cancelled",
    "Codec",
    "CodecTransport",
    "ConfigurationError",
    "DecodeError",
    "EncodeError",
    "FlowwireError",
    "JSONTransport",
    "LocalCompletionClient",
    "LocalEngine",
    "MsgpackTransport",
    "NondeterminismError",
    "PayloadTooLarge",
    "ProtobufTransport",
    "RecordAdapter",
    "RecordField",
    "RegistrationError",
    "RetryPolicy",
    "Stage",
    "StoreError",
    "StoreOutage",
    "StoreUnavailable",
    "StoreWriteFailed",
    "StoreWriteUnavailable",
    "SuspendTask",
    "TaskClass",
    "TaskError",
    "TaskResult",
    "TaskTimedOutError",
    "Transport",
    "TransportError",
    "TypeAdapter",
    "UnknownExecutionError",
    "UnknownTaskError",
    "UnknownTransportError",
    "Workflow",
    "WorkflowProxy",
    "__version__",
    "activity",
    "evolution",
    "finish_order",
    "first",
    "get_transport",
    "parallel_reduce",
    "register_adapter",
    "register_codec",
    "register_stage",
    "register_transport",
    "restart",
    "run_workflow",
    "send_signal",
    "sleep",
    "timer",
    "unknown_fields",
    "unregister_adapter",
    "wait",
    "wait_signal",
    "workflow",
]

#: Where each public name is defined: ``{name: module}``, imported on first use.
_LAZY: dict[str, str] = {
    "LocalCompletionClient": "flowwire.engines.local",
    "LocalEngine": "flowwire.engines.local",
    "run_workflow": "flowwire.engines.local",
    "ApplicationError": "flowwire.errors",
    "BackendError": "flowwire.errors",
    "Cancelled": "flowwire.errors",
    "ConfigurationError": "flowwire.errors",
    "DecodeError": "flowwire.errors",
    "EncodeError": "flowwire.errors",
    "FlowwireError": "flowwire.errors",
    "NondeterminismError": "flowwire.errors",
    "PayloadTooLarge": "flowwire.errors",
    "RegistrationError": "flowwire.errors",
    "StoreError": "flowwire.errors",
    "StoreOutage": "flowwire.errors",
    "StoreUnavailable": "flowwire.errors",
    "StoreWriteFailed": "flowwire.errors",
    "StoreWriteUnavailable": "flowwire.errors",
    "TaskError": "flowwire.errors",
    "TaskTimedOutError": "flowwire.errors",
    "TransportError": "flowwire.errors",
    "UnknownExecutionError": "flowwire.errors",
    "UnknownTaskError": "flowwire.errors",
    "UnknownTransportError": "flowwire.errors",
    "ActivityProxy": "flowwire.proxy",
    "BoundProxy": "flowwire.proxy",
    "TaskClass": "flowwire.proxy",
    "WorkflowProxy": "flowwire.proxy",
    "SuspendTask": "flowwire.result",
    "TaskResult": "flowwire.result",
    "finish_order": "flowwire.result",
    "first": "flowwire.result",
    "parallel_reduce": "flowwire.result",
    "restart": "flowwire.result",
    "wait": "flowwire.result",
    "RetryPolicy": "flowwire.retry",
    "Activity": "flowwire.task",
    "Workflow": "flowwire.task",
    "activity": "flowwire.task",
    "workflow": "flowwire.task",
    "Codec": "flowwire.transport",
    "CodecTransport": "flowwire.transport",
    "JSONTransport": "flowwire.transport",
    "MsgpackTransport": "flowwire.transport",
    "Stage": "flowwire.transport",
    "Transport": "flowwire.transport",
    "get_transport": "flowwire.transport",
    "register_codec": "flowwire.transport",
    "register_stage": "flowwire.transport",
    "register_transport": "flowwire.transport",
    "ProtobufTransport": "flowwire.transport.codecs.protobuf",
    "RecordAdapter": "flowwire.transport.model.adapters",
    "RecordField": "flowwire.transport.model.adapters",
    "TypeAdapter": "flowwire.transport.model.adapters",
    "register_adapter": "flowwire.transport.model.adapters",
    "unregister_adapter": "flowwire.transport.model.adapters",
    "evolution": "flowwire.transport.model.evolution",
    "unknown_fields": "flowwire.transport.model.evolution",
    "send_signal": "flowwire.waits",
    "sleep": "flowwire.waits",
    "timer": "flowwire.waits",
    "wait_signal": "flowwire.waits",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next access is a plain module attribute
        return value
    import importlib.util

    if not name.startswith("_") and importlib.util.find_spec(f"flowwire.{name}") is not None:
        return importlib.import_module(f"flowwire.{name}")  # a submodule: flowwire.errors, ...
    from flowwire.errors import deprecated

    return deprecated(__name__, name)  # TaskTimedout, with a warning; else AttributeError


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
