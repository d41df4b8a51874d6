"""A workflow whose activity returns 5 MiB: compressed, encrypted and offloaded on the way.

The history keeps a reference of about 160 characters per payload; the bytes live, encrypted,
in a directory (on SWF you would use ``S3Store``). Run it from the repository root::

    python examples/stages_workflow.py

It needs the extras ``zstd`` and ``crypto`` (``pip install 'flowwire[zstd,crypto]'``).
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from pathlib import Path

from flowwire.engines.local import LocalEngine
from flowwire.history import TaskCompleted
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport import MsgpackTransport, Transport
from flowwire.transport.stages import AESGCM, Keyring, LocalDirectoryStore, Offload, Zstd


@activity("examples.render_report", "1", "examples")
class RenderReport(Activity):
    def run(self, pages: int) -> bytes:
        rng = random.Random(pages)
        return b"".join(rng.randbytes(512).hex().encode() for _ in range(pages))


@workflow("examples.monthly_report", "1", "examples")
class MonthlyReport(Workflow):
    render = ActivityProxy(RenderReport)

    def run(self, pages: int = 5120) -> str:
        report = wait(self.render(pages))
        return f"{len(report):,} bytes, sha256 {hashlib.sha256(report).hexdigest()[:16]}"


def staged_transport(root: Path, keyring: Keyring) -> Transport:
    return MsgpackTransport(
        stages=[Zstd(), AESGCM(keyring), Offload(LocalDirectoryStore(root / "payloads"))],
        # The report decompresses to 5 MiB, over the default 1 MiB a reader expands (the
        # bound that keeps a small hostile payload from allocating gigabytes): say so.
        max_decoded_bytes=8 << 20,
    )


def main() -> None:
    keyring = Keyring({"2026-11": Keyring.generate_key()}, current="2026-11")
    with tempfile.TemporaryDirectory() as tmp:
        engine = LocalEngine([RenderReport], transport=staged_transport(Path(tmp), keyring))
        print("workflow result:", engine.run(MonthlyReport, 5120))
        for history in engine.histories.values():
            for event in history:
                if isinstance(event, TaskCompleted):
                    print(f"in the history: {len(event.result)} characters: {event.result[:48]}...")
        sizes = [p.stat().st_size for p in Path(tmp, "payloads").rglob("*") if p.is_file()]
        print(f"in the store: {len(sizes)} object(s), {sum(sizes):,} bytes")


if __name__ == "__main__":
    main()
