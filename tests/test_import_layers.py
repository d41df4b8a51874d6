"""The layers import downwards only: the drawing of the layers on docs/architecture.md agrees
with every import of src/flowwire, there is no import cycle among the core modules, and the
core never imports the runtime, an engine or a CLI.

Imports are read from the source (every ``import``/``from`` statement, also inside functions,
except those under ``if TYPE_CHECKING:``), so a cycle hidden in a function body counts too.
"""

from __future__ import annotations

import ast
import functools
import re
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


# -- transport/: no cycle among the modules it imports when it is imported ---------------------

TRANSPORT = SRC / "transport"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


TRANSPORT_MODULES = sorted(_module_name(p) for p in TRANSPORT.rglob("*.py"))


def module_level_imports(
    source: str, module: str, known: set[str], *, functions: bool = False
) -> set[str]:
    """The modules of ``known`` that ``source`` (the text of ``module``) imports when it is
    imported: statements at module level (also under ``if``/``try``/``with`` and in class
    bodies), not those under ``if TYPE_CHECKING:`` nor inside functions, which run later.

    ``from package import name`` is an import of ``package.name`` when that is a module, else
    of ``package`` itself (its ``__init__`` must have run far enough to hold ``name``). The
    import of a package's ``__init__`` that Python makes before any of its submodules is not
    counted: it is what lets a package's ``__init__`` import its own submodules. With
    ``functions``, imports inside functions count too.
    """
    package = module if _source(module).name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        return ".".join([*base, node.module] if node.module else base)

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not functions:
            return  # runs when called, not when the module is imported
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return {m for m in found if m in known and m != module}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (``[a, b, ..., a]``), or None when it has none."""
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def walk(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = walk(nxt, [*path, nxt])
                if cycle:
                    return cycle
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = walk(node, [node])
            if cycle:
                return cycle
    return None


def transport_graph() -> dict[str, set[str]]:
    known = set(TRANSPORT_MODULES)
    return {
        m: module_level_imports(_source(m).read_text(encoding="utf-8"), m, known)
        for m in TRANSPORT_MODULES
    }


def test_transport_modules_have_no_import_cycle() -> None:
    cycle = find_cycle(transport_graph())
    assert cycle is None, f"import cycle in flowwire.transport: {' -> '.join(cycle or [])}"


def test_the_transport_check_reads_module_level_imports_only() -> None:
    """The reader and the cycle finder themselves, on made-up modules: a module-level import
    counts (also under ``try``), a function-level or TYPE_CHECKING one does not, and a cycle
    is named from where it starts."""
    known = {"flowwire.transport.a", "flowwire.transport.b", "flowwire.transport.c"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "try:\n    from flowwire.transport import b\nexcept ImportError:\n    pass\n"
        "if TYPE_CHECKING:\n    import flowwire.transport.c\n"
        "def f():\n    from flowwire.transport.c import x\n"
    )
    assert module_level_imports(source, "flowwire.transport.a", known) == {"flowwire.transport.b"}
    graph = {"a": {"b"}, "b": {"c"}, "c": {"b"}}
    assert find_cycle(graph) == ["b", "c", "b"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


#: What parts of transport/ never import, counting imports inside functions too: the
#: registry names factories by reference and builds nothing; the transport is given its
#: codec, stages and decoders and knows no codec module; the value model knows no codec,
#: stage, envelope, registry or transport; stages know only bytes.
_CODEC_MODULES = "flowwire.transport.codecs."  # not the package, whose __init__ is a list
TRANSPORT_NEVER = {
    "flowwire.transport.registry": (
        _CODEC_MODULES,
        "flowwire.transport._transport",
        "flowwire.transport.stages",
        "flowwire.transport.model",
    ),
    "flowwire.transport._transport": (_CODEC_MODULES,),
    "flowwire.transport.model": (
        "flowwire.transport.codecs",
        "flowwire.transport.stages",
        "flowwire.transport.envelope",
        "flowwire.transport.registry",
        "flowwire.transport._transport",
    ),
    "flowwire.transport.stages": (
        "flowwire.transport.codecs",
        "flowwire.transport.model",
        "flowwire.transport.registry",
        "flowwire.transport._transport",
    ),
}
#: Known exceptions (module, import), each with its reason; none today.
TRANSPORT_ALLOWED: set[tuple[str, str]] = set()


def _all_imports(module: str) -> set[str]:
    source = _source(module).read_text(encoding="utf-8")
    return module_level_imports(source, module, set(TRANSPORT_MODULES), functions=True)


@pytest.mark.parametrize("part", sorted(TRANSPORT_NEVER))
def test_transport_parts_import_only_downwards(part: str) -> None:
    modules = [m for m in TRANSPORT_MODULES if m == part or m.startswith(f"{part}.")]
    assert modules, part
    wrong = sorted(
        f"{module} imports {imported}"
        for module in modules
        for imported in _all_imports(module)
        if imported.startswith(TRANSPORT_NEVER[part])
        and (module, imported) not in TRANSPORT_ALLOWED
    )
    assert wrong == []


def test_a_codec_module_imports_no_other_codec() -> None:
    public = [m for m in TRANSPORT_MODULES if m.startswith(_CODEC_MODULES) and "._" not in m]
    assert len(public) >= 3
    for module in public:
        others = sorted(set(public) & _all_imports(module))
        assert others == [], f"{module} imports {others}"


# -- the layers drawn on docs/architecture.md are the real imports --------------------------

PAGE = SRC.parents[1] / "docs" / "architecture.md"
ALL_MODULES = sorted(_module_name(p) for p in SRC.rglob("*.py"))


def drawn_layers(page: str) -> list[tuple[str, list[str]]]:
    """``(layer, module names)`` of the page's ``:name: layers`` drawing, from the top: a line
    that starts in the first column opens a layer (its name ends at two spaces), an indented
    one continues it; every ``flowwire...`` word on its lines is a module of it."""
    match = re.search(r"```\{code-block\} text\n:name: layers\n\n(.*?)```", page, re.S)
    assert match, f"{PAGE.name} has no ```{{code-block}} text block with :name: layers"
    layers: list[tuple[str, list[str]]] = []
    for line in match.group(1).splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            name, _, line = line.partition("  ")
            layers.append((name.strip(), []))
        assert layers, f"a continuation line before any layer: {line!r}"
        layers[-1][1].extend(re.findall(r"\bflowwire[\w.]*", line))
    return layers


def upward_exceptions(page: str) -> set[tuple[str, str]]:
    """The function-level upward imports the page lists: ``- `a` -> `b`: why``."""
    return set(re.findall(r"^- `(flowwire[\w.]*)` -> `(flowwire[\w.]*)`:", page, re.M))


def layer_map(layers: list[tuple[str, list[str]]]) -> dict[str, tuple[int, str]]:
    """``module -> (height, layer)`` for every module of src/flowwire (0 is the bottom): the
    longest drawn name that is the module or a package holding it; ``flowwire`` is the
    package's ``__init__`` only."""
    drawn: dict[str, tuple[int, str]] = {}
    for height, (layer, names) in enumerate(reversed(layers)):
        for name in names:
            assert name in ALL_MODULES, f"layer {layer!r} names {name}, which is not a module"
            assert name not in drawn, f"{name} is drawn in two layers"
            drawn[name] = (height, layer)
    found: dict[str, tuple[int, str]] = {}
    for module in ALL_MODULES:
        holders = [
            n for n in drawn if module == n or (n != "flowwire" and module.startswith(n + "."))
        ]
        if holders:
            found[module] = drawn[max(holders, key=len)]
    return found


