"""A conformance check any transport runs in one line.

::

    from flowwire.testing import check_transport
    check_transport(MyTransport())             # raises AssertionError naming what failed

or, as a pytest class with one test per property::

    from flowwire.testing import TransportConformance

    class TestMyTransport(TransportConformance):
        @pytest.fixture
        def transport(self):
            return MyTransport()

A custom type (a type adapter, a pydantic model, an attrs class, ...) is property-tested in
one line, through every built-in transport::

    from flowwire.testing import check_adapter
    check_adapter(Money)

What it checks: payloads are ``str``; results, arguments and restart arguments round-trip
exactly over the codec's domain; annotated extended types are rebuilt exactly; errors become
a reason within SWF's 256 characters and details that rebuild a TaskError; unsupported values
raise EncodeError; garbage, truncated and bit-flipped payloads raise DecodeError and nothing
else; a value that cannot fit in ``max_payload_chars`` (random, so incompressible: a
compression stage cannot shrink it) raises PayloadTooLarge, or is carried some other way (an
offload stage) by a payload within the limit that reads back exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from flowwire.errors import DecodeError, EncodeError, PayloadTooLarge, TaskError
from flowwire.testing._optional import MissingModule
from flowwire.testing.strategies import (
    EXTENDED_TYPES,
    Order,
    arguments,
    instances,
    orders,
    typed_values,
    values,
    values_equal,
)
from flowwire.transport._protocols import Transport, traits_of

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # importable (and documented) without it; running it needs it
    st = MissingModule("hypothesis", "testing", exc)  # type: ignore[assignment]
    given = settings = HealthCheck = st  # type: ignore[assignment, misc]

__all__ = ["TransportConformance", "check_adapter", "check_transport"]

_LARGEST_CHECKED_LIMIT = 4_000_000
"""Larger ``max_payload_chars`` are not checked: the check encodes three times the limit."""

_SETTINGS = {"deadline": None, "database": None}


def _settings() -> dict[str, Any]:
    health = [HealthCheck.too_slow, HealthCheck.data_too_large]
    return {**_SETTINGS, "suppress_health_check": health}


def _fits(transport: Transport, value: Any) -> bool:
    """Serialize, treating PayloadTooLarge as 'skip this example' for small limits."""
    try:
        transport.serialize_result(value)
    except PayloadTooLarge:
        return False
    return True


class TransportConformance:
    """Pytest base class: subclass it and provide a ``transport`` fixture.

    Class attributes to adjust: ``extended_untyped`` (the codec preserves tuples, sets and
    extended scalars without annotations, as msgpack and protobuf do; by default read from
    the traits of the transport's ``codec``), ``max_examples``,
    ``adapted_types`` (annotations of your own, such as adapted classes, added to the typed
    round trips).
    """

    extended_untyped: bool | None = None
    max_examples = 60
    adapted_types: tuple[Any, ...] = ()

    def _extended(self, transport: Transport) -> bool:
        if self.extended_untyped is not None:
            return self.extended_untyped
        codec = getattr(transport, "codec", None)  # a CodecTransport has one
        return codec is not None and traits_of(codec).native >= EXTENDED_TYPES

    def test_payloads_are_strings(self, transport: Transport) -> None:
        assert type(transport.serialize_result(1)) is str
        assert type(transport.serialize_arguments((1,), {"a": 2})) is str
        assert type(transport.serialize_restart_arguments((), {})) is str
        reason, details = transport.serialize_error(ValueError("x"))
        assert type(reason) is str and type(details) is str

    def test_results_round_trip(self, transport: Transport) -> None:
        @settings(max_examples=self.max_examples, **_settings())
        @given(values(extended=self._extended(transport)))
        def prop(value: Any) -> None:
            try:
                payload = transport.serialize_result(value)
            except PayloadTooLarge:
                return
            back = transport.deserialize_result(payload)
            assert values_equal(back, value), f"{value!r} came back as {back!r}"

        prop()

    def test_arguments_round_trip(self, transport: Transport) -> None:
        @settings(max_examples=self.max_examples, **_settings())
        @given(arguments(extended=self._extended(transport)))
        def prop(call: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
            args, kwargs = call
            for serialize in (transport.serialize_arguments, transport.serialize_restart_arguments):
                try:
                    payload = serialize(args, kwargs)
                except PayloadTooLarge:
                    return
                back_args, back_kwargs = transport.deserialize_arguments(payload)
                assert values_equal(back_args, tuple(args)), f"{args!r} -> {back_args!r}"
                assert values_equal(back_kwargs, kwargs), f"{kwargs!r} -> {back_kwargs!r}"

        prop()

    def test_typed_values_round_trip(self, transport: Transport) -> None:
        @settings(max_examples=self.max_examples, **_settings())
        @given(typed_values(types=self.adapted_types))
        def prop(pair: tuple[Any, Any]) -> None:
            hint, value = pair
            try:
                payload = transport.serialize_result(value)
            except PayloadTooLarge:
                return
            back = transport.deserialize_result(payload, type_hint=hint)
            assert values_equal(back, value), f"{value!r} as {hint!r} came back as {back!r}"

        prop()

    def test_typed_arguments_round_trip(self, transport: Transport) -> None:
        def run(order: Order, *more: Order, note: str | None = None) -> None: ...

        @settings(max_examples=max(10, self.max_examples // 3), **_settings())
        @given(orders())
        def prop(order: Order) -> None:
            try:
                payload = transport.serialize_arguments((order, order), {"note": "n"})
            except PayloadTooLarge:
                return
            args, kwargs = transport.deserialize_arguments(payload, signature=run)
            assert values_equal(args, (order, order)) and kwargs == {"note": "n"}

        prop()

    def test_errors_round_trip(self, transport: Transport) -> None:
        try:
            raise KeyError("missing 'price'")
        except KeyError as exc:
            reason, details = transport.serialize_error(exc)
        assert len(reason) <= 256
        err = transport.deserialize_error(reason, details)
        assert isinstance(err, TaskError)
        assert err.type_name == "KeyError"
        assert "missing 'price'" in err.message
        assert err.traceback and "KeyError" in err.traceback
        long_reason, long_details = transport.serialize_error(RuntimeError("x" * 5000))
        assert len(long_reason) <= 256
        assert transport.deserialize_error(long_reason, long_details).message == "x" * 5000

    def test_unsupported_values_raise_encode_error(self, transport: Transport) -> None:
        for bad in (object(), {"ok": [1, {2, object()}]}, {1: "int key"}):
            try:
                transport.serialize_result(bad)
            except EncodeError:
                continue
            raise AssertionError(f"{bad!r} was serialized instead of raising EncodeError")

    def test_garbage_raises_decode_error(self, transport: Transport) -> None:
        @settings(max_examples=self.max_examples * 2, **_settings())
        @given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: "~" + b.hex()))
        def prop(garbage: str) -> None:
            _decodes_or_decode_error(transport, garbage)

        prop()

    def test_truncation_and_bit_flips_raise_decode_error(self, transport: Transport) -> None:
        @settings(max_examples=self.max_examples, **_settings())
        @given(values(max_leaves=6), st.data())
        def prop(value: Any, data: st.DataObject) -> None:
            if not _fits(transport, value):
                return
            payload = transport.serialize_result(value)
            cut = data.draw(st.integers(min_value=0, max_value=len(payload)))
            _decodes_or_decode_error(transport, payload[:cut])
            if payload:
                at = data.draw(st.integers(min_value=0, max_value=len(payload) - 1))
                flipped = chr(ord(payload[at]) ^ (1 << data.draw(st.integers(0, 6))))
                _decodes_or_decode_error(transport, payload[:at] + flipped + payload[at + 1 :])

        prop()

    def test_limit_raises_payload_too_large(self, transport: Transport) -> None:
        limit = getattr(transport, "max_payload_chars", None)
        if not limit or limit > _LARGEST_CHECKED_LIMIT:
            return
        # Random bytes: no compression stage can shrink them, and no lossless encoding can put
        # 3 * limit of them into ``limit`` characters (a character carries at most ~20.1 bits).
        value = random.Random(limit).randbytes(3 * limit)
        try:
            payload = transport.serialize_result(value)
        except PayloadTooLarge as exc:
            assert exc.limit == limit and exc.size > limit, (
                f"PayloadTooLarge for {3 * limit} random bytes says size={exc.size}, "
                f"limit={exc.limit}; expected limit={limit} and a size over it"
            )
            return
        # no error: the transport must have carried it some other way (an offload stage)
        assert len(payload) <= limit, (
            f"{3 * limit} random bytes became a payload of {len(payload)} characters, over "
            f"max_payload_chars={limit}, and did not raise PayloadTooLarge"
        )
        back = transport.deserialize_result(payload)
        assert back == value, f"{3 * limit} random bytes carried under the limit came back changed"


def _decodes_or_decode_error(transport: Transport, payload: str) -> None:
    for decode in (
        transport.deserialize_result,
        transport.deserialize_arguments,
    ):
        try:
            decode(payload)
        except DecodeError:
            pass
        except Exception as exc:
            raise AssertionError(
                f"{decode.__name__}({payload[:80]!r}) raised {type(exc).__name__}: {exc} "
                "instead of DecodeError"
            ) from exc
    err = transport.deserialize_error("reason", payload)
    assert isinstance(err, TaskError)


def check_transport(
    transport: Transport, *, max_examples: int = 60, adapted_types: Sequence[Any] = ()
) -> None:
    """Run every conformance property against ``transport``; raise AssertionError on the first
    failure, naming the property and the failing example."""
    suite = TransportConformance()
    suite.max_examples = max_examples
    suite.adapted_types = tuple(adapted_types)
    for name in sorted(dir(suite)):
        if name.startswith("test_"):
            try:
                getattr(suite, name)(transport)
            except AssertionError as exc:
                raise AssertionError(f"{name} failed for {transport!r}: {exc}") from exc


def check_adapter(
    hint: Any,
    *,
    transports: Sequence[Transport] | None = None,
    max_examples: int = 40,
) -> None:
    """Property-test the annotation ``hint`` (typically a class taught to the value model by a
    type adapter) through ``transports`` (default: one per built-in codec, read from the
    registry): values from :func:`~flowwire.testing.strategies.instances` must come back exactly as
    results, as arguments and as keyword arguments, and the same in every codec. Raises
    AssertionError naming the transport and the failing value."""
    from flowwire.transport import builtin_codecs, get_transport

    chosen = (
        list(transports)
        if transports is not None
        else [get_transport(name, max_payload_chars=None) for name in builtin_codecs()]
    )

    def run(value: Any, *, other: Any = None) -> None: ...

    run.__annotations__ = {"value": hint, "other": hint, "return": None}

    @settings(max_examples=max_examples, **_settings())
    @given(instances(hint))
    def prop(value: Any) -> None:
        for transport in chosen:
            back = transport.deserialize_result(transport.serialize_result(value), type_hint=hint)
            assert values_equal(back, value), f"{transport!r}: {value!r} came back as {back!r}"
            payload = transport.serialize_arguments((value,), {"other": value})
            args, kwargs = transport.deserialize_arguments(payload, signature=run)
            assert values_equal(args[0], value), f"{transport!r}: argument {args[0]!r}"
            assert values_equal(kwargs["other"], value), f"{transport!r}: {kwargs!r}"

    prop()
