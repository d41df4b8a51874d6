"""Stages inside real transports: exact round trips for every codec and every stage
combination (in every order), errors through the stages, and what the envelope records."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from _extras import needs, reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError, PayloadTooLarge
from flowwire.testing.strategies import arguments, values_equal, values_for
from flowwire.transport import Stage, Transport, builtin_codecs, envelope, get_transport
from flowwire.transport.stages import AESGCM, InMemoryStore, Keyring, Offload, Zstd

CODECS = builtin_codecs()
STAGE_NAMES = ["zstd", "aesgcm", "offload"]
ARRANGEMENTS = [
    order for n in range(len(STAGE_NAMES) + 1) for order in itertools.permutations(STAGE_NAMES, n)
]
LIMIT = 1_000  # small, so the offload stage's default threshold is crossed often

KEYRING = Keyring({"k1": bytes(32), "k2": bytes(range(32))}, current="k2")


def build_stages(names: tuple[str, ...], store: InMemoryStore) -> list[Stage]:
    """Fresh stage objects, as a separate worker process would build them from config."""
    factories: dict[str, Callable[[], Stage]] = {
        "zstd": lambda: Zstd(threshold=64),
        "aesgcm": lambda: AESGCM(KEYRING),
        "offload": lambda: Offload(store),
    }
    return [factories[n]() for n in names]


def make_transport(codec: str, **options: Any) -> Transport:
    try:
        return get_transport(codec, **options)
    except ImportError as exc:  # pragma: no cover - while the protobuf codec is being written
        pytest.skip(f"codec {codec!r} not available: {exc}")


def transport_pair(codec: str, names: tuple[str, ...]) -> tuple[Transport, Transport]:
    """A writer and an independently built reader sharing only the keyring and the store."""
    store = InMemoryStore()
    limit = LIMIT if "offload" in names else None
    writer = make_transport(codec, stages=build_stages(names, store), max_payload_chars=limit)
    reader = make_transport(codec, stages=build_stages(names, store), max_payload_chars=limit)
    return writer, reader


def big_values() -> st.SearchStrategy[Any]:
    """Values large enough to cross the compression and offload thresholds."""
    return st.one_of(
        st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=16), st.integers(1, 400)),
        st.binary(min_size=500, max_size=3000),
        st.lists(st.integers(), min_size=100, max_size=400),
    )


def ids(order: tuple[str, ...]) -> str:
    return "+".join(order) or "none"


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("order", ARRANGEMENTS, ids=ids)
def test_results_round_trip_exactly(codec: str, order: tuple[str, ...]) -> None:
    writer, reader = transport_pair(codec, order)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value=st.one_of(values_for(codec), big_values()))
    def check(value: Any) -> None:
        payload = writer.serialize_result(value)
        assert isinstance(payload, str)
        if "offload" in order:
            assert len(payload) <= LIMIT
        assert values_equal(reader.deserialize_result(payload), value)

    check()


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("order", [("zstd", "aesgcm", "offload"), ("aesgcm",), ()], ids=ids)
@settings(max_examples=20, deadline=None)
@given(call=arguments(), padding=st.binary(max_size=3000))
def test_arguments_round_trip_exactly(
    codec: str, order: tuple[str, ...], call: tuple[tuple[Any, ...], dict[str, Any]], padding: bytes
) -> None:
    writer, reader = transport_pair(codec, order)
    args, kwargs = (*call[0], padding), call[1]
    payload = writer.serialize_arguments(args, kwargs)
    got_args, got_kwargs = reader.deserialize_arguments(payload)
    assert values_equal(list(got_args), list(args))
    assert values_equal(got_kwargs, kwargs)


def header(payload: str) -> list[str]:
    return [name for name, _ in envelope.unpack(envelope.dearmor(payload)).stages]


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
def test_envelope_records_only_applied_stages_in_order(codec: str) -> None:
    writer, _ = transport_pair(codec, ("zstd", "aesgcm", "offload"))
    assert header(writer.serialize_result("tiny")) == ["aesgcm"]
    assert header(writer.serialize_result("z" * 2000)) == ["zstd", "aesgcm"]
    big = header(writer.serialize_result(os.urandom(600).hex() * 8))
    assert big == ["zstd", "aesgcm", "offload"]
    random = header(writer.serialize_result(os.urandom(5000)))  # zstd only if it shrinks
    assert random[-2:] == ["aesgcm", "offload"]


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
def test_without_offload_large_payloads_are_refused(codec: str) -> None:
    transport = make_transport(codec, stages=[Zstd(), AESGCM(KEYRING)])
    with pytest.raises(PayloadTooLarge, match="over the limit of 32,768"):
        transport.serialize_result(os.urandom(40_000))


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
def test_errors_travel_encrypted(codec: str) -> None:
    writer, reader = transport_pair(codec, ("zstd", "aesgcm", "offload"))
    secret = "card 4111-1111-1111-1111 declined"
    try:
        raise ValueError(secret + " " + "x" * 5000)
    except ValueError as exc:
        reason, details = writer.serialize_error(exc)
    assert reason == "ValueError"  # the plain-text reason carries no message
    assert "aesgcm" in header(details)
    assert "4111" not in details
    error = reader.deserialize_error(reason, details)
    assert error.type_name == "ValueError"
    assert error.message.startswith(secret)
    assert error.traceback is not None and "raise ValueError" in error.traceback


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("codec", CODECS)
def test_tampered_payload_through_transport(codec: str) -> None:
    writer, reader = transport_pair(codec, ("zstd", "aesgcm"))
    raw = bytearray(envelope.dearmor(writer.serialize_result({"amount": 10})))
    raw[-1] ^= 1
    with pytest.raises(DecodeError, match="tampered"):
        reader.deserialize_result(envelope.armor(bytes(raw)))


@needs("crypto")
@pytest.mark.parametrize("codec", CODECS)
def test_reader_with_other_keyring_names_missing_key(codec: str) -> None:
    writer = make_transport(codec, stages=[AESGCM(KEYRING)])
    reader = make_transport(codec, stages=[AESGCM(key=bytes(32), key_id="other")])
    with pytest.raises(DecodeError, match="missing key: key id 'k2'"):
        reader.deserialize_result(writer.serialize_result("secret"))
