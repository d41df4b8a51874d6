"""Every built-in transport passes the same conformance suite users run on theirs."""

from __future__ import annotations

from _extras import needs

from flowwire.testing import TransportConformance, check_transport
from flowwire.transport import JSONTransport

pytestmark = needs("hypothesis")  # the conformance kit draws its values with hypothesis


class TestBuiltinConformance(TransportConformance):
    """Runs once per codec through the parametrised ``transport`` fixture in conftest."""


def test_check_transport_one_liner() -> None:
    check_transport(JSONTransport(), max_examples=10)


def test_check_transport_catches_a_lossy_transport() -> None:
    class Lossy(JSONTransport):
        def deserialize_result(self, payload, *, type_hint=None):  # type: ignore[no-untyped-def]
            value = super().deserialize_result(payload)
            return str(value) if isinstance(value, bytes) else value

    try:
        check_transport(Lossy(), max_examples=40)
    except AssertionError as exc:
        assert "test_results_round_trip" in str(exc) or "round_trip" in str(exc)
    else:
        raise AssertionError("a transport that turns bytes into str passed the conformance check")
