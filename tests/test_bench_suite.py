"""The comparison suite of ``bench/`` and where benchmark code may live.

``python bench/run.py --smoke`` runs every default section at its smallest in a subprocess (a
few seconds), and its JSON document is checked for shape, never for a timing. The layout tests
read the source: the package holds no peer module and needs no peer library, and ``bench/``
imports only public modules of flowwire.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PACKAGE = ROOT / "src" / "flowwire"

#: Libraries only the comparison suite uses: never imported by the package, never its extras.
PEER_LIBRARIES = {"temporalio", "dbos", "flowy"}
#: What ``flowwire.benchmark`` may import beyond flowwire and the standard library.
BENCHMARK_PACKAGE_IMPORTS = {"orjson", "msgpack", "google", "rich", "matplotlib"}


def _run_suite(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    out = tmp_path / "suite.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # the durable section's fresh files go under the current directory
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    pytest.importorskip("rich", reason="bench/run.py needs the bench extra (rich)")
    pytest.importorskip("grpc_tools", reason="the protobuf section needs grpcio-tools (dev extra)")
    tmp = tmp_path_factory.mktemp("suite")
    stdout, document = _run_suite(tmp)
    assert list(tmp.iterdir()) == [tmp / "suite.json"]  # every fresh file was removed
    return stdout, document


def test_the_suite_document_has_every_default_section(suite: tuple[str, dict[str, Any]]) -> None:
    _, doc = suite
    assert doc["format"] == "flowwire-bench-suite/1"
    assert doc["config"] == {
        "quick": False,
        "smoke": True,
        "sections": ["codecs", "engine", "durable", "stages", "protobuf"],
    }
    assert list(doc["sections"]) == doc["config"]["sections"]
    env = doc["environment"]
    assert env["python"] == sys.version.split()[0]
    assert {"flowwire", "orjson", "msgspec", "temporalio", "dbos", "flowy"} <= set(env["libraries"])
    for entry in doc["skipped"]:
        assert set(entry) == {"section", "candidate", "reason"}
        assert "pip install" in entry["reason"], entry


def test_the_codecs_section_compares_with_raw_libraries_and_peers(
    suite: tuple[str, dict[str, Any]],
) -> None:
    _, doc = suite
    codecs = doc["sections"]["codecs"]
    rows = {(r["payload"], r["candidate"]): r for r in codecs["results"]}
    assert rows[("record", "flowwire json")]["peer"] == "orjson"
    assert rows[("record", "flowwire json")]["ratio_to_peer"] > 0
    assert rows[("record", "flowwire msgpack")]["ratio_to_baseline"] > 0
    assert rows[("record", "flowy-json")]["status"] == "ok"  # the standard library only
    for peer in ("pydantic", "msgspec Struct"):  # the dev extra installs both
        assert rows[("typed", peer)]["status"] == "ok", rows[("typed", peer)]["note"]
    targets = {t["name"]: t for t in codecs["targets"]}
    assert set(next(iter(targets.values()))) == {
        "name",
        "payload",
        "candidate",
        "reference",
        "value",
        "limit",
        "at_most",
        "met",
    }
    assert targets["json decode into Order <= 1x pydantic"]["value"] > 0
    assert targets["msgpack record within 1.5x of msgpack"]["met"] in (True, False)
    assert targets["msgpack codec 1 MiB bytes >= 25% of memcopy"]["value"] is None  # no 1 MiB


def test_the_engine_and_durable_sections_have_their_figures(
    suite: tuple[str, dict[str, Any]],
) -> None:
    stdout, doc = suite
    engine = doc["sections"]["engine"]
    assert [p["completed_tasks"] for p in engine["replay"]] == [10, 100, 1000]
    assert engine["fan_out"]["activities_per_s"] > 0
    assert engine["thread_pool"]["fan-out 40"]["ratio"] > 0
    assert any("flowy" in key for key in engine["peers"])  # measured, or the install line
    durable = doc["sections"]["durable"]
    assert durable["sequential 20 (full)"]["of_raw"] > 0
    recovery = durable["recovery"]
    assert recovery["killed_after_steps"] >= 50 and recovery["steps_run_twice_max"] <= 1
    assert recovery["next_step_s"] >= recovery["engine_to_next_step_s"] > 0
    assert "fan-out of 200 trivial activities" in stdout
    assert "durable local engine" in stdout


def test_the_stages_and_protobuf_sections_have_their_figures(
    suite: tuple[str, dict[str, Any]],
) -> None:
    _, doc = suite
    stages = doc["sections"]["stages"]
    assert [r["codec"] for r in stages["zstd_batch"]] == ["json", "msgpack", "protobuf"]
    assert "s3_moto" not in stages  # a smoke run skips S3
    protobuf = doc["sections"]["protobuf"]
    assert protobuf["record_vs_msgpack"] > 0 and protobuf["bytes_1mib_speed_vs_memcopy"] > 0


def test_a_missing_peer_is_skipped_with_its_package(tmp_path: Path) -> None:
    pytest.importorskip("rich", reason="bench/run.py needs the bench extra (rich)")
    hidden = tmp_path / "hidden"
    (hidden / "msgspec").mkdir(parents=True)
    (hidden / "msgspec" / "__init__.py").write_text('raise ImportError("hidden by the test")\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), *sys.path])}
    stdout, doc = _run_suite(tmp_path, "--only", "codecs", env=env)
    skipped = {e["candidate"]: e for e in doc["skipped"]}
    for module in ("msgspec_msgpack", "msgspec_json", "msgspec_struct"):
        assert skipped[module]["section"] == "codecs"
        assert skipped[module]["reason"].endswith("pip install msgspec")
        assert f"skipped {module} (codecs)" in stdout
    candidates = {r["candidate"] for r in doc["sections"]["codecs"]["results"]}
    assert "pydantic" in candidates and not any("msgspec" in c for c in candidates)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "codecs,engines"], "unknown section 'engines' (sections: codecs, engine"),
        (["--only", "codecs", "--payloads", "tiny,nope"], "codecs: unknown payload 'nope'"),
    ],
)
def test_bad_options_are_refused_with_the_name(args: list[str], message: str) -> None:
    pytest.importorskip("rich", reason="bench/run.py needs the bench extra (rich)")
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names), also inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_package_imports_no_peer_library() -> None:
    for path in PACKAGE.rglob("*.py"):
        peers = {name for name in _imports(path) if name.split(".")[0] in PEER_LIBRARIES}
        assert not peers, f"{path.relative_to(ROOT)} imports {sorted(peers)}"


def test_the_benchmark_package_needs_only_flowwire_s_dependencies() -> None:
    stdlib = sys.stdlib_module_names
    for path in (PACKAGE / "benchmark").rglob("*.py"):
        others = {
            name
            for name in _imports(path)
            if name.split(".")[0] not in stdlib
            and name.split(".")[0] not in {"flowwire", "__future__"}
            and name.split(".")[0] not in BENCHMARK_PACKAGE_IMPORTS
        }
        assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"
    assert not list((PACKAGE / "benchmark").glob("peers/*.py"))
    assert not (PACKAGE / "bench_cli.py").exists()


def test_no_extra_of_the_package_pulls_a_peer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    assert sorted(extras["bench"]) == ["matplotlib>=3.8", "rich>=13"]
    for name, requirements in extras.items():
        for requirement in requirements:
            package = requirement.split("[")[0].split(">")[0].split("=")[0].split("<")[0]
            assert package not in PEER_LIBRARIES, (name, requirement)


def test_bench_imports_only_public_flowwire_modules() -> None:
    files = sorted(BENCH.rglob("*.py"))
    assert BENCH / "run.py" in files and BENCH / "peers" / "temporal.py" in files
    for path in files:
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "flowwire":
                private = [part for part in parts if part.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} imports private {name}"


def _codec_peers() -> list[str]:
    tree = ast.parse((BENCH / "peers" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CODEC_PEERS":
            return list(ast.literal_eval(node.value))
    raise AssertionError("bench/peers/__init__.py defines no CODEC_PEERS")


def test_every_codec_peer_module_has_the_interface() -> None:
    modules = _codec_peers()
    assert {"temporal", "pydantic_typed", "msgspec_struct", "flowy_json"} <= set(modules)
    for module_name in modules:
        tree = ast.parse((BENCH / "peers" / f"{module_name}.py").read_text(encoding="utf-8"))
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        } | {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert {"NAME", "LIBRARY", "NOTE", "encode", "decode"} <= names, module_name


def test_replay_history_builder_matches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine section's replay-cost histories are the ones the local engine writes."""
    monkeypatch.syspath_prepend(str(BENCH))
    from engine_tasks import Sequential
    from local_engine import sequential_history

    from flowwire.engines.local import LocalEngine

    engine = LocalEngine()
    assert engine.run(Sequential, 3) == 3
    (history,) = engine.histories.values()
    built = sequential_history(3)
    # the same events in the same order, up to the input (n = completed + 1 there)
    assert [type(e) for e in history[1:7]] == [type(e) for e in built[1:]]
    assert [getattr(e, "key", None) for e in history[1:7]] == [
        getattr(e, "key", None) for e in built[1:]
    ]


@pytest.mark.swf
def test_swf_round_trips_over_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("moto", reason="needs the testing extra (moto)")
    monkeypatch.syspath_prepend(str(BENCH))
    from swf_round_trips import run_swf_bench

    figures = run_swf_bench(("msgpack",), quick=True)
    assert [(r["workflow"], r["steps"]) for r in figures["runs"]] == [
        ("sequential", 1),
        ("fan-out", 3),
    ]
    assert all(r["result_ok"] and r["seconds"] > 0 for r in figures["runs"])


def test_the_engine_bench_prints_the_cpu_time_ratios_against_the_pool() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "engine_bench.py"), "--cpu", "--smoke", "--processes", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "CPU time (time.process_time)" in lines[0] and "medians of 2 subprocesses" in lines[0]
    assert lines[1].startswith("  fan-out 20: ") and "of the pool's rate" in lines[1]
    assert lines[2].startswith("  fan-out 40: ") and "target >= 50%" in lines[2]
    assert lines[3].startswith("  sequential 10: ") and "x the pool per activity" in lines[3]
