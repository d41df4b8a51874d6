"""Tests that need an optional package skip, naming the extra that installs it.

``requires("zstd")`` (an extra with one package) or ``requires("hypothesis")`` (a package)
imports the package or skips the calling test (or module) with the reason
``needs the 'zstd' extra: pip install flowwire[zstd]``; it returns the module. ``needs(...)``
is the same as a mark (``@needs("crypto")``, ``pytestmark = needs("swf")``) and ``reason(...)``
the text, for a module that must skip before its own imports (ruff lets
``pytest.importorskip(...)`` stand above imports, not a helper)::

    pytest.importorskip("hypothesis", reason=reason("hypothesis"))

    from hypothesis import given

Which extra provides which package is written once, in :data:`PACKAGES`; a test checks it
against ``pyproject.toml``.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest

#: import name -> (distribution, the extra of pyproject.toml that installs it)
PACKAGES: dict[str, tuple[str, str]] = {
    "attrs": ("attrs", "attrs"),
    "boto3": ("boto3", "swf"),
    "botocore": ("boto3", "swf"),  # installed by boto3
    "cbor2": ("cbor2", "dev"),
    "cryptography": ("cryptography", "crypto"),
    "grpc_tools": ("grpcio-tools", "dev"),
    "hypothesis": ("hypothesis", "testing"),
    "matplotlib": ("matplotlib", "timeline"),
    "moto": ("moto", "testing"),
    "msgspec": ("msgspec", "msgspec"),
    "mypy": ("mypy", "dev"),
    "myst_parser": ("myst-parser", "docs"),
    "pydantic": ("pydantic", "pydantic"),
    "pytest_benchmark": ("pytest-benchmark", "dev"),
    "rich": ("rich", "bench"),
    "sphinx": ("sphinx", "docs"),
    "zstandard": ("zstandard", "zstd"),
}

#: extra -> the package a test naming only the extra needs
EXTRAS: dict[str, str] = {
    "attrs": "attrs",
    "crypto": "cryptography",
    "docs": "sphinx",
    "msgspec": "msgspec",
    "pydantic": "pydantic",
    "s3": "boto3",
    "swf": "boto3",
    "timeline": "matplotlib",
    "zstd": "zstandard",
}


def _module(what: str) -> str:
    if what in PACKAGES:
        return what
    if what in EXTRAS:
        return EXTRAS[what]
    raise ValueError(f"tests/_extras.py: {what!r} is neither a package of PACKAGES nor an extra")


def reason(what: str) -> str:
    """``needs the 'zstd' extra: pip install flowwire[zstd]`` for a package or an extra."""
    module = _module(what)
    extra = what if what in EXTRAS and what not in PACKAGES else PACKAGES[module][1]
    return f"needs the {extra!r} extra: pip install flowwire[{extra}]"


def available(what: str) -> bool:
    """Whether the package (of the extra) can be imported here."""
    try:
        return importlib.util.find_spec(_module(what)) is not None
    except ImportError:  # a parent package missing, or a blocked import (tests/_without.py)
        return False


def requires(what: str) -> ModuleType:
    """The package (of the extra), imported; else the caller skips, naming the extra."""
    return pytest.importorskip(_module(what), reason=reason(what))


def needs(what: str) -> pytest.MarkDecorator:
    """A mark that skips a test (or, as ``pytestmark``, a module) without the package."""
    return pytest.mark.skipif(not available(what), reason=reason(what))


#: The moto fixtures of flowwire.testing.pytest_plugin: code that uses one needs boto3 and moto.
MOTO_FIXTURES = frozenset(
    {"moto_session", "moto_server", "moto_swf_client", "moto_s3_client", "swf_domain"}
)


def used_by(source: str) -> list[str]:
    """The packages of :data:`PACKAGES` that ``source`` (code a test writes out and runs)
    imports, plus boto3 and moto when it names a moto fixture, in a stable order."""
    imported = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, flags=re.MULTILINE))
    found = sorted(imported & set(PACKAGES))
    if any(re.search(rf"\b{name}\b", source) for name in MOTO_FIXTURES):
        found += [name for name in ("boto3", "moto") if name not in found]
    return found
