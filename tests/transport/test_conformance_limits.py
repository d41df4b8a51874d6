"""The conformance kit's limit check: right about stages, and still strict.

Every transport ``flowwire transports`` lists, and each of them with a ``zstd`` stage, passes
``check_transport``; a transport that ignores its own ``max_payload_chars`` (with or without a
compression stage) fails it, and so does one whose ``PayloadTooLarge`` misreports the limit.
"""

from __future__ import annotations

from typing import Any

import pytest
from _extras import needs, requires

from flowwire.errors import PayloadTooLarge
from flowwire.testing import TransportConformance, check_transport
from flowwire.transport import JSONTransport, available_transports, get_transport
from flowwire.transport.stages import InMemoryStore, Offload

LISTED = available_transports()


def _zstd() -> None:
    requires("zstandard")


@needs("hypothesis")
@pytest.mark.parametrize("name", LISTED)
def test_every_listed_transport_passes_the_whole_check(name: str) -> None:
    check_transport(get_transport(name), max_examples=10)


@pytest.mark.parametrize("name", [f"{n}+zstd" for n in LISTED])
def test_a_zstd_stage_passes_the_whole_check(name: str) -> None:
    _zstd()
    check_transport(get_transport(name), max_examples=10)


def test_an_offload_stage_carries_what_does_not_fit() -> None:
    transport = JSONTransport(stages=[Offload(InMemoryStore())], max_payload_chars=2000)
    TransportConformance().test_limit_raises_payload_too_large(transport)


class IgnoresItsLimit:
    """Claims ``max_payload_chars=limit`` but delegates to an unlimited transport."""

    def __init__(self, name: str, limit: int) -> None:
        self._inner = get_transport(name, max_payload_chars=None)
        self.max_payload_chars = limit

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._inner, attribute)


@needs("hypothesis")
@pytest.mark.parametrize("name", ["json", "msgpack", "json+zstd", "msgpack+zstd"])
def test_a_transport_that_ignores_its_limit_is_caught(name: str) -> None:
    if "zstd" in name:
        _zstd()
    transport: Any = IgnoresItsLimit(name, 5000)
    with pytest.raises(AssertionError, match="over max_payload_chars=5000"):
        TransportConformance().test_limit_raises_payload_too_large(transport)
    with pytest.raises(AssertionError, match="test_limit_raises_payload_too_large failed"):
        check_transport(transport, max_examples=5)


def test_a_misreported_limit_is_caught() -> None:
    class Misreports(JSONTransport):
        def serialize_result(self, value: Any) -> str:
            raise PayloadTooLarge(10, 5)

    with pytest.raises(AssertionError, match="expected limit=32768"):
        TransportConformance().test_limit_raises_payload_too_large(Misreports())
