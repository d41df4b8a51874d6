"""Every ``examples/*.py`` runs as a script, the way its docstring says to run it, from the
repository root, and exits 0; where it prints a known result, it prints exactly that.

The examples are found by globbing, so a new one is run without being listed here. The command
is the first ``python examples/NAME.py ARGS`` or ``python -m examples.NAME ARGS`` line of the
example's docstring (an example that imports a sibling as ``examples.X`` only runs with ``-m``),
else ``python -m examples.NAME``. Only :data:`NOT_RUN` is left out, each with its reason.
"""

from __future__ import annotations

import ast
import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import needs, used_by

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))

#: example -> why no test runs it as a script
NOT_RUN = {
    "docs_swf_start": "connects to real Amazon SWF (region eu-west-1); its classes run on moto in "
    "tests/swf/test_swf_examples.py",
}

#: example -> the extras (or packages) it needs beyond what its own imports show (used_by):
#: a stage or the moto server that flowwire imports for it, or a sibling example's imports
NEEDS: dict[str, tuple[str, ...]] = {
    "custom_transport_workflow": ("cbor2",),  # through examples.cbor_transport
    "stages_pipeline": ("zstd", "crypto"),
    "stages_workflow": ("zstd", "crypto"),
    "swf_orders": ("swf", "moto"),  # --moto: flowwire.testing.moto.MotoServer
    "swf_timeline": ("swf", "moto"),
}

#: example -> arguments replacing its docstring's (``{tmp}``: the test's temporary directory)
ARGS = {"swf_timeline": ["{tmp}/order.html"]}  # not the repository root's order.html

#: example -> its whole standard output (doctest ELLIPSIS: ``...`` matches anything)
OUTPUT = {
    "approval": (
        "approved after 3 hours: approved order 17 (notified: ops@example.com)\n"
        "no answer in 48 hours: expired order 17 (reminded: ops@example.com)"
    ),
    "cancellation": (
        "cancelled after 2 hours (cancellation requested)\n"
        "clean-up first: released (reserved order 17)"
    ),
    "cbor_transport": (
        "payload: ~RlcBBGNib3IAomRhcmdzgmVoZWxsbxgqZmt3YXJnc6FlcHJpY2VkOS45OQ==\n"
        "decoded: (('hello', 42), {'price': '9.99'})\n"
        "check_transport(CBORTransport()) passed"
    ),
    "custom_format": "{'customer': 'ACME', 'tax': '20.00', 'total': '120.00'}",
    "custom_transport_workflow": "total 3.30",
    "defaults": (
        "charged 12\n"
        "{'task_list': 'payments', 'heartbeat': None, 'schedule_to_close': 200, "
        "'schedule_to_start': 60, 'start_to_close': 30}"
    ),
    "dependencies": "21",
    "docs_swf_async": "",  # a module of docs/swf.md, no __main__: importing it must work
    "durable_steps": "",  # run by flowwire run --db (tests/durable/test_durable_cli.py)
    "echo": "hello",
    "errors": (
        "{'error': 'ValueError', 'message': \"invalid literal for int() with base 10: "
        "'not a number'\", 'task': \"activity 'examples.parse' v1 (parse-0-0)\"}\n"
        "{'number': 42, 'even': True}\n"
        "Strict failed as expected: workflow 'examples.strict' v1 failed: TaskError: activity "
        "'examples.parse' v1 (parse-0-0) failed: ValueError: invalid literal for int() with "
        "base 10: 'not a number'"
    ),
    "fan_out": str(sum(i * i for i in range(1, 101))),  # its docstring runs it with 100
    "mixed_codecs": "{'customer': 'ACME', 'total': 7.5, 'thumbnail': '3b195b2512a1b6f3'}",
    "retry_policy": (
        "{'receipt': 'charged 12 to 4242'}\n"
        "retried after [1, 2] seconds\n"
        "{'declined': 'CardDeclined', 'code': 'stolen_card'}\n"
        "retried after [] seconds"
    ),
    "rolling_deploy": (
        "v1 -> v2: ShipmentV2(id='s-1', destination='12 Main Street', priority='normal')\n"
        "v2 -> v1, refuse: unexpected field 'destination' for ShipmentV1 (at $)\n"
        "v2 -> v1b, keep: ShipmentV1b(id='s-2', address='3 Quay Road') kept: "
        "{'priority': 'express'}\n"
        "v1b -> v2: ShipmentV2(id='s-2', destination='3 Quay Road', priority='express')"
    ),
    "sequential": "192",
    "stages_pipeline": (
        "small:    117 characters, stages ['aesgcm']\n"
        "batch:   4225 characters, stages ['zstd', 'aesgcm']\n"
        "image:    145 characters, stages ['aesgcm', 'offload']\n"
        'objects in the store: ["..."]\n'  # a fresh random key each run
        "after rotation, the old payload still decodes"
    ),
    "stages_workflow": (
        "workflow result: 5,242,880 bytes, sha256 2eb4cc06db500366\n"
        "in the history: 165 characters: ~RlcBB21zZ3BhY2sDBHpzdGQACAAAAAAAUAAFBmFlc2djbQA...\n"
        "in the store: 1 object(s), 2,728,399 bytes"
    ),
    "store_outage": (  # the same lines as docs/stages.md
        "store directory moved away for the next 4 reads\n"
        "flowwire.kernel: run examples.outage.count-1: store 'local' is unavailable, deciding "
        "again in 0.1 s (outage 1)\n"
        "flowwire.kernel: run examples.outage.count-1: store 'local' is unavailable, deciding "
        "again in 0.2 s (outage 2)\n"
        "flowwire.kernel: run examples.outage.count-1: store 'local' is unavailable, deciding "
        "again in 0.4 s (outage 3)\n"
        "flowwire.kernel: run examples.outage.count-1: store 'local' is unavailable, deciding "
        "again in 0.8 s (outage 4)\n"
        "result: 5000"
    ),
    "swf_orders": '{"order": "o-1", "receipt": "receipt-o-1-15.00", "status": "shipped"}',
    "swf_timeline": "... rows written to {tmp}/order.html",  # moto repeats decision tasks
    "transport_tour": (
        '      json:  179 chars  {"args":[{"id":"12345678-1234-5678-1234-567812345678",...\n'
        "   msgpack:  197 chars  ~RlcBB21zZ3BhY2sAgqRhcmdzkYSiaWTYCRI0VngSNFZ4EjRWeBI0Vn...\n"
        "  protobuf:  229 chars  ~RlcBCHByb3RvYnVmAAp3SnUKGQoCaWQSE5IBEBI0VngSNFZ4EjRWeB...\n"
        "every transport rebuilt the typed arguments exactly"
    ),
    "type_adapters": (
        "json       68 characters -> Money('12.50', 'EUR')\n"
        "msgpack    97 characters -> Money('12.50', 'EUR')\n"
        "protobuf  133 characters -> Money('12.50', 'EUR')\n"
        '{"number":"INV-7","total":["12.50","EUR"],"lines":[["12.50","EUR"]]}\n'
        "DecodeError: Money could not be rebuilt from tuple (Decimal('1'), 'EURO'): ValueError: "
        "currency must have 3 letters, got 'EURO' (at $[\"total\"])"
    ),
}


