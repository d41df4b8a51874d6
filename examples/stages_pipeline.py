"""Compression, encryption and offload on one transport, and what ends up in the history.

Run it from the repository root::

    python examples/stages_pipeline.py

It needs the extras ``zstd`` and ``crypto`` (``pip install 'flowwire[zstd,crypto]'``). The
blob store is a temporary directory; with S3, replace it by
``S3Store("my-bucket", "flowwire/payloads/")``.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from flowwire.transport import MsgpackTransport, envelope
from flowwire.transport.stages import AESGCM, Keyring, LocalDirectoryStore, Offload, Zstd


def build_transport(root: Path, keyring: Keyring) -> MsgpackTransport:
    """The same call builds the transport on the worker and on the starter side."""
    return MsgpackTransport(
        stages=[
            Zstd(level=3),  # skipped below 1 KiB or when it would not shrink
            AESGCM(keyring),  # always applied; the key id travels in the header
            Offload(LocalDirectoryStore(root / "payloads")),  # only over the field limit
        ],
        max_decoded_bytes=8 << 20,  # documents up to 8 MiB decompressed (default: 1 MiB)
    )


def describe(payload: str) -> str:
    """What a reader of the workflow history sees: the stage names and the payload size."""
    stages = [name for name, _ in envelope.unpack(envelope.dearmor(payload)).stages]
    return f"{len(payload):>6} characters, stages {stages}"


def main() -> None:
    # In production, load keys from your secret manager; never hard-code them.
    november = Keyring.generate_key()
    keyring = Keyring({"2026-11": november}, current="2026-11")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        worker = build_transport(root, keyring)
        starter = build_transport(root, keyring)

        small = {"order": 42, "status": "paid"}
        batch = [{"id": i, "sku": f"SKU-{i % 50:04d}", "qty": i % 7} for i in range(1000)]
        image = random.Random(7).randbytes(2_000_000)  # 2 MB that does not compress
        for name, value in [("small", small), ("batch", batch), ("image", image)]:
            payload = worker.serialize_result(value)
            assert starter.deserialize_result(payload) == value
            print(f"{name:>5}: {describe(payload)}")

        stored = sorted(p.name for p in (root / "payloads").rglob("*") if p.is_file())
        print("objects in the store:", json.dumps(stored))

        # Rotation: new payloads use the new key, old payloads stay readable.
        old_payload = worker.serialize_result(small)
        rotated = Keyring(
            {"2026-11": november, "2026-12": Keyring.generate_key()}, current="2026-12"
        )
        assert build_transport(root, rotated).deserialize_result(old_payload) == small
        print("after rotation, the old payload still decodes")


if __name__ == "__main__":
    main()
