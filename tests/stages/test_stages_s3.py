"""S3Store and the offload stage against moto in server mode (real HTTP, real boto3)."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import Any

import pytest
from _extras import needs
from _stage_helpers import encode_one

from flowwire.errors import ConfigurationError, DecodeError, StoreUnavailable, StoreWriteFailed
from flowwire.testing.moto import MotoServer
from flowwire.transport import builtin_codecs
from flowwire.transport._protocols import StageContext
from flowwire.transport.stages import BlobStore, Offload, S3Store


def test_store_contract(s3_bucket: tuple[Any, str]) -> None:
    client, bucket = s3_bucket
    store = S3Store(bucket, "payloads", client=client)
    assert isinstance(store, BlobStore)
    assert store.name == f"s3://{bucket}/payloads/"
    key = "c0ffee" + "0" * 58
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.put(key, b"\x00binary\xff")
    assert store.exists(key)
    assert store.get(key) == b"\x00binary\xff"
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"payloads/{key}"]


def test_offload_round_trip_and_failures(s3_bucket: tuple[Any, str], ctx: StageContext) -> None:
    client, bucket = s3_bucket
    stage = Offload(S3Store(bucket, "fw/", client=client, name="archive"))
    data = os.urandom(200_000)
    body, params = encode_one(stage, data, ctx)
    key = hashlib.sha256(data).hexdigest()
    assert stage.decode(body, params, ctx) == data
    assert stage.encode(data, ctx) == (body, params)  # same object, no second upload

    client.put_object(Bucket=bucket, Key=f"fw/{key}", Body=b"\x00" * len(data))
    with pytest.raises(DecodeError, match=f"hash mismatch for object {key} in store 'archive'"):
        stage.decode(body, params, ctx)

    client.delete_object(Bucket=bucket, Key=f"fw/{key}")
    with pytest.raises(DecodeError, match=f"missing object {key} in store 'archive'"):
        stage.decode(body, params, ctx)


def test_store_from_endpoint_url(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, ctx: StageContext
) -> None:
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    store = S3Store("fresh", endpoint_url=moto_server.endpoint_url, region_name="us-east-1")
    store.client.create_bucket(Bucket="fresh")
    stage = Offload(store, threshold=0)
    body, params = encode_one(stage, b"hello", ctx)
    assert stage.decode(body, params, ctx) == b"hello"


def test_backend_errors_are_wrapped(moto_s3_client: Any, ctx: StageContext) -> None:
    stage = Offload(S3Store("no-such-bucket", client=moto_s3_client), threshold=0, write_wait=0)
    with pytest.raises(StoreWriteFailed, match="in store 's3://no-such-bucket/': the st") as info:
        stage.encode(b"data", ctx)
    assert info.value.__cause__ is not None
    moto_s3_client.create_bucket(Bucket="other")
    writer = Offload(S3Store("other", client=moto_s3_client), threshold=0)
    body, params = encode_one(writer, b"data", ctx)
    reader = Offload(S3Store("no-such-bucket", client=moto_s3_client, name="s3://other/"))
    with pytest.raises(StoreUnavailable, match=r"cannot read object [0-9a-f]{64} from st") as out:
        reader.decode(body, params, ctx)
    assert isinstance(out.value, DecodeError)  # a subclass: old handlers still catch it
    assert out.value.store == "s3://other/" and out.value.__cause__ is not None


def test_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'flowwire\[s3\]'"):
        S3Store("bucket")
    with pytest.raises(ConfigurationError, match="needs a bucket"):
        S3Store("", client=object())


@needs("zstd")
@pytest.mark.parametrize("codec", builtin_codecs())
def test_five_mib_result_through_transport_and_s3(s3_bucket: tuple[Any, str], codec: str) -> None:
    from flowwire.transport import get_transport
    from flowwire.transport.stages import AESGCM, Zstd

    client, bucket = s3_bucket
    key = bytes(range(32))

    def transport() -> Any:  # writer and reader build their own objects
        stages = [Zstd(), AESGCM(key=key, key_id="k"), Offload(S3Store(bucket, client=client))]
        # the document decompresses past the default max_decoded_bytes (1 MiB): opt in
        return get_transport(codec, stages=stages, max_decoded_bytes=16 << 20)

    value = {"image": os.urandom(5 << 20), "name": "scan.png"}
    payload = transport().serialize_result(value)
    assert len(payload) < 300
    assert transport().deserialize_result(payload) == value
    assert len(client.list_objects_v2(Bucket=bucket)["Contents"]) == 1
