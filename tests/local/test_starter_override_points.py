"""The starter side of the override points: ``_serialize_arguments`` and
``_deserialize_result`` (classmethods) encode a start's input and decode its result in every
starter, and a proxy whose target is a class calls them, so a wholly custom format round-trips.
The SWF side of the same example runs on moto in tests/swf/test_swf_examples.py."""

from __future__ import annotations

import pytest

from examples.custom_format import Invoice, Tax
from flowwire import LocalEngine, get_transport, run_workflow
from flowwire.cli import main
from flowwire.errors import ConfigurationError, EncodeError
from flowwire.history import TaskCompleted, WorkflowStarted

EXPECTED = {"customer": "ACME", "tax": "20.00", "total": "120.00"}


def test_run_workflow_round_trips_the_custom_format() -> None:
    assert run_workflow(Invoice, customer="ACME", amount="100.00") == EXPECTED


@pytest.mark.parametrize("live", [True, False])
def test_the_history_holds_the_custom_payloads(live: bool) -> None:
    engine = LocalEngine([Tax], live=live, verify_replay=live)
    assert engine.run(Invoice, customer="ACME", amount="100.00") == EXPECTED
    (history,) = engine.histories.values()
    assert history[0] == WorkflowStarted("amount=100.00\ncustomer=ACME")
    assert TaskCompleted("tax-0-0", "tax=20.00") in history


def test_flowwire_run_uses_the_override_points(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "examples.custom_format:Invoice", "-k", "customer=ACME", "-k", 'amount="1.00"']
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == '{"customer": "ACME", "tax": "0.20", "total": "1.20"}'


def test_the_starter_side_errors_reach_the_caller_before_anything_starts() -> None:
    engine = LocalEngine([Tax])
    with pytest.raises(ConfigurationError, match="too many positional arguments"):
        engine.run(Invoice, "ACME", amount="1")
    with pytest.raises(EncodeError, match="cannot be written as a key=value line"):
        engine.run(Invoice, customer="two\nlines", amount="1")
    assert engine.histories == {}


def test_the_defaults_use_the_transport_the_starter_chose() -> None:
    from examples.sequential import Doubling

    msgpack = get_transport("msgpack")
    payload = Doubling._serialize_arguments((41,), {}, transport=msgpack)
    assert payload == msgpack.serialize_arguments((41,), {})
    result = msgpack.serialize_result(192)
    assert Doubling._deserialize_result(result, transport=msgpack, type_hint=int) == 192
    assert LocalEngine().transport_for(Doubling).name == "json"  # chose none: the default
    assert LocalEngine(transport="msgpack").run(Doubling, 3) == 192
