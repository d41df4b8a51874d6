"""``CodecTransport``: a codec, an ordered list of stages and armor, with limits.

Encoding: value -> codec -> stages (in order) -> envelope -> armor -> str, or plain JSON text
when the codec is JSON, there are no stages and the value needs no escapes. Decoding reads the
header, checks the codec against the accept-list, undoes the stages in reverse and decodes.
"""

from __future__ import annotations

import binascii
import copy
import traceback as _traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn

import pybase64

from flowwire.errors import (
    ApplicationError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    PayloadTooLarge,
    StoreUnavailable,
    TaskError,
)
from flowwire.transport import codecs, envelope, registry
from flowwire.transport._protocols import (
    DEFAULT_MAX_DECODED_BYTES,
    ArgumentsCodec,
    Codec,
    Decoders,
    Stage,
    StageContext,
    TextCodec,
    TransportContext,
    traits_of,
)
from flowwire.transport.model import evolution
from flowwire.transport.model._fast import checked, run
from flowwire.transport.model._model import MAX_DEPTH
from flowwire.transport.model._typing import ArgumentTypes, compile_hint

__all__ = [
    "BUILTIN_CODECS",
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_MAX_PAYLOAD_CHARS",
    "REASON_LIMIT",
    "CodecTransport",
    "arguments_error",
    "raise_arguments_error",
    "split_arguments",
]

#: SWF's limit for input, result and details fields, in characters.
DEFAULT_MAX_PAYLOAD_CHARS = 32_768
#: SWF's limit for a failure reason, in characters.
REASON_LIMIT = 256
#: Codecs every transport accepts unless told otherwise: the built-ins.
BUILTIN_CODECS = frozenset(name for name, _, _ in codecs.BUILTINS)

_ARGS_KEYS = frozenset({"args", "kwargs"})
#: Between the traceback of a failed task and the one of the task it made fail (as Python
#: words a chained exception).
_CAUSED = "The above exception was the direct cause of the following exception:"
_MISS: Any = object()  # "not decoded on the direct path"


def split_arguments(value: Any) -> tuple[list[Any], dict[str, Any]]:
    """Check the shape of a decoded arguments object and return ``(args, kwargs)``."""
    if type(value) is not dict or not value.keys() <= _ARGS_KEYS:
        raise DecodeError(
            "arguments payload must be an object with 'args' (array) and 'kwargs' "
            f"(object), got {type(value).__name__}"
        )
    args = value.get("args", [])
    kwargs = value.get("kwargs", {})
    if type(args) is not list:
        raise DecodeError(f"'args' must be an array, got {type(args).__name__}", path="$.args")
    if type(kwargs) is not dict:
        raise DecodeError(
            f"'kwargs' must be an object, got {type(kwargs).__name__}", path="$.kwargs"
        )
    return args, kwargs


def arguments_path(path: str | None) -> str | None:
    """``path`` inside ``{"args": ..., "kwargs": ...}`` as the library names a value of call
    arguments (``$["args"][0]`` becomes ``$.args[0]``); None when it needs no change."""
    if path is not None:
        for key in ("args", "kwargs"):
            prefix = f'$["{key}"]'
            if path.startswith(prefix):
                return f"$.{key}{path[len(prefix) :]}"
    return None


def arguments_error(exc: EncodeError) -> EncodeError | None:
    """``exc``, raised encoding ``{"args": ..., "kwargs": ...}``, with its path as decoding
    names it (``$["args"][0]`` becomes ``$.args[0]``); None when its path needs no change."""
    path = arguments_path(exc.path)
    return None if path is None else EncodeError(exc.reason, path=path)


def raise_arguments_error(exc: DecodeError) -> NoReturn:
    """Raise ``exc``, raised decoding ``{"args": ..., "kwargs": ...}`` (a nesting too deep,
    found by the codec), with its path as the arguments name it (a new DecodeError, from
    ``exc``, when the path changes)."""
    path = arguments_path(exc.path) if type(exc) is DecodeError else None
    if path is None:
        raise exc
    raise DecodeError(exc.reason, path=path) from exc


#: attribute values an error carries in its details (containers of these too)
_SIMPLE = (type(None), bool, int, float, str, bytes)
_ATTRIBUTE_DEPTH = 8


