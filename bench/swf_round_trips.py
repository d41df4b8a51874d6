"""SWF-over-moto round trips: the SWF engine end to end against moto in server mode.

For each transport: a one-step and a ten-step sequential workflow and a fan-out of twenty
activities, from ``StartWorkflowExecution`` to the decoded result, with deciders and activity
workers on threads. These figures measure the emulator as much as flowwire: moto answers an
empty poll after sleeping one second and serves requests one at a time, so every decision or
activity hop costs about a second there; real SWF long-polls and answers as soon as a task is
scheduled. They are a smoke-level check that the engine round-trips every transport, with
the time it took; the cost of the transport itself is what the codecs section measures.

Needs moto in server mode and boto3 (the ``testing`` extra); without them the result says so.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flowwire.transport import builtin_codecs

__all__ = ["run_swf_bench"]

TRANSPORTS = tuple(builtin_codecs())


def run_swf_bench(
    transports: tuple[str, ...] = TRANSPORTS, *, quick: bool = False
) -> dict[str, Any]:
    """Time the SWF engine's round trips over a moto server started for the purpose
    (``quick``: only the one-step workflow and a fan-out of three).

    Returns ``{"runs": [{"transport", "workflow", "steps", "seconds", "result_ok"}, ...]}``, or
    ``{"skipped": reason}`` when moto or boto3 is missing.
    """
    try:
        from flowwire.engines.swf.bindings import TaskRegistry
        from flowwire.engines.swf.client import SWF
        from flowwire.engines.swf.registration import register_all
        from flowwire.engines.swf.service import WorkerPool
        from flowwire.engines.swf.starter import start
        from flowwire.errors import ConfigurationError
        from flowwire.testing.moto import MotoServer
    except ImportError as exc:
        return {"skipped": f"the SWF engine or moto is not importable: {exc}"}
    from engine_tasks import FanOut, Increment, Sequential

    from flowwire.transport import get_transport

    runs: list[dict[str, Any]] = []
    try:
        server = MotoServer().start()
    except ConfigurationError as exc:
        return {"skipped": str(exc)}
    try:
        for name in transports:
            swf = SWF(server.client("swf"), f"flowwire-bench-{uuid.uuid4().hex[:8]}")
            registry = TaskRegistry([Increment, Sequential, FanOut], transport=get_transport(name))
            register_all(swf, registry.specs())
            with WorkerPool(swf, registry, deciders=2, activity_threads=4):
                cases: list[tuple[type, int]] = [(Sequential, 1), (FanOut, 3)]
                if not quick:
                    cases = [(Sequential, 1), (Sequential, 10), (FanOut, 20)]
                for workflow, steps in cases:
                    expected = steps if workflow is Sequential else sum(range(1, steps + 1))
                    began = time.perf_counter()
                    result = start(swf, workflow, [steps], transport=name).result(timeout=120)
                    runs.append(
                        {
                            "transport": name,
                            "workflow": "sequential" if workflow is Sequential else "fan-out",
                            "steps": steps,
                            "seconds": time.perf_counter() - began,
                            "result_ok": result == expected,
                        }
                    )
    finally:
        server.stop()
    return {"runs": runs}
