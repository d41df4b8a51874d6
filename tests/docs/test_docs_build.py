"""The documentation builds with zero warnings and every doctest in it passes.

These run the same commands as CI (see docs/conf.py), into a temporary directory so they never
touch docs/_build. They need the ``docs`` extra (sphinx, furo, myst-parser, sphinx-copybutton).
The HTML build runs as if no other extra were installed, as the README's docs command does
after ``pip install -e '.[docs]'``; the doctests run the examples, so they need the extras.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from _extras import needs, reason

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

pytest.importorskip("sphinx", reason=reason("sphinx"))

import flowwire_sphinx  # noqa: E402  (lives in docs/_ext)
from _without import env_without  # noqa: E402

#: Packages of extras other than ``docs``: the HTML build must not need any of them.
OTHER_EXTRAS = (
    "hypothesis",
    "moto",
    "boto3",
    "botocore",
    "zstandard",
    "cryptography",
    "matplotlib",
    "rich",
    "msgspec",
    "temporalio",
    "cbor2",
)


def _sphinx(
    builder: str, out: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder]
    return subprocess.run(
        [*command, *extra, str(DOCS), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def doctrees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by both builds: the second one reuses the parsed pages (about 4 s less)."""
    return tmp_path_factory.mktemp("doctrees")


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory, doctrees: Path) -> Path:
    """The HTML build (as if no extra but ``docs`` were installed); fails on any warning."""
    out = tmp_path_factory.mktemp("html")
    env = env_without(tmp_path_factory.mktemp("site"), *OTHER_EXTRAS)
    result = _sphinx("html", out, "-d", str(doctrees), env=env)
    assert result.returncode == 0, f"sphinx html build failed:\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    return out


def test_html_build_has_no_warnings(html: Path) -> None:
    assert (html / "index.html").is_file()
    api = (html / "api.html").read_text(encoding="utf-8")
    # The reference really documents the error tree (not an empty page).
    for name in ("FlowwireError", "EncodeError", "PayloadTooLarge", "TaskTimedOutError"):
        assert f'id="flowwire.{name}"' in api or f'id="flowwire.errors.{name}"' in api, name
    # ... and the testing helpers, which import without hypothesis.
    for name in ("values", "values_equal", "check_transport"):
        assert f'id="flowwire.testing.{name}"' in api, name


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_site_reads_as_documented(html: Path) -> None:
    """What a reader sees: API names in prose link to the reference, public signatures name
    no private base or sentinel, and code blocks have a copy button."""
    out = html
    index = (out / "index.html").read_text(encoding="utf-8")
    link = re.compile(r'<a class="reference internal" href="api\.html#flowwire\.(\w+)"')
    assert {"Workflow", "Activity"} <= set(link.findall(index))
    quickstart = (out / "quickstart.html").read_text(encoding="utf-8")
    assert "run_workflow" in link.findall(quickstart)
    api = (out / "api.html").read_text(encoding="utf-8")
    signatures = " ".join(
        _text(m) for m in re.findall(r'<dt class="sig[^"]*".*?</dt>', api, flags=re.S)
    )
    assert not re.findall(r"= _\w+", signatures), "a private default in a signature"
    bases = [_text(b) for b in re.findall(r"Bases: (.*?)</p>", api, flags=re.S)]
    assert bases and not [b for b in bases if re.search(r"\b_\w", b)], bases
    assert "copybutton.js" in index


# The doctests run the examples: the stages, the CBOR codec, the pydantic adapter, strategies;
# the stages and SWF pages build an S3Store, which needs boto3 (without it: 7 failures).
@needs("s3")
@needs("zstd")
@needs("crypto")
@needs("cbor2")
@needs("pydantic")
@needs("hypothesis")
def test_doctests_pass(tmp_path: Path, doctrees: Path) -> None:
    result = _sphinx("doctest", tmp_path / "doctest", "-d", str(doctrees))
    report = tmp_path / "doctest" / "output.txt"
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    assert result.returncode == 0, f"doctest build failed:\n{result.stderr}\n{text}"
    failures = re.search(r"(\d+) failures? in tests", text)
    assert failures is not None and failures.group(1) == "0", text
    ran = re.search(r"^\s*(\d+) tests?\b", text, re.MULTILINE)
    assert ran is not None and int(ran.group(1)) > 0, f"no doctest ran:\n{text}"


def test_every_page_is_in_a_toctree() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    entries = set(re.findall(r"^([\w/-]+)$", index, re.MULTILINE))
    pages = {
        p.relative_to(DOCS).with_suffix("").as_posix()
        for p in DOCS.rglob("*.md")
        if "_build" not in p.parts
        and p.name != "index.md"
        and not re.match(r"---\n(.*\n)*?orphan: true\n", p.read_text(encoding="utf-8"))
    }
    assert pages - entries == set(), "pages missing from docs/index.md's toctrees"


def test_local_inventory_round_trips(tmp_path: Path) -> None:
    from sphinx.util.inventory import InventoryFile

    source = tmp_path / "python.txt"
    source.write_text(
        "# comment\n\npy:class decimal.Decimal library/decimal.html\n", encoding="utf-8"
    )
    path = Path(flowwire_sphinx.local_inventory(source, tmp_path / "build"))
    with path.open("rb") as fh:
        inventory = InventoryFile.load(fh, "https://docs.python.org/3", lambda a, b: f"{a}/{b}")
    data = inventory.data if hasattr(inventory, "data") else inventory
    entry = data["py:class"]["decimal.Decimal"]
    uri = entry.uri if hasattr(entry, "uri") else entry[2]
    assert uri == "https://docs.python.org/3/library/decimal.html#decimal.Decimal"


def test_local_inventory_rejects_malformed_lines(tmp_path: Path) -> None:
    source = tmp_path / "python.txt"
    source.write_text("py:class decimal.Decimal\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"python\.txt:1: expected"):
        flowwire_sphinx.local_inventory(source, tmp_path / "build")
