"""The Protobuf codec and :class:`ProtobufTransport`.

A body is one serialized ``flowwire.v1.Value`` (results, error details) or one
``flowwire.v1.Arguments`` (task and restart input); the schema is ``proto/flowwire/v1/value.proto``
and the generated classes are in :mod:`flowwire._proto.flowwire.v1.value_pb2`. This module reads
and writes that wire format by hand (a naive conversion through the protobuf API is several times
slower); the tests check byte-for-byte agreement with the generated classes both ways.

Kinds that protobuf carries natively come back as the same Python types without annotations:
tuple, set, frozenset, datetime, date, time, timedelta, UUID, Decimal. Enums, dataclasses,
named tuples and subclasses of base types are lowered by
:func:`flowwire.transport.model._model.lower` (value, map of fields, list, base value). A protobuf
message travels as ``EmbeddedMessage`` (its full name, informational only, and its deterministic
serialization) and decodes to ``bytes``; the transport rebuilds the message class from the
annotation.

Reading: where a C compiler was available at install time, the common shapes of a ``Value``
(every kind but big integers and embedded messages, written canonically) and of an
``Arguments`` message are read by the C extension ``_pbfast`` (see ``C_ACCELERATED``); the
extended kinds (datetime, Decimal, ...) are built by the same Python functions the pure-Python
reader calls. It hands anything else back, and the
pure-Python reader below reads it or names what is wrong. Both give the same values, which a
differential test checks.

Depth: ``max_depth`` counts nested containers (list, map, tuple, set, frozenset), on encode and on
decode, like the other codecs: one more is a ``DecodeError`` naming ``max_depth`` and the path,
worded as theirs (a body too deep is not malformed). The decoder does not use protobuf's
parser, so protobuf's own recursion limit (100 messages) does not apply here; note that a
generated parser in another language hits its default limit of 100 messages at about 49
nested lists or 33 nested maps (each container costs two or three message levels).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from flowwire.errors import ConfigurationError, DecodeError, EncodeError
from flowwire.transport._protocols import CodecTraits
from flowwire.transport._transport import CodecTransport
from flowwire.transport.codecs._protobuf_decode import (
    TooManyEmptySets,
    decode_entries,
    decode_items,
    decode_value,
    limit_empty_sets,
    next_field,
    rearm_empty_sets,
)
from flowwire.transport.codecs._protobuf_encode import (
    WIRE_LEN,
    Fail,
    encode_entries,
    encode_items,
    encode_value,
)
from flowwire.transport.model import _model
from flowwire.transport.model._model import MAX_DEPTH, path_key

_fast_decode: Callable[[bytes, int, int], Any] | None
_fast_arguments: Callable[[bytes, int, int], Any] | None
try:  # the optional C reader (setup.py builds it where a C compiler is available)
    from flowwire.transport.codecs import _pbfast
    from flowwire.transport.codecs._pbfast import FALLBACK as _FALLBACK
    from flowwire.transport.codecs._pbfast import TOO_MANY_EMPTY_SETS as _TOO_MANY
    from flowwire.transport.codecs._pbfast import decode as _fast_decode
    from flowwire.transport.codecs._pbfast import decode_arguments as _fast_arguments
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _fast_decode = _fast_arguments = None
    _FALLBACK = _TOO_MANY = None
else:  # the extended kinds, built by the same functions the Python reader uses
    _pbfast.configure(
        lambda text: _model.parse_datetime(text, "$"),
        lambda text: _model.parse_date(text, "$"),
        lambda text: _model.parse_time(text, "$"),
        lambda micros: _model.timedelta_from_micros(micros, "$"),
        lambda raw: UUID(bytes=raw),
        Decimal,
    )

#: True when the C reader for the common shapes of a ``Value`` is in use.
C_ACCELERATED = _fast_decode is not None

__all__ = ["ProtobufCodec", "ProtobufTransport"]

# -- the codec -----------------------------------------------------------------------------------

_T = TypeVar("_T")

#: How the readers' failure for a nesting deeper than max_depth starts (_protobuf_decode).
_TOO_DEEP = "nesting deeper than max_depth="
_ARGS_DEPTH = 2  # values in args/kwargs nest as in {"args": [...], "kwargs": {...}} elsewhere
#: Bodies longer than this may hold at most one empty set per 8 bytes (see ``_empty_sets``).
_COUNT_ABOVE = 512 * 1024


def _with_set_limit(read: Callable[[bytes], _T], data: bytes, sets: int) -> _T:
    """``read(data)`` (a pure-Python reader) building at most ``sets`` empty sets (-1: any);
    one more is refused as a memory bomb."""
    if sets < 0:
        return read(data)
    previous = limit_empty_sets(sets)
    try:
        return read(data)
    except TooManyEmptySets:
        raise _too_many_sets(data) from None
    finally:
        limit_empty_sets(previous)


def _empty_sets(data: bytes) -> int:
    """How many empty sets and frozensets the readers may build from ``data`` (-1: any).

    An empty set is 2 bytes of wire (4 in a list) and over 200 bytes of Python; every other
    shape costs under 40 bytes per byte of body. A body over ``_COUNT_ABOVE`` may therefore
    hold at most one per 8 bytes, which keeps a 1 MiB body under 64 MiB. Both readers count the
    empty sets as they build them (no scan of the bytes: 1 MiB of ``bytes`` costs nothing
    more) and stop at the first one over."""
    return len(data) // 8 if len(data) > _COUNT_ABOVE else -1


def _too_many_sets(data: bytes) -> DecodeError:
    return DecodeError(
        f"protobuf body of {len(data):,} bytes holds more than {len(data) // 8:,} empty sets "
        "(one per 8 bytes): refused as a memory bomb"
    )


def _as_bytes(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise DecodeError(f"protobuf body must be bytes, got {type(data).__name__}")


class ProtobufCodec:
    """The generic ``flowwire.v1.Value`` / ``Arguments`` protobuf codec.

    Args:
        max_depth: the maximum number of nested containers, enforced on encode (raises
            :class:`~flowwire.EncodeError`) and on decode (raises :class:`~flowwire.DecodeError`).

    ``encode`` must raise :class:`~flowwire.EncodeError` naming the value's path for anything
    outside the value model (non-``str`` keys, strings that are not valid UTF-8, unsupported
    types); ``decode`` must raise :class:`~flowwire.DecodeError` and nothing else for malformed
    input. Decoding allocates in proportion to the input: every length is checked against the
    bytes that are actually there before anything is read.
    """

    name = "protobuf"
    #: Binary; the kinds of ``Value`` come back without annotations; task arguments are an
    #: ``Arguments`` message (:meth:`encode_arguments`, :meth:`decode_arguments`).
    traits = CodecTraits(
        native=frozenset({tuple, set, frozenset, datetime, date, time, timedelta, UUID, Decimal}),
        arguments=True,
    )

    def __init__(self, *, max_depth: int = MAX_DEPTH) -> None:
        if max_depth < 0:
            raise ConfigurationError(f"ProtobufCodec(max_depth=...) must be >= 0, got {max_depth}")
        self.max_depth = max_depth

    def __repr__(self) -> str:
        return f"ProtobufCodec(max_depth={self.max_depth})"

    def encode(self, value: Any) -> bytes:
        """One serialized ``Value``. Raises :class:`~flowwire.EncodeError` with the path."""
        try:
            return encode_value(value, 0, self.max_depth)
        except (Fail, RecursionError):
            return self._encode("$", encode_value, value, 0, self.max_depth)  # raises

    def decode(self, data: bytes) -> Any:
        """The value of one serialized ``Value``. Raises only :class:`~flowwire.DecodeError`."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        sets = _empty_sets(data)
        if _fast_decode is not None:  # the common shapes, in C; anything else comes back
            value = _fast_decode(data, self.max_depth, sets)
            if value is not _FALLBACK:
                if value is _TOO_MANY:
                    raise _too_many_sets(data)
                return value
        return _with_set_limit(self._decode_value, data, sets)

    def _decode_value(self, data: bytes) -> Any:
        end = len(data)
        try:
            return decode_value(data, 0, end, 0, self.max_depth)
        except TooManyEmptySets:
            raise
        except Exception:  # again, through the error boundary that locates the problem
            rearm_empty_sets()
            return self._decode("$", decode_value, data, 0, end, 0, self.max_depth)

    def encode_arguments(self, args: list[Any], kwargs: dict[str, Any]) -> bytes:
        """One serialized ``Arguments``: paths in errors are ``$.args[i]`` / ``$.kwargs["k"]``."""
        limit = self.max_depth
        try:
            return encode_items(args, _ARGS_DEPTH, limit) + encode_entries(
                kwargs, _ARGS_DEPTH, limit, b"\x12"
            )
        except (Fail, RecursionError):  # again, through the error boundary that locates it
            self._encode("$.args", encode_items, args, _ARGS_DEPTH, limit)
            return self._encode("$.kwargs", encode_entries, kwargs, _ARGS_DEPTH, limit, b"\x12")

    def decode_arguments(self, data: bytes) -> tuple[list[Any], dict[str, Any]]:
        """``(args, kwargs)`` of one serialized ``Arguments``. Raises only DecodeError."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        sets = _empty_sets(data)  # arguments are values too: the same bound
        if _fast_arguments is not None:  # the common shapes, in C; anything else comes back
            found = _fast_arguments(data, self.max_depth, sets)
            if found is not _FALLBACK:
                if found is _TOO_MANY:
                    raise _too_many_sets(data)
                return found  # type: ignore[no-any-return]
        return _with_set_limit(self._read_arguments, data, sets)

    def _read_arguments(self, data: bytes) -> tuple[list[Any], dict[str, Any]]:
        try:
            return self._decode_arguments(data, False)
        except TooManyEmptySets:
            raise
        except Exception:  # again, through the error boundaries that locate the problem
            rearm_empty_sets()
            return self._decode_arguments(data, True)

    def _decode_arguments(self, data: bytes, locate: bool) -> tuple[list[Any], dict[str, Any]]:
        limit = self.max_depth
        # Producers write every args item, then every kwargs entry: find the boundary by walking
        # the top-level fields (lengths only). Interleaved fields are read too, item by item.
        end = len(data)
        i = 0
        arg_spans: list[tuple[int, int]] = []
        kwargs_start = -1
        interleaved = False
        unknown = -1  # the first field that is neither args nor kwargs, at its byte offset
        unknown_field = unknown_wire = 0
        try:
            while i < end:
                t = data[i]
                if (t == 0x0A or t == 0x12) and i + 1 < end and data[i + 1] < 0x80:
                    field, wire, a = t >> 3, WIRE_LEN, i + 2  # the common one-byte length
                    b = nxt = a + data[i + 1]
                    if b > end:
                        raise Fail(f"field {field} at byte {i} runs past the end")
                else:
                    field, wire, a, b, nxt = next_field(data, i, end)
                if (field != 1 and field != 2) or wire != WIRE_LEN:
                    # skipped, as protobuf's runtime skips unknown fields (a known field of
                    # another wire type is unknown to it too)
                    if unknown < 0:
                        unknown, unknown_field, unknown_wire = i, field, wire
                elif field == 1:
                    interleaved = interleaved or kwargs_start >= 0
                    arg_spans.append((a, b))
                elif kwargs_start < 0:
                    kwargs_start = i
                i = nxt
            if unknown >= 0 and not arg_spans and kwargs_start < 0:
                # A Value (a result payload) is one field 1 to 20, never args or kwargs as
                # Arguments has them: read as Arguments it would be an empty call.
                raise Fail(
                    "not an Arguments message: no args (field 1) and no kwargs (field 2), "
                    f"only fields Arguments does not have (field {unknown_field}, wire type "
                    f"{unknown_wire}, at byte {unknown}); is it a result payload read as "
                    "arguments?"
                )
        except Fail as fail:
            raise DecodeError(f"malformed protobuf Arguments: {fail.reason}") from None
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if not locate:
            if arg_spans and not interleaved:
                args = decode_items(data, 0, arg_spans[-1][1], _ARGS_DEPTH, limit)
            else:
                args = [decode_value(data, a, b, _ARGS_DEPTH, limit) for a, b in arg_spans]
            if kwargs_start >= 0:
                kwargs = decode_entries(data, kwargs_start, end, _ARGS_DEPTH, limit, 0x12)
            return args, kwargs
        if arg_spans and not interleaved:
            stop = arg_spans[-1][1]
            args = self._decode("$.args", decode_items, data, 0, stop, _ARGS_DEPTH, limit)
        else:
            for n, (a, b) in enumerate(arg_spans):
                path = path_key("$.args", n)
                args.append(self._decode(path, decode_value, data, a, b, _ARGS_DEPTH, limit))
        if kwargs_start >= 0:
            kwargs = self._decode(
                "$.kwargs", decode_entries, data, kwargs_start, end, _ARGS_DEPTH, limit, 0x12
            )
        return args, kwargs

    # -- error boundary ------------------------------------------------------------------------

    @staticmethod
    def _encode(root: str, func: Callable[..., bytes], *args: Any) -> bytes:
        try:
            return func(*args)
        except Fail as fail:
            raise EncodeError(fail.reason, path=fail.path(root)) from None
        except RecursionError:
            raise EncodeError(
                "value nested too deeply for the Python stack; lower max_depth", path=root
            ) from None

    @staticmethod
    def _decode(root: str, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except Fail as fail:
            reason = fail.reason
            if not reason.startswith(_TOO_DEEP):  # too deep is not malformed: said as JSON does
                reason = f"malformed protobuf body: {reason}"
            raise DecodeError(reason, path=fail.path(root)) from None
        except DecodeError as exc:  # from the _model parsers, which know no path
            raise DecodeError(exc.reason, path=root) from None
        except TooManyEmptySets:
            raise  # the caller refuses the whole body
        except UnicodeDecodeError as exc:
            raise DecodeError(f"string is not valid UTF-8: {exc.reason}", path=root) from None
        except Exception as exc:  # a guard: the decoder must never leak another exception type
            raise DecodeError(
                f"protobuf body could not be decoded: {exc!r:.200}", path=root
            ) from exc


class ProtobufTransport(CodecTransport):
    """A transport whose codec is :class:`ProtobufCodec` (payloads are always enveloped).

    Takes the options of :class:`~flowwire.transport._transport.CodecTransport` except the codec;
    ``max_depth`` is passed to the codec too.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(ProtobufCodec(max_depth=options.get("max_depth", MAX_DEPTH)), **options)
