"""The engine's last check on every field it sends to SWF: sizes, and the armor warning."""

from __future__ import annotations

import warnings

import pytest

from flowwire.engines.swf import limits
from flowwire.engines.swf.limits import LatinArmorWarning, check_field
from flowwire.errors import PayloadTooLarge
from flowwire.transport import get_transport


@pytest.fixture(autouse=True)
def _fresh_warning_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "_warned_latin1", False)


def test_over_the_limit_names_the_field_size_and_limit() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        check_field("x" * 33, 32, "result of activity 'a' v1")
    assert (info.value.size, info.value.limit) == (33, 32)
    assert "result of activity 'a' v1" in str(info.value)


def test_a_latin1_payload_warns_once_per_process() -> None:
    payload = get_transport("msgpack", armor="latin-1").serialize_result([1, 2])
    with pytest.warns(LatinArmorWarning, match="input of activity 'a' v1 is latin-1-armored"):
        check_field(payload, limits.MAX_INPUT, "input of activity 'a' v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_field(payload, limits.MAX_INPUT, "input of activity 'b' v1")  # not again


@pytest.mark.parametrize(
    "payload",
    [
        get_transport("msgpack").serialize_result([1, 2]),  # base64
        get_transport("json").serialize_result({"FW": 1}),  # plain JSON
        "FWError: something failed",  # a failure reason that happens to start with FW
        None,
    ],
)
def test_other_payloads_do_not_warn(payload: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_field(payload, limits.MAX_INPUT, "input of activity 'a' v1")
