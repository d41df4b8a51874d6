"""The layers import downwards only (docs/architecture.md): no import cycle among the core
modules, and the core never imports the runtime, an engine or a CLI.

Imports are read from the source (every ``import``/``from`` statement, also inside functions,
except those under ``if TYPE_CHECKING:``), so a cycle hidden in a function body counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "flowwire"
CORE = [
    "flowwire.errors",
    "flowwire.history",
    "flowwire.decision",
    "flowwire.result",
    "flowwire.tasktype",
    "flowwire.task",
    "flowwire.proxy",
    "flowwire.transport_rule",
    "flowwire.replay",
    "flowwire.completion",
]
NOT_FROM_CORE = ("flowwire.runtime", "flowwire.engines", "flowwire.cli", "flowwire.benchmark")


def _source(module: str) -> Path:
    path = SRC.joinpath(*module.split(".")[1:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str) -> set[str]:
    """The ``flowwire`` modules ``module`` imports at run time."""
    tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("flowwire"))
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flowwire")
        ):
            found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_the_core_modules_have_no_import_cycle() -> None:
    graph = {m: {i for i in imports_of(m) if i in CORE and i != m} for m in CORE}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = " -> ".join([*path[path.index(nxt) :], nxt])
                pytest.fail(f"import cycle among the core modules: {cycle}")
            if nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for module in CORE:
        if module not in state:
            walk(module, [module])


@pytest.mark.parametrize("module", CORE)
def test_the_core_never_imports_an_engine(module: str) -> None:
    upward = sorted(i for i in imports_of(module) if i.startswith(NOT_FROM_CORE))
    assert upward == [], f"{module} imports {upward}"


def test_the_check_sees_imports_inside_functions() -> None:
    """The reader itself: a function-level import counts, a TYPE_CHECKING one does not."""
    found = imports_of("flowwire.transport_rule")
    assert "flowwire.transport.stages" in found  # inside has_storeless_offload
    assert "flowwire.proxy" not in found  # under TYPE_CHECKING only