def _simple(value: Any, depth: int = 0) -> Any:
    """``value`` if every part of it is simple (tuples become lists), else ``_MISS``."""
    if type(value) in _SIMPLE:
        return value
    if depth >= _ATTRIBUTE_DEPTH:
        return _MISS
    if type(value) in (list, tuple):
        items = [_simple(item, depth + 1) for item in value]
        return _MISS if any(item is _MISS for item in items) else items
    if type(value) is dict and all(type(k) is str for k in value):
        pairs = {k: _simple(v, depth + 1) for k, v in value.items()}
        return _MISS if any(v is _MISS for v in pairs.values()) else pairs
    return _MISS


def error_attributes(exc: BaseException) -> dict[str, Any]:
    """The attributes of ``exc`` that its failure details carry: a ``TaskError``'s
    ``attributes`` (the remote exception's, passed on), else the instance's own public
    attributes whose values are simple (see ``TaskError.attributes``), by name. Others (an
    object, a class, a private ``_name``) are left out: an error report must not fail."""
    if isinstance(exc, TaskError):
        return dict(exc.attributes)
    found: dict[str, Any] = {}
    for name, value in sorted(getattr(exc, "__dict__", {}).items()):
        if type(name) is not str or name.startswith("_") or name in _NOT_ATTRIBUTES:
            continue
        if isinstance(exc, ApplicationError) and name == "message":
            continue
        simple = _simple(value)
        if simple is not _MISS:
            found[name] = simple
    return found


_NOT_ATTRIBUTES = frozenset({"non_retryable"})


