"""Testing tools for flowwire users (extra ``testing``): product, not test scaffolding.

* :mod:`flowwire.testing.strategies`: hypothesis strategies for the value model
  (``values()``, ``typed_values()``, ``arguments()``, per-codec domains).
* :func:`check_transport` / :class:`TransportConformance`: the conformance check a custom
  transport runs in one line; :func:`check_adapter`: the same for a type taught to the value
  model (a type adapter, a pydantic model, an attrs class, a ``msgspec.Struct``).
* :class:`VirtualClock`: a clock for the in-memory engine that jumps to the next deadline
  when nothing else can happen, so a workflow that sleeps for days finishes in milliseconds.
* :mod:`flowwire.testing.moto` and the pytest plugin ``flowwire.testing.pytest_plugin``: an
  in-process moto server (SWF and S3) on 127.0.0.1 for end-to-end tests.

Everything here imports without the extra: :func:`values_equal` needs nothing, the moto
server needs moto (not hypothesis), and a strategy or the conformance check used without
hypothesis raises :class:`~flowwire.ConfigurationError` naming ``pip install
'flowwire[testing]'``.
"""

from __future__ import annotations

from flowwire.testing.clock import VirtualClock
from flowwire.testing.conformance import TransportConformance, check_adapter, check_transport
from flowwire.testing.strategies import (
    arguments,
    instances,
    typed_values,
    values,
    values_equal,
    values_for,
)

__all__ = [
    "TransportConformance",
    "VirtualClock",
    "arguments",
    "check_adapter",
    "check_transport",
    "instances",
    "typed_values",
    "values",
    "values_equal",
    "values_for",
]
