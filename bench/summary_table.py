"""The table the engine sections print: one row per figure that carries a ``summary`` line."""

from __future__ import annotations

from typing import Any

from flowwire.benchmark.report import need

__all__ = ["print_summaries"]


def print_summaries(console: Any, title: str, figures: dict[str, Any]) -> None:
    """Print ``title`` over a two-column table (measure, value) of the figures (dicts) in
    ``figures`` that have a ``summary``, in their order."""
    table = need("rich.table").Table(title=title, title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        if isinstance(value, dict) and "summary" in value:
            table.add_row(name, value["summary"])
    console.print(table)