@functools.cache
def _split_imports(module: str) -> tuple[frozenset[str], frozenset[str]]:
    """The modules of src/flowwire that ``module`` imports when it is imported, and those it
    imports only inside functions."""
    source = _source(module).read_text(encoding="utf-8")
    known = set(ALL_MODULES)
    at_import = module_level_imports(source, module, known)
    in_functions = module_level_imports(source, module, known, functions=True) - at_import
    return frozenset(at_import), frozenset(in_functions)


def layer_violations(
    layers: list[tuple[str, list[str]]], exceptions: set[tuple[str, str]]
) -> list[str]:
    """Everything the drawing gets wrong about the real imports, one line each."""
    where = layer_map(layers)
    wrong = [f"{m} is in no layer" for m in ALL_MODULES if m not in where]
    upward_in_functions: set[tuple[str, str]] = set()
    for module in sorted(where):
        at_import, in_functions = _split_imports(module)
        for imported in sorted(at_import | in_functions):
            if imported not in where or where[imported][0] <= where[module][0]:
                continue
            if imported in at_import:
                wrong.append(
                    f"{module} ({where[module][1]}) imports {imported} ({where[imported][1]}), "
                    "a layer above it"
                )
            else:
                upward_in_functions.add((module, imported))
    for module, imported in sorted(upward_in_functions - exceptions):
        wrong.append(
            f"{module} imports {imported} (a layer above) inside a function, and the page does "
            "not list it as an exception"
        )
    for module, imported in sorted(exceptions - upward_in_functions):
        wrong.append(f"the page lists {module} -> {imported}, which is no upward import")
    return wrong


def test_the_drawn_layers_are_the_real_imports() -> None:
    page = PAGE.read_text(encoding="utf-8")
    wrong = layer_violations(drawn_layers(page), upward_exceptions(page))
    assert wrong == [], "docs/architecture.md and the imports disagree:\n" + "\n".join(wrong)


def test_the_layer_check_fails_when_the_drawing_is_wrong() -> None:
    """The check itself: swapping two layers, dropping a module or an exception, or listing
    an exception that does not exist is each reported."""
    page = PAGE.read_text(encoding="utf-8")
    layers, exceptions = drawn_layers(page), upward_exceptions(page)
    names = [layer for layer, _ in layers]
    assert len(layers) >= 8 and "engines" in names and "runtime" in names
    assert exceptions, "the page lists no exception: the check below would test nothing"
    swapped = list(layers)
    e, r = names.index("engines"), names.index("runtime")
    swapped[e], swapped[r] = swapped[r], swapped[e]
    assert any(
        "flowwire.engines" in w and "a layer above it" in w
        for w in layer_violations(swapped, exceptions)
    )
    dropped = [(layer, [m for m in mods if m != "flowwire.replay"]) for layer, mods in layers]
    assert "flowwire.replay is in no layer" in layer_violations(dropped, exceptions)
    assert any("inside a function" in w for w in layer_violations(layers, set()))
    made_up = {*exceptions, ("flowwire.errors", "flowwire.engines.local")}
    assert any("which is no upward import" in w for w in layer_violations(layers, made_up))
