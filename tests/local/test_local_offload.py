"""The local engine's default offload store and its transport checks (issues 3 and 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowwire.cli import main
from flowwire.engines.local import LocalEngine
from flowwire.errors import ConfigurationError
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import get_transport

BIG = 40_000  # characters: over the default 32,768-character payload limit


@activity("tests.offload.make", "1", "tl-offload")
class MakeText(Activity):
    def run(self, size: int) -> str:
        return "".join(chr(ord("a") + i % 26) for i in range(size))


@workflow("tests.offload.big", "1", "tl-offload")
class BigResult(Workflow):
    make = ActivityProxy(MakeText)

    def run(self, size: int) -> str:
        text: str = self.make(size)
        return text + "!"


def _expected(size: int) -> str:
    return "".join(chr(ord("a") + i % 26) for i in range(size)) + "!"


def _objects(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_cli_json_offload_carries_a_big_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", f"{__name__}:BigResult", str(BIG), "--transport", "json+offload"]
    status = main([*argv, "--offload-dir", str(tmp_path), "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert json.loads(captured.out) == _expected(BIG)
    # the activity result and the workflow result went to the store, not inline
    assert len(_objects(tmp_path)) == 2


def test_default_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWWIRE_OFFLOAD_DIR", str(tmp_path / "env"))
    engine = LocalEngine(transport="json+offload")
    assert engine.run(BigResult, BIG) == _expected(BIG)
    assert len(_objects(tmp_path / "env")) == 2


def test_default_directory_is_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOWWIRE_OFFLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert LocalEngine(transport="json+offload").run(BigResult, BIG) == _expected(BIG)
    assert len(_objects(tmp_path / "cache" / "flowwire" / "offload")) == 2


def test_offload_in_worker_processes(tmp_path: Path) -> None:
    engine = LocalEngine(transport="json+offload", offload_dir=tmp_path, processes=True)
    assert engine.run(BigResult, BIG) == _expected(BIG)
    assert len(_objects(tmp_path)) == 2


def test_small_payloads_stay_inline(tmp_path: Path) -> None:
    engine = LocalEngine(transport="json+offload", offload_dir=tmp_path)
    assert engine.run(BigResult, 10) == _expected(10)
    assert _objects(tmp_path) == []


def test_the_default_store_is_the_local_engines_only() -> None:
    # a transport built by name elsewhere (the SWF engine, a starter) still needs a store
    transport = get_transport("json+offload")
    with pytest.raises(ConfigurationError, match="needs a store"):
        transport.serialize_result("x" * BIG)


@pytest.mark.parametrize("bad", [42, object(), b"json"])
def test_a_transport_that_is_not_one_is_refused_at_construction(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="transport object or a registered name"):
        LocalEngine(transport=bad)  # type: ignore[arg-type]


def test_process_mode_refuses_a_transport_object() -> None:
    with pytest.raises(ConfigurationError, match="registered transport name"):
        LocalEngine(transport=get_transport("json"), processes=True)
    LocalEngine(transport=get_transport("json"))  # threads: an object is fine
    LocalEngine(transport="json", processes=True)
