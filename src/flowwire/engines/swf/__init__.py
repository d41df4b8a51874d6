"""The Amazon SWF engine: the same workflow classes, with deciders and activity workers on as
many machines as you start.

::

    from flowwire.engines.swf import SWF, TaskRegistry, WorkerPool, register_all, start
    from flowwire.scanner import scan
    from myapp.tasks import Checkout

    swf = SWF.connect("my-domain", region="eu-west-1")
    registry = TaskRegistry(scan("myapp.tasks"))
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=8):
        print(start(swf, Checkout, ["order-17"]).result())

Modules: :mod:`.client` (boto3 client, error mapping), :mod:`.registration`, :mod:`.events`
(SWF history -> neutral history), :mod:`.decisions` (neutral decisions -> SWF), :mod:`.decider`,
:mod:`.worker` (activity worker, async completion), :mod:`.starter`, :mod:`.bindings` (the
link to the workflow core), :mod:`.service` (threads), :mod:`.cli` (``flowwire swf``).
Requires boto3 (``pip install 'flowwire[swf]'``).
"""

from __future__ import annotations

from flowwire.engines.swf.bindings import TaskRegistry, WorkflowReplayer, activity_runner
from flowwire.engines.swf.client import SWF, SWFError, make_client
from flowwire.engines.swf.decider import Decider, DecisionTask, HistoryCache
from flowwire.engines.swf.registration import (
    ActivityTypeSpec,
    WorkflowTypeSpec,
    register_activity_type,
    register_all,
    register_domain,
    register_workflow_type,
)
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import WorkflowRun, cancel, signal, start
from flowwire.engines.swf.worker import ActivityTask, ActivityWorker, AsyncCompletion

__all__ = [
    "SWF",
    "ActivityTask",
    "ActivityTypeSpec",
    "ActivityWorker",
    "AsyncCompletion",
    "Decider",
    "DecisionTask",
    "HistoryCache",
    "SWFError",
    "TaskRegistry",
    "WorkerPool",
    "WorkflowReplayer",
    "WorkflowRun",
    "WorkflowTypeSpec",
    "activity_runner",
    "cancel",
    "make_client",
    "register_activity_type",
    "register_all",
    "register_domain",
    "register_workflow_type",
    "signal",
    "start",
]
