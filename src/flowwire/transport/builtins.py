"""The built-in codecs, transports and stages, registered by name on first use.

Factories import their module lazily so that ``import flowwire`` stays cheap and a stage whose
optional dependency is missing fails only when it is asked for, naming the extra to install.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CODECS", "STAGES"]


def _json_codec(**options: Any) -> Any:
    from flowwire.transport.codecs.json import JSONCodec

    return JSONCodec(**options)


def _json_transport(**options: Any) -> Any:
    from flowwire.transport.codecs.json import JSONTransport

    return JSONTransport(**options)


def _msgpack_codec(**options: Any) -> Any:
    from flowwire.transport.codecs.msgpack import MsgpackCodec

    return MsgpackCodec(**options)


def _msgpack_transport(**options: Any) -> Any:
    from flowwire.transport.codecs.msgpack import MsgpackTransport

    return MsgpackTransport(**options)


def _protobuf_codec(**options: Any) -> Any:
    from flowwire.transport.codecs.protobuf import ProtobufCodec

    return ProtobufCodec(**options)


def _protobuf_transport(**options: Any) -> Any:
    from flowwire.transport.codecs.protobuf import ProtobufTransport

    return ProtobufTransport(**options)


#: (name, codec factory, transport factory)
CODECS = [
    ("json", _json_codec, _json_transport),
    ("msgpack", _msgpack_codec, _msgpack_transport),
    ("protobuf", _protobuf_codec, _protobuf_transport),
]


def _zstd_stage(**options: Any) -> Any:
    from flowwire.transport.stages import zstd_stage

    return zstd_stage(**options)


def _aesgcm_stage(**options: Any) -> Any:
    from flowwire.transport.stages import aesgcm_stage

    return aesgcm_stage(**options)


def _offload_stage(**options: Any) -> Any:
    from flowwire.transport.stages import offload_stage

    return offload_stage(**options)


#: (name, stage factory, decodes without configuration). Called without options, the aesgcm
#: and offload factories return stand-ins whose decode raises a DecodeError naming the missing
#: key id or store, so an unconfigured receiver says exactly what it lacks.
STAGES: list[tuple[str, Any, bool]] = [
    ("zstd", _zstd_stage, True),
    ("aesgcm", _aesgcm_stage, True),
    ("offload", _offload_stage, True),
]
