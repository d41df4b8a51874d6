"""Shared test configuration: hypothesis profiles (CI runs the same examples on every run), and
tests that use the moto fixtures skip, naming the extra, where moto or boto3 is missing (see
tests/_extras.py for the other optional packages)."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from _extras import MOTO_FIXTURES, available, reason

# The moto server fixtures (SWF and S3) are product: tests use them like users do. Installing
# flowwire registers them through its pytest11 entry point (tests/cli checks that a project
# needs no line for it); this line only keeps a checkout whose install predates the entry point
# working, and loads nothing twice (the entry point is named like the module).
pytest_plugins = ["flowwire.testing.pytest_plugin"]

# A process started with SIGINT ignored (a background job of a non-interactive shell, a
# pytest-xdist worker) passes the ignoring on to every subprocess it starts, and Python then
# installs no KeyboardInterrupt handler there: the Ctrl-C tests would see nothing happen. Take
# Python's own handler back, so subprocesses start with SIGINT at its default, as under a
# terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

if available("hypothesis"):  # without it, the tests that use it skip (tests/_extras.py)
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci",
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(
        "ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev")
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that uses a moto fixture needs boto3 (extra ``swf``) and moto (``testing``)."""
    if MOTO_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
        return
    for package in ("boto3", "moto"):
        if not available(package):
            pytest.skip(reason(package))


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("flowwire fuzz", "the transport fuzz harness (tests/fuzz)")
    group.addoption(
        "--long",
        action="store_true",
        help="run the long fuzz mode: millions of inputs, resumable (see docs/security.md)",
    )
    group.addoption(
        "--long-inputs",
        type=int,
        default=200_000,
        help="--long: inputs per target to reach, counted over resumed runs (default 200000)",
    )
    group.addoption(
        "--long-minutes",
        type=float,
        default=0.0,
        help="--long: stop after this many minutes (0: when --long-inputs is reached)",
    )
    group.addoption("--long-jobs", type=int, default=2, help="--long: worker processes (default 2)")
    group.addoption(
        "--long-fresh", action="store_true", help="--long: forget saved progress, start at 0"
    )
    group.addoption(
        "--long-report", default=None, help="--long: write the counts per target to this JSON file"
    )
