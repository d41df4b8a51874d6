"""pytest fixtures for testing workflows against moto (SWF, S3) in server mode.

Installing flowwire registers this plugin through the ``pytest11`` entry point (named
``flowwire.testing.pytest_plugin``, like the module, so a ``conftest.py`` that also lists it
in ``pytest_plugins`` loads it once); ``-p no:flowwire.testing.pytest_plugin`` turns it off.

Fixtures:

* ``moto_session`` (session scope): one :class:`~flowwire.testing.moto.MotoServer`, started on
  first use and stopped when the session ends. It answers empty SWF polls after 0.25 s
  instead of moto's 1 s (``MOTO_EMPTY_POLL_WAIT``), so workers pick tasks up sooner.
* ``moto_server``: the same server, reset (every resource forgotten) before the test runs.
* ``moto_swf_client`` / ``moto_s3_client``: ready boto3 clients bound to the reset server.
* ``swf_domain``: the name of a freshly registered SWF domain on the reset server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flowwire.testing.moto import MotoServer

__all__ = [
    "MOTO_EMPTY_POLL_WAIT",
    "moto_s3_client",
    "moto_server",
    "moto_session",
    "moto_swf_client",
    "swf_domain",
]

MOTO_EMPTY_POLL_WAIT = 0.25
"""Seconds the session's moto server waits before answering an empty SWF poll."""


@pytest.fixture(scope="session")
def moto_session() -> Iterator[MotoServer]:
    """The session's moto server; prefer ``moto_server``, which also resets it."""
    server = MotoServer(empty_poll_wait=MOTO_EMPTY_POLL_WAIT).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_server(moto_session: MotoServer) -> MotoServer:
    """The moto server, with every resource of every service forgotten before the test."""
    moto_session.reset()
    return moto_session


@pytest.fixture
def moto_swf_client(moto_server: MotoServer) -> Any:
    """A boto3 ``swf`` client bound to the reset moto server."""
    return moto_server.client("swf")


@pytest.fixture
def moto_s3_client(moto_server: MotoServer) -> Any:
    """A boto3 ``s3`` client bound to the reset moto server."""
    return moto_server.client("s3")


@pytest.fixture
def swf_domain(moto_swf_client: Any) -> str:
    """The name of an SWF domain registered on the reset moto server."""
    name = "flowwire-test"
    moto_swf_client.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
    return name
