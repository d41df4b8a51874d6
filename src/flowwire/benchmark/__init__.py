"""The benchmark suite behind ``flowwire bench`` (see the "Benchmarks" docs page).

* :mod:`~flowwire.benchmark.payloads`: the payload shapes and user payloads.
* :mod:`~flowwire.benchmark.candidates` and :mod:`~flowwire.benchmark.peers`: what the payloads
  are sent through (flowwire transports, stages, codecs, peer libraries, a memory copy).
* :mod:`~flowwire.benchmark.runner`: interleaved rounds, medians and ratios.
* :mod:`~flowwire.benchmark.report` and :mod:`~flowwire.benchmark.plot`: tables, JSON, charts.
* :mod:`~flowwire.benchmark.engine`: the local engine's fan-out and replay cost.
* :mod:`~flowwire.benchmark.suite`: one run from options to a results document.

Peers and output libraries are optional (the ``bench`` extra): a missing peer is skipped with a
note; a missing ``rich`` or ``matplotlib`` raises :class:`~flowwire.ConfigurationError` naming
``pip install 'flowwire[bench]'``.
"""

from __future__ import annotations

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
