"""The JSON codec (orjson) and :class:`JSONTransport`.

Two forms:

* **Plain JSON text**: what most payloads are. Produced when the value fits JSON exactly
  (no bytes, no NaN/infinities, no integers beyond 64 bits). It is readable in the SWF console
  and writable by any language. Extended types are lowered (see the value-model page) and
  rebuilt from annotations on the receiving side.
* **Tagged JSON** (inside an envelope, body prefix ``$``): the same JSON plus single-key escape
  objects for what JSON cannot say: ``{"$bytes": "<base64>"}``, ``{"$float": "nan"|"inf"|"-inf"}``,
  ``{"$int": "<decimal digits>"}``; a user object that has exactly one key starting with ``$``
  is wrapped as ``{"$dict": {...}}`` so it is never mistaken for an escape. In the envelope,
  the body prefix ``=`` marks plain JSON (no escapes are interpreted).

Reading, an integer of any size in the text is read exactly as an ``int``, as other languages
write them: orjson reads one beyond 64 bits as a float, so a text with 19 digits in a row
(every such integer has at least 19) is read again by Python's exact parser.

Depth: ``max_depth`` (default 100) is enforced on both forms, writing and reading: that many
nested lists and objects are carried, one more is an ``EncodeError`` or ``DecodeError`` naming
``max_depth`` and the value's path. orjson writes at most 254 nested lists and objects and
the tagged form may take two of them for one level of a value (``{"$dict": {...}}``) and one
for an escape object, so ``max_depth`` over :data:`JSON_DEPTH_LIMIT` (126) is refused at
construction with ``ConfigurationError``. A text nested deeper than orjson reads (1,024
levels) is a ``DecodeError`` naming that limit.
"""

from __future__ import annotations

import json as _stdlib_json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import pybase64

from flowwire.errors import DecodeError, EncodeError, PayloadTooLarge
from flowwire.transport import envelope
from flowwire.transport._protocols import CodecTraits
from flowwire.transport._transport import (
    CodecTransport,
    arguments_error,
    raise_arguments_error,
    split_arguments,
)
from flowwire.transport.codecs import _json_plain
from flowwire.transport.codecs._json_plain import plain, protobuf_json
from flowwire.transport.model import _model, adapters
from flowwire.transport.model._model import MAX_DEPTH, lower, path_key
from flowwire.transport.model._typing import _by_func as _types_by_func

__all__ = ["JSON_DEPTH_LIMIT", "JSONCodec", "JSONTransport"]

#: The largest ``max_depth`` the JSON codec takes (see the module docstring).
JSON_DEPTH_LIMIT = 126
_ORJSON_READ_DEPTH = 1024  # orjson.loads refuses deeper texts ("depth limit exceeded")

_INT_MIN = -(2**63)
_INT_LIMIT = 2**64
_DIGITS = re.compile(r"-?[0-9]+\Z")
_FLOAT_TAGS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_PLAIN = b"="
_OPTIONS = _json_plain.OPTIONS
_dumps = orjson.dumps
_default = _json_plain.default
_classes = _json_plain.classes
_c_exact = _json_plain.c_exact  # None without the C extension (tests patch both modules)
_loads = orjson.loads
_TAGGED = b"$"
_ENVELOPE_FIRST = frozenset((envelope.ARMOR_PREFIX, envelope.LATIN1_PREFIX))

#: Every integer outside [-2**63, 2**64) has at least this many digits.
_BIG_DIGITS = 19
_DIGIT_RUN_TEXT = re.compile(f"[0-9]{{{_BIG_DIGITS}}}")
_DIGIT_RUN_BYTES = re.compile(_DIGIT_RUN_TEXT.pattern.encode())

_c_digit_run: Callable[[str | bytes, int], bool] | None
_c_str_keys: Callable[[Any, int], bool | None] | None
try:  # the optional C scans (setup.py builds them where a C compiler is available)
    from flowwire.transport._speedups import digit_run as _c_digit_run
    from flowwire.transport._speedups import str_keys as _c_str_keys
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _c_digit_run = _c_str_keys = None


def _check_depth(value: Any, data: str | bytes, max_depth: int) -> Any:
    """``value``, read from the JSON text ``data``, if its lists and objects nest at most
    ``max_depth`` deep; else DecodeError naming the path. A text too short to nest deeper
    (2 characters a level) is not walked; else one C walk answers, or the exact Python walk
    (which names the path)."""
    if len(data) > 2 * max_depth + 1 and (
        _c_str_keys is None or _c_str_keys(value, max_depth) is not True
    ):
        _model.check_depth(value, max_depth)
    return value