def command(example: Path) -> list[str]:
    """The example's documented command, ``python`` meaning this interpreter."""
    doc = ast.get_docstring(ast.parse(example.read_text(encoding="utf-8"))) or ""
    name = re.escape(example.stem)
    found = re.search(
        rf"^\s*(?:\$ )?python ((?:examples/{name}\.py|-m examples\.{name})\b.*)$", doc, re.M
    )
    argv = shlex.split(found.group(1)) if found else ["-m", f"examples.{example.stem}"]
    return [sys.executable, *argv]


def _param(example: Path) -> object:
    source = example.read_text(encoding="utf-8")
    marks = [needs(what) for what in (*used_by(source), *NEEDS.get(example.stem, ()))]
    if example.stem in NOT_RUN:
        marks.append(pytest.mark.skip(reason=NOT_RUN[example.stem]))
    return pytest.param(example, id=example.stem, marks=marks)


def test_the_tables_name_only_examples_that_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    for table in (NOT_RUN, NEEDS, ARGS, OUTPUT):
        assert set(table) <= names, set(table) - names
    assert not set(NOT_RUN) & set(OUTPUT)


def test_the_documented_command_is_found() -> None:
    assert command(ROOT / "examples" / "echo.py")[1:] == ["examples/echo.py", "hello"]
    assert command(ROOT / "examples" / "custom_transport_workflow.py")[1:] == [
        "-m",
        "examples.custom_transport_workflow",
    ]
    assert command(ROOT / "examples" / "docs_swf_async.py")[1:] == ["-m", "examples.docs_swf_async"]


@pytest.mark.parametrize("example", [_param(p) for p in EXAMPLES])
def test_example_runs_as_a_script(example: Path, tmp_path: Path) -> None:
    argv = command(example)
    if example.stem in ARGS:
        argv = [*argv[: 3 if argv[1] == "-m" else 2], *ARGS[example.stem]]
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    shown = " ".join(argv[1:])
    assert done.returncode == 0, f"$ python {shown}: exit {done.returncode}\n{done.stderr}"
    if example.stem not in OUTPUT:
        return  # a new example: it ran; add what it prints to OUTPUT
    expected = OUTPUT[example.stem].replace("{tmp}", str(tmp_path))
    got = done.stdout.rstrip("\n")
    checker = doctest.OutputChecker()
    assert checker.check_output(expected + "\n", got + "\n", doctest.ELLIPSIS), (
        f"$ python {shown}: output differs\n--- expected\n{expected}\n--- got\n{got}"
    )
