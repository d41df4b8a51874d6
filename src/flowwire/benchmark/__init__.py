"""``flowwire bench``: your payloads through your transports (see the "Benchmarks" docs page).

* :mod:`~flowwire.benchmark.payloads`: the built-in payload shapes and user payloads
  (:mod:`~flowwire.benchmark.typed_order` and :mod:`~flowwire.benchmark.order_message` are the
  typed ones).
* :mod:`~flowwire.benchmark.candidates`: what the payloads are sent through (every registered
  transport, stage combinations, the codecs alone) and
  :mod:`~flowwire.benchmark.references`: the raw libraries they build on and a memory copy.
* :mod:`~flowwire.benchmark.runner`: interleaved rounds, medians and ratios.
* :mod:`~flowwire.benchmark.report` and :mod:`~flowwire.benchmark.plot`: tables, JSON, charts.
* :mod:`~flowwire.benchmark.suite`: one run from options to a results document, and
  :mod:`~flowwire.benchmark.cli`: the command line.

The package holds no comparison with other libraries and needs none installed: msgspec,
pydantic, Temporal's converter, flowy, DBOS and the engine benchmarks are in the repository's
``bench/`` directory (``python bench/run.py``), which drives this package through the same
public names. The output libraries are optional (the ``bench`` extra: rich and matplotlib); a
missing one raises :class:`~flowwire.ConfigurationError` naming ``pip install 'flowwire[bench]'``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowwire.benchmark.payloads import Payload, builtin_payloads, load_payload
    from flowwire.benchmark.runner import Result, RunConfig
    from flowwire.benchmark.suite import Options, Outcome, run_suite

__all__ = [
    "Options",
    "Outcome",
    "Payload",
    "Result",
    "RunConfig",
    "builtin_payloads",
    "load_payload",
    "run_suite",
]

# Imported on first use, so that ``flowwire --help`` (which imports the ``bench`` command's
# module, ``flowwire.benchmark.cli``) does not load the payloads, the runner and the transports.
_HOMES = {
    "Options": "suite",
    "Outcome": "suite",
    "run_suite": "suite",
    "Payload": "payloads",
    "builtin_payloads": "payloads",
    "load_payload": "payloads",
    "Result": "runner",
    "RunConfig": "runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'flowwire.benchmark' has no attribute {name!r}")
    return getattr(importlib.import_module(f"flowwire.benchmark.{home}"), name)
