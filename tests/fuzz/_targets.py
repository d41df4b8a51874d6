"""What the fuzzer attacks: every built-in codec, under every armor and stage chain.

A :class:`Target` is one transport plus its seed corpus: valid payloads of results (values of
the codec's domain and typed values: dataclasses, enums, datetimes, ...), call arguments and
error details, generated once with the strategies of :mod:`flowwire.testing` (hypothesis,
derandomized, so every process builds the same corpus).

The stages are the built-in ones with test configuration: ``zstd`` with its defaults, AES-GCM
with a fixed test key (the fuzzer can then rewrap mutated plaintext, which is what an attacker
holding the key, or a buggy writer, produces), and offload into a directory store with a
threshold low enough that most seeds are offloaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from _extras import reason

pytest.importorskip("hypothesis", reason=reason("hypothesis"))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from flowwire.testing.strategies import (
    Color,
    LineItem,
    Order,
    arguments,
    typed_values,
    values_for,
)
from flowwire.transport import builtin_codecs, get_codec
from flowwire.transport._transport import CodecTransport
from flowwire.transport.stages import AESGCM, Keyring, LocalDirectoryStore, Offload, Zstd

TEST_KEY = bytes(range(32))
KEYRING = Keyring({"fuzz-1": TEST_KEY}, current="fuzz-1")

#: annotations a typed decode is asked for, in turn (each input gets one of them)
HINTS: tuple[Any, ...] = (
    Order,
    list[Order],
    LineItem,
    datetime,
    date,
    time,
    timedelta,
    UUID,
    Decimal,
    Color,
    dict[str, Decimal],
    tuple[int, ...],
    tuple[str, float],
    frozenset[str],
    set[int],
    datetime | None,
    list[tuple[date, Decimal]],
    int,
    str,
    bytes,
    float,
)


def typed_run(
    order: Order, when: datetime, *items: LineItem, color: Color = Color.RED, **extra: Decimal
) -> None:
    """A ``run`` signature: arguments are decoded under these annotations."""


CHAINS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "zstd": ("zstd",),
    "aesgcm": ("aesgcm",),
    "offload": ("offload",),
    "zstd+aesgcm": ("zstd", "aesgcm"),
    "zstd+aesgcm+offload": ("zstd", "aesgcm", "offload"),
}
CODECS = tuple(builtin_codecs())
ARMORS = ("base64", "latin-1")


@dataclass
class Target:
    """One transport and its seeds."""

    name: str
    codec: str
    chain: tuple[str, ...]
    armor: str
    transport: CodecTransport
    store_root: Path | None
    seeds: list[str] = field(default_factory=list)
    seed_keys: set[str] = field(default_factory=set)

    def inner(self, payload: str) -> bytes | str:
        """The codec's bytes (or plain JSON text) of a valid payload, under every stage."""
        return self.transport._open(payload, "result")[1]

    def rewrap(self, body: bytes | str) -> str:
        """``body`` sent through this transport's stages and armor, as a writer would."""
        if isinstance(body, str):
            return body
        return self.transport._wrap(body, "result")

    def purge(self) -> None:
        """Remove the objects that rewrapped inputs left in the directory store."""
        root = self.store_root
        if root is None:
            return
        for sub in os.scandir(root):
            if sub.is_dir():
                for entry in os.scandir(sub.path):
                    if entry.name not in self.seed_keys:
                        os.unlink(entry.path)


def _stage(name: str, store: LocalDirectoryStore | None) -> Any:
    if name == "zstd":
        return Zstd()
    if name == "aesgcm":
        return AESGCM(KEYRING)
    assert store is not None
    return Offload(store, threshold=64)


def build_targets(root: Path) -> list[Target]:
    """Every codec x chain x armor (plain JSON has no armor: one target)."""
    targets: list[Target] = []
    for codec in CODECS:
        for chain_name, chain in CHAINS.items():
            for armor in ARMORS:
                if codec == "json" and not chain and armor == "latin-1":
                    continue  # plain JSON text: no armor at all
                name = f"{codec}/{chain_name}/{armor}"
                store_root = root / name.replace("/", "_") if "offload" in chain else None
                store = LocalDirectoryStore(store_root, fsync=False) if store_root else None
                stages = [_stage(s, store) for s in chain]
                transport = CodecTransport(get_codec(codec), stages=stages, armor=armor)
                targets.append(Target(name, codec, chain, armor, transport, store_root))
    return targets


def _collect(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    found: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


@dataclass
class Corpus:
    """Values shared by the targets of a codec (generated once per process)."""

    results: dict[str, list[Any]]
    typed: list[tuple[Any, Any]]
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]]


def build_corpus(count: int) -> Corpus:
    return Corpus(
        results={c: _collect(values_for(c), count) for c in CODECS},
        typed=_collect(typed_values(), count),
        calls=_collect(arguments(extended=False), count // 2),
    )


def _error() -> BaseException:
    try:
        raise ValueError("card declined: 4242")
    except ValueError as exc:  # raised, so that it carries a traceback
        return exc


def seed(target: Target, corpus: Corpus) -> None:
    """Fill ``target.seeds`` with valid payloads (those the codec cannot carry are skipped)."""
    transport = target.transport
    makers: list[Callable[[], str]] = []
    for value in corpus.results[target.codec]:
        makers.append(lambda v=value: transport.serialize_result(v))
    for _hint, value in corpus.typed:
        makers.append(lambda v=value: transport.serialize_result(v))
    for args, kwargs in corpus.calls:
        makers.append(lambda a=args, k=kwargs: transport.serialize_arguments(a, k))
    makers.append(lambda: transport.serialize_error(_error())[1])
    for make in makers:
        try:
            target.seeds.append(make())
        except Exception:  # EncodeError, PayloadTooLarge: not a payload to mutate
            continue
    if target.store_root is not None and target.store_root.exists():
        target.seed_keys = {
            entry.name for sub in os.scandir(target.store_root) for entry in os.scandir(sub.path)
        }


def fresh_root() -> Path:
    """A directory for the offload stores of one process (removed at exit)."""
    import atexit
    from multiprocessing import util

    path = Path(tempfile.mkdtemp(prefix="flowwire-fuzz-"))
    atexit.register(shutil.rmtree, path, True)
    util.Finalize(None, shutil.rmtree, args=(path, True), exitpriority=0)  # pool workers
    return path


_TARGETS: list[Target] = []


def targets(seeds: int = 48) -> list[Target]:
    """The targets of this process, seeded (built on first use)."""
    if not _TARGETS:
        built = build_targets(fresh_root())
        corpus = build_corpus(seeds)
        for target in built:
            seed(target, corpus)
        _TARGETS.extend(built)
    return _TARGETS


def by_name(name: str) -> Target:
    for target in targets():
        if target.name == name:
            return target
    raise KeyError(name)


def target_names() -> list[str]:
    """The names :func:`build_targets` gives, without building anything."""
    return [
        f"{codec}/{chain}/{armor}"
        for codec in CODECS
        for chain, stages in CHAINS.items()
        for armor in ARMORS
        if not (codec == "json" and not stages and armor == "latin-1")
    ]
