"""The transport layer: codecs, stages, the envelope and the registry.

See the "Data transport" pages of the documentation. The public names are re-exported from
:mod:`flowwire` as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowwire.transport import _moved
from flowwire.transport._protocols import (
    ArgumentsCodec,
    Codec,
    CodecTraits,
    ContextualTransport,
    Decoders,
    Stage,
    StageContext,
    TextCodec,
    Transport,
    TransportContext,
    traits_of,
)
from flowwire.transport._transport import (
    BUILTIN_CODECS,
    DEFAULT_MAX_PAYLOAD_CHARS,
    REASON_LIMIT,
    CodecTransport,
)
from flowwire.transport.codecs.json import JSONCodec, JSONTransport
from flowwire.transport.codecs.msgpack import MsgpackCodec, MsgpackTransport
from flowwire.transport.model._model import MAX_DEPTH, lower, lower_fully
from flowwire.transport.registry import (
    available_codecs,
    available_stages,
    available_transports,
    builtin_codecs,
    codec_traits,
    get_codec,
    get_stage,
    get_transport,
    register_codec,
    register_stage,
    register_transport,
)

_moved.install()  # the old paths flowwire.transport.json, .adapters, ... (see _moved)

if TYPE_CHECKING:
    from flowwire.transport.codecs.protobuf import ProtobufCodec, ProtobufTransport

__all__ = [
    "BUILTIN_CODECS",
    "DEFAULT_MAX_PAYLOAD_CHARS",
    "MAX_DEPTH",
    "REASON_LIMIT",
    "ArgumentsCodec",
    "Codec",
    "CodecTraits",
    "CodecTransport",
    "ContextualTransport",
    "Decoders",
    "JSONCodec",
    "JSONTransport",
    "MsgpackCodec",
    "MsgpackTransport",
    "ProtobufCodec",
    "ProtobufTransport",
    "Stage",
    "StageContext",
    "TextCodec",
    "Transport",
    "TransportContext",
    "available_codecs",
    "available_stages",
    "available_transports",
    "builtin_codecs",
    "codec_traits",
    "get_codec",
    "get_stage",
    "get_transport",
    "lower",
    "lower_fully",
    "register_codec",
    "register_stage",
    "register_transport",
    "traits_of",
]


def __getattr__(name: str) -> Any:
    # The protobuf codec loads generated code; import it only when asked for.
    if name in ("ProtobufCodec", "ProtobufTransport"):
        from flowwire.transport.codecs import protobuf

        return getattr(protobuf, name)
    raise AttributeError(f"module 'flowwire.transport' has no attribute {name!r}")
