"""Candidates: what the benchmark sends every payload through.

A :class:`Candidate` is a pair of functions, ``encode(value)`` and ``decode(data, type_hint)``,
plus labels. They come from four places:

* ``flowwire``: every registered transport (built-ins, ``register_transport`` and the
  ``flowwire.codecs`` entry points), through ``serialize_result`` / ``deserialize_result``; for
  call payloads also through ``serialize_arguments`` / ``deserialize_arguments`` (``... args``).
  Transports run with ``max_payload_chars=None`` so 1 MiB payloads fit, except offload
  combinations, which keep SWF's limit so that offloading happens exactly when it must. The
  binary built-ins run twice: with the default base64 armor and with ``armor="latin-1"``
  (``flowwire msgpack latin-1``), the armor for engines that carry any text.
* ``stages``: transports with stage combinations (zstd, AES-GCM, offload to a local directory),
  when the stage modules and their optional dependencies import, and ``msgpack`` with every
  third-party stage registered with ``register_stage`` (built without options).
* ``codec``: the built-in codecs alone (``codec.encode`` / ``codec.decode``: no envelope, no
  armor, no type rebuilding), to separate codec cost from transport cost.
* ``peer`` / ``reference``: the raw libraries the codecs build on (orjson, msgpack,
  protobuf) and a memory copy, from :mod:`flowwire.benchmark.references`.

Comparisons with other libraries are not built here: the repository's ``bench/run.py`` makes
:class:`Candidate` objects of its own peer modules and passes them to the same runner.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from flowwire.transport import (
    Stage,
    Transport,
    available_stages,
    available_transports,
    builtin_codecs,
    get_codec,
    get_stage,
    get_transport,
)

__all__ = [
    "LATIN1_CODECS",
    "RAW_PEER",
    "STAGE_SETS",
    "UNTYPED_KINDS",
    "Candidate",
    "CandidateSet",
    "Skipped",
    "build_candidates",
]

#: The payload kinds untyped libraries run on (typed payloads need typed peers).
UNTYPED_KINDS = frozenset({"value", "call", "message"})

#: The raw library each built-in codec is compared with.
RAW_PEER = {"json": "orjson", "msgpack": "msgpack", "protobuf": "protobuf"}

#: Built-in binary codecs (by their traits) also measured with ``armor="latin-1"``
#: (``flowwire <name> latin-1``).
LATIN1_CODECS = tuple(builtin_codecs(text=False))

#: Stage combinations: ``default`` is a representative few, ``all`` every codec with each.
STAGE_SETS: dict[str, list[tuple[str, str]]] = {
    "none": [],
    "default": [
        ("json", "zstd"),
        ("msgpack", "zstd"),
        ("protobuf", "zstd"),
        ("msgpack", "aesgcm"),
        ("msgpack", "zstd+aesgcm"),
        ("msgpack", "offload"),
    ],
    "all": [
        (codec, stages)
        for codec in builtin_codecs()
        for stages in ("zstd", "aesgcm", "offload", "zstd+aesgcm", "zstd+aesgcm+offload")
    ],
}

_BUILTIN_STAGES = frozenset({"zstd", "aesgcm", "offload"})
_BENCH_KEY = bytes(range(32))  # a fixed AES-256 key: the benchmark encrypts nothing secret


@dataclass(frozen=True)
class Candidate:
    """One way of turning a value into a payload and back.

    ``decode(data, type_hint)`` receives the payload's type hint (``None`` for untyped
    payloads). ``kinds`` restricts the payload kinds it runs on (``None``: all). ``prepare``
    turns the payload's value into the candidate's own types once, before timing. ``normalize``
    maps a decoded value to the payload's form before the round-trip check (argument decoding
    returns ``(tuple, dict)`` for ``[args, kwargs]``). ``peer`` names the raw-library candidate
    this one is compared with.
    """

    name: str
    group: str
    library: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any, Any], Any]
    note: str = ""
    peer: str | None = None
    kinds: frozenset[str] | None = None
    normalize: Callable[[Any], Any] | None = None
    prepare: Callable[[Any], Any] | None = None


@dataclass
class Skipped:
    """A candidate that could not be built, and why."""

    name: str
    reason: str


@dataclass
class CandidateSet:
    """What :func:`build_candidates` found: the candidates to run and those it skipped."""

    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _result_candidate(name: str, transport: Transport, group: str, peer: str | None) -> Candidate:
    def decode(payload: Any, hint: Any) -> Any:
        if hint is None:
            return transport.deserialize_result(payload)
        return transport.deserialize_result(payload, type_hint=hint)

    return Candidate(
        name=name,
        group=group,
        library="flowwire",
        encode=transport.serialize_result,
        decode=decode,
        note="serialize_result / deserialize_result",
        peer=peer,
    )


def _arguments_candidate(name: str, transport: Transport, peer: str | None) -> Candidate:
    def encode(value: Any) -> str:
        return transport.serialize_arguments(value[0], value[1])

    def decode(payload: Any, hint: Any) -> Any:
        return transport.deserialize_arguments(payload)

    return Candidate(
        name=f"{name} args",
        group="flowwire",
        library="flowwire",
        encode=encode,
        decode=decode,
        note="serialize_arguments / deserialize_arguments",
        peer=peer,
        kinds=frozenset({"call"}),
        normalize=lambda decoded: [list(decoded[0]), decoded[1]],
    )


def _make_transport(name: str, **options: Any) -> Transport:
    try:
        return get_transport(name, **options)
    except TypeError:  # a third-party transport without these options
        return get_transport(name)


def _transports(out: CandidateSet) -> None:
    for name in available_transports():
        try:
            transport = _make_transport(name, max_payload_chars=None)
        except Exception as exc:
            out.skipped.append(Skipped(f"flowwire {name}", f"{type(exc).__name__}: {exc}"))
            continue
        peer = RAW_PEER.get(name)
        out.candidates.append(_result_candidate(f"flowwire {name}", transport, "flowwire", peer))
        out.candidates.append(_arguments_candidate(f"flowwire {name}", transport, peer))
        if name in LATIN1_CODECS:  # the same transport with the armor for in-memory engines
            latin1 = get_transport(name, max_payload_chars=None, armor="latin-1")
            label = f"flowwire {name} latin-1"
            out.candidates.append(_result_candidate(label, latin1, "flowwire", peer))
            out.candidates.append(_arguments_candidate(label, latin1, peer))


def _stage(name: str, stack: ExitStack) -> Stage:
    from flowwire.transport import stages

    if name == "zstd":
        return stages.Zstd()
    if name == "aesgcm":
        return stages.AESGCM(key=_BENCH_KEY, key_id="bench")
    if name == "offload":
        root = stack.enter_context(tempfile.TemporaryDirectory(prefix="flowwire-bench-"))
        return stages.Offload(stages.LocalDirectoryStore(root))
    return get_stage(name)  # a third-party stage that needs no options


#: What the stage candidates may decompress: the largest built-in payloads are 1 MiB of data.
_DECODED_LIMIT = 64 << 20


def _stage_transports(out: CandidateSet, combos: list[tuple[str, str]], stack: ExitStack) -> None:
    for codec, stage_names in combos:
        label = f"flowwire {codec}+{stage_names}"
        try:
            stage_list = [_stage(s, stack) for s in stage_names.split("+")]
            # offload keeps SWF's limit: it must offload exactly what would not fit
            limit = {} if "offload" in stage_names else {"max_payload_chars": None}
            # the 1 MiB payloads decompress past the default max_decoded_bytes (1 MiB)
            transport = get_transport(
                codec, stages=stage_list, max_decoded_bytes=_DECODED_LIMIT, **limit
            )
        except Exception as exc:  # ImportError, ConfigurationError naming the extra
            out.skipped.append(Skipped(label, f"{type(exc).__name__}: {exc}"))
            continue
        out.candidates.append(_result_candidate(label, transport, "stages", RAW_PEER.get(codec)))


def _third_party_stages() -> list[tuple[str, str]]:
    """``msgpack`` with each registered stage that is not built in (``register_stage``)."""
    return [("msgpack", name) for name in available_stages() if name not in _BUILTIN_STAGES]


def _codecs(out: CandidateSet) -> None:
    for name in builtin_codecs():
        try:
            codec = get_codec(name)
        except Exception as exc:
            out.skipped.append(Skipped(f"codec {name}", f"{type(exc).__name__}: {exc}"))
            continue

        def decode(data: Any, hint: Any, _decode: Callable[[Any], Any] = codec.decode) -> Any:
            return _decode(data)

        out.candidates.append(
            Candidate(
                name=f"codec {name}",
                group="codec",
                library="flowwire",
                encode=codec.encode,
                decode=decode,
                note="codec.encode / codec.decode: no envelope, no armor",
                peer=RAW_PEER[name],
                kinds=frozenset({"value", "call"}),
            )
        )


def _references(out: CandidateSet) -> None:
    from flowwire.benchmark.references import reference_candidates

    out.candidates.extend(reference_candidates())


def build_candidates(
    stack: ExitStack,
    *,
    stages: str = "default",
    include_codecs: bool = True,
    include_references: bool = True,
) -> CandidateSet:
    """Every candidate for a run. Temporary resources (the offload directory) are registered on
    ``stack`` and removed when it closes. Candidates that cannot be built are listed in
    ``skipped`` with the reason; building never raises for a missing optional dependency.

    Raises:
        KeyError: if ``stages`` is not one of :data:`STAGE_SETS`.
    """
    out = CandidateSet()
    _transports(out)
    combos = STAGE_SETS[stages]
    _stage_transports(out, combos + (_third_party_stages() if combos else []), stack)
    if include_codecs:
        _codecs(out)
    if include_references:
        _references(out)
    return out
