"""The ``flowwire-api`` directive (docs/_ext/flowwire_sphinx.py) never drops a listed name
silently: a name that is not in ``__all__`` of the module it documents from is a Sphinx
warning, so ``-W`` fails the build (docs/api.md once listed ``BoundProxy`` while ``flowwire``
did not export it, and the page simply left it out).

Each case builds a one-page project that loads only the extension and autodoc.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _extras import reason

pytest.importorskip("sphinx", reason=reason("sphinx"))

EXT = Path(__file__).resolve().parents[2] / "docs" / "_ext"

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["sphinx.ext.autodoc", "flowwire_sphinx"]
root_doc = "index"
"""


def _build(tmp_path: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    listed = "".join(f"   {name}\n" for name in names)
    page = f"API\n===\n\n.. flowwire-api:: flowwire.proxy\n   :only:\n\n{listed}"
    (src / "index.rst").write_text(page, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_listed_name_outside_all_fails_the_build(tmp_path: Path) -> None:
    result = _build(tmp_path, ["ActivityProxy", "ProxySpec"])  # ProxySpec: not exported
    assert result.returncode != 0, result.stderr
    assert "'ProxySpec' is listed but is not in flowwire.__all__" in result.stderr
    assert "index.rst" in result.stderr  # the warning names where the list is


def test_listed_names_in_all_build_without_warnings(tmp_path: Path) -> None:
    result = _build(tmp_path, ["ActivityProxy", "BoundProxy"])
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="flowwire.BoundProxy"' in html and 'id="flowwire.ActivityProxy"' in html
    assert "ProxySpec" not in html  # BoundProxy is shown without its engine-only constructor