def _read_failure(exc: Exception, max_depth: int | None, what: str) -> DecodeError:
    """The DecodeError for orjson's (or Python's) refusal ``exc`` of a JSON text."""
    if isinstance(exc, RecursionError) or "depth limit exceeded" in str(exc):
        limit = "" if max_depth is None else f"max_depth={max_depth}: "
        return DecodeError(
            f"{what} nested deeper than {limit}more than {_ORJSON_READ_DEPTH:,} levels, where "
            "orjson stops reading"
        )
    return DecodeError(f"malformed {what}: {exc}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of the range of a double")
    return value


def _may_hold_big_int(data: str | bytes) -> bool:
    if _c_digit_run is not None:
        return _c_digit_run(data, _BIG_DIGITS)
    if isinstance(data, str):
        return _DIGIT_RUN_TEXT.search(data) is not None
    return _DIGIT_RUN_BYTES.search(data) is not None


def loads(data: str | bytes, max_depth: int | None = None) -> Any:
    """orjson's reading of a JSON text, with integers beyond 64 bits read exactly (orjson reads
    them as floats, or refuses those beyond a double's range). Raises DecodeError for
    malformed text, and for lists and objects nested deeper than ``max_depth`` (when given)."""
    failure: orjson.JSONDecodeError | None = None
    try:
        value = _loads(data)
    except orjson.JSONDecodeError as exc:
        failure = exc
    if not _may_hold_big_int(data) or (failure is not None and "number" not in str(failure)):
        if failure is not None:
            raise _read_failure(failure, max_depth, "JSON payload") from failure
        return value if max_depth is None else _check_depth(value, data, max_depth)
    # orjson accepted the text (or refused only a number), so it is valid JSON without lone
    # surrogates: Python's reader gives the same value with exact integers (floats are read
    # the same way, correctly rounded; NaN, infinities and out-of-range floats are refused).
    try:
        value = _stdlib_json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise _read_failure(exc, max_depth, "JSON payload") from None
    except ValueError as exc:  # also an integer over sys.get_int_max_str_digits()
        raise DecodeError(f"malformed JSON payload: {failure or exc}") from exc
    return value if max_depth is None else _check_depth(value, data, max_depth)


