"""Raw ``sqlite3`` doing a durable step log's minimum: one small insert and one commit per step
in WAL mode, at a given ``synchronous`` setting (the physical limit of a durable engine's
sequential steps on SQLite)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

NAME = "raw sqlite3"
LIBRARY = "python"


def commits(n: int, synchronous: str, path: Path) -> float:
    """Seconds ``n`` insert-and-commit transactions take on a new database at ``path``."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    con.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, result TEXT)")
    start = time.perf_counter()
    for i in range(n):
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO steps (result) VALUES (?)", (str(i),))
        con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds
