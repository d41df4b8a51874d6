"""The local engine's default offload store and its transport checks (issues 3 and 5)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from _extras import needs

from flowwire.cli import main
from flowwire.engines.local import LocalEngine
from flowwire.errors import ConfigurationError
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import CodecTransport, get_codec, get_transport
from flowwire.transport.stages import UnconfiguredOffload

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


# -- offload stages declared by the task classes themselves (a name, no store) --------------


@activity("tests.offload.declared_make", "1", "tl-offload", transport="json+offload")
class DeclaredMake(Activity):
    def run(self, size: int) -> str:
        return "".join(chr(ord("a") + i % 26) for i in range(size))


@workflow("tests.offload.declared_activity", "1", "tl-offload")
class DeclaredActivity(Workflow):
    """The activity declares json+offload; the workflow itself stays on plain JSON."""

    make = ActivityProxy(DeclaredMake)

    def run(self, size: int) -> int:
        text: str = self.make(size)
        return len(text)


@workflow("tests.offload.declared_workflow", "1", "tl-offload")
class DeclaredWorkflow(Workflow):
    """The workflow declares json+offload as a class attribute; its result is big."""

    transport = "json+offload"
    make = ActivityProxy(MakeText)

    def run(self, size: int) -> str:
        text: str = self.make(size // 2)
        return text * 2 + "!"


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_task_declared_offload_name_gets_the_engines_store(
    tmp_path: Path, processes: bool
) -> None:
    engine = LocalEngine(offload_dir=tmp_path, processes=processes)
    assert engine.run(DeclaredActivity, BIG) == BIG
    assert len(_objects(tmp_path)) == 1  # the activity's result, written and read back


def test_a_workflow_declared_offload_name_gets_the_engines_store(tmp_path: Path) -> None:
    engine = LocalEngine(offload_dir=tmp_path, verify_replay=True)
    half = "".join(chr(ord("a") + i % 26) for i in range(BIG // 2))
    assert engine.run(DeclaredWorkflow, BIG) == half * 2 + "!"
    assert len(_objects(tmp_path)) == 1  # the workflow's result; the activity's stays inline


def test_a_task_declared_offload_name_uses_the_default_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWWIRE_OFFLOAD_DIR", str(tmp_path / "env"))
    assert LocalEngine(live=False).run(DeclaredActivity, BIG) == BIG
    assert len(_objects(tmp_path / "env")) == 1


class OwnTransport(CodecTransport):
    """A transport subclass with an option of its own: the engine must keep it."""

    def __init__(self, *args: Any, marker: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marker = marker


@activity(
    "tests.offload.custom_make",
    "1",
    "tl-offload",
    transport=OwnTransport(
        get_codec("json"), stages=["offload"], max_payload_chars=1_000, marker="mine"
    ),
)
class CustomMake(Activity):
    def run(self, size: int) -> str:
        return "x" * size


@workflow("tests.offload.custom", "1", "tl-offload")
class Custom(Workflow):
    make = ActivityProxy(CustomMake)

    def run(self, size: int) -> int:
        return len(self.make(size))


def test_a_transport_subclass_gets_the_engines_store_with_its_own_options(
    tmp_path: Path,
) -> None:
    engine = LocalEngine(offload_dir=tmp_path)
    assert engine.run(Custom, 5_000) == 5_000  # the activity's result is over 1,000 characters
    assert len(_objects(tmp_path)) == 1
    bound = engine.transport_for(CustomMake)
    assert type(bound) is OwnTransport and bound.marker == "mine"  # nothing was rebuilt
    assert bound.max_payload_chars == 1_000 and bound is not CustomMake.transport


class _ForeignOffload:
    """A transport of the user's own (no ``with_context``) with a store-less offload stage."""

    name = "foreign"

    def __init__(self) -> None:
        self.stages = [UnconfiguredOffload()]
        self._inner = get_transport("json")

    def serialize_arguments(self, args: Any, kwargs: Any) -> str:
        return self._inner.serialize_arguments(args, kwargs)

    def deserialize_arguments(self, payload: str, **options: Any) -> Any:
        return self._inner.deserialize_arguments(payload, **options)

    def serialize_result(self, value: Any) -> str:
        return self._inner.serialize_result(value)

    def deserialize_result(self, payload: str, **options: Any) -> Any:
        return self._inner.deserialize_result(payload, **options)

    def serialize_restart_arguments(self, args: Any, kwargs: Any) -> str:
        return self._inner.serialize_restart_arguments(args, kwargs)

    def serialize_error(self, exc: BaseException) -> Any:
        return self._inner.serialize_error(exc)

    def deserialize_error(self, reason: str, details: str) -> Any:
        return self._inner.deserialize_error(reason, details)


@activity("tests.offload.foreign", "1", "tl-offload", transport=_ForeignOffload())  # type: ignore[arg-type]
class ForeignMake(Activity):
    def run(self, size: int) -> str:
        return "x" * size


@workflow("tests.offload.foreign_wf", "1", "tl-offload")
class Foreign(Workflow):
    make = ActivityProxy(ForeignMake)

    def run(self, size: int) -> int:
        return len(self.make(size))


def test_a_storeless_offload_that_cannot_take_a_context_is_refused_at_start(
    tmp_path: Path,
) -> None:
    engine = LocalEngine(offload_dir=tmp_path)
    with pytest.raises(ConfigurationError) as info:
        engine.run(Foreign, 10)
    message = str(info.value)
    assert "offload stage without a store" in message and "_ForeignOffload" in message
    assert "Offload(LocalDirectoryStore(" in message
    assert engine.histories == {}


@needs("zstd")
def test_the_engines_store_replaces_only_the_storeless_stage(tmp_path: Path) -> None:
    declared = get_transport("msgpack", stages=["zstd", "offload"], max_payload_chars=1_000)
    adapted = LocalEngine(offload_dir=tmp_path).rule.bind(declared)
    assert adapted is not declared and type(adapted) is type(declared)
    assert adapted.stages[0] is declared.stages[0]  # the zstd stage, as configured
    assert (adapted.max_payload_chars, adapted.name) == (1_000, "msgpack+zstd+offload")
    payload = adapted.serialize_result(os.urandom(2_000))  # over 1,000 characters: offloaded
    assert len(payload) < 1_000 and len(_objects(tmp_path)) == 1
    plain = get_transport("json")
    bound = LocalEngine().rule.bind(plain)
    assert bound.stages == () and bound.serialize_result([1]) == plain.serialize_result([1])
    assert plain.context.store is None and bound.context.store is not None  # plain is untouched


# -- --offload-dir without any offload stage to use it -------------------------------------


def test_offload_dir_that_nothing_uses_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", f"{__name__}:BigResult", "10", "--offload-dir", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == _expected(10)
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"flowwire run: warning: --offload-dir {tmp_path} has no effect")
    assert "--transport json+offload" in lines[0]


@pytest.mark.parametrize(
    ("target", "options"),
    [
        ("BigResult", ["--transport", "json+offload"]),  # the engine's transport
        ("DeclaredActivity", []),  # an activity's own "json+offload"
        ("DeclaredWorkflow", ["--transport", "msgpack"]),  # the workflow's own
    ],
)
def test_offload_dir_that_a_stage_uses_is_not_warned_about(
    target: str, options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", f"{__name__}:{target}", "10", "--offload-dir", str(tmp_path), "--quiet"]
    assert main([*argv, *options]) == 0
    assert capsys.readouterr().err == ""
