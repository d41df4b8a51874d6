"""flowy 0.4.1's local engine running the engine benchmark's sequential workflow.

flowy 0.4.1 predates Python 3.10: it needs ``collections.Mapping``, ``MutableMapping``,
``Iterable`` and ``Sized`` and a builtin ``reduce``. :func:`load` sets those aliases in this
process before importing flowy; nothing in flowwire's package does. Activities run on threads
(flowy's default is a process pool, which would only make it slower). Install it without its
dependencies, whose pinned ``boto3==1.3.1`` would downgrade boto3:
``pip install --no-deps flowy==0.4.1 venusian lazy-object-proxy``.
"""

from __future__ import annotations

import builtins
import collections
import collections.abc
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

NAME = "flowy 0.4.1"
LIBRARY = "flowy"
INSTALL = "pip install --no-deps flowy==0.4.1 venusian lazy-object-proxy"


def load() -> Any:
    """flowy with the Python 3.10+ aliases it needs, or ``None`` when it is not installed."""
    for name in ("Mapping", "MutableMapping", "Iterable", "Sized"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    if not hasattr(builtins, "reduce"):
        builtins.reduce = functools.reduce  # type: ignore[attr-defined]
    try:
        import flowy
    except ImportError:
        return None
    return flowy


def _increment(x: int) -> int:
    return x + 1


class _Sequential:
    """flowwire's ``Sequential`` workflow in flowy's style (proxies injected)."""

    def __init__(self, increment: Any) -> None:
        self.increment = increment

    def __call__(self, n: int) -> Any:
        x = 0
        for _ in range(n):
            x = self.increment(x)
        return x


def sequential(steps: int) -> Callable[[], Any]:
    """A job running the ``steps``-step workflow once on flowy's local engine (call
    :func:`load` first)."""
    from flowy.local.config import LocalWorkflow

    def run() -> Any:
        wf = LocalWorkflow(_Sequential, executor=ThreadPoolExecutor)
        wf.conf_activity("increment", _increment)
        result = wf.run(steps, _wait=True)
        assert result == steps, result
        return result

    return run
