from __future__ import annotations

import pytest

from flowwire import get_transport
from flowwire.transport import CodecTransport

CODECS = ["json", "msgpack", "protobuf"]


@pytest.fixture(params=CODECS)
def codec_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def transport(codec_name: str) -> CodecTransport:
    t = get_transport(codec_name)
    assert isinstance(t, CodecTransport)
    return t
