"""The payload shapes the benchmarks send through every candidate, and user payloads.

Every built-in shape is deterministic (a fixed seed), so two runs measure the same values:

=============  ==============================================================================
name           value
=============  ==============================================================================
``tiny``       a task call ``("hello", 42), {"flag": True}`` as ``[args, kwargs]``
``record``     one ~20-field customer record: str, int, float, bool, None, a short list and a
               nested dict of three fields
``batch``      a list of 1,000 such records (all different)
``bytes_1mib`` 1 MiB of random (incompressible) bytes
``text_1mib``  1 MiB (UTF-8) of prose-like text, mostly ASCII with some accented words
``protobuf``   a typed protobuf message (:mod:`flowwire.benchmark.order_message`), decoded back
               to its class from the type hint
``record_call`` a task call with one record as its argument: ``[[record], {}]``
``typed``      the typed ``Order`` (:mod:`flowwire.benchmark.typed_order`: nested dataclasses, a
               datetime, Decimal amounts, an enum), decoded from its type hint
=============  ==============================================================================
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import orjson

from flowwire.errors import ConfigurationError

__all__ = ["BUILTIN_PAYLOADS", "MIB", "Payload", "builtin_payloads", "load_payload", "record"]

MIB = 1 << 20
_SEED = 20240611


@dataclass(frozen=True)
class Payload:
    """One value to benchmark.

    ``kind`` is ``"value"`` (sent as a task result), ``"call"`` (``[args, kwargs]``: also sent
    as task arguments), ``"message"`` (a protobuf message, decoded with ``type_hint``) or
    ``"typed"`` (a typed value, decoded with ``type_hint``; only typed peers run on it).
    ``nominal_size`` is the size in bytes that MB/s figures are computed from (see
    :func:`nominal_size`), the same for every candidate.
    """

    name: str
    value: Any
    description: str
    kind: str = "value"
    type_hint: Any = None
    nominal_size: int = field(default=0)


_FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances"]
_LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie"]
_CITIES = [("Berlin", "DE"), ("Lyon", "FR"), ("Porto", "PT"), ("Austin", "US"), ("Kyoto", "JP")]
_TAGS = ["new", "vip", "newsletter", "b2b", "trial", "churn-risk", "referral", "beta"]
_PLANS = ["free", "starter", "pro", "enterprise"]


def record(i: int, rng: random.Random | None = None) -> dict[str, Any]:
    """The ``i``-th ~20-field customer record (deterministic for a given ``rng`` state)."""
    rng = rng or random.Random(_SEED + i)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, country = rng.choice(_CITIES)
    day = 1 + i % 28
    return {
        "id": 100_000 + i,
        "uuid": f"{rng.getrandbits(128):032x}",
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "active": rng.random() < 0.8,
        "verified": rng.random() < 0.5,
        "age": rng.randint(18, 90),
        "score": round(rng.uniform(0, 100), 3),
        "balance": round(rng.uniform(-500, 25_000), 2),
        "ratio": rng.random(),
        "visits": rng.randint(0, 5_000),
        "plan": rng.choice(_PLANS),
        "country": country,
        "created_at": f"2024-03-{day:02d}T{i % 24:02d}:15:30.123456+00:00",
        "updated_at": None if i % 3 else f"2024-04-{day:02d}T08:00:00+00:00",
        "referrer": None,
        "tags": rng.sample(_TAGS, 3),
        "address": {
            "street": f"{rng.randint(1, 200)} Main Street",
            "postcode": "10115",
            "city": city,
        },
        "notes": "prefers email; call after 5pm" if i % 4 == 0 else "",
        "discount": 0.0 if i % 2 else 0.15,
    }


_WORDS = (
    "the workflow schedules each activity once its arguments are known and replays "
    "history to decide what happens next while payloads travel as strings through "
    "the engine café naïve déjà vu Straße résumé"
)


def _text(size: int, rng: random.Random) -> str:
    words = [*_WORDS.split()]
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18))).capitalize()
        sentence += ". " if rng.random() < 0.9 else ".\n\n"
        parts.append(sentence)
        total += len(sentence.encode())
    text = "".join(parts).encode()[:size].decode("utf-8", "ignore")  # drops a cut character
    return text + " " * (size - len(text.encode()))


def nominal_size(value: Any) -> int:
    """Bytes of ``value`` for MB/s figures: the serialized size of a protobuf message, else the
    size of its plain MessagePack encoding (close to the raw data size for bytes and text),
    else of its JSON encoding, else 0 (then no MB/s is reported)."""
    serialize = getattr(value, "SerializeToString", None)
    if serialize is not None:
        return len(serialize())
    try:
        return len(msgpack.packb(value, use_bin_type=True))
    except Exception:
        try:
            return len(orjson.dumps(value))
        except Exception:
            return 0


def _payload(name: str, value: Any, description: str, **extra: Any) -> Payload:
    return Payload(name, value, description, nominal_size=nominal_size(value), **extra)


def _tiny() -> Payload:
    return _payload(
        "tiny", [["hello", 42], {"flag": True}], 'call ("hello", 42), {"flag": True}', kind="call"
    )


def _record() -> Payload:
    return _payload("record", record(0), "one ~20-field record")


def _batch() -> Payload:
    return _payload("batch", [record(i) for i in range(1000)], "1,000 records")


def _bytes() -> Payload:
    return _payload("bytes_1mib", random.Random(_SEED).randbytes(MIB), "1 MiB random bytes")


def _text_payload() -> Payload:
    return _payload("text_1mib", _text(MIB, random.Random(_SEED)), "1 MiB UTF-8 text")


def _protobuf() -> Payload:
    from flowwire.benchmark.order_message import Order, make_order

    return _payload(
        "protobuf", make_order(), "typed protobuf Order (12 items)", kind="message", type_hint=Order
    )


def _record_call() -> Payload:
    return _payload("record_call", [[record(0)], {}], "call with one record", kind="call")


def _typed() -> Payload:
    from flowwire.benchmark.typed_order import Order, make_typed_order

    return _payload(
        "typed",
        make_typed_order(),
        "typed Order dataclasses (12 items)",
        kind="typed",
        type_hint=Order,
    )


#: Built-in payload names, in display order, with their factories.
BUILTIN_PAYLOADS: dict[str, Callable[[], Payload]] = {
    "tiny": _tiny,
    "record": _record,
    "batch": _batch,
    "bytes_1mib": _bytes,
    "text_1mib": _text_payload,
    "protobuf": _protobuf,
    "record_call": _record_call,
    "typed": _typed,
}


def builtin_payloads(names: list[str] | None = None) -> list[Payload]:
    """The built-in payloads (all, or those named, in the given order).

    Raises:
        ConfigurationError: for an unknown name (the message lists the known ones).
    """
    chosen = list(BUILTIN_PAYLOADS) if names is None else names
    unknown = [n for n in chosen if n not in BUILTIN_PAYLOADS]
    if unknown:
        raise ConfigurationError(
            f"unknown payload {unknown[0]!r} (built-in payloads: {', '.join(BUILTIN_PAYLOADS)})"
        )
    return [BUILTIN_PAYLOADS[n]() for n in chosen]


def load_payload(spec: str) -> Payload:
    """A user payload from ``spec``: a path to a JSON file, or ``module:function`` naming a
    function that takes no arguments and returns the value (a protobuf message is benchmarked
    as a typed message).

    Raises:
        ConfigurationError: if the file cannot be read or parsed, the module or function cannot
            be found, or the function fails; the message names the spec.
    """
    path = Path(spec)
    if path.is_file():
        try:
            value = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read payload file {spec!r}: {exc}") from exc
        return _payload(path.stem, value, f"JSON file {path.name}")
    module_name, sep, func_name = spec.partition(":")
    if not sep or not module_name or not func_name:
        raise ConfigurationError(
            f"payload {spec!r} is neither an existing JSON file nor 'module:function'"
        )
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load payload function {spec!r}: {exc}") from exc
    try:
        value = func()
    except Exception as exc:
        raise ConfigurationError(f"payload function {spec!r} raised {exc!r:.200}") from exc
    if hasattr(value, "SerializeToString") and hasattr(value, "DESCRIPTOR"):
        return _payload(
            func_name, value, f"{spec} (protobuf)", kind="message", type_hint=type(value)
        )
    return _payload(func_name, value, spec)
