"""The three protocols of the transport layer. They are never mixed:

* :class:`Codec`: value <-> bytes. Knows the value model, nothing about stages or backends.
  It may declare :class:`CodecTraits` (text or binary, the types it carries natively, its
  optional capabilities :class:`TextCodec` and :class:`ArgumentsCodec`).
* :class:`Stage`: bytes <-> bytes (compression, encryption, offload). Knows nothing of values.
* :class:`Transport`: composes a codec, stages and armor; owns limits; produces the payload
  strings that engines move. Engines and task classes only ever talk to a Transport.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from flowwire.errors import TaskError

__all__ = [
    "ArgumentsCodec",
    "Codec",
    "CodecTraits",
    "ContextualTransport",
    "Decoders",
    "Stage",
    "StageContext",
    "TextCodec",
    "Transport",
    "TransportContext",
    "traits_of",
]

#: The default of ``max_decoded_bytes``: the most bytes a stage that expands its input may
#: produce when decoding (1 MiB, 32 times SWF's 32,768-character field).
DEFAULT_MAX_DECODED_BYTES = 1 << 20


@runtime_checkable
class Codec(Protocol):
    """Turns values of the value model into bytes and back.

    Contract:

    * ``name`` is a short ASCII identifier (at most 32 characters, ``[a-z0-9_.-]``); it is
      written into every enveloped payload and is how the receiver picks the decoder.
    * ``encode`` must return bytes that ``decode`` turns back into an equal value for every
      value of the base model; it must raise :class:`~flowwire.EncodeError` naming the value's
      path for anything it cannot carry exactly. It must never call pickle or write a name
      of code to import.
    * ``decode`` must raise :class:`~flowwire.DecodeError` (and nothing else) for malformed,
      truncated or hostile input, and must not allocate memory out of proportion to the
      input's size.
    * Extended types (tuple, datetime, Decimal, dataclasses, ...) are lowered to the forms the
      value-model page documents; they are rebuilt from annotations by the transport, so a
      codec may return their lowered form from ``decode``.
    * Optional: ``traits``, a :class:`CodecTraits` saying what the codec is and can do. A
      codec without it is read with :func:`traits_of`'s defaults.
    """

    name: str

    def encode(self, value: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


@dataclass(frozen=True, slots=True)
class CodecTraits:
    """What a codec declares about itself, as its class attribute ``traits``.

    The transport reads the capabilities; the strategies and the conformance kit of
    ``flowwire.testing``, flowwire's own tests and the benchmarks read the rest, so no list
    of codecs is written by hand anywhere.

    * ``text``: its output can travel as plain text with no envelope: the codec is a
      :class:`TextCodec` (JSON). Otherwise it is binary and every payload is enveloped.
    * ``native``: the types beyond the base model that ``decode`` gives back as the same
      type without any annotation (msgpack ext types, protobuf fields): for example
      ``tuple``, ``datetime``, ``Decimal``. Every other extended type is lowered and rebuilt
      from annotations.
    * ``arguments``: the codec is an :class:`ArgumentsCodec`, with a wire form of its own for
      task arguments.
    """

    text: bool = False
    native: frozenset[type] = frozenset()
    arguments: bool = False

    @property
    def binary(self) -> bool:
        """Every payload of this codec is enveloped bytes (not :attr:`text`)."""
        return not self.text


@runtime_checkable
class TextCodec(Codec, Protocol):
    """A codec whose output can travel as plain text with no envelope (JSON).

    ``encode_text`` returns the text, or ``None`` when the value needs the codec's enveloped
    form (for example bytes or NaN in JSON). ``decode_text`` reads such text back.
    """

    def encode_text(self, value: Any) -> str | None: ...

    def decode_text(self, text: str) -> Any: ...


@runtime_checkable
class ArgumentsCodec(Codec, Protocol):
    """A codec with a wire form of its own for task arguments (protobuf's ``Arguments``).

    ``encode_arguments(args, kwargs)`` must raise :class:`~flowwire.EncodeError` with paths
    as ``$.args[0]`` / ``$.kwargs["k"]``; ``decode_arguments`` returns ``(args, kwargs)`` as a
    list and a dict and raises only :class:`~flowwire.DecodeError`.
    """

    def encode_arguments(self, args: list[Any], kwargs: dict[str, Any]) -> bytes: ...

    def decode_arguments(self, data: bytes) -> tuple[list[Any], dict[str, Any]]: ...


def traits_of(codec: Any) -> CodecTraits:
    """The :class:`CodecTraits` of ``codec`` (an instance or its class): its ``traits``
    attribute, or, for a codec that declares none, the traits its methods show (``text`` when
    it is a :class:`TextCodec`, ``arguments`` when it is an :class:`ArgumentsCodec`; nothing
    native)."""
    declared = getattr(codec, "traits", None)
    if isinstance(declared, CodecTraits):
        return declared
    return CodecTraits(
        text=callable(getattr(codec, "encode_text", None))
        and callable(getattr(codec, "decode_text", None)),
        arguments=callable(getattr(codec, "encode_arguments", None))
        and callable(getattr(codec, "decode_arguments", None)),
    )


class Decoders(Protocol):
    """Where a transport finds what a payload names that the transport was not given: the
    codec of a payload another transport wrote, and a stage to undo that it did not
    configure. The registry is one (``flowwire.transport.registry.DECODERS``, the
    default); a transport can be given another.

    * ``codec(name, max_depth=...)`` returns a codec named ``name``, or raises
      :class:`LookupError` when there is none.
    * ``stage(name)`` returns a stage that undoes stage ``name`` without configuration
      (decompression, say), or ``None``; it may raise :class:`~flowwire.DecodeError` naming
      what the stage lacks here.
    """

    def codec(self, name: str, *, max_depth: int) -> Codec: ...

    def stage(self, name: str) -> Stage | None: ...


@dataclass(frozen=True, slots=True)
class StageContext:
    """What a stage may know about the payload it transforms.

    ``limit`` is the maximum number of characters the final payload string may have (the
    backend's field limit); ``armored_size`` computes the final string size for a given number
    of enveloped bytes, so a stage (offload) can decide whether the payload would fit.
    ``what`` names the payload for error messages. ``max_output`` is the transport's
    ``max_decoded_bytes``: a stage that expands its input (decompression) must refuse, with
    :class:`~flowwire.DecodeError`, to produce more than that, and must stop before
    allocating more.

    ``header`` is the envelope header as far as this stage: magic, format version, codec name
    and the entries of the stages applied *before* this one, as
    ``flowwire.transport.envelope.pack`` writes them with an empty body. A stage that
    authenticates (``aesgcm``) binds it, so that changing the codec name or an earlier stage's
    entry fails authentication. It is the same bytes on encode and on decode.
    """

    limit: int
    armored_size: Callable[[int], int]
    what: str = "payload"
    max_output: int = DEFAULT_MAX_DECODED_BYTES
    header: bytes = b""


@runtime_checkable
class Stage(Protocol):
    """A bytes -> bytes step applied after the codec (encode) and undone before it (decode).

    Contract:

    * ``name`` is a short ASCII identifier recorded in the envelope header; the receiver finds
      the stage to undo it by this name.
    * ``encode`` returns ``(data, params)`` when the stage applies, where ``params`` (at most
      65,535 bytes) is recorded in the header and handed back to ``decode``; or ``None`` when
      the stage decides to skip this payload (it is then not recorded).
    * ``decode(data, params, ctx)`` must return exactly the bytes ``encode`` was given, or raise
      :class:`~flowwire.DecodeError` naming what failed (wrong key, tampering, missing object).
      A stage that expands its input must never return more than ``ctx.max_output`` bytes,
      nor allocate much more than that on the way: a decompression bomb is refused.
    * ``redacts`` is true for stages whose purpose is confidentiality: the transport then keeps
      failure messages out of the plain-text reason field.
    """

    name: str
    redacts: bool

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes] | None: ...

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes: ...


@dataclass(frozen=True, slots=True)
class TransportContext:
    """What an engine supplies to the transports it uses, instead of rebuilding them.

    ``store`` is the engine's offload store (a :class:`~flowwire.transport.stages.BlobStore`):
    an ``offload`` stage configured without one (``"json+offload"`` by name) writes into it,
    and a reference to an object in a store of that name is read from it. ``None``: the
    engine offers no store.
    """

    store: Any = None


@runtime_checkable
class Transport(Protocol):
    """Turns task arguments, results, restart arguments and errors into payload strings.

    Workers and starters share one transport per task type, so both sides always agree on the
    wire format. Every payload is a ``str`` (string-only backends such as SWF carry it as is).

    Contract: ``deserialize_arguments(serialize_arguments(a, k))`` returns ``(tuple(a), k)``
    (with extended types rebuilt when ``signature`` annotates them), ``deserialize_result``
    likewise for ``serialize_result``; errors are :class:`~flowwire.EncodeError`,
    :class:`~flowwire.DecodeError` and :class:`~flowwire.PayloadTooLarge` only, and, from an
    offload stage whose store fails, :class:`~flowwire.StoreOutage` (transient: try again) and
    :class:`~flowwire.StoreWriteFailed`.
    """

    name: str

    def serialize_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str: ...

    def deserialize_arguments(
        self, payload: str, *, signature: Callable[..., Any] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]: ...

    def serialize_result(self, value: Any) -> str: ...

    def deserialize_result(self, payload: str, *, type_hint: Any = Any) -> Any: ...

    def serialize_restart_arguments(
        self, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> str: ...

    def serialize_error(self, exc: BaseException) -> tuple[str, str]: ...

    def deserialize_error(self, reason: str, details: str) -> TaskError: ...


@runtime_checkable
class ContextualTransport(Transport, Protocol):
    """A transport an engine can hand a :class:`TransportContext` to.

    ``with_context`` must return a transport that behaves exactly like this one, with every
    option the user set, plus what the context supplies (``self`` when the context changes
    nothing). Engines call it once per transport and keep the result. A transport without this
    method is used as it is.
    """

    def with_context(self, context: TransportContext) -> Transport: ...
