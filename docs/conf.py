"""Sphinx configuration of the flowwire documentation.

Build commands (from the repository root; both must stay warning-free)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W -b doctest docs docs/_build/doctest

Pages are MyST Markdown. The doctest builder executes every ```{doctest}``` / ```{testcode}```
block of the pages and every ``>>>`` example in the docstrings the API reference shows; console
sessions marked ``:class: transcript`` are run by tests/docs/test_transcripts.py. Longer
examples live in ``examples/*.py`` and are shown with ``literalinclude``. The build never
needs the network: intersphinx reads only the local inventory generated from
``_inventories/python.txt``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT / "src"))
# Examples are importable as ``examples.<module>`` from doctests, as from the CLI.
sys.path.insert(0, str(ROOT))

import flowwire_sphinx  # noqa: E402  (needs the _ext path above)

project = "flowwire"
author = "flowwire developers"
copyright = "2026, flowwire developers"
release = flowwire_sphinx.project_version(ROOT / "pyproject.toml")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "sphinx_copybutton",
    "flowwire_sphinx",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_inventories", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# A block that names no language is shown as plain text, never guessed to be Python.
highlight_language = "text"

# -- MyST ---------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

# -- Strictness -----------------------------------------------------------------------------------
# Every reference to a flowwire object must resolve. References to the standard library resolve
# through the local inventory when listed there; other third-party names (boto3, protobuf, ...)
# are not checked because their inventories would need the network.
nitpicky = True
# (A generic's arguments may come split at commas, as "dict[str": hence the optional "]".)
nitpick_ignore_regex = [(r"py:.*", r"(?!flowwire\b)[\w.]+(\[.*\]?)?")]
# Private base classes are left out of "Bases:" lines by flowwire_sphinx: nothing to ignore.
# The type variables of generic signatures (P, R of the proxies) are not objects to link to.
nitpick_ignore_regex.append((r"py:.*", r"flowwire\.[\w.]*\._?[PR]"))

# -- autodoc / napoleon ---------------------------------------------------------------------------
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
add_module_names = False
python_use_unqualified_type_names = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False

# -- intersphinx (offline) ------------------------------------------------------------------------
intersphinx_mapping = {
    "python": (
        "https://docs.python.org/3",
        flowwire_sphinx.local_inventory(DOCS / "_inventories" / "python.txt", DOCS / "_build"),
    ),
}
intersphinx_timeout = 1

# -- doctest --------------------------------------------------------------------------------------
# No doctest_global_setup: every block imports what it uses, so a reader can copy it as is.
doctest_test_doctest_blocks = "default"

# -- HTML -----------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"flowwire {release}"
html_static_path = ["_static"]
html_css_files = ["flowwire.css"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False

# -- copy buttons ---------------------------------------------------------------------------------
# The button copies what a reader would type: the commands of a console session and the code
# of a doctest, without prompts and without the output lines.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"
