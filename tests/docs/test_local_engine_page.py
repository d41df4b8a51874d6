"""The command synopsis of docs/local-engine.md lists exactly the options of ``flowwire run``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "local-engine.md"


def test_synopsis_lists_every_option_of_flowwire_run() -> None:
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(r"```text\n(flowwire run .*?)```", text, re.S)
    assert match, "the synopsis of flowwire run is missing"
    synopsis = match.group(1).split("flowwire transports")[0]
    shown = set(re.findall(r"\[(-[\w-]+)", synopsis))
    script = Path(sys.executable).with_name("flowwire")
    usage = subprocess.run(
        [str(script), "run", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split("positional arguments")[0]
    accepted = set(re.findall(r"\[(-[\w-]+)", usage)) - {"-h"}
    assert shown == accepted
