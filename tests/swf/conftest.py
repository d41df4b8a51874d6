"""Fixtures of the SWF engine tests: the recorded real SWF traffic in ``data/`` (see
data/README.md). The moto fixtures (``moto_server``, ``moto_swf_client``, ...) come from the
plugin ``flowwire.testing.pytest_plugin``, which the root conftest loads."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from flowwire.testing.moto import MotoServer

DATA = Path(__file__).parent / "data"
TESTS = Path(__file__).resolve().parent.parent


def load_traffic(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def decider_traffic() -> list[dict[str, Any]]:
    return load_traffic("decider_traffic.jsonl.gz")


@pytest.fixture(scope="session")
def activity_traffic() -> list[dict[str, Any]]:
    return load_traffic("activity_traffic.jsonl")


@pytest.fixture
def cli_on_moto(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """Set up this process as the ``flowwire swf`` commands expect it on moto: run from
    ``tests/`` (so ``swf.workflows`` imports) with the server's AWS environment."""
    monkeypatch.chdir(TESTS)
    monkeypatch.syspath_prepend(str(TESTS))
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    return moto_server
