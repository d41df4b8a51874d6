"""A store outage in the middle of a run: the decision waits, the run completes.

The activity's result is offloaded to a directory store. Right after the write, the
directory is moved away (as an unmounted volume would be); it comes back after four reads
have failed (about 1.5 seconds of backoff: counted, not timed, so the output is always the
same). The decider cannot read the result meanwhile: it gets ``StoreUnavailable``, logs it,
and decides again with backoff; once the directory is back, the run completes. Run it from the
repository root::

    python examples/store_outage.py
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from flowwire.engines.local import LocalEngine
from flowwire.proxy import ActivityProxy
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import JSONTransport
from flowwire.transport.stages import LocalDirectoryStore, Offload


class FlakyDirectory(LocalDirectoryStore):
    """Moves its directory away after the first write, and back once ``reads`` reads have
    failed."""

    def __init__(self, root: Path, reads: int) -> None:
        super().__init__(root)
        self.reads = reads
        self.away: Path | None = None

    def put(self, key: str, data: bytes) -> None:
        super().put(key, data)
        if self.reads and self.away is None:
            self.away = self.root.with_name("away")
            self.root.rename(self.away)
            print(f"store directory moved away for the next {self.reads} reads")

    def get(self, key: str) -> bytes:
        try:
            return super().get(key)
        except OSError:  # the root is missing: an outage
            self.reads -= 1
            if self.reads == 0 and self.away is not None:
                self.away.rename(self.root)  # back for the next read
            raise


@activity("examples.outage.report", "1", "examples")
class Report(Activity):
    def run(self, lines: int) -> str:
        return "\n".join(f"line {i}: all good" for i in range(lines))


@workflow("examples.outage.count", "1", "examples")
class CountLines(Workflow):
    report = ActivityProxy(Report)

    def run(self, lines: int) -> int:
        return len(self.report(lines).splitlines())  # reads the offloaded result


def main() -> None:
    handler = logging.StreamHandler(sys.stdout)  # show the engine's warnings, shortened
    handler.setFormatter(logging.Formatter("%(name)s: %(message).93s"))
    logging.getLogger("flowwire").addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = FlakyDirectory(Path(tmp) / "blobs", reads=4)
            transport = JSONTransport(stages=[Offload(store, threshold=1024)])
            print("result:", LocalEngine(transport=transport).run(CountLines, 5000))
    finally:
        logging.getLogger("flowwire").removeHandler(handler)


if __name__ == "__main__":
    main()
