"""flowwire: workflows on a local engine or Amazon SWF, with a pluggable transport layer."""

from __future__ import annotations

from typing import Any

from flowwire.errors import (
    BackendError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    FlowwireError,
    NondeterminismError,
    PayloadTooLarge,
    RegistrationError,
    TaskError,
    TaskTimedout,
    TransportError,
    UnknownTransportError,
)
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

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Codec",
    "CodecTransport",
    "ConfigurationError",
    "DecodeError",
    "EncodeError",
    "FlowwireError",
    "JSONTransport",
    "MsgpackTransport",
    "NondeterminismError",
    "PayloadTooLarge",
    "ProtobufTransport",
    "RegistrationError",
    "Stage",
    "TaskError",
    "TaskTimedout",
    "Transport",
    "TransportError",
    "UnknownTransportError",
    "__version__",
    "get_transport",
    "register_codec",
    "register_stage",
    "register_transport",
]


def __getattr__(name: str) -> Any:
    if name == "ProtobufTransport":
        from flowwire.transport.protobuf import ProtobufTransport

        return ProtobufTransport
    raise AttributeError(f"module 'flowwire' has no attribute {name!r}")