class JSONCodec:
    """JSON through orjson. See the module docstring for the exact forms."""

    name = "json"
    #: Plain JSON text travels with no envelope; no type beyond the base model comes back
    #: without an annotation.
    traits = CodecTraits(text=True)

    def __init__(self, *, max_depth: int = MAX_DEPTH) -> None:
        self.max_depth = _model.check_max_depth(
            "JSONCodec",
            max_depth,
            JSON_DEPTH_LIMIT,
            "orjson writes at most 254 nested lists and objects, and the tagged form may take "
            'two for one level of a value (an object with one "$" key is wrapped in '
            '{"$dict": ...}) and one for an escape object',
        )

    # -- text form (no envelope) ---------------------------------------------------------

    def encode_text(self, value: Any) -> str | None:
        """Plain JSON text, or None when the value needs the tagged form."""
        out = plain(value, self.max_depth)
        return None if out is None else out.decode()

    def decode_text(self, text: str) -> Any:
        return loads(text, self.max_depth)

    # -- binary form (inside an envelope) ------------------------------------------------

    def encode(self, value: Any) -> bytes:
        out = self._encode_plain(value)
        if out is not None:
            return _PLAIN + out
        return self.encode_tagged(value)

    def encode_tagged(self, value: Any) -> bytes:
        """The tagged form (body prefix ``$``), for a value plain JSON cannot carry exactly.
        Raises EncodeError with the value's path."""
        tagged = self._tag(value, "$", 0)
        try:
            return _TAGGED + orjson.dumps(tagged)
        except (TypeError, orjson.JSONEncodeError) as exc:  # lone surrogates in a str
            _model.lower_fully(value, max_depth=self.max_depth)  # raises with the path
            raise EncodeError(f"cannot encode as JSON: {exc}") from exc

    def decode(self, data: bytes) -> Any:
        if not data:
            raise DecodeError("empty JSON body")
        prefix = data[:1]
        try:
            value = orjson.loads(memoryview(data)[1:])
        except orjson.JSONDecodeError as exc:
            if not _may_hold_big_int(data) or "depth limit exceeded" in str(exc):
                raise _read_failure(exc, self.max_depth, "JSON body") from exc
            value = loads(bytes(data[1:]))  # maybe an integer beyond a double's range
        else:
            if _may_hold_big_int(data):
                value = loads(bytes(data[1:]))
        if prefix == _PLAIN:
            return _check_depth(value, data, self.max_depth)
        if prefix == _TAGGED:
            return self._untag(value, "$", 0)
        raise DecodeError(f"unknown JSON body form {prefix!r} (expected '=' or '$')")

    # -- internals -----------------------------------------------------------------------

    def _encode_plain(self, value: Any) -> bytes | None:
        # The exactness walk (C where built) stops at max_depth: deeper goes to the tagged
        # form, which raises EncodeError with the path.
        return plain(value, self.max_depth)

    def _tag(self, value: Any, path: str, depth: int) -> Any:
        cls = type(value)
        if cls is str or value is None or cls is bool:
            return value
        if cls is int:
            if _INT_MIN <= value < _INT_LIMIT:
                return value
            try:
                return {"$int": str(value)}
            except ValueError as exc:  # beyond sys.get_int_max_str_digits()
                raise EncodeError(
                    f"an integer of {value.bit_length():,} bits is too long for decimal text "
                    f"({exc}); msgpack and protobuf carry it in binary",
                    path=path,
                ) from exc
        if cls is float:
            if math.isfinite(value):
                return value
            return {"$float": "nan" if value != value else ("inf" if value > 0 else "-inf")}
        if cls is bytes:
            return {"$bytes": pybase64.b64encode_as_string(value)}
        if depth >= self.max_depth:
            raise EncodeError(f"nesting deeper than max_depth={self.max_depth}", path=path)
        if cls is list:
            return [self._tag(v, path_key(path, i), depth + 1) for i, v in enumerate(value)]
        if cls is dict:
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise EncodeError(
                        f"object keys must be strings, got {type(key).__name__} key {key!r:.40}",
                        path=path,
                    )
                out[str(key)] = self._tag(item, path_key(path, key), depth + 1)
            if len(out) == 1 and next(iter(out)).startswith("$"):
                return {"$dict": out}
            return out
        return self._tag(lower(value, path, protobuf=protobuf_json), path, depth)

    def _untag(self, node: Any, path: str, depth: int) -> Any:
        cls = type(node)
        if cls is list:
            if depth >= self.max_depth:
                raise DecodeError(f"nesting deeper than max_depth={self.max_depth}", path=path)
            return [self._untag(v, path_key(path, i), depth + 1) for i, v in enumerate(node)]
        if cls is not dict:
            return node
        if len(node) == 1:
            ((key, item),) = node.items()
            if key.startswith("$"):
                return self._escape(key, item, path, depth)
        if depth >= self.max_depth:
            raise DecodeError(f"nesting deeper than max_depth={self.max_depth}", path=path)
        return {k: self._untag(v, path_key(path, k), depth + 1) for k, v in node.items()}

    def _escape(self, key: str, item: Any, path: str, depth: int) -> Any:
        if key == "$bytes" and type(item) is str:
            return envelope.b64decode(item, "$bytes", path)
        if key == "$float" and type(item) is str and item in _FLOAT_TAGS:
            return _FLOAT_TAGS[item]
        if key == "$int" and type(item) is str:
            if not _DIGITS.match(item):
                raise DecodeError(f"invalid integer text in $int: {item[:40]!r}", path=path)
            try:
                return int(item)
            except ValueError as exc:
                raise DecodeError(f"invalid integer text in $int: {exc}", path=path) from exc
        if key == "$dict" and type(item) is dict:
            if depth >= self.max_depth:
                raise DecodeError(f"nesting deeper than max_depth={self.max_depth}", path=path)
            return {k: self._untag(v, path_key(path, k), depth + 1) for k, v in item.items()}
        raise DecodeError(f"unknown or malformed JSON escape {key!r:.40}", path=path)


