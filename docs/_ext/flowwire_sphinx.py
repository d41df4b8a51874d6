"""Sphinx helpers for the flowwire documentation (loaded from ``docs/conf.py``).

* ``flowwire-api`` directive: documents the public names of a module (its ``__all__``) with
  autodoc, so the API reference can never drift from what ``flowwire`` exports::

      .. flowwire-api:: flowwire.errors
         :from: flowwire

  documents, as ``flowwire.<name>``, every name of ``flowwire.__all__`` whose object is defined
  in ``flowwire.errors`` (or a submodule of it), in source order. With ``:rest:`` (and no
  module argument) it documents every name of ``:from:`` that no earlier ``flowwire-api``
  directive on the same page documented, so a name added to ``__all__`` always appears.
  Names of ``:from:`` that are the same object as a name of a module listed in
  ``flowwire_public_modules`` before it are skipped (they are documented there). Content
  lines name what comes first (a name missing from ``__all__`` is a warning, so ``-W`` fails);
  ``:only:`` and ``:strict:`` are described on the directive.

* Private-path references: signatures and ``show-inheritance`` name objects by their defining
  module (``flowwire.errors.TaskError``); a ``missing-reference`` handler resolves them to the
  public name the reference documents (``flowwire.TaskError``).

* API links: inline code that names a documented object (```Workflow```,
  ```LocalEngine.run```, ```run_workflow()```) links to its reference, in pages and docstrings.

* Public signatures: ``Bases:`` lines skip private classes, a default that is a private
  object (a sentinel) is shown as ``...``, and a class users never construct
  (``NOT_CONSTRUCTED``, such as ``BoundProxy``) has no constructor signature.

* ``local_inventory``: builds an intersphinx inventory from a small text file so the build
  never needs the network.

* Page files and transcripts: a page may show a file the reader creates as
  ````{code-block} python```` with ``:caption: hello.py``, and a console session as
  ````{code-block} console```` with ``:class: transcript`` (``$ `` lines are commands, the
  lines after them their exact output; more classes are described on ``Transcript``).
  ``page_files``/``page_transcripts`` extract them;
  tests/docs/test_transcripts.py runs every transcript against the page's files, and
  ``install_page_module`` lets a page's doctests import such a file (``from hello import X``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import tomllib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

#: Modules whose ``__all__`` is public API, most public first. A private path is resolved to
#: the first of these that exports the same object.
DEFAULT_PUBLIC_MODULES = (
    "flowwire",
    "flowwire.transport",
    "flowwire.transport.stages",
    "flowwire.testing",
)


def project_version(pyproject: Path) -> str:
    """Return ``project.version`` from ``pyproject``; raises ``KeyError`` when it is absent."""
    with pyproject.open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def local_inventory(source: Path, build_dir: Path) -> str:
    """Compile ``source`` (lines ``role name page``) into a Sphinx v2 inventory file.

    ``page`` is relative to the inventory's base URL; ``#name`` is appended as the anchor.
    The file is written atomically under ``build_dir/_inventories`` and its path returned.
    Lines starting with ``#`` and blank lines are ignored.
    """
    entries: list[str] = []
    for number, raw in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or ":" not in parts[0]:
            raise ValueError(f"{source}:{number}: expected 'domain:role name page', got {raw!r}")
        role, name, page = parts
        entries.append(f"{name} {role} 1 {page}#$ -")
    header = (
        b"# Sphinx inventory version 2\n"
        b"# Project: Python\n"
        b"# Version: 3\n"
        b"# The remainder of this file is compressed using zlib.\n"
    )
    data = header + zlib.compress(("\n".join(entries) + "\n").encode())
    out_dir = build_dir / "_inventories"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.inv"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{source.stem}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return str(target)


_FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_DIRECTIVE = re.compile(r"\{(?P<name>[\w-]+)\}\s*(?P<arg>\S*)")


def fenced_blocks(page: Path) -> list[tuple[str, str, dict[str, str], str]]:
    """``(directive, language, options, body)`` of every fenced block of a MyST page.

    ``directive`` is ``code-block`` for ```` ```{code-block} python ````, empty for a plain
    ```` ```python ```` fence; ``language`` is the fence's language either way (a plain fence
    of another directive, such as ```` ```{doctest} ````, has that directive and no language).
    ``body`` starts after the options and the blank line that may follow them.
    """
    blocks = []
    for match in _FENCE.finditer(page.read_text(encoding="utf-8")):
        info = match["info"].strip()
        directive = _DIRECTIVE.fullmatch(info)
        name, language = (directive["name"], directive["arg"]) if directive else ("", info)
        options: dict[str, str] = {}
        for line in match["options"].splitlines():
            key, _, value = line.strip()[1:].partition(":")
            options[key] = value.strip()
        body = match["body"]
        blocks.append((name, language, options, body[1:] if body.startswith("\n") else body))
    return blocks


def _code_blocks(page: Path) -> list[tuple[str, dict[str, str], str]]:
    """``(language, options, body)`` of every ``{code-block}`` fence of a MyST page."""
    return [
        (language, options, body)
        for name, language, options, body in fenced_blocks(page)
        if name == "code-block"
    ]


def page_files(page: Path) -> dict[str, str]:
    """The files a page asks the reader to create: code blocks whose caption is a file name.

    Raises ``ValueError`` when two blocks of the page claim the same file name.
    """
    files: dict[str, str] = {}
    for _lang, options, body in _code_blocks(page):
        caption = options.get("caption", "")
        if re.fullmatch(r"[\w.-]+\.(py|txt|json|toml|cfg)", caption):
            if caption in files:
                raise ValueError(f"{page.name}: two code blocks are captioned {caption!r}")
            files[caption] = body
    return files


@dataclass(frozen=True)
class Transcript:
    """A console session of a page: ``$ `` commands and the exact output the page shows.

    Classes of the block besides ``transcript`` change how it runs:

    * ``with-examples``: the session's directory also holds a copy of the repository's
      ``examples/`` directory, for pages that tell the reader to work next to it;
    * ``exit-N``: every command must exit with status ``N`` (default 0); the output shown is
      what it printed on stdout followed by what it printed on stderr, as a terminal shows it
      (a command that succeeds is compared on stdout alone);
    * ``ellipsis``: ``...`` in the page's output matches any text, as doctest's ``ELLIPSIS``
      (for timings).
    """

    steps: tuple[tuple[str, str], ...]
    with_examples: bool = False
    status: int = 0
    ellipsis: bool = False


def page_transcripts(page: Path) -> list[Transcript]:
    """Each ``console`` block with class ``transcript`` of ``page``, in page order.

    Raises ``ValueError`` for output before the first command or an unknown class.
    """
    sessions = []
    for lang, options, body in _code_blocks(page):
        classes = options.get("class", "").split()
        if lang != "console" or "transcript" not in classes:
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
            elif line.strip():
                raise ValueError(f"{page.name}: transcript output before any '$ ' command")
        status = 0
        for name in classes:
            if re.fullmatch(r"exit-\d+", name):
                status = int(name[5:])
            elif name not in ("transcript", "with-examples", "ellipsis"):
                raise ValueError(f"{page.name}: unknown transcript class {name!r}")
        sessions.append(
            Transcript(
                steps=tuple((cmd, "\n".join(out).rstrip()) for cmd, out in steps),
                with_examples="with-examples" in classes,
                status=status,
                ellipsis="ellipsis" in classes,
            )
        )
    return sessions


def install_page_module(page: str, filename: str) -> None:
    """Import the file ``filename`` shown on docs page ``page`` as a module of its stem.

    For doctests that continue a page's tutorial (``from hello import Greeting``). The module
    is registered in ``sys.modules``; installing it again replaces it.
    Raises ``KeyError`` when the page shows no such file.
    """
    source = page_files(Path(__file__).resolve().parents[1] / page)[filename]
    name = Path(filename).stem
    spec = importlib.util.spec_from_loader(name, loader=None, origin=f"{page}:{filename}")
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = f"<{page}:{filename}>"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)


def _import_path(path: str) -> Any:
    """Import ``a.b.C.d`` as far as modules go, then follow attributes; raise on failure."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def _safe_getattr(obj: Any, name: str) -> Any:
    """``getattr`` that answers ``None`` when a lazy module attribute fails to import."""
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "autofunction"
    if callable(obj) and not inspect.ismodule(obj):
        return "autofunction"
    return "autodata"


#: Within a group: classes, then exceptions, functions and data, each in source order.
_KIND_ORDER = {"autoclass": 0, "autoexception": 1, "autofunction": 2, "autodata": 3}


def _source_line(obj: Any) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 10**9


class FlowwireApiDirective(SphinxDirective):
    """``.. flowwire-api:: [module ...]`` with options ``:from:`` and ``:rest:``.

    Optional content: public names, one per line, documented first and in that order; the
    others follow grouped by kind and defining module, in source order. A listed name that is
    not in ``__all__`` of ``:from:`` is reported as a warning (never silently dropped). With
    ``:only:``, only the listed names are documented (for modules whose other public names are
    plumbing).
    With ``:rest:`` and ``:strict:``, every name left over is documented *and* reported as a
    warning, so a name added to ``__all__`` fails the build until a section claims it.
    """

    has_content = True
    optional_arguments = 20
    option_spec = {
        "from": directives.unchanged,
        "rest": directives.flag,
        "only": directives.flag,
        "strict": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        source = self.options.get("from", "flowwire")
        rest = "rest" in self.options
        if rest == bool(self.arguments):
            raise self.error("flowwire-api: give defining modules, or :rest: alone")
        try:
            module = importlib.import_module(source)
        except ImportError as exc:
            raise self.error(f"flowwire-api: cannot import {source!r}: {exc}") from exc
        public = getattr(module, "__all__", None)
        if public is None:
            raise self.error(f"flowwire-api: module {source!r} has no __all__")
        done: set[str] = self.env.temp_data.setdefault("flowwire_api_done", set())  # type: ignore[assignment]
        first = [line.strip() for line in self.content if line.strip()]
        for name in first:
            if name not in public:  # it would be dropped: say so (-W fails the build)
                logger.warning(
                    "flowwire-api: %r is listed but is not in %s.__all__: export it from %s "
                    "or remove it from the list",
                    name,
                    source,
                    source,
                    location=self.get_location(),
                )
        only = "only" in self.options
        chosen: list[tuple[tuple[int, int, str, int], str, Any]] = []
        for name in public:
            qualified = f"{source}.{name}"
            if name.startswith("_") or qualified in done:
                continue
            try:
                obj = getattr(module, name)
            except Exception as exc:  # a lazy attribute whose import fails is a real problem
                logger.warning(
                    "flowwire-api: %s lists %r in __all__ but it cannot be loaded: %r",
                    source,
                    name,
                    exc,
                    location=self.get_location(),
                )
                done.add(qualified)
                continue
            if self._documented_elsewhere(source, name, obj):
                continue
            if only and name not in first:
                continue
            defined_in = getattr(obj, "__module__", source) or source
            if rest:
                rank = 0
            else:
                rank = next(
                    (
                        i
                        for i, prefix in enumerate(self.arguments)
                        if defined_in == prefix or defined_in.startswith(prefix + ".")
                    ),
                    -1,
                )
                if rank < 0:
                    continue
            if name in first:
                key = (-1, first.index(name), "", 0)
            else:
                key = (rank, _KIND_ORDER[_kind(obj)], defined_in, _source_line(obj))
            chosen.append((key, qualified, obj))
        chosen.sort(key=lambda item: (item[0], item[1]))
        if "strict" in self.options:
            for _, qualified, _obj in chosen:
                logger.warning(
                    "flowwire-api: %s is public but no section of this page documents it; "
                    "add its module to a section's flowwire-api directive",
                    qualified,
                    location=self.get_location(),
                )
        lines: list[str] = []
        for _, qualified, obj in chosen:
            done.add(qualified)
            lines += [f".. {_kind(obj)}:: {qualified}", ""]
        if not lines:
            return []
        content = StringList(lines, source=self.get_source_info()[0])
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, content, container)
        return list(container.children)

    def _documented_elsewhere(self, source: str, name: str, obj: Any) -> bool:
        modules: Iterable[str] = self.config.flowwire_public_modules
        for other in modules:
            if other == source:
                return False
            try:
                mod = importlib.import_module(other)
            except ImportError:
                continue
            if name in getattr(mod, "__all__", ()) and _safe_getattr(mod, name) is obj:
                return True
        return False


def _resolve_private(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve ``flowwire.<private path>.Name[.member]`` to its documented public name."""
    if node.get("refdomain") != "py":
        return None
    target: str = node.get("reftarget", "")
    if not target.startswith("flowwire."):
        return None
    parts = target.split(".")
    domain = env.get_domain("py")
    for split in range(len(parts), 1, -1):
        head, tail = ".".join(parts[:split]), parts[split:]
        try:
            obj = _import_path(head)
        except (ImportError, AttributeError):
            continue
        name = getattr(obj, "__name__", parts[split - 1])
        for public in app.config.flowwire_public_modules:
            try:
                mod = importlib.import_module(public)
            except ImportError:
                continue
            if _safe_getattr(mod, name) is not obj:
                continue
            candidate = ".".join([public, name, *tail])
            if candidate == target:
                continue
            new = node.deepcopy()
            new["reftarget"] = candidate
            resolved = domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], candidate, new, contnode
            )
            if resolved is None and node["reftype"] == "class":
                resolved = domain.resolve_xref(
                    env, node["refdoc"], app.builder, "obj", candidate, new, contnode
                )
            if resolved is not None:
                return resolved
    return None


#: A default value that names a private object (a sentinel such as ``_NO_INITIAL``, a private
#: function): shown as ``...``, as in typeshed stubs; the docstring says what omitting it means.
_PRIVATE_DEFAULT = re.compile(r"(=\s*)_[A-Za-z]\w*(?=\s*[,)])")


#: Public classes that users are handed but never construct (the engine does): documented
#: without a constructor signature, whose parameters are private plumbing.
NOT_CONSTRUCTED = frozenset({"flowwire.proxy.BoundProxy"})


def _public_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    """Signatures as users call them: a ``typing.Protocol`` is not constructed by users (no
    ``(*args, **kwargs)``), nor is a class of :data:`NOT_CONSTRUCTED`, and private defaults are
    not shown by name."""
    if what in ("class", "exception") and getattr(obj, "_is_protocol", False):
        return "", return_annotation
    where = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
    if what == "class" and where in NOT_CONSTRUCTED:
        return "", return_annotation
    if signature and _PRIVATE_DEFAULT.search(signature):
        return _PRIVATE_DEFAULT.sub(r"\1...", signature), return_annotation
    return None


def _public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    """``Bases:`` never names a private class: it is replaced by its own public bases.
    ``Generic[...]`` is left out too (the signature shows the type parameters)."""
    import typing

    public: list[Any] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        origin = typing.get_origin(base) or base
        if origin is typing.Generic:
            continue
        if getattr(origin, "__name__", "").startswith("_"):
            inner = getattr(origin, "__orig_bases__", origin.__bases__)
            pending[:0] = [b for b in inner if b is not object]
        elif base not in public:
            public.append(base)
    bases[:] = public or [object]


def _drop_type_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A constant without a ``#:`` comment must not show its type's docstring (``dict()...``)."""
    if what not in ("data", "attribute") or inspect.isclass(obj) or not lines:
        return
    type_doc = inspect.getdoc(type(obj)) or ""
    if type_doc and lines[0].strip() == type_doc.splitlines()[0].strip():
        lines.clear()


_API_NAME = re.compile(r"~?(?P<name>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?:\(\))?")
_NOT_LINKED = (
    nodes.reference,
    nodes.title,
    nodes.literal_block,
    addnodes.pending_xref,
    addnodes.desc_signature,
    addnodes.toctree,
)


def _api_target(app: Sphinx, text: str, objects: dict[str, Any]) -> str | None:
    """The documented object an inline code span names: ``Workflow``, ``LocalEngine.run``,
    ``run_workflow()``, ``flowwire.testing.values`` (public modules tried in order)."""
    match = _API_NAME.fullmatch(text)
    if match is None:
        return None
    name = match["name"]
    for candidate in (name, *(f"{m}.{name}" for m in app.config.flowwire_public_modules)):
        if candidate in objects:
            return candidate
    return None


def _link_api_names(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn inline code that names a documented flowwire object into a link to its reference.

    Runs after references are resolved, against the objects the Python domain knows, so it
    links only what the API reference documents and never adds a warning. Code inside links,
    titles, signatures and code blocks is left alone, and so is an object's mention in its
    own description.
    """
    domain = app.env.get_domain("py")
    objects: dict[str, Any] = domain.objects  # type: ignore[attr-defined]
    for literal in list(doctree.findall(nodes.literal)):
        if any(isinstance(parent, _NOT_LINKED) for parent in _ancestors(literal)):
            continue
        target = _api_target(app, literal.astext(), objects)
        if target is None or _describes(literal, target):
            continue
        entry = objects[target]
        uri = app.builder.get_relative_uri(docname, entry.docname) + "#" + entry.node_id
        reference = nodes.reference("", "", internal=True, refuri=uri, reftitle=target)
        reference["classes"].append("reference")
        literal.replace_self(reference)
        literal["classes"] += ["xref", "py", "py-obj"]
        reference += literal


def _ancestors(node: nodes.Node) -> Iterable[nodes.Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _describes(node: nodes.Node, target: str) -> bool:
    """Whether ``node`` sits in the description of ``target`` itself (no self-links)."""
    for parent in _ancestors(node):
        if isinstance(parent, addnodes.desc):
            signature = next(iter(parent.findall(addnodes.desc_signature)), None)
            if signature is not None and target in signature.get("ids", []):
                return True
    return False


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("flowwire_public_modules", DEFAULT_PUBLIC_MODULES, "env")
    app.add_directive("flowwire-api", FlowwireApiDirective)
    app.connect("missing-reference", _resolve_private)
    app.connect("autodoc-process-signature", _public_signature)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("doctree-resolved", _link_api_names)
    app.connect("autodoc-process-docstring", _drop_type_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
