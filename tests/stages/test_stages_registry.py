"""Stages by name, receivers without configuration, and lazy optional imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _extras import needs

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport import get_transport, registry
from flowwire.transport.stages import (
    AESGCM,
    InMemoryStore,
    Offload,
    UnconfiguredAESGCM,
    UnconfiguredOffload,
    Zstd,
    aesgcm_stage,
    offload_stage,
    unconfigured_stage,
    zstd_stage,
)


def test_importing_stages_imports_no_optional_dependency() -> None:
    code = (
        "import sys, flowwire, flowwire.transport.stages\n"
        "loaded = [m for m in ('zstandard', 'cryptography', 'boto3', 'botocore') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@needs("zstd")
@needs("crypto")
def test_factories() -> None:
    assert isinstance(zstd_stage(level=5), Zstd)
    assert isinstance(aesgcm_stage(key=bytes(32)), AESGCM)
    assert isinstance(aesgcm_stage(), UnconfiguredAESGCM)
    assert isinstance(offload_stage(store=InMemoryStore()), Offload)
    assert isinstance(offload_stage(), UnconfiguredOffload)
    assert isinstance(unconfigured_stage("zstd"), Zstd)
    assert isinstance(unconfigured_stage("aesgcm"), UnconfiguredAESGCM)
    assert isinstance(unconfigured_stage("offload"), UnconfiguredOffload)
    assert unconfigured_stage("rot13") is None


registered = pytest.mark.skipif(
    "zstd" not in registry.available_stages(),
    reason="the built-in stages are not registered in flowwire.transport.registry yet",
)


@needs("zstd")
@registered
def test_stages_by_name() -> None:
    transport = get_transport("msgpack+zstd")
    payload = transport.serialize_result("n" * 5000)
    assert get_transport("msgpack").deserialize_result(payload) == "n" * 5000
    store = InMemoryStore()
    offloading = get_transport(
        "json", stages=[registry.get_stage("offload", store=store, threshold=0)]
    )
    assert offloading.deserialize_result(offloading.serialize_result([1, 2])) == [1, 2]
    assert len(store) == 1


@needs("crypto")
@registered
def test_unconfigured_receiver_errors_name_what_is_missing() -> None:
    store = InMemoryStore(name="shared")
    writer = get_transport("json", stages=[AESGCM(key=bytes(32), key_id="prod-1")])
    with pytest.raises(DecodeError, match="key id 'prod-1' but no aesgcm stage"):
        get_transport("json").deserialize_result(writer.serialize_result("secret"))
    writer = get_transport("json", stages=[Offload(store, threshold=0)])
    with pytest.raises(DecodeError, match=r"object [0-9a-f]{64} in store 'shared', but no"):
        get_transport("json").deserialize_result(writer.serialize_result("big"))


@registered
def test_by_name_without_configuration_fails_clearly() -> None:
    with pytest.raises(ConfigurationError, match="needs a key"):
        get_transport("json+aesgcm").serialize_result("x")
    with pytest.raises(ConfigurationError, match="needs a store"):
        get_transport("json+offload").serialize_result("x")
