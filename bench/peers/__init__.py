"""The peers of the comparison suite: one module per candidate library.

Codec peers (:data:`CODEC_PEERS`) define ``NAME`` (the label in tables), ``LIBRARY`` (the
distribution whose version is reported), ``NOTE`` (one line: how the library is used),
``encode(value) -> bytes | str`` and ``decode(data, type_hint=None) -> value``. ``encode``
raises ``TypeError`` (or the library's own error) for a value the library cannot carry; the
runner then lists the pair as unsupported with that message. Optional: ``KINDS`` (the payload
kinds it runs on; default: all but ``"typed"``), ``prepare`` (the payload value in the peer's
own types, made once before timing) and ``normalize`` (a decoded value back in the payload's
types, for the round-trip check).

Engine peers do the engine benchmarks' work their own way: ``thread_pool`` (a bare
``ThreadPoolExecutor``), ``flowy_engine`` (flowy 0.4.1's local engine), ``dbos_engine`` (DBOS
Transact on SQLite, run as a subprocess) and ``raw_sqlite3`` (one insert and one commit per
step).

A module whose library is not installed fails to import (codec peers) or says so
(:func:`missing`); the suite skips it with a line naming the package to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from flowwire.benchmark.candidates import UNTYPED_KINDS, Candidate, CandidateSet, Skipped

#: Codec peer modules in display order, with the package that installs each one's library.
CODEC_PEERS = {
    "msgspec_msgpack": "msgspec",
    "msgspec_json": "msgspec",
    "pydantic_typed": "pydantic",
    "msgspec_struct": "msgspec",
    "flowy_json": "",  # the standard library only
    "temporal": "temporalio",
}


def missing(module: str, package: str) -> str | None:
    """``None`` if ``module`` can be imported, else the line that says what to install."""
    if importlib.util.find_spec(module) is not None:
        return None
    return f"not installed: pip install {package}"


def codec_candidates() -> CandidateSet:
    """A :class:`Candidate` per codec peer that imports; the others in ``skipped``."""
    out = CandidateSet()
    for module_name, package in CODEC_PEERS.items():
        try:
            module: Any = importlib.import_module(f"peers.{module_name}")
        except ImportError as exc:
            out.skipped.append(
                Skipped(module_name, f"not installed ({exc}): pip install {package}")
            )
            continue
        out.candidates.append(
            Candidate(
                name=module.NAME,
                group="peer",
                library=module.LIBRARY,
                encode=module.encode,
                decode=module.decode,
                note=module.NOTE,
                kinds=getattr(module, "KINDS", UNTYPED_KINDS),
                prepare=getattr(module, "prepare", None),
                normalize=getattr(module, "normalize", None),
            )
        )
    return out
