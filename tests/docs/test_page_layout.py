"""The docs pages fit the theme's column, and every fenced block names its language.

The width rules come from furo's layout, measured in Chromium at a 1280 px window: the content
column is 46em wide, 736 px at the default 16 px font.

* **Code**: code is 81.25% monospace (13 px, 7.8 px a character) with 0.875rem of padding on
  each side, so 89 characters fit on a line; a line of code, a ``>>>``/``...`` line of a doctest
  may have at most 88 (one spare). Output lines and ``$`` commands may be longer: the site's
  CSS wraps them instead of hiding their end, and the copy button copies a command whole
  (diagrams do not wrap, so every diagram line counts). Files shown with ``literalinclude``
  keep the project's 100-column limit (ruff); their few longer lines wrap.
* **Tables**: body text averages about 8 px a character, so a row holds about 92 characters,
  less one character of cell padding per column. A column must be able to keep
  ``min(longest cell, 20)`` characters, and never less than its longest unbreakable piece: a
  word, or in the first column a whole code span (the CSS keeps those on one line). A table
  whose columns cannot all get that much is squeezed to a word a line, or runs off the column.
* **Fences**: a fence without a language would be shown as plain text (``highlight_language``
  is ``text``), which hides a mistake: every fence names its language or directive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)

CODE_COLUMNS = 88
TABLE_COLUMNS = 92
TABLE_CELL_MIN = 20

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


@dataclass
class Fence:
    line: int  # 1-based line of the opening fence
    info: str  # what follows the fence characters: "python", "{doctest}", "{code-block} text"
    options: dict[str, str]
    body: list[tuple[int, str]]  # (line number, text without the fence's indentation)


def fences(text: str) -> list[Fence]:
    """Every fenced block (backticks, tildes or MyST colon fences), nested ones included.

    The body of a code block (or of a directive whose content is not MyST, such as
    ``{doctest}`` or ``{toctree}``) is taken as is; admonitions and colon fences hold MyST, so
    fences inside them are blocks of their own. Leading ``:key: value`` lines are options.
    """
    found: list[Fence] = []
    stack: list[tuple[str, str, Fence]] = []  # (indent, fence characters, block)
    for number, line in enumerate(text.splitlines(), 1):
        match = _OPEN.match(line)
        if stack:
            indent, chars, block = stack[-1]
            closing = match and match["fence"][0] == chars[0] and len(match["fence"]) >= len(chars)
            if closing and not match["info"].strip():  # type: ignore[index]
                stack.pop()
                continue
            if not _holds_myst(chars, block):
                body = line[len(indent) :] if line.startswith(indent) else line.lstrip()
                option = _option(body) if not block.body else None
                if option:
                    block.options[option[0]] = option[1]
                elif body or block.body:
                    block.body.append((number, body))
                continue
        if match:
            block = Fence(number, match["info"].strip(), {}, [])
            found.append(block)
            stack.append((match["indent"], match["fence"], block))
    return found


#: Directives whose content is MyST text (fences inside are blocks of their own).
_MYST_CONTAINERS = {
    "admonition",
    "attention",
    "caution",
    "danger",
    "dropdown",
    "error",
    "hint",
    "important",
    "note",
    "seealso",
    "sidebar",
    "tip",
    "topic",
    "warning",
}


def _holds_myst(chars: str, block: Fence) -> bool:
    if chars.startswith(":"):
        return True
    name = block.info.split()[0] if block.info else ""
    return name.startswith("{") and name.strip("{}") in _MYST_CONTAINERS


def _option(line: str) -> tuple[str, str] | None:
    match = re.fullmatch(r":([\w-]+):\s*(.*)", line.strip())
    return (match[1], match[2]) if match else None


def _is_input(kind: str, text: str) -> bool:
    """Whether a line of a block of ``kind`` is something the reader types or reads as code."""
    if kind in ("{doctest}", "pycon"):
        return text.startswith((">>>", "..."))
    return kind in ("python", "{testcode}", "toml", "ini", "sh", "bash", "go", "proto")


def _kind(block: Fence) -> str:
    parts = block.info.split()
    if not parts:
        return ""
    if parts[0] in ("{code-block}", "{code}"):
        return parts[1] if len(parts) > 1 else ""
    return parts[0]


def test_every_fence_names_its_language() -> None:
    unlabelled = [
        f"{page.relative_to(DOCS)}:{block.line}"
        for page in PAGES
        for block in fences(page.read_text(encoding="utf-8"))
        if not _kind(block)
    ]
    assert not unlabelled, f"fences without a language (write ```text for plain text): {unlabelled}"


def test_code_lines_fit_the_column() -> None:
    long: list[str] = []
    for page in PAGES:
        for block in fences(page.read_text(encoding="utf-8")):
            kind = _kind(block)
            diagram = "flowwire-diagram" in block.options.get("class", "")
            for number, text in block.body:
                if len(text) > CODE_COLUMNS and (diagram or _is_input(kind, text)):
                    long.append(f"{page.relative_to(DOCS)}:{number}: {len(text)} characters")
    assert not long, f"code lines over {CODE_COLUMNS} characters:\n" + "\n".join(long)


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _shown(cell: str) -> str:
    """A cell's text as the reader sees it (roles, links and emphasis markers removed)."""
    cell = re.sub(r"\{[\w:-]+\}`~?(?:[^`<]*<)?([^`>]*)>?`", lambda m: m[1].split(".")[-1], cell)
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)
    cell = re.sub(r"</?\w+>", "", cell)
    return cell.replace("\\|", "|").replace("\\*", "*").replace("`", "").replace("**", "")


