"""Every Python example and console session in the docs is executed by something.

Issue 7: "every example in the docs runs in CI". The forms that run are ``{doctest}`` /
``{testcode}`` blocks (the Sphinx doctest builder), ``literalinclude`` of files under
``examples/`` (tests run them), console blocks marked ``:class: transcript``
(tests/docs/test_transcripts.py) and files a page asks the reader to create (captioned code
blocks, used by the page's transcripts or by a test here). This test fails on a Python block or
a console session in any other form, unless it is listed below with the reason it cannot run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _extras import reason

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
sys.path.insert(0, str(DOCS / "_ext"))

pytest.importorskip("sphinx", reason=reason("sphinx"))

import flowwire_sphinx  # noqa: E402  (lives in docs/_ext)

#: ``(page, first line of the block) -> why it is not executed``.
NOT_RUN = {
    ("quickstart.md", "$ python -m pip install -e ."): "installs the package",
    ("index.md", "$ python -m pip install -e .      # in a checkout; '.[swf]' adds Amazon SWF"): (
        "installs the package"
    ),
    ("swf.md", "pip install 'flowwire[swf]'"): "installs the package",
    ("transport/custom-transport.md", "$ pip install cbor2 'flowwire[testing]'"): "installs",
    ("swf.md", "flowwire swf register examples.swf_orders --domain shop"): (
        "deployment on Amazon SWF; the same commands run against moto in "
        "tests/swf/test_swf_examples.py"
    ),
    ("benchmarks.md", "pip install -e '.[dev]' -r bench/requirements.txt"): (
        "installs the peers and runs the whole comparison suite for minutes; "
        "tests/test_bench_suite.py runs python bench/run.py --smoke, CI flowwire bench --quick"
    ),
    ("stages.md", "aws s3api put-bucket-lifecycle-configuration --bucket acme-workflows \\"): (
        "configures a real S3 bucket"
    ),
    (
        "security.md",
        "$ nice -n 10 python -m pytest tests/fuzz --long --long-minutes 40 --long-jobs 2 \\",
    ): "runs the long fuzz mode for 40 minutes; its short mode runs with every test run",
    (
        "durable-engine.md",
        "$ flowwire run --db flow.db examples.durable_steps:Steps 10 --id demo &",
    ): (
        "kill -9 of a shell job; tests/durable/test_durable_cli.py runs these commands and kills "
        "the process by pid"
    ),
    ("transport/protobuf.md", "$ python scripts/gen_proto.py"): (
        "rewrites committed files; tests/test_proto_generated.py runs the same generator"
    ),
}

#: The sample types of the value-model tables, executed by test_value_model_tables.py.
VALUE_MODEL_SAMPLES = ("transport/value-model.md", "# the sample types of the tables below")


def blocks(page: Path) -> list[tuple[str, dict[str, str], str]]:
    """``(language, options, body)`` of every fenced block; ``{code-block} x`` and
    ``{code} x`` count as x, other directives (``{doctest}``...) as themselves."""
    found = []
    for directive, language, options, body in flowwire_sphinx.fenced_blocks(page):
        if directive and directive not in ("code-block", "code"):
            language = "{" + directive + "}"
        found.append((language, options, body.lstrip("\n")))
    return found


def docs_test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "docs").glob("*.py"))


def unexecuted(page: Path, name: str, tests: str) -> list[str]:
    """The blocks of ``page`` (called ``name``) that nothing executes; ``tests``: test sources."""
    problems = []
    page_blocks = blocks(page)
    has_transcripts = any(
        lang == "console" and "transcript" in opts.get("class", "").split()
        for lang, opts, _ in page_blocks
    )
    for language, options, body in page_blocks:
        first = body.splitlines()[0] if body.strip() else ""
        where = f"{name}: ```{language} block starting {first!r}"
        if (name, first) in NOT_RUN or (name, first) == VALUE_MODEL_SAMPLES:
            continue
        if language in ("python", "py", "python3", "pycon"):
            caption = options.get("caption", "")
            if not (caption and (has_transcripts or f'"{caption}"' in tests)):
                problems.append(where)
        elif language in ("console", "shell", "bash", "sh"):
            if "transcript" not in options.get("class", "").split():
                problems.append(where)
        elif language == "text" and any(line.startswith("$ ") for line in body.splitlines()):
            problems.append(where + " (a console session written as text)")
    return problems


def test_every_example_runs() -> None:
    tests = docs_test_sources()
    found = [
        problem
        for page in PAGES
        for problem in unexecuted(page, page.relative_to(DOCS).as_posix(), tests)
    ]
    assert found == []


@pytest.mark.parametrize(("page", "first"), sorted(NOT_RUN))
def test_exceptions_are_still_on_their_pages(page: str, first: str) -> None:
    """An exception whose block is gone must leave the list too."""
    assert any(body.lstrip("\n").startswith(first) for _, _, body in blocks(DOCS / page)), (
        f"{page} no longer has a block starting {first!r}"
    )


def test_the_audit_sees_unexecuted_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n"
        "```{code-block} console\n$ flowwire transports\n```\n\n"
        "```{code-block} console\n:class: transcript\n\n$ flowwire transports\n```\n\n"
        "```{code-block} python\n:caption: tool.py\n\nprint(2)\n```\n\n"
        "```text\n$ flowwire run x:Y\n```\n\n"
        "```{doctest}\n>>> 1\n1\n```\n",
        encoding="utf-8",
    )
    assert unexecuted(page, "page.md", tests="") == [
        "page.md: ```python block starting 'print(1)'",
        "page.md: ```console block starting '$ flowwire transports'",
        "page.md: ```text block starting '$ flowwire run x:Y' (a console session written as text)",
    ]
