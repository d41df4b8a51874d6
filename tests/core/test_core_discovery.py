"""Ignore patterns are globs over dotted module names, and an ignored package is never
imported: the same on ``scan``, ``LocalEngine``, ``flowwire run --ignore`` and ``flowwire swf``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

import pytest

from flowwire import LocalEngine
from flowwire.cli import main
from flowwire.errors import RegistrationError
from flowwire.scanner import scan


@pytest.fixture(autouse=True)
def fresh_tests_package() -> Iterator[None]:
    """Forget ``_myapp.tests`` so each test sees whether it gets imported."""
    for name in [m for m in sys.modules if m.startswith("_myapp")]:
        del sys.modules[name]
    yield


def names(classes: list[type]) -> set[str]:
    return {cls.__qualname__ for cls in classes}


@pytest.mark.parametrize("pattern", ["*.tests", "_myapp.tests", "_myapp.t*", "*.tests*"])
def test_scan_skips_a_matching_package_and_everything_under_it(pattern: str) -> None:
    assert names(scan("_myapp", ignore=[pattern])) == {"Charge", "Checkout"}
    assert "_myapp.tests" not in sys.modules and "_myapp.tests.fake" not in sys.modules


def test_without_the_pattern_the_fake_is_found() -> None:
    assert names(scan("_myapp")) == {"Charge", "Checkout", "FakeCharge"}
    for pattern in ["tests", "*.fake.*", "_myapp.test"]:  # match no dotted name of it
        assert "FakeCharge" in names(scan("_myapp", ignore=[pattern]))
    assert "FakeCharge" not in names(scan("_myapp", ignore=["*.fake"]))
    with pytest.raises(RegistrationError, match=r"duplicate activity 'myapp.charge' v1"):
        LocalEngine(["_myapp"])


def test_the_local_engine_takes_the_same_patterns() -> None:
    from _myapp.flows import Checkout

    assert LocalEngine(["_myapp"], ignore=["*.tests"]).run(Checkout, 5) == "charged 5!"
    assert "_myapp.tests" not in sys.modules


def test_flowwire_run_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "_myapp.flows:Checkout", "7", "--scan", "_myapp", "--quiet"]
    assert main([*argv, "--ignore", "*.tests"]) == 0
    assert capsys.readouterr().out.strip() == '"charged 7!"'
    assert main(argv) == 2
    assert "duplicate activity 'myapp.charge' v1" in capsys.readouterr().err


def test_the_swf_commands_take_the_same_patterns() -> None:
    from flowwire.engines.swf.cli import add_swf_commands

    parser = argparse.ArgumentParser()
    add_swf_commands(parser.add_subparsers())
    from flowwire.engines.swf import cli as swf_cli

    args = parser.parse_args(["swf", "worker", "_myapp", "--ignore", "*.tests"])
    registry = swf_cli._registry(args)
    assert {cls.__qualname__ for cls in registry.activities.values()} == {"Charge"}
    assert "_myapp.tests" not in sys.modules
    with pytest.raises(RegistrationError, match=r"duplicate activity 'myapp\.charge' v1"):
        swf_cli._registry(parser.parse_args(["swf", "register", "_myapp"]))
