"""A workflow whose one activity writes the modules its process has loaded, as JSON, to
``$FLOWWIRE_TEST_DIR/modules.json`` (``tests/durable/test_durable_imports.py``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from flowwire import Activity, ActivityProxy, Workflow, activity, wait, workflow


@activity("tests.durable.loaded-modules", "1", "tl-durable-imports")
class LoadedModules(Activity):
    """Writes ``sorted(sys.modules)`` to ``modules.json``; returns how many."""

    def run(self) -> int:
        target = Path(os.environ["FLOWWIRE_TEST_DIR"]) / "modules.json"
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(sorted(sys.modules)), encoding="utf-8")
        partial.replace(target)  # whole or not there: the test reads it as soon as it exists
        return len(sys.modules)


@workflow("tests.durable.import-probe", "1", "tl-durable-imports")
class ImportProbe(Workflow):
    """One :class:`LoadedModules` step."""

    loaded = ActivityProxy(LoadedModules)

    def run(self) -> int:
        return wait(self.loaded())
