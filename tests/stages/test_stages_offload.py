"""The offload stage with the in-memory and local-directory stores."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from _extras import reason
from _stage_helpers import encode_one, make_ctx

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import given, settings
from hypothesis import strategies as st

from flowwire.errors import (
    ConfigurationError,
    DecodeError,
    EncodeError,
    StoreUnavailable,
    StoreWriteUnavailable,
)
from flowwire.transport._protocols import Stage, StageContext
from flowwire.transport.stages import (
    BlobStore,
    InMemoryStore,
    LocalDirectoryStore,
    Offload,
    OffloadReference,
    UnconfiguredOffload,
)


class CountingStore:
    """A real store wrapper that counts writes (identical payloads must be written once)."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.name = inner.name
        self.puts = 0

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        self.inner.put(key, data)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)


class BrokenStore(InMemoryStore):
    def put(self, key: str, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    def get(self, key: str) -> bytes:
        raise OSError(5, "Input/output error")


@given(data=st.binary(max_size=3000), threshold=st.integers(0, 3000))
@settings(max_examples=60)
def test_round_trip_with_explicit_threshold(data: bytes, threshold: int) -> None:
    store = InMemoryStore()
    stage = Offload(store, threshold=threshold)
    ctx = make_ctx()
    result = stage.encode(data, ctx)
    if len(data) < threshold:
        assert result is None and len(store) == 0
        return
    assert result is not None
    body, params = result
    assert body == b""
    ref = OffloadReference.from_params(params, ctx)
    assert (ref.store, ref.key, ref.size) == ("memory", hashlib.sha256(data).hexdigest(), len(data))
    assert store.keys() == [ref.key]
    assert stage.decode(body, params, ctx) == data


def test_is_a_stage() -> None:
    assert isinstance(Offload(InMemoryStore()), Stage)
    assert isinstance(UnconfiguredOffload(), Stage)
    assert Offload(InMemoryStore()).redacts is False


def test_default_threshold_is_the_backend_limit() -> None:
    ctx = make_ctx(limit=1000)
    stage = Offload(InMemoryStore())
    fits = max(n for n in range(1000) if ctx.armored_size(n) <= 1000)
    assert stage.encode(b"x" * fits, ctx) is None
    assert stage.encode(b"x" * (fits + 1), ctx) is not None


def test_params_layout(ctx: StageContext) -> None:
    data = b"payload" * 10
    _, params = encode_one(Offload(InMemoryStore(name="mem"), threshold=0), data, ctx)
    assert params[:2] == b"\x01\x03"
    assert params[2:5] == b"mem"
    assert params[5:37] == hashlib.sha256(data).digest()
    assert params[37:] == len(data).to_bytes(8, "big")


def test_identical_payloads_are_stored_once(ctx: StageContext) -> None:
    store = CountingStore(InMemoryStore())
    stage = Offload(store, threshold=0)
    first = stage.encode(b"same bytes", ctx)
    second = stage.encode(b"same bytes", ctx)
    assert first == second
    assert store.puts == 1
    stage.encode(b"other bytes", ctx)
    assert store.puts == 2
    rewriting = Offload(store, threshold=0, dedupe=False)
    assert rewriting.encode(b"same bytes", ctx) == first
    assert store.puts == 3  # rewritten: refreshes the object's age for lifecycle rules


def test_missing_object_names_key_and_store(ctx: StageContext) -> None:
    store = InMemoryStore(name="payloads")
    stage = Offload(store, threshold=0)
    body, params = encode_one(stage, b"gone soon", ctx)
    key = hashlib.sha256(b"gone soon").hexdigest()
    store.delete(key)
    with pytest.raises(DecodeError, match=rf"missing object {key} in store 'payloads'"):
        stage.decode(body, params, ctx)


def test_hash_mismatch_names_key_and_store(ctx: StageContext) -> None:
    store = InMemoryStore()
    stage = Offload(store, threshold=0)
    body, params = encode_one(stage, b"original", ctx)
    key = hashlib.sha256(b"original").hexdigest()
    store.put(key, b"modified")  # same size
    with pytest.raises(DecodeError, match=rf"hash mismatch for object {key} in store 'memory'"):
        stage.decode(body, params, ctx)
    store.put(key, b"longer than before")
    with pytest.raises(DecodeError, match="has 18 bytes, the reference says 8"):
        stage.decode(body, params, ctx)


def test_reference_without_store_names_key_and_store(ctx: StageContext) -> None:
    body, params = encode_one(Offload(InMemoryStore(name="s3://b/p/"), threshold=0), b"x", ctx)
    key = hashlib.sha256(b"x").hexdigest()
    with pytest.raises(DecodeError, match=rf"object {key} in store 's3://b/p/', but no offload"):
        UnconfiguredOffload().decode(body, params, ctx)
    other = Offload(InMemoryStore(name="local"))
    with pytest.raises(DecodeError, match=rf"object {key} in store 's3://b/p/', which is not"):
        other.decode(body, params, ctx)
    with pytest.raises(ConfigurationError, match="needs a store"):
        UnconfiguredOffload().encode(b"x", ctx)


def test_also_read_serves_old_references(ctx: StageContext) -> None:
    old, new = InMemoryStore(name="old"), InMemoryStore(name="new")
    body, params = encode_one(Offload(old, threshold=0), b"legacy", ctx)
    migrating = Offload(new, threshold=0, also_read=[old])
    assert migrating.decode(body, params, ctx) == b"legacy"
    _, new_params = encode_one(migrating, b"fresh", ctx)
    assert OffloadReference.from_params(new_params, ctx).store == "new"
    with pytest.raises(ConfigurationError, match="two offload stores are named 'old'"):
        Offload(old, also_read=[InMemoryStore(name="old")])


def test_store_failures_are_wrapped(ctx: StageContext) -> None:
    stage = Offload(BrokenStore(name="broken"), threshold=0)
    with pytest.raises(
        StoreWriteUnavailable, match=r"\(4 bytes\) to object [0-9a-f]{64} in store 'broken' for now"
    ) as info:
        stage.encode(b"data", ctx)
    assert isinstance(info.value.__cause__, OSError) and info.value.size == 4
    assert not isinstance(info.value, EncodeError)  # the value is fine: not an encode error
    params = OffloadReference("broken", hashlib.sha256(b"d").digest(), 1).to_params()
    with pytest.raises(StoreUnavailable, match=r"cannot read object [0-9a-f]{64} from store 'b"):
        stage.decode(b"", params, ctx)


@pytest.mark.parametrize(
    "params",
    [b"", b"\x02\x01m" + bytes(40), b"\x01\x00" + bytes(40), b"\x01\x01m" + bytes(39)],
)
def test_malformed_reference(ctx: StageContext, params: bytes) -> None:
    with pytest.raises(DecodeError, match="offload reference"):
        Offload(InMemoryStore()).decode(b"", params, ctx)


def test_inline_bytes_next_to_a_reference_are_refused(ctx: StageContext) -> None:
    stage = Offload(InMemoryStore(), threshold=0)
    _, params = encode_one(stage, b"data", ctx)
    with pytest.raises(DecodeError, match="unexpected inline bytes"):
        stage.decode(b"junk", params, ctx)


# -- stores ---------------------------------------------------------------------------


@pytest.fixture(params=["memory", "directory", "directory-nofsync"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "memory":
        return InMemoryStore()
    return LocalDirectoryStore(tmp_path / "blobs", fsync=request.param == "directory")


def test_store_contract(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)
    key = "ab" + "0" * 62
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.put(key, b"one")
    assert store.exists(key) and store.get(key) == b"one"
    store.put(key, b"two")
    assert store.get(key) == b"two"
    store.put("nested/key-1.bin", b"")
    assert store.get("nested/key-1.bin") == b""


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs", "a//b", "", ".hidden", "a/../b", "x" * 513]
)
def test_store_refuses_unsafe_keys(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid blob store key"):
        store.put(key, b"x")
    with pytest.raises(ValueError, match="invalid blob store key"):
        store.get(key)


def test_local_directory_layout_and_atomic_writes(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    key = hashlib.sha256(b"abc").hexdigest()
    store.put(key, b"abc")
    assert (tmp_path / key[:2] / key).read_bytes() == b"abc"
    assert not list(tmp_path.rglob(".tmp-*"))  # no temporary file left behind


def test_local_directory_concurrent_writers_never_expose_partial_files(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path, fsync=False)
    data = os.urandom(1 << 20)
    key = hashlib.sha256(data).hexdigest()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                got = store.get(key)
            except KeyError:
                continue
            if got != data:
                errors.append(AssertionError(f"partial read of {len(got)} bytes"))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(20):
        store.put(key, data)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []


def test_local_directory_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)

    with pytest.raises(TypeError):
        store.put("k1", "not bytes")  # type: ignore[arg-type]
    assert not list(tmp_path.rglob("*.part"))
    assert not store.exists("k1")


def test_local_directory_root_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ConfigurationError, match="is not a directory"):
        LocalDirectoryStore(tmp_path / "file")


def test_store_names_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="blob store name"):
        InMemoryStore(name="")
    with pytest.raises(ConfigurationError, match="blob store name"):
        InMemoryStore(name="n" * 256)


def test_offload_through_local_directory(tmp_path: Path, ctx: StageContext) -> None:
    stage = Offload(LocalDirectoryStore(tmp_path))
    data = os.urandom(100_000)
    body, params = encode_one(stage, data, ctx)
    reader = Offload(LocalDirectoryStore(tmp_path))  # another process would do the same
    assert reader.decode(body, params, ctx) == data


def test_a_missing_store_directory_is_an_outage_not_a_missing_object(
    tmp_path: Path, ctx: StageContext
) -> None:
    store = LocalDirectoryStore(tmp_path / "blobs")
    stage = Offload(store, threshold=0)
    body, params = encode_one(stage, b"kept", ctx)
    (tmp_path / "blobs").rename(tmp_path / "moved")
    with pytest.raises(StoreUnavailable, match=r"the store directory .* is missing") as info:
        stage.decode(body, params, ctx)
    assert info.value.store == "local" and len(info.value.key) == 64
    (tmp_path / "moved").rename(tmp_path / "blobs")
    assert stage.decode(body, params, ctx) == b"kept"
    other = OffloadReference("local", hashlib.sha256(b"never").digest(), 5).to_params()
    with pytest.raises(DecodeError, match="missing object") as missing:
        stage.decode(b"", other, ctx)
    assert not isinstance(missing.value, StoreUnavailable)  # permanent


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_store_directory_is_an_outage(tmp_path: Path, ctx: StageContext) -> None:
    stage = Offload(LocalDirectoryStore(tmp_path), threshold=0)
    body, params = encode_one(stage, b"kept", ctx)
    tmp_path.chmod(0)
    try:
        with pytest.raises(StoreUnavailable, match="PermissionError"):
            stage.decode(body, params, ctx)
    finally:
        tmp_path.chmod(0o755)
    assert stage.decode(body, params, ctx) == b"kept"
