"""The ``flowwire`` command's help: every option explained, no markup, a version."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest

from flowwire.cli import build_parser, main

#: reStructuredText or Markdown markup that argparse would print literally.
MARKUP = re.compile(r"``|:(?:class|func|mod|meth|attr|data|exc):`|\*\*|`[^`]+`_")


def parsers(parser: argparse.ArgumentParser, path: str = "flowwire") -> Iterator[tuple[str, Any]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_every_option_and_argument_has_help_without_markup() -> None:
    missing, marked = [], []
    for path, parser in parsers(build_parser()):
        texts = [parser.description or "", parser.epilog or ""]
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not choice.help:
                        missing.append(f"{path} {choice.dest}")
                    texts.append(choice.help or "")
                continue
            name = "/".join(action.option_strings) or action.dest
            if not action.help:
                missing.append(f"{path} {name}")
            texts.append(action.help or "")
        marked += [f"{path}: {t!r}" for t in texts if MARKUP.search(t)]
    assert not missing, f"options without help: {missing}"
    assert not marked, f"help with markup: {marked}"


def test_the_top_level_help_reads_as_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and "Run workflows on the local engine" in out
    for command in ("run", "decode", "transports", "swf"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), command


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flowwire", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"flowwire {version('flowwire')}"
