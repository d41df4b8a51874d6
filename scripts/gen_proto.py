"""Regenerate the Python code of flowwire's .proto files with grpcio-tools.

Usage (from the repository root)::

    python scripts/gen_proto.py            # rewrite the committed generated code
    python scripts/gen_proto.py --check    # exit 1 when the committed code is stale

Two trees are generated:

* ``proto/flowwire/v1/*.proto`` -> ``src/flowwire/_proto/flowwire/v1/*_pb2.py`` (+ ``.pyi``),
  imported as ``flowwire._proto.flowwire.v1.value_pb2``.
* ``tests/transport/protos/*.proto`` -> ``tests/transport/protos/*_pb2.py`` (+ ``.pyi``), the
  typed messages used by tests (``Order``).

The output depends on the grpcio-tools version (it embeds the protoc version); regenerate with
the version from the ``dev`` extra. :func:`generate` is also used by
``tests/test_proto_generated.py`` to regenerate into a temporary directory and compare bytes.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Tree:
    """One protoc run: ``.proto`` files under ``include`` -> generated code under ``output``."""

    include: Path
    output: Path

    def sources(self) -> list[Path]:
        return sorted(self.include.rglob("*.proto"))


TREES = (
    Tree(ROOT / "proto", ROOT / "src" / "flowwire" / "_proto"),
    Tree(ROOT / "tests" / "transport" / "protos", ROOT / "tests" / "transport" / "protos"),
)


def generated_names(tree: Tree) -> list[Path]:
    """Paths, relative to ``tree.output``, of the files protoc writes for ``tree``."""
    names = []
    for source in tree.sources():
        stem = source.relative_to(tree.include).with_suffix("")
        names.append(stem.with_name(stem.name + "_pb2.py"))
        names.append(stem.with_name(stem.name + "_pb2.pyi"))
    return names


def generate(tree: Tree, output: Path) -> None:
    """Run protoc (from grpcio-tools) for every ``.proto`` of ``tree``, writing into ``output``.

    Raises ``RuntimeError`` when protoc fails.
    """
    from importlib.resources import files

    from grpc_tools import protoc

    well_known = str(files("grpc_tools") / "_proto")
    output.mkdir(parents=True, exist_ok=True)
    sources = [str(p.relative_to(tree.include)) for p in tree.sources()]
    if not sources:
        return
    argv = [
        "protoc",
        f"-I{tree.include}",
        f"-I{well_known}",
        f"--python_out={output}",
        f"--pyi_out={output}",
        *sources,
    ]
    if protoc.main(argv) != 0:
        raise RuntimeError(f"protoc failed for {tree.include}")


def stale_files(trees: tuple[Tree, ...] = TREES) -> list[str]:
    """Generated files that differ from (or are missing next to) a fresh generation."""
    stale = []
    for tree in trees:
        with tempfile.TemporaryDirectory() as tmp:
            generate(tree, Path(tmp))
            for name in generated_names(tree):
                fresh, committed = Path(tmp) / name, tree.output / name
                if not committed.exists() or not filecmp.cmp(fresh, committed, shallow=False):
                    stale.append(str(committed))
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if stale else 0
    for tree in TREES:
        generate(tree, tree.output)
        for name in generated_names(tree):
            print(f"wrote {(tree.output / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
