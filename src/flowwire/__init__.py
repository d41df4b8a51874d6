"""flowwire: workflows on a local engine or Amazon SWF, with a pluggable transport layer."""

from __future__ import annotations

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
    StoreUnavailable,
    TaskError,
    TaskTimedOutError,
    TransportError,
    UnknownExecutionError,
    UnknownTaskError,
    UnknownTransportError,
)
from flowwire.proxy import ActivityProxy, TaskClass, WorkflowProxy
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
    "StoreUnavailable",
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


def __getattr__(name: str) -> Any:
    if name == "ProtobufTransport":
        from flowwire.transport.codecs.protobuf import ProtobufTransport

        return ProtobufTransport
    from flowwire.errors import deprecated

    return deprecated(__name__, name)  # TaskTimedout, with a warning; else AttributeError
