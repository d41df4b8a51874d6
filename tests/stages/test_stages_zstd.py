"""The zstd stage on bytes: round trips, skipping, bounds and hostile frames."""

from __future__ import annotations

import os
import struct
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from _extras import reason

pytest.importorskip("zstandard", reason=reason("zstandard"))
pytest.importorskip("hypothesis", reason=reason("hypothesis"))

import zstandard
from hypothesis import given
from hypothesis import strategies as st

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport._protocols import Stage, StageContext
from flowwire.transport.stages import Zstd

compressible = st.builds(
    lambda chunk, n: chunk * n, st.binary(min_size=1, max_size=64), st.integers(1, 2000)
)


@given(data=st.one_of(st.binary(max_size=5000), compressible))
def test_round_trip_is_exact(data: bytes) -> None:
    stage = Zstd(threshold=0)
    ctx = StageContext(limit=32_768, armored_size=lambda n: n)
    result = stage.encode(data, ctx)
    if result is None:  # skipped: it did not shrink
        assert len(zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data)) >= len(
            data
        )
        return
    body, params = result
    assert len(body) < len(data)
    assert params == struct.pack(">Q", len(data))
    assert stage.decode(body, params, ctx) == data


def test_is_a_stage() -> None:
    stage = Zstd()
    assert isinstance(stage, Stage)
    assert (stage.name, stage.redacts) == ("zstd", False)


def test_skips_below_threshold(ctx: StageContext) -> None:
    stage = Zstd(threshold=100)
    assert stage.encode(b"a" * 99, ctx) is None
    assert stage.encode(b"a" * 100, ctx) is not None


def test_skips_incompressible_data(ctx: StageContext) -> None:
    assert Zstd(threshold=0).encode(os.urandom(4096), ctx) is None


def test_level_changes_output(ctx: StageContext) -> None:
    data = b"".join(b"record %d: value %d;" % (i, i * i % 97) for i in range(3000))
    fast = Zstd(level=1).encode(data, ctx)
    small = Zstd(level=19).encode(data, ctx)
    assert fast is not None and small is not None
    assert len(small[0]) < len(fast[0])
    assert Zstd().decode(*small, ctx) == data  # a default instance decodes any level


@pytest.mark.parametrize("options", [{"level": 23}, {"threshold": -1}, {"max_size": -5}])
def test_bad_options_raise_configuration_error(options: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError):
        Zstd(**options)


def test_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # makes `import zstandard` fail
    with pytest.raises(ConfigurationError, match=r"pip install 'flowwire\[zstd\]'"):
        Zstd()


@pytest.fixture
def frame(ctx: StageContext) -> tuple[bytes, bytes]:
    result = Zstd().encode(b"hello world " * 500, ctx)
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda b, p: (b[:-4], p), "cannot decompress"),
        (lambda b, p: (b + b"extra", p), "cannot decompress"),
        (lambda b, p: (b"not a frame at all", p), "not a valid zstd frame"),
        (lambda b, p: (b, p[:-1]), "must be 8 bytes"),
        (lambda b, p: (b, struct.pack(">Q", 7)), "header declares 7"),
        (lambda b, p: (b, struct.pack(">Q", 1 << 40)), "over the limit"),
    ],
    ids=["truncated", "trailing-bytes", "garbage", "short-params", "size-mismatch", "huge"],
)
def test_hostile_frames_raise_decode_error(
    frame: tuple[bytes, bytes], ctx: StageContext, mangle: object, message: str
) -> None:
    body, params = mangle(*frame)  # type: ignore[operator]
    with pytest.raises(DecodeError, match=message) as info:
        Zstd().decode(body, params, ctx)
    assert ctx.what in str(info.value)


def test_frame_without_content_size_is_bounded(ctx: StageContext) -> None:
    data = b"x" * 10_000
    body = zstandard.ZstdCompressor(write_content_size=False).compress(data)
    assert Zstd().decode(body, struct.pack(">Q", len(data)), ctx) == data
    with pytest.raises(DecodeError):
        Zstd().decode(body, struct.pack(">Q", 100), ctx)


def test_shared_between_threads(ctx: StageContext) -> None:
    stage = Zstd()
    inputs = [bytes([i]) * (2000 + i) + os.urandom(50) for i in range(64)]

    def round_trip(data: bytes) -> bytes:
        result = stage.encode(data, ctx)
        assert result is not None
        return stage.decode(*result, ctx)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(round_trip, inputs)) == inputs
