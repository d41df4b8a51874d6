"""The benchmarking commands of docs/transport/testing.md run as the page says.

Their output is timings, so they are not transcripts: this test runs the page's
``bench_cbor.py`` with the page's command (in ``--quick`` mode) and checks that the CBOR
transport it registers is measured, and that every option the page's command lines use is one
``flowwire bench`` accepts.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import reason

pytest.importorskip("cbor2", reason=reason("cbor2"))

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGE = DOCS / "transport" / "testing.md"
sys.path.insert(0, str(DOCS / "_ext"))

import flowwire_sphinx  # noqa: E402  (lives in docs/_ext)

FLOWWIRE = str(Path(sys.executable).with_name("flowwire"))


def bench_commands() -> list[list[str]]:
    """Every ``flowwire bench`` line of the page's ```text blocks, comments dropped."""
    blocks = re.findall(r"```text\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    commands = [shlex.split(line) for line in lines if line.startswith("flowwire bench")]
    assert len(commands) >= 6
    return commands


def test_every_option_on_the_page_exists() -> None:
    usage = subprocess.run(
        [FLOWWIRE, "bench", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    accepted = set(re.findall(r"--[\w-]+", usage))
    for argv in bench_commands():
        for option in (arg for arg in argv if arg.startswith("--")):
            assert option in accepted, (option, argv)


def test_third_party_codec_is_benchmarked(tmp_path: Path) -> None:
    (tmp_path / "bench_cbor.py").write_text(
        flowwire_sphinx.page_files(PAGE)["bench_cbor.py"], encoding="utf-8"
    )
    (command,) = [argv for argv in bench_commands() if "bench_cbor:order" in argv]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),  # "next to your code"
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [FLOWWIRE, *command[1:], "--quick", "--no-progress"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "payload: order" in done.stdout
    candidates = set(re.findall(r"^│ (flowwire [\w+]+)", done.stdout, re.M))
    assert {"flowwire cbor", "flowwire json"} <= candidates, done.stdout
