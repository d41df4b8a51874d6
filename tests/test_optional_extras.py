"""Tests that need an optional package skip, naming its extra, instead of failing.

Each case runs a part of this suite in a child pytest whose Python cannot import some packages
(tests/_without.py), as if their extra were not installed, and checks that nothing fails or
errors and that the tests which need them skip with ``needs the 'EXTRA' extra: pip install
flowwire[EXTRA]``. The table of which extra installs which package (tests/_extras.py) is
checked against pyproject.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from _extras import EXTRAS, PACKAGES, reason
from _without import env_without

ROOT = Path(__file__).resolve().parents[1]

#: (extra, packages made unimportable, tests to run). A package that needs a blocked one is
#: blocked with it, as an install without the extra would lack it too: moto needs boto3 and
#: cryptography.
CASES = [
    (
        "zstd",
        ("zstandard",),
        [
            "tests/stages/test_stages_zstd.py",
            "tests/stages/test_stages_registry.py",
            "tests/docs/test_examples_run.py::test_example_runs_as_a_script[stages_workflow]",
            "tests/local/test_local_offload.py",
            "tests/transport/test_hostile_payloads.py",
            "tests/transport/test_conformance_limits.py",
            "tests/transport/test_armor.py",
            "tests/stages/test_stages_transport.py",
            "tests/durable/test_durable_engine.py::test_payloads_with_stages_are_stored_exactly_as_written",
        ],
    ),
    (
        "crypto",
        ("cryptography", "moto"),
        [
            "tests/stages/test_stages_aesgcm.py",
            "tests/stages/test_stages_registry.py",
            "tests/local/test_cli_decode.py",
            "tests/fuzz/test_security.py",
        ],
    ),
    (
        "swf",
        ("boto3", "botocore", "moto"),
        [
            "tests/swf/test_swf_registration.py",
            "tests/swf/test_swf_decider.py",
            "tests/core/test_core_registration.py",
            "tests/stages/test_stages_s3.py",
        ],
    ),
    ("s3", ("boto3", "botocore", "moto"), ["tests/docs/test_docs_build.py::test_doctests_pass"]),
    ("testing", ("moto",), ["tests/swf/test_swf_registration.py"]),
    (
        "testing",
        ("hypothesis",),
        [
            "tests/transport/test_conformance.py",
            "tests/transport/test_json.py",
            "tests/core/test_core_results.py",
            "tests/stages/test_stages_zstd.py",
        ],
    ),
    (
        "dev",
        ("cbor2",),
        [
            "tests/transport/test_registry.py",
            "tests/transport/test_custom_cbor.py",
        ],
    ),
    ("pydantic", ("pydantic",), ["tests/adapters/test_shipped_adapters.py"]),
    ("attrs", ("attrs",), ["tests/adapters/test_shipped_adapters.py"]),
    ("msgspec", ("msgspec",), ["tests/adapters/test_shipped_adapters.py"]),
]


def _run_without(tmp_path: Path, blocked: tuple[str, ...], tests: list[str]) -> str:
    # --assert=plain: pytest marks the packages of installed plugins (hypothesis ships one) for
    # assertion rewriting, and the rewriting finder runs before the blocking one. A blocked
    # hypothesis also takes its plugin away, as an install without it has none.
    plugins = ["-p", "no:hypothesispytest"] if "hypothesis" in blocked else []
    argv = ["-q", "-rs", "-p", "no:cacheprovider", "--assert=plain", *plugins, *tests]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *argv],
        cwd=ROOT,
        env=env_without(tmp_path, *blocked),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "blocked", "tests"), CASES, ids=[f"{c[0]}-without-{'+'.join(c[1])}" for c in CASES]
)
def test_tests_skip_naming_the_extra(
    tmp_path: Path, extra: str, blocked: tuple[str, ...], tests: list[str]
) -> None:
    out = _run_without(tmp_path, blocked, tests)
    summary = out.strip().splitlines()[-1]
    assert " failed" not in summary and " error" not in summary, out[-6000:]
    skips = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    wanted = f"needs the '{extra}' extra: pip install flowwire[{extra}]"
    assert any(wanted in line for line in skips), f"no skip names {wanted!r}:\n{out[-4000:]}"
    for line in skips:  # a skip for a missing package names its extra, not a bare import error
        assert not re.search(r"could not import '(\w+)'", line), line


def _requirements(extra: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra]
    return {re.split(r"[\[<>=!~; ]", item, maxsplit=1)[0].lower() for item in listed}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_is_in_the_extra_the_skip_names(package: str) -> None:
    distribution, extra = PACKAGES[package]
    assert distribution in _requirements(extra), f"{distribution} is not in extra {extra!r}"
    assert reason(package) == f"needs the '{extra}' extra: pip install flowwire[{extra}]"


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_installs_the_package_it_stands_for(extra: str) -> None:
    assert PACKAGES[EXTRAS[extra]][0] in _requirements(extra)
    assert f"'{extra}' extra" in reason(extra)


def test_an_unknown_name_is_a_mistake_in_the_suite() -> None:
    with pytest.raises(ValueError, match="neither a package"):
        reason("zstd-typo")


def test_the_blocked_child_really_lacks_the_package(tmp_path: Path) -> None:
    code = "import sys; sys.path.insert(0, 'tests'); import _extras; "
    code += "print(_extras.available('zstd'), _extras.available('attrs'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env_without(tmp_path, "zstandard"),
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["False", "True"], result.stderr
