"""The three protocols of the transport layer. They are never mixed:

* :class:`Codec`: value <-> bytes. Knows the value model, nothing about stages or backends.
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
    "Codec",
    "ContextualTransport",
    "Stage",
    "StageContext",
    "TextCodec",
    "Transport",
    "TransportContext",
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
    """

    name: str

    def encode(self, value: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


@runtime_checkable
class TextCodec(Codec, Protocol):
    """A codec whose output can travel as plain text with no envelope (JSON).

    ``encode_text`` returns the text, or ``None`` when the value needs the codec's enveloped
    form (for example bytes or NaN in JSON). ``decode_text`` reads such text back.
    """

    def encode_text(self, value: Any) -> str | None: ...

    def decode_text(self, text: str) -> Any: ...


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
    """

    limit: int
    armored_size: Callable[[int], int]
    what: str = "payload"
    max_output: int = DEFAULT_MAX_DECODED_BYTES


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
    :class:`~flowwire.DecodeError` and :class:`~flowwire.PayloadTooLarge` only.
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
