"""The bench modules import each other by their names (``python bench/run.py`` puts
``bench/`` first on ``sys.path``); the tests here get the same path."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = str(Path(__file__).resolve().parents[1])
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)