def is_non_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` says it must not be retried: its ``non_retryable`` attribute (the
    instance's or its class's) is ``True``."""
    return getattr(exc, "non_retryable", False) is True


def _str_keyed(value: dict[Any, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if type(k) is str}


def _codec_failure(name: str, exc: Exception) -> DecodeError:
    """The DecodeError for a codec that raised something else while decoding."""
    if isinstance(exc, (RecursionError, MemoryError)):
        return DecodeError(f"codec {name!r} gave up on the payload: {type(exc).__name__}")
    # a third-party codec broke its contract: still a DecodeError
    return DecodeError(f"codec {name!r} failed to decode: {exc!r:.200}")


class CodecTransport:
    """A :class:`~flowwire.transport.Transport` built from a codec and optional stages.

    Args:
        codec: the codec for everything this transport writes.
        stages: stages applied in order after the codec (objects, or registered names, which
            are looked up in the registry).
        accept: codec names accepted when reading; default: the built-ins plus ``codec``.
            A payload written with another codec is refused with :class:`DecodeError`; so is
            one in this transport's own codec when ``accept`` is given without it.
        max_payload_chars: the maximum length of a payload string (``None``: unlimited).
            Over it, :class:`PayloadTooLarge` is raised; configure an offload stage instead.
        max_depth: the maximum nesting depth of values, on writing and reading: that many
            nested containers are carried, one more is an :class:`EncodeError` or
            :class:`DecodeError` naming ``max_depth`` and the path. Passed to the codecs of
            payloads written in other codecs; a codec whose library has a lower hard limit
            (JSON: 126, MessagePack: 1,024) refuses it with :class:`ConfigurationError`
            (a payload in that codec is then a :class:`DecodeError` saying so).
        max_decoded_bytes: the most bytes a stage that expands its input may produce when
            reading a payload (the uncompressed size of a ``zstd`` frame); default 1 MiB
            (:data:`DEFAULT_MAX_DECODED_BYTES`). Over it, :class:`DecodeError` is raised
            before the bytes are produced, so a small payload cannot make a reader allocate
            gigabytes. Compressed documents larger than this need a larger value on the
            reading side (memory use while decoding grows with it). An offloaded object is
            not expansion (it is the payload, kept in the store) and is not bounded here.
        armor: how an envelope becomes a payload string: ``"base64"`` (the default: ASCII,
            safe in any string field, 4 characters per 3 bytes) or ``"latin-1"`` (one
            character per byte, converted at memory-copy speed; only for backends that carry
            any Unicode text unchanged, such as the local engine). Every transport reads both.
        unknown_fields: what typed decoding does with a field a record class does not know
            (a newer writer's, or a removed one): ``"refuse"`` (the default), ``"ignore"``
            or ``"keep"``; a type's own :func:`~flowwire.transport.model.evolution.evolution`
            setting wins. See the schema-evolution page.
        decoders: where a payload's codec other than ``codec``, and a stage to undo that this
            transport did not configure, are found (:class:`~flowwire.transport.Decoders`);
            default ``flowwire.transport.registry.DECODERS``, everything registered.
        require_encryption: whether every payload read must have gone through this
            transport's encrypting stages (those whose ``redacts`` trait is true, such as
            ``aesgcm``). ``None`` (the default): true exactly when such a stage is configured,
            so that whoever can write a history cannot hand an encrypting reader a plain
            value. A payload without the stage is then refused with :class:`DecodeError`
            naming the stage, whatever it is (arguments, result, restart arguments, error
            details). ``False`` is the migration switch: both encrypted and plain payloads are
            read, for histories written before encryption was enabled; set it back once they
            are gone. ``True`` without an encrypting stage is a :class:`ConfigurationError`.
    """

    def __init__(
        self,
        codec: Codec,
        *,
        stages: Sequence[Stage | str] = (),
        accept: Iterable[str] | None = None,
        max_payload_chars: int | None = DEFAULT_MAX_PAYLOAD_CHARS,
        max_depth: int = MAX_DEPTH,
        max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
        name: str | None = None,
        armor: str = "base64",
        unknown_fields: str = "refuse",
        decoders: Decoders | None = None,
        require_encryption: bool | None = None,
    ) -> None:
        codec_name = getattr(codec, "name", None)
        if not isinstance(codec_name, str) or not envelope.valid_name(codec_name):
            raise ConfigurationError(
                f"codec {codec!r} has name {codec_name!r}; a codec name must be 1-32 "
                "characters of [a-z0-9_.-] (it is written into every payload header)"
            )
        if armor not in envelope.ARMORS:
            raise ConfigurationError(
                f"unknown armor {armor!r}; choose one of {', '.join(envelope.ARMORS)}"
            )
        self.armor = armor
        self.codec = codec
        self.decoders: Decoders = registry.DECODERS if decoders is None else decoders
        self.traits = traits = traits_of(codec)
        self.unknown_fields = evolution.check_policy(unknown_fields, "unknown_fields")
        self._unknown = None if unknown_fields == "refuse" else unknown_fields
        self.accept = frozenset(accept) if accept is not None else BUILTIN_CODECS | {codec.name}
        self.max_payload_chars = max_payload_chars
        self.max_depth = max_depth
        if type(max_decoded_bytes) is not int or max_decoded_bytes < 0:
            raise ConfigurationError(
                f"max_decoded_bytes must be an int >= 0, got {max_decoded_bytes!r}"
            )
        self.max_decoded_bytes = max_decoded_bytes
        if require_encryption not in (None, True, False):
            raise ConfigurationError(
                f"require_encryption must be None, True or False, got {require_encryption!r}"
            )
        self._require_encryption = require_encryption
        self._context = TransportContext()
        self._configure_stages(
            tuple(registry.get_stage(s) if isinstance(s, str) else s for s in stages)
        )
        if require_encryption and not self._encrypting:
            configured = ", ".join(repr(s.name) for s in self.stages) or "none"
            raise ConfigurationError(
                "require_encryption=True needs an encrypting stage (one whose 'redacts' trait "
                f"is true, such as AESGCM) among the stages; configured: {configured}"
            )
        self.name = name or "+".join([codec.name, *(s.name for s in self.stages)])
        self._codecs: dict[str, Codec] = {codec.name: codec}
        self._arguments: dict[str, ArgumentsCodec | None] = {
            codec.name: codec if traits.arguments else None  # type: ignore[dict-item]
        }
        # The envelope header when no stage applies: encoded and recognised without parsing.
        self._bare_header = envelope.pack(codec.name, (), b"")
        self._codec_encode_arguments = self._arguments[codec.name]
        # When the bare header fills whole base64 quanta (msgpack's 12 bytes, json's 9), the
        # armored payload is this prefix followed by the base64 of the body alone.
        header = self._bare_header
        self._b64_header = envelope.armor(header) if len(header) % 3 == 0 else None
        self._latin1 = armor == "latin-1"

    def _configure_stages(self, stages: tuple[Stage, ...]) -> None:
        """Set ``stages`` and everything derived from them."""
        codec = self.codec
        self.stages = stages
        text = codec if self.traits.text and not stages else None
        self._text: TextCodec | None = text  # type: ignore[assignment]
        self._stage_by_name = {s.name: s for s in stages}
        self._redacts = any(getattr(s, "redacts", False) for s in stages)
        #: the names of the encrypting stages every payload read must carry (see
        #: require_encryption); empty when nothing is required
        self._encrypting = tuple(s.name for s in stages if getattr(s, "redacts", False))
        required = self._require_encryption is not False and bool(self._encrypting)
        self._required = self._encrypting if required else ()
        self._contexts: dict[tuple[str, tuple[tuple[str, int], ...]], StageContext] = {}
        # A binary codec without stages takes a shorter path (same bytes, same errors).
        self._direct = not stages and self._text is None
        # Reading takes the short path only when the accept-list lets this codec in.
        self._direct_in = self._direct and codec.name in self.accept
        self._direct_arguments = self._direct_in and not self.traits.arguments

    def __repr__(self) -> str:
        stages = ", ".join(repr(s) for s in self.stages)
        return f"{type(self).__name__}(codec={self.codec.name!r}, stages=[{stages}])"

    @property
    def require_encryption(self) -> bool:
        """Whether payloads read must carry this transport's encrypting stages (the option's
        effective value: ``None`` resolved)."""
        return bool(self._required)

    @property
    def context(self) -> TransportContext:
        """The context an engine handed this transport (empty by default)."""
        return self._context

    def with_context(self, context: TransportContext) -> CodecTransport:
        """This transport with every option kept, plus what ``context`` supplies: its store
        goes into every ``offload`` stage configured without one, and reads references to
        objects in a store of its name. Returns ``self`` when nothing changes."""
        if context == self._context:
            return self
        from flowwire.transport.stages.offload import Offload, UnconfiguredOffload

        clone = copy.copy(self)
        clone._context = context
        stages = self.stages
        if context.store is not None:
            stages = tuple(
                Offload(context.store) if isinstance(s, UnconfiguredOffload) else s for s in stages
            )
        clone._configure_stages(stages)
        return clone

    # -- the Transport protocol ----------------------------------------------------------

    def serialize_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        return self._encode_arguments(args, kwargs, "arguments")

    def serialize_restart_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        return self._encode_arguments(args, kwargs, "restart arguments")

    def deserialize_arguments(
        self, payload: str, *, signature: Callable[..., Any] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            value = self._direct_decode(payload) if self._direct_arguments else _MISS
            if value is not _MISS:
                try:  # the shape every writer produces, checked with two lookups
                    args, kwargs = value["args"], value["kwargs"]
                    if type(args) is not list or type(kwargs) is not dict or len(value) != 2:
                        raise KeyError
                except (KeyError, TypeError, IndexError):
                    args, kwargs = split_arguments(value)
            else:
                codec, body = self._open(payload, "arguments")
                arguments_codec = self._arguments_codec(codec)
                if arguments_codec is not None and not isinstance(body, str):
                    args, kwargs = self._guard(codec.name, arguments_codec.decode_arguments, body)
                else:
                    args, kwargs = split_arguments(self._decode_body(codec, body))
        except DecodeError as exc:
            raise_arguments_error(exc)
        if signature is None:
            return tuple(args), kwargs
        return self._typed_arguments(signature, args, kwargs)

    def serialize_result(self, value: Any) -> str:
        return self._encode(value, "result")

    def _typed_result(self, value: Any, type_hint: Any) -> Any:
        """``value`` converted under ``type_hint`` with this transport's unknown-field policy;
        raises only DecodeError."""
        conv = compile_hint(type_hint)
        if conv is None:
            return value
        if self._unknown is None:
            fast = getattr(conv, "__flowwire_fast__", None)  # run(), inlined
            if fast is not None:
                try:
                    return fast(value)
                except Exception:
                    pass
            return checked(conv, value, "$")
        token = evolution.set_policy(self._unknown)
        try:
            return run(conv, value, "$")
        finally:
            evolution.reset_policy(token)

    def _typed_arguments(
        self, signature: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        types_ = ArgumentTypes.of(signature)
        if self._unknown is None:
            return types_.apply(args, kwargs)
        token = evolution.set_policy(self._unknown)
        try:
            return types_.apply(args, kwargs)
        finally:
            evolution.reset_policy(token)

    def deserialize_result(self, payload: str, *, type_hint: Any = Any) -> Any:
        value = self._direct_decode(payload) if self._direct_in else _MISS
        if value is _MISS:
            codec, body = self._open(payload, "result")
            value = self._decode_body(codec, body)
        if type_hint is Any:
            return value
        return self._typed_result(value, type_hint)

    def serialize_error(self, exc: BaseException) -> tuple[str, str]:
        type_name = exc.type_name if isinstance(exc, TaskError) and exc.type_name else None
        type_name = type_name or type(exc).__qualname__
        message = exc.message if isinstance(exc, TaskError) else str(exc)
        trace = "".join(_traceback.format_exception(exc))
        remote = exc.traceback if isinstance(exc, TaskError) else None
        if remote:  # a task failed because another one did: keep that one's traceback first
            trace = f"{remote.rstrip()}\n\n{_CAUSED}\n\n{trace}"
        info: dict[str, Any] = {"type": type_name, "message": message, "traceback": trace}
        if isinstance(exc, TaskError) and exc.task:
            info["task"] = exc.task
        attributes = error_attributes(exc)
        if attributes:
            info["attributes"] = attributes
        if is_non_retryable(exc):
            info["non_retryable"] = True
        try:
            try:
                details = self._encode(info, "error details")
            except EncodeError:  # an attribute the codec refuses: report without them
                if info.pop("attributes", None) is None:
                    raise
                info["attributes_omitted"] = len(attributes)
                details = self._encode(info, "error details")
        except PayloadTooLarge as too_large:
            # Reporting the failure matters more than its full text: drop the traceback, then
            # shorten the message, each with a visible marker saying what was cut and why.
            info["traceback"] = (
                f"(traceback of {len(trace):,} characters omitted: the error details were "
                f"{too_large.size:,} characters, over the limit of {too_large.limit:,})"
            )
            try:
                details = self._encode(info, "error details")
            except PayloadTooLarge:
                if info.pop("attributes", None) is not None:
                    info["attributes_omitted"] = len(attributes)
                keep = max(0, too_large.limit // 8)
                info["message"] = (
                    f"{message[:keep]}... (message of {len(message):,} characters shortened "
                    f"to fit the {too_large.limit:,}-character limit of error details)"
                )
                details = self._encode(info, "error details")
        if self._redacts:
            reason = type_name
        else:
            reason = f"{type_name}: {message}" if message else type_name
        if len(reason) > REASON_LIMIT:  # a summary only: the details carry the full text
            reason = reason[: REASON_LIMIT - 1] + "\u2026"
        return reason, details

    def deserialize_error(self, reason: str, details: str) -> TaskError:
        if not details:
            return TaskError(reason, reason=reason)
        try:
            info = self._decode_body(*self._open(details, "error details"))
        except StoreUnavailable:  # transient: the details may be intact, read them again later
            raise
        except DecodeError as exc:
            return TaskError(f"{reason} (error details unreadable: {exc})", reason=reason)
        if type(info) is not dict:
            return TaskError(reason, reason=reason)

        def text(key: str) -> str | None:
            value = info.get(key)
            return value if isinstance(value, str) else None

        attributes = info.get("attributes")
        return TaskError(
            text("message") or reason,
            task=text("task"),
            type_name=text("type"),
            traceback=text("traceback"),
            reason=reason,
            attributes=_str_keyed(attributes) if type(attributes) is dict else None,
            non_retryable=info.get("non_retryable") is True,
        )

    # -- encoding ------------------------------------------------------------------------

    def _encode_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any], what: str) -> str:
        arguments_codec = self._codec_encode_arguments
        if arguments_codec is not None:
            return self._wrap(arguments_codec.encode_arguments(list(args), dict(kwargs)), what)
        try:
            return self._encode({"args": list(args), "kwargs": dict(kwargs)}, what)
        except EncodeError as exc:
            better = arguments_error(exc)
            if better is None:
                raise
            raise better from exc

    def _encode(self, value: Any, what: str) -> str:
        if self._direct:  # _wrap without stages, inlined: the hot path of binary codecs
            body = self.codec.encode(value)
            if self._latin1:
                text = (self._bare_header + body).decode("latin-1")
            elif self._b64_header is not None:
                text = self._b64_header + pybase64.b64encode_as_string(body)
            else:
                text = "~" + pybase64.b64encode_as_string(self._bare_header + body)
            limit = self.max_payload_chars
            if limit is not None and len(text) > limit:
                raise PayloadTooLarge(len(text), limit, what=what)
            return text
        if self._text is not None:
            plain = self._text.encode_text(value)
            if plain is not None:
                limit = self.max_payload_chars
                if limit is not None and len(plain) > limit:
                    raise PayloadTooLarge(len(plain), limit, what=what)
                return plain
        return self._wrap(self.codec.encode(value), what)

    def _wrap(self, body: bytes, what: str) -> str:
        limit = self.max_payload_chars
        armor = self.armor
        if not self.stages:
            text = envelope.armor(self._bare_header + body, armor)
            if limit is not None and len(text) > limit:
                raise PayloadTooLarge(len(text), limit, what=what)
            return text
        applied: list[tuple[str, bytes]] = []
        codec_name = self.codec.name
        for stage in self.stages:
            # A stage sees the final size the payload would have with the header written so
            # far; contexts are cached per (payload kind, header so far), and carry that
            # header itself only when it has entries (it differs from payload to payload).
            key = (what, tuple((n, len(p)) for n, p in applied) if applied else ())
            ctx = self._contexts.get(key)
            if ctx is None:
                overhead = envelope.header_size(codec_name, applied) + 64

                def final_size(size: int, _o: int = overhead) -> int:
                    return envelope.armored_size(size + _o, armor)

                ctx = self._contexts[key] = StageContext(
                    limit=limit if limit is not None else 2**62,
                    armored_size=final_size,
                    what=what,
                    header=self._bare_header,
                )
            if applied:
                ctx = StageContext(
                    limit=ctx.limit,
                    armored_size=ctx.armored_size,
                    what=what,
                    header=envelope.pack(codec_name, applied, b""),
                )
            result = stage.encode(body, ctx)
            if result is not None:
                body, params = result
                applied.append((stage.name, params))
        if self._required:
            self._check_encrypted([name for name, _ in applied], what, writing=True)
        if applied:
            text = envelope.armor(envelope.pack(codec_name, applied, body), armor)
        else:  # every stage skipped this payload (below thresholds): the bare header
            text = envelope.armor(self._bare_header + body, armor)
        if limit is not None and len(text) > limit:
            raise PayloadTooLarge(len(text), limit, what=what)
        return text

    # -- decoding ------------------------------------------------------------------------

    def _direct_decode(self, payload: str) -> Any:
        """The value of a payload in this transport's own codec without stages, or ``_MISS``
        when the payload is anything else (the general path then reads it, or names what is
        wrong with it)."""
        if type(payload) is not str:
            return _MISS
        first = payload[:1]
        b64_header = self._b64_header
        body: bytes | None
        try:
            if first == "~":
                if b64_header is not None and payload.startswith(b64_header):
                    body = envelope.b64decode_strict(payload[len(b64_header) :])
                else:
                    body = self._strip_bare_header(envelope.b64decode_strict(payload[1:]))
            elif first == "F":
                body = self._strip_bare_header(payload.encode("latin-1"))
            else:
                return _MISS
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return _MISS
        if body is None:
            return _MISS
        try:  # _guard, inlined
            return self.codec.decode(body)
        except DecodeError:
            raise
        except Exception as exc:
            raise _codec_failure(self.codec.name, exc) from exc

    def _strip_bare_header(self, data: bytes) -> bytes | None:
        header = self._bare_header
        return data[len(header) :] if data.startswith(header) else None

    def _open(self, payload: str, what: str) -> tuple[Codec, bytes | str]:
        """Read the header: returns the codec and its body (bytes) or plain JSON text (str)."""
        if type(payload) is not str:
            raise DecodeError(f"{what} payload must be a str, got {type(payload).__name__}")
        if not payload:
            raise DecodeError(f"{what} payload is empty")
        first = payload[0]
        if first == envelope.ARMOR_PREFIX or first == envelope.LATIN1_PREFIX:
            data = envelope.dearmor(payload)
            if data.startswith(self._bare_header) and self.codec.name in self.accept:
                if self._required:
                    self._check_encrypted((), what)
                return self.codec, data[len(self._bare_header) :]
            env = envelope.unpack(data)
            stages = env.stages
            if self._required:
                self._check_encrypted([name for name, _ in stages], what)
            codec = self._codec(env.codec)
            body = env.body
            for i in range(len(stages) - 1, -1, -1):
                name, params = stages[i]
                header = envelope.pack(env.codec, stages[:i], b"")  # what came before it
                body = self._undo_stage(name, params, body, what, header)
            return codec, body
        if first in envelope.JSON_START:
            if self._required:
                self._check_encrypted((), what, form="plain JSON text")
            return self._codec("json"), payload
        raise DecodeError(
            f"{what} payload starts with {first!r}: neither '~' nor 'F' (an armored envelope) "
            "nor the start of a JSON text"
        )

    def _check_encrypted(
        self, names: Sequence[str], what: str, *, form: str = "", writing: bool = False
    ) -> None:
        """Raise unless every required encrypting stage is among the stage ``names`` of a
        payload (read, or being written when ``writing``)."""
        missing = [name for name in self._required if name not in names]
        if not missing:
            return
        need = " and ".join(repr(n) for n in missing)
        carries = f"only {', '.join(repr(n) for n in names)}" if names else "no stage"
        if writing:  # an encrypting stage skipped the payload: its own reader would refuse it
            raise EncodeError(
                f"{what} payload would not be encrypted: stage {need} skipped it, and this "
                f"transport ({self.name}) requires encryption (the payload carries {carries})"
            )
        raise DecodeError(
            f"{what} payload is not encrypted: this transport ({self.name}) requires stage "
            f"{need}, and the payload ({form or 'an envelope'}) carries {carries}. A payload "
            "without encryption is refused so that whoever can write a history cannot bypass "
            "it; to read payloads written before encryption was enabled, configure "
            "require_encryption=False (a migration switch)"
        )

    def _decode_body(self, codec: Codec, body: bytes | str) -> Any:
        if isinstance(body, str):
            return self._guard(codec.name, codec.decode_text, body)  # type: ignore[attr-defined]
        return self._guard(codec.name, codec.decode, body)

    @staticmethod
    def _guard(name: str, func: Callable[[Any], Any], data: Any) -> Any:
        try:
            return func(data)
        except DecodeError:
            raise
        except Exception as exc:
            raise _codec_failure(name, exc) from exc

    def _codec(self, name: str) -> Codec:
        if name not in self.accept:  # the transport's own codec included
            raise DecodeError(
                f"payload codec {name!r} is not accepted here (accepted: "
                f"{', '.join(sorted(self.accept)) or 'none'})"
            )
        codec = self._codecs.get(name)
        if codec is not None:
            return codec
        try:
            codec = self.decoders.codec(name, max_depth=self.max_depth)
        except LookupError as exc:
            raise DecodeError(f"payload codec {name!r} is not installed here: {exc}") from exc
        except ConfigurationError as exc:  # max_depth over what that codec can enforce
            raise DecodeError(
                f"payload codec {name!r} cannot read with this transport's "
                f"max_depth={self.max_depth}: {exc}"
            ) from exc
        self._codecs[name] = codec
        return codec

    def _arguments_codec(self, codec: Codec) -> ArgumentsCodec | None:
        """``codec`` when it declares the arguments capability, else None (cached by name)."""
        try:
            return self._arguments[codec.name]
        except KeyError:
            found = codec if traits_of(codec).arguments else None
            self._arguments[codec.name] = found  # type: ignore[assignment]
            return found  # type: ignore[return-value]

    def _undo_stage(self, name: str, params: bytes, body: bytes, what: str, header: bytes) -> bytes:
        stage = self._stage_by_name.get(name)
        if stage is None and name == "offload" and self._context.store is not None:
            from flowwire.transport.stages.offload import Offload

            stage = Offload(self._context.store)  # a reference into the engine's store
        if stage is None:
            stage = self.decoders.stage(name)
            if stage is None:
                raise DecodeError(
                    f"{what} payload needs stage {name!r}, which is not configured on this "
                    f"transport ({self.name})"
                )
        limit = self.max_decoded_bytes
        ctx = StageContext(
            limit=self.max_payload_chars or 2**62,
            armored_size=lambda size: envelope.armored_size(size, self.armor),
            what=what,
            max_output=limit,
            header=header,
        )
        try:
            out = stage.decode(body, params, ctx)
        except DecodeError:
            raise
        except Exception as exc:
            raise DecodeError(f"stage {name!r} failed to decode the {what}: {exc!r:.200}") from exc
        # A stage that expands its input (decompression) past the limit ignored max_output.
        # Offload is not expansion: its object is the payload itself, kept in the store.
        if len(out) > limit and len(out) > len(body) and name != "offload":
            raise DecodeError(
                f"stage {name!r} produced {len(out):,} bytes of the {what}, over "
                f"max_decoded_bytes={limit:,}"
            )
        return out
