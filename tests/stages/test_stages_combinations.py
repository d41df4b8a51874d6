"""Every stage arrangement directly on bytes: exact round trips, and a receiver that builds its
own stage objects (sharing only keys and the store) undoes them."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from _extras import needs, reason
from _stage_helpers import decode_all, encode_all, make_ctx

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import DecodeError
from flowwire.transport._protocols import Stage
from flowwire.transport.stages import AESGCM, InMemoryStore, Keyring, Offload, Zstd

NAMES = ["zstd", "aesgcm", "offload"]
ARRANGEMENTS = [p for n in range(1, 4) for p in itertools.permutations(NAMES, n)]
KEYRING = Keyring({"a": bytes(32), "b": bytes(range(32))}, current="b")
STORE = InMemoryStore()


def stages(names: tuple[str, ...]) -> list[Stage]:
    made: dict[str, Stage] = {
        "zstd": Zstd(threshold=32),
        "aesgcm": AESGCM(KEYRING),
        "offload": Offload(STORE, threshold=256),
    }
    return [made[n] for n in names]


payloads = st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=32), st.integers(1, 500)),
)


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("names", ARRANGEMENTS, ids="+".join)
@settings(max_examples=40, deadline=None)
@given(data=payloads)
def test_arrangement_round_trips(names: tuple[str, ...], data: bytes) -> None:
    ctx = make_ctx()
    body, applied = encode_all(stages(names), data, ctx)
    recorded = [name for name, _ in applied]
    assert recorded == [n for n in names if n in recorded]  # order kept, skips left out
    if "aesgcm" in names:
        assert "aesgcm" in recorded  # encryption never skips
    assert decode_all(stages(names), body, applied, ctx) == data


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200), params=st.binary(max_size=80))
def test_hostile_input_raises_decode_error_only(name: str, data: bytes, params: bytes) -> None:
    (stage,) = stages((name,))
    with contextlib.suppress(DecodeError):
        stage.decode(data, params, make_ctx())


@needs("crypto")
@needs("zstd")
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100, deadline=None)
@given(data=payloads, flip=st.integers(min_value=0))
def test_any_flipped_bit_is_detected_or_harmless(name: str, data: bytes, flip: int) -> None:
    """Flipping one bit of the recorded params or body never yields different bytes silently
    (zstd frames carry a checksum, aesgcm a tag, offload references a sha256)."""
    (stage,) = stages((name,))
    ctx = make_ctx()
    result = stage.encode(data, ctx)
    if result is None:
        return
    body, params = result
    blob = bytearray(params + body)
    if not blob:
        return
    bit = flip % (len(blob) * 8)
    blob[bit // 8] ^= 1 << (bit % 8)
    tampered_params, tampered_body = bytes(blob[: len(params)]), bytes(blob[len(params) :])
    try:
        out = stage.decode(tampered_body, tampered_params, ctx)
    except DecodeError:
        return
    assert out == data
