"""The built-in codecs, one module each, every module the same shape: a codec class that
implements :class:`~flowwire.transport.Codec` and declares its
:class:`~flowwire.transport.CodecTraits`, then the transport class built on it.

:data:`BUILTINS` registers them, one line each, exactly as a plugin's entry points register a
third-party codec: a name and ``"module:attribute"`` references that the registry imports the
first time they are used. Importing this package imports no codec.
"""

from __future__ import annotations

__all__ = ["BUILTINS"]

#: (name, codec, transport): what :func:`flowwire.transport.register_codec` is called with
#: for each built-in codec. Adding a codec: write its module here, add its line below.
BUILTINS: tuple[tuple[str, str, str], ...] = (
    ("json", f"{__name__}.json:JSONCodec", f"{__name__}.json:JSONTransport"),
    ("msgpack", f"{__name__}.msgpack:MsgpackCodec", f"{__name__}.msgpack:MsgpackTransport"),
    ("protobuf", f"{__name__}.protobuf:ProtobufCodec", f"{__name__}.protobuf:ProtobufTransport"),
)
