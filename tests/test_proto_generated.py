"""The committed generated protobuf code must match a fresh generation from proto/."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from _extras import reason

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("grpc_tools", reason=reason("grpc_tools"))


def _gen_proto() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_proto", module)
    spec.loader.exec_module(module)
    return module


gen_proto = _gen_proto()


def test_generated_code_is_fresh() -> None:
    stale = gen_proto.stale_files()
    assert not stale, f"stale generated code, run `python scripts/gen_proto.py`: {stale}"


def test_every_proto_has_committed_code() -> None:
    for tree in gen_proto.TREES:
        assert tree.sources(), f"no .proto files under {tree.include}"
        for name in gen_proto.generated_names(tree):
            assert (tree.output / name).is_file(), f"missing generated file {name}"


def test_a_changed_proto_is_reported_stale(tmp_path: Path) -> None:
    """The check itself can fail: add a field to a copy of value.proto."""
    tree = gen_proto.TREES[0]
    include, output = tmp_path / "proto", tmp_path / "out"
    shutil.copytree(tree.include, include)
    shutil.copytree(tree.output, output, ignore=shutil.ignore_patterns("__pycache__"))
    proto = include / "flowwire" / "v1" / "value.proto"
    text = proto.read_text()
    proto.write_text(text.replace("message ValueList {", "message ValueList {\n  int32 extra = 2;"))
    stale = gen_proto.stale_files((gen_proto.Tree(include, output),))
    assert any(name.endswith("value_pb2.py") for name in stale), stale


@pytest.mark.parametrize("module", ["flowwire._proto.flowwire.v1.value_pb2"])
def test_generated_module_imports(module: str) -> None:
    value_pb2 = importlib.import_module(module)
    assert value_pb2.Value.DESCRIPTOR.full_name == "flowwire.v1.Value"
