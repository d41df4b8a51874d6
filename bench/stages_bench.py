"""The stages section: the payload stages' own figures (issue 5 targets).

Run by ``python bench/run.py --only stages`` (about a minute; ``--quick``: a few seconds).

What is measured, each as the median of interleaved rounds (candidates alternate inside every
round, so drift on a shared machine hits all of them alike):

1. zstd on the 1,000-record batch, per codec: payload size with and without zstd, and the
   added time of a full result round trip (serialize + deserialize).
2. The below-threshold check: a tiny call's round trip on a transport whose zstd stage skips,
   against the same transport without the stage (target: under 5% added).
3. Offload of 5 MiB to the local-directory store against writing the same file directly
   (target: within 3x), with and without fsync on both sides, and reading back.
4. Offload of 5 MiB to S3 on a moto server in this process (write and read), when moto is
   installed. moto is an emulator: these figures are not S3's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowwire.transport import StageContext, Transport, builtin_codecs, envelope, get_transport
from flowwire.transport.stages import LocalDirectoryStore, Offload, S3Store, Zstd

MIB = 1 << 20


def batch() -> list[dict[str, Any]]:
    """The 1,000-record batch: realistic mixed records, like an order export."""
    return [
        {
            "id": i,
            "sku": f"SKU-{i % 97:05d}",
            "name": f"Product number {i % 97}",
            "quantity": (i * 7) % 13 + 1,
            "price": round(((i * 37) % 1000) / 7, 2),
            "paid": i % 3 != 0,
            "tags": ["blue", "large"] if i % 2 else ["red"],
        }
        for i in range(1000)
    ]


TINY_CALL = ((42, "EUR"), {"express": True})


def timeit(func: Callable[[], object], number: int) -> float:
    """Seconds per call of ``func`` over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def interleaved(
    candidates: dict[str, Callable[[], object]], *, rounds: int, number: int
) -> dict[str, float]:
    """Median seconds per call of each candidate over ``rounds`` interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for func in candidates.values():  # warm up
        func()
    for _ in range(rounds):
        for name, func in candidates.items():
            samples[name].append(timeit(func, number))
    return {name: statistics.median(values) for name, values in samples.items()}


def result_round_trip(transport: Transport, value: Any) -> Callable[[], object]:
    return lambda: transport.deserialize_result(transport.serialize_result(value))


def bench_zstd(rounds: int, number: int) -> list[dict[str, Any]]:
    value = batch()
    rows = []
    for codec in builtin_codecs():
        plain = get_transport(codec, max_payload_chars=None)
        zstd = get_transport(codec, stages=[Zstd()], max_payload_chars=None)
        times = interleaved(
            {"plain": result_round_trip(plain, value), "zstd": result_round_trip(zstd, value)},
            rounds=rounds,
            number=number,
        )
        plain_size = len(plain.serialize_result(value))
        zstd_size = len(zstd.serialize_result(value))
        rows.append(
            {
                "codec": codec,
                "plain_chars": plain_size,
                "zstd_chars": zstd_size,
                "size_ratio": zstd_size / plain_size,
                "plain_ms": times["plain"] * 1e3,
                "zstd_ms": times["zstd"] * 1e3,
                "added_ms": (times["zstd"] - times["plain"]) * 1e3,
            }
        )
    return rows


def bench_skip(rounds: int, number: int) -> dict[str, Any]:
    plain = get_transport("msgpack")
    skipping = get_transport("msgpack", stages=[Zstd()])
    args, kwargs = TINY_CALL
    payload = skipping.serialize_arguments(args, kwargs)
    assert [n for n, _ in envelope.unpack(envelope.dearmor(payload)).stages] == []

    def round_trip(t: Transport) -> Callable[[], object]:
        return lambda: t.deserialize_arguments(t.serialize_arguments(args, kwargs))

    stage = Zstd()
    ctx = StageContext(limit=32_768, armored_size=lambda n: n)
    body = b"\x92\x2a\xa3EUR"
    times = interleaved(
        {
            "no stage": round_trip(plain),
            "zstd skipping": round_trip(skipping),
            "skip check alone": lambda: stage.encode(body, ctx),
        },
        rounds=rounds,
        number=number * 20,
    )
    return {
        "round_trip_us": times["no stage"] * 1e6,
        "with_skipping_zstd_us": times["zstd skipping"] * 1e6,
        "added_percent": 100 * (times["zstd skipping"] / times["no stage"] - 1),
        "check_alone_us": times["skip check alone"] * 1e6,
        "check_percent_of_round_trip": 100 * times["skip check alone"] / times["no stage"],
    }


def bench_local_offload(rounds: int, number: int, root: Path) -> dict[str, Any]:
    data = os.urandom(5 * MIB)
    ctx = StageContext(limit=32_768, armored_size=lambda n: n)
    counter = iter(range(10**9))

    def direct(fsync: bool) -> Callable[[], object]:
        def write() -> None:
            path = root / "direct" / f"{next(counter)}.bin"
            path.parent.mkdir(exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())

        return write

    def offload(fsync: bool) -> Callable[[], object]:
        stage = Offload(LocalDirectoryStore(root / f"store-{fsync}", fsync=fsync))

        def write() -> None:
            # A fresh payload each time, so the existence check never short-cuts the write.
            payload = next(counter).to_bytes(8, "big") + data[8:]
            stage.encode(payload, ctx)

        return write

    writes = interleaved(
        {
            "direct write": direct(False),
            "offload (fsync=False)": offload(False),
            "direct write + fsync": direct(True),
            "offload (fsync=True)": offload(True),
        },
        rounds=rounds,
        number=number,
    )
    stage = Offload(LocalDirectoryStore(root / "read"))
    _, params = stage.encode(data, ctx) or (b"", b"")
    path = root / "read-direct.bin"
    path.write_bytes(data)
    reads = interleaved(
        {
            "direct read": path.read_bytes,
            "offload read + verify": lambda: stage.decode(b"", params, ctx),
            "sha256 alone": lambda: hashlib.sha256(data).digest(),
        },
        rounds=rounds,
        number=number,
    )
    ms = {k: v * 1e3 for k, v in {**writes, **reads}.items()}
    ms["ratio_no_fsync"] = writes["offload (fsync=False)"] / writes["direct write"]
    ms["ratio_fsync"] = writes["offload (fsync=True)"] / writes["direct write + fsync"]
    ms["ratio_default_vs_direct"] = writes["offload (fsync=True)"] / writes["direct write"]
    return ms


def bench_s3(rounds: int, number: int) -> dict[str, Any] | None:
    try:
        from flowwire.testing.moto import MotoServer
    except ImportError:
        return None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    data = os.urandom(5 * MIB)
    ctx = StageContext(limit=32_768, armored_size=lambda n: n)
    with MotoServer() as moto:
        client = moto.client("s3")
        client.create_bucket(Bucket="bench")
        stage = Offload(S3Store("bench", "payloads/", client=client))
        counter = iter(range(10**9))

        def write() -> None:
            stage.encode(next(counter).to_bytes(8, "big") + data[8:], ctx)

        _, params = stage.encode(data, ctx) or (b"", b"")
        times = interleaved(
            {"write 5 MiB": write, "read + verify 5 MiB": lambda: stage.decode(b"", params, ctx)},
            rounds=rounds,
            number=number,
        )
    return {k: v * 1e3 for k, v in times.items()}


def run(quick: bool, *, s3: bool = True, smoke: bool = False) -> dict[str, Any]:
    """Every figure of the section, JSON-ready (times in milliseconds or microseconds, as the
    keys say); ``s3_moto`` is ``None`` when moto is not installed. ``smoke``: one round of one
    call each, for a test of the figures' shape."""
    rounds, number = (1, 1) if smoke else (3, 3) if quick else (15, 10)
    results: dict[str, Any] = {"rounds": rounds}
    results["zstd_batch"] = bench_zstd(rounds, number)
    results["skip_check"] = bench_skip(rounds, number * 10)
    with tempfile.TemporaryDirectory() as tmp:
        results["local_offload"] = bench_local_offload(rounds, number, Path(tmp))
    if s3:
        results["s3_moto"] = bench_s3(rounds, max(1, number // 3))
    return results


def render(console: Any, results: dict[str, Any]) -> None:
    def say(line: str = "") -> None:
        console.print(line, markup=False, highlight=False)

    say("stages: 1. zstd on the 1,000-record batch (result round trip)")
    say(f"   {'codec':<9}{'chars':>9}{'zstd':>9}{'ratio':>8}{'plain ms':>10}{'zstd ms':>9}")
    for r in results["zstd_batch"]:
        say(
            f"   {r['codec']:<9}{r['plain_chars']:>9}{r['zstd_chars']:>9}{r['size_ratio']:>8.3f}"
            f"{r['plain_ms']:>10.3f}{r['zstd_ms']:>9.3f}"
        )
    skip = results["skip_check"]
    say("stages: 2. zstd skipped below the threshold, tiny call round trip (msgpack)")
    say(
        f"   no stage {skip['round_trip_us']:.2f} us; with a skipping zstd stage "
        f"{skip['with_skipping_zstd_us']:.2f} us ({skip['added_percent']:+.1f}%); the check alone "
        f"{skip['check_alone_us']:.3f} us = {skip['check_percent_of_round_trip']:.2f}% "
        "(target < 5%)"
    )
    say("stages: 3. offload of 5 MiB to the local-directory store (ms)")
    for key, value in results["local_offload"].items():
        unit = "x" if key.startswith("ratio") else " ms"
        say(f"   {key:<26}{value:>9.2f}{unit}")
    say("   target: offload within 3x of writing the file directly")
    if "s3_moto" not in results:
        return
    s3 = results["s3_moto"]
    if s3 is None:
        say("stages: 4. S3 over moto: skipped (moto not installed: pip install 'moto[server]')")
    else:
        say("stages: 4. offload of 5 MiB to S3 on moto in this process (emulator, not AWS)")
        for key, value in s3.items():
            say(f"   {key:<26}{value:>9.2f} ms")
