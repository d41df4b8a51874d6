"""The examples of examples/ end to end on moto from the CLI: ``flowwire swf worker`` in one
process, ``flowwire swf start`` in another, with each built-in transport."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.cli import parse_argument
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.errors import TaskError
from flowwire.scanner import scan
from flowwire.testing.moto import MotoServer
from flowwire.transport import builtin_codecs, get_transport

pytestmark = pytest.mark.swf

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    "examples.echo",
    "examples.dependencies",
    "examples.sequential",
    "examples.fan_out",
    "examples.errors",
    "examples.mixed_codecs",
    "examples.swf_orders",
    "examples.custom_format",
]


def flowwire(moto: MotoServer, domain: str, *argv: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flowwire.cli",
        "swf",
        *argv,
        "--domain",
        domain,
        "--endpoint-url",
        moto.endpoint_url,
    ]


@pytest.fixture
def worker(moto_server: MotoServer) -> Iterator[tuple[MotoServer, str, str]]:
    moto_session, transport, domain = moto_server, "json", "examples"
    env = {**os.environ, **moto_session.env()}
    moto_session.client("swf").register_domain(
        name=domain, workflowExecutionRetentionPeriodInDays="1"
    )
    process = subprocess.Popen(
        flowwire(
            moto_session,
            domain,
            "worker",
            *EXAMPLES,
            "--register",
            "--threads",
            "4",
            "--stagger",
            "0.25",
            "--transport",
            transport,
        ),
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "decider and" in line, line + process.stderr.read()
    yield moto_session, domain, transport
    process.terminate()
    process.communicate(timeout=20)
    assert process.returncode == 0


CASES = [
    (["examples.echo:Echo", '"hello"'], 0, "hello"),
    (["examples.dependencies:Dependencies", "2", "3"], 0, 21),
    (["examples.sequential:Doubling", "3"], 0, 192),
    (["examples.fan_out:SumOfSquares", "10"], 0, 385),
    (
        ["examples.mixed_codecs:Billing", "ACME", "3"],
        0,
        {"customer": "ACME", "total": 7.5, "thumbnail": "3b195b2512a1b6f3"},
    ),
    (["examples.errors:Tolerant", '"not a number"'], 0, None),
    (["examples.errors:Strict", '"not a number"'], 1, "activity 'examples.parse' v1"),
    (
        ["examples.swf_orders:PlaceOrder", '{"id": "o-2", "lines": [["sku-2", 3]]}'],
        0,
        {"order": "o-2", "receipt": "receipt-o-2-30.00", "status": "shipped"},
    ),
    (
        ["examples.swf_orders:PlaceOrder", '{"id": "o-3", "lines": [["sku-9", 1]]}'],
        1,
        "unknown sku 'sku-9'",
    ),
    (  # a format of its own: the starter's override points encode and decode
        ["examples.custom_format:Invoice", "-k", "customer=ACME", "-k", 'amount="100.00"'],
        0,
        {"customer": "ACME", "tax": "20.00", "total": "120.00"},
    ),
]


def split_argv(argv: list[str]) -> tuple[list[Any], dict[str, Any]]:
    """The positional and ``-k NAME=VALUE`` arguments of a CLI argv, parsed as the CLI does."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    items = iter(argv)
    for item in items:
        if item == "-k":
            name, _, value = next(items).partition("=")
            kwargs[name] = parse_argument(value)
        else:
            args.append(parse_argument(item))
    return args, kwargs


def test_examples_from_the_cli(worker: tuple[MotoServer, str, str]) -> None:
    """Every example, started concurrently, each in its own ``flowwire swf start`` process."""
    moto, domain, transport = worker
    starts = [
        subprocess.Popen(
            flowwire(
                moto, domain, "start", *argv, "--wait", "--timeout", "60", "--transport", transport
            ),
            cwd=ROOT,
            env={**os.environ, **moto.env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv, _, _ in CASES
    ]
    for process, (argv, code, expected) in zip(starts, CASES, strict=True):
        stdout, stderr = process.communicate(timeout=90)
        assert process.returncode == code, (argv, stderr)
        if code:
            assert isinstance(expected, str) and expected in stderr
        elif expected is not None:
            assert json.loads(stdout) == expected, argv


@pytest.mark.parametrize("transport", builtin_codecs())
def test_examples_with_each_transport(moto_server: MotoServer, transport: str) -> None:
    """Every example with each built-in transport as the engine default (in-process workers)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    swf = SWF(moto_server.client("swf"), f"examples-{transport}")
    registry = TaskRegistry(scan(*EXAMPLES), transport=get_transport(transport))
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=4, activity_threads=4, stagger=0.25):
        runs = []
        for argv, _, _ in CASES:
            module, _, name = argv[0].partition(":")
            cls = getattr(importlib.import_module(module), name)
            args, kwargs = split_argv(argv[1:])
            runs.append(start(swf, cls, args, kwargs, transport=transport))
        for run, (argv, code, expected) in zip(runs, CASES, strict=True):
            if code:
                with pytest.raises(TaskError) as info:
                    run.result(timeout=60)
                assert isinstance(expected, str) and expected in str(info.value)
            else:
                value = run.result(timeout=60)
                assert expected is None or value == expected, argv