class JSONTransport(CodecTransport):
    """A transport whose codec is :class:`JSONCodec`. Payloads without stages are plain JSON
    text when the value allows it.

    Without stages the four value methods take a fast path (one orjson call each way and a
    couple of type checks); anything unusual falls back to the general path of
    :class:`CodecTransport`, which gives the same result.
    """

    def __init__(self, **options: Any) -> None:
        max_depth = options.get("max_depth", MAX_DEPTH)
        self._json = JSONCodec(max_depth=max_depth)
        self._depth = self._json.max_depth
        super().__init__(self._json, **options)
        self._fast = not self.stages
        self._fast_in = self._fast and "json" in self.accept  # reading: the accept-list

    # The two methods below are the hot path of every JSON payload: plain JSON text, the limit
    # check, and straight to the tagged form for what plain JSON cannot carry.

    def serialize_result(self, value: Any) -> str:
        if self._fast:
            if type(value) is int and _INT_MIN <= value < _INT_LIMIT:
                text = str(value)  # orjson's text of an int of 64 bits, without the walk
                limit = self.max_payload_chars
                if limit is not None and len(text) > limit:
                    raise PayloadTooLarge(len(text), limit, what="result")
                return text
            out = plain(value, self._depth)
            if out is not None:
                text = out.decode()
                limit = self.max_payload_chars
                if limit is not None and len(text) > limit:
                    raise PayloadTooLarge(len(text), limit, what="result")
                return text
            # Plain JSON cannot carry it: straight to the tagged form (the general path would
            # try plain JSON twice more first).
            return self._wrap(self._json.encode_tagged(value), "result")
        return super().serialize_result(value)

    def serialize_arguments(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        if self._fast:
            value = {"args": args, "kwargs": kwargs}
            out = None
            c_exact = _c_exact
            if c_exact is not None and not adapters.user_adapters:
                # plain(), inlined: a tiny call is a few hundred nanoseconds. The C walk comes
                # first: it is bounded by depth, orjson is not for tuples (see plain)
                exact = c_exact(value, self._depth, _classes)
                if exact is True:
                    # orjson.JSONEncodeError is a TypeError: bytes, big ints -> tagged form
                    try:
                        out = _dumps(value, default=_default, option=_OPTIONS)
                    except TypeError:
                        out = None
                elif exact is None:
                    out = plain(value, self._depth)
            else:
                out = plain(value, self._depth)
            if out is not None:
                text = out.decode()
                limit = self.max_payload_chars
                if limit is not None and len(text) > limit:
                    raise PayloadTooLarge(len(text), limit, what="arguments")
                return text
            try:
                body = self._json.encode_tagged({"args": list(args), "kwargs": dict(kwargs)})
            except EncodeError as exc:
                better = arguments_error(exc)
                if better is None:
                    raise
                raise better from exc
            return self._wrap(body, "arguments")
        return super().serialize_arguments(args, kwargs)

    def deserialize_result(self, payload: str, *, type_hint: Any = Any) -> Any:
        if self._fast_in and type(payload) is str and payload and payload[0] not in _ENVELOPE_FIRST:
            try:
                value = _loads(payload)
            except orjson.JSONDecodeError:
                # raises DecodeError, or reads a number orjson cannot
                value = loads(payload, self._depth)
            else:
                kind = type(value)
                if kind is int or kind is str or kind is bool or value is None:
                    # a scalar that is no float: orjson read no integer beyond 64 bits (it
                    # reads those as floats), and nothing nests; an int, str or bool hint
                    # converts its own type to itself
                    if type_hint is Any or (type_hint is kind and value is not None):
                        return value
                    return self._typed_result(value, type_hint)
                if _may_hold_big_int(payload):
                    value = loads(payload, self._depth)
                elif len(payload) > 2 * self._depth + 1:  # shorter cannot nest deeper
                    _check_depth(value, payload, self._depth)
            if type_hint is Any:
                return value
            return self._typed_result(value, type_hint)
        return super().deserialize_result(payload, type_hint=type_hint)

    def deserialize_arguments(
        self, payload: str, *, signature: Callable[..., Any] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._fast_in and type(payload) is str and payload and payload[0] not in _ENVELOPE_FIRST:
            types_ = None
            try:
                try:
                    value = _loads(payload)
                except orjson.JSONDecodeError:
                    # raises DecodeError, or reads a number orjson cannot
                    value = loads(payload, self._depth)
                else:
                    # orjson reads an integer beyond 64 bits as a float: arguments that are
                    # each exactly their parameter's int, str or bool hold none, so neither
                    # the digit scan nor the typed conversion has anything left to do.
                    # (cached_types and ArgumentTypes.read_exact, inlined: two frames less)
                    if signature is not None:
                        types_ = _types_by_func.get(id(getattr(signature, "__func__", signature)))
                    if types_ is not None and len(payload) <= 2 * self._depth + 1:
                        exact = types_.exact
                        if exact is not None and type(value) is dict and len(value) == 2:
                            args = value.get("args")
                            kwargs = value.get("kwargs")
                            if (
                                type(args) is list
                                and type(kwargs) is dict
                                and not kwargs
                                and len(args) <= len(exact)
                            ):
                                for kind, item in zip(exact, args):  # noqa: B905 - defaults
                                    if type(item) is not kind:
                                        break
                                else:
                                    return tuple(args), kwargs
                    if _may_hold_big_int(payload):
                        value = loads(payload, self._depth)
                    elif len(payload) > 2 * self._depth + 1:  # shorter cannot nest deeper
                        _check_depth(value, payload, self._depth)
            except DecodeError as exc:  # a nesting too deep: named as arguments name it
                raise_arguments_error(exc)
            try:  # the shape every writer produces, checked with two lookups
                args, kwargs = value["args"], value["kwargs"]
                if type(args) is not list or type(kwargs) is not dict or len(value) != 2:
                    raise KeyError
            except (KeyError, TypeError, IndexError):
                args, kwargs = split_arguments(value)
            if signature is None:
                return tuple(args), kwargs
            if types_ is not None and self._unknown is None:  # _typed_arguments, inlined
                return types_.apply(args, kwargs)
            return self._typed_arguments(signature, args, kwargs)
        return super().deserialize_arguments(payload, signature=signature)