def _unbreakable(cell: str, first: bool) -> int:
    pieces = re.findall(r"`[^`]*`", cell) if first else []
    words = _shown(cell).split()
    return max([len(p) - 2 for p in pieces] + [len(w) for w in words] + [0])


def tables(text: str) -> list[tuple[int, list[list[str]]]]:
    """``(line, rows)`` of every pipe table of a page (rows of raw cells, header first)."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines) - 1:
        if lines[i].lstrip().startswith("|") and re.fullmatch(r"\s*\|[\s:|-]+\|\s*", lines[i + 1]):
            rows = [_cells(lines[i])]
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                rows.append(_cells(lines[j]))
                j += 1
            found.append((i + 1, rows))
            i = j
        else:
            i += 1
    return found


def table_need(rows: list[list[str]]) -> int:
    """The characters a table needs by the rule in this module's docstring."""
    need = 0
    for column in range(len(rows[0])):
        cells = [row[column] if column < len(row) else "" for row in rows]
        longest = max(len(_shown(c)) for c in cells)
        piece = max(_unbreakable(c, column == 0) for c in cells)
        need += max(min(longest, TABLE_CELL_MIN), piece) + 1
    return need


def test_tables_fit_the_column() -> None:
    wide = [
        f"{page.relative_to(DOCS)}:{line}: needs {need} characters"
        for page in PAGES
        for line, rows in tables(page.read_text(encoding="utf-8"))
        if (need := table_need(rows)) > TABLE_COLUMNS
    ]
    assert not wide, f"tables wider than {TABLE_COLUMNS} characters:\n" + "\n".join(wide)


def test_the_rules_catch_what_they_describe() -> None:
    wide = (
        "| a | b | c | d | e |\n|---|---|---|---|---|\n" + "| " + " | ".join(["x" * 30] * 5) + " |"
    )
    ((_, rows),) = tables(wide)
    assert table_need(rows) > TABLE_COLUMNS
    narrow = "| type | meaning |\n|---|---|\n| `int` | " + "word " * 40 + "|"
    ((_, rows),) = tables(narrow)
    assert table_need(rows) <= TABLE_COLUMNS
    code_first = "| message | meaning |\n|---|---|\n| `" + "m " * 50 + "` | x |"
    ((_, rows),) = tables(code_first)
    assert table_need(rows) > TABLE_COLUMNS
    page = "text\n\n```\nplain\n```\n\n```{doctest}\n>>> 1\n1\n```\n"
    assert [_kind(b) for b in fences(page)] == ["", "{doctest}"]
    nested = "::::{note}\n```python\nx = 1\n```\n::::\n"
    assert [(_kind(b), len(b.body)) for b in fences(nested)] == [("{note}", 0), ("python", 1)]
