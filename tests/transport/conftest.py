from __future__ import annotations

import pytest

from flowwire import get_transport
from flowwire.transport import CodecTransport, builtin_codecs

CODECS = builtin_codecs()


@pytest.fixture(params=CODECS)
def codec_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def transport(codec_name: str) -> CodecTransport:
    t = get_transport(codec_name)
    assert isinstance(t, CodecTransport)
    return t


@pytest.fixture(params=["c", "pure-python"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the optional C extensions (where built) and again without them, so the
    pure-Python paths that installs without a C compiler use stay tested too."""
    from flowwire.transport.codecs import _json_plain as json_codec
    from flowwire.transport.codecs import json as json_transport
    from flowwire.transport.codecs import msgpack as msgpack_codec
    from flowwire.transport.codecs import protobuf as protobuf_codec

    if request.param == "pure-python":
        from flowwire.transport.model import _fast, _hint_cache

        monkeypatch.setattr(_fast, "_make_plan", None)
        _hint_cache.clear()  # compiled plans are rebuilt without C (and again after the test)
        request.addfinalizer(_hint_cache.clear)
        monkeypatch.setattr(json_codec, "_c_all_finite", None)
        monkeypatch.setattr(json_codec, "c_exact", None)
        monkeypatch.setattr(json_transport, "_c_exact", None)
        monkeypatch.setattr(json_transport, "_c_digit_run", None)
        monkeypatch.setattr(msgpack_codec, "_c_str_keys", None)
        monkeypatch.setattr(msgpack_codec, "_c_containers", None)  # the Python walk and bound
        monkeypatch.setattr(protobuf_codec, "_fast_decode", None)
        monkeypatch.setattr(protobuf_codec, "_fast_arguments", None)
    elif (
        not protobuf_codec.C_ACCELERATED or msgpack_codec._c_containers is None
    ):  # pragma: no cover - installs without a compiler
        pytest.skip("the C extensions are not built here")
    return str(request.param)
