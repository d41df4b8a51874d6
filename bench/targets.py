"""The transport core's performance targets, checked on a run's results.

These are bench ratios (same run, medians), never timed tests. Each :class:`Target` states the
measured ratio, the limit and whether it is met; a target whose candidates did not run is
reported as not measured.

=====================================================  ==========================================
target                                                 ratio (round trip = encode + decode)
=====================================================  ==========================================
json transport, record, vs raw orjson                  <= 1.5
msgpack transport, record, vs raw msgpack              <= 1.5
json transport, tiny call (arguments), vs orjson       <= 2.5 (on ``[args, kwargs]``)
msgpack transport, tiny call (arguments), vs msgpack   <= 3
protobuf transport, record, vs raw msgpack             <= 4
msgpack / protobuf, 1 MiB bytes, speed vs memory copy  >= 0.25 (transport, and codec alone)
=====================================================  ==========================================

The typed values' targets (payload ``typed``, the ``Order`` dataclasses; issue 15), each in
one direction:

=====================================================  ==========================================
json decode into ``Order`` vs pydantic validate_json   <= 1.0 (decode time)
json decode into ``Order`` vs msgspec (Struct)         <= 3 (decode time)
json encode of ``Order`` vs pydantic dump_json         <= 1.0 (encode time)
protobuf typed decode vs json typed decode             <= 1.5 (decode time)
protobuf arguments of a record vs raw msgpack          <= 3 (decode time, payload ``record_call``)
=====================================================  ==========================================

The binary transports' targets are measured twice: with the default base64 armor (safe in
any string field, SWF's included) and with ``armor="latin-1"`` (one character per byte, for
engines that carry any text, such as the local engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowwire.benchmark.report import fmt_ratio, fmt_time, need
from flowwire.benchmark.runner import Result, ratio

__all__ = [
    "TRANSPORT_TABLE_CANDIDATES",
    "Target",
    "render_transport_table",
    "transport_targets",
    "typed_targets",
]

#: The candidates issue 2's table compares (exact names).
TRANSPORT_TABLE_CANDIDATES = (
    "flowwire json",
    "flowwire json args",
    "flowwire msgpack",
    "flowwire msgpack args",
    "flowwire protobuf",
    "flowwire protobuf args",
    "flowwire msgpack latin-1",
    "flowwire msgpack latin-1 args",
    "flowwire protobuf latin-1",
    "flowwire protobuf latin-1 args",
    "codec json",
    "codec msgpack",
    "codec protobuf",
    "orjson",
    "msgpack",
    "protobuf",
    "memcopy",
)


@dataclass(frozen=True)
class Target:
    """One target: ``value`` is the measured ratio (``None``: not measured); ``at_most``
    tells whether ``limit`` is an upper (time ratio) or a lower (speed ratio) bound."""

    name: str
    payload: str
    candidate: str
    reference: str
    value: float | None
    limit: float
    at_most: bool

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.at_most else self.value >= self.limit


def _rows(results: list[Result]) -> dict[tuple[str, str], Result]:
    return {(r.payload, r.candidate): r for r in results}


def transport_targets(results: list[Result]) -> list[Target]:
    """The targets of the transport core issue, measured on ``results``."""
    rows = _rows(results)

    def time_ratio(
        name: str, payload: str, cand: str, ref: str, limit: float, attr: str = "roundtrip_s"
    ) -> Target:
        value = (
            ratio(rows[(payload, cand)], rows.get((payload, ref)), attr)
            if (payload, cand) in rows
            else None
        )
        return Target(name, payload, cand, ref, value, limit, at_most=True)

    def speed(name: str, cand: str) -> Target:
        mine, copy = rows.get(("bytes_1mib", cand)), rows.get(("bytes_1mib", "memcopy"))
        value = None
        if mine is not None and copy is not None and mine.timed and copy.timed:
            value = ratio(copy, mine)  # memcopy time / candidate time = relative speed
        return Target(name, "bytes_1mib", cand, "memcopy", value, 0.25, at_most=False)

    return [
        time_ratio("json record within 1.5x of orjson", "record", "flowwire json", "orjson", 1.5),
        time_ratio(
            "json tiny call within 2.5x of orjson", "tiny", "flowwire json args", "orjson", 2.5
        ),
        *(
            target
            for armor in ("", " latin-1")
            for target in (
                time_ratio(
                    f"msgpack{armor} record within 1.5x of msgpack",
                    "record",
                    f"flowwire msgpack{armor}",
                    "msgpack",
                    1.5,
                ),
                time_ratio(
                    f"msgpack{armor} tiny call within 3x of msgpack",
                    "tiny",
                    f"flowwire msgpack{armor} args",
                    "msgpack",
                    3,
                ),
                time_ratio(
                    f"protobuf{armor} record within 4x of msgpack",
                    "record",
                    f"flowwire protobuf{armor}",
                    "msgpack",
                    4,
                ),
                speed(
                    f"msgpack{armor} transport 1 MiB bytes >= 25% of memcopy",
                    f"flowwire msgpack{armor}",
                ),
                speed(
                    f"protobuf{armor} transport 1 MiB bytes >= 25% of memcopy",
                    f"flowwire protobuf{armor}",
                ),
            )
        ),
        speed("msgpack codec 1 MiB bytes >= 25% of memcopy", "codec msgpack"),
        speed("protobuf codec 1 MiB bytes >= 25% of memcopy", "codec protobuf"),
        *typed_targets(results),
    ]


def typed_targets(results: list[Result]) -> list[Target]:
    """The typed values' targets (see the module docstring), measured on ``results``."""
    rows = _rows(results)

    def one_way(name: str, payload: str, cand: str, ref: str, limit: float, attr: str) -> Target:
        mine, theirs = rows.get((payload, cand)), rows.get((payload, ref))
        value = ratio(mine, theirs, attr) if mine is not None else None
        return Target(name, payload, cand, ref, value, limit, at_most=True)

    json, decode, encode = "flowwire json", "decode_s", "encode_s"
    return [
        one_way("json decode into Order <= 1x pydantic", "typed", json, "pydantic", 1.0, decode),
        one_way("json decode into Order <= 3x msgspec", "typed", json, "msgspec Struct", 3, decode),
        one_way("json encode of Order <= 1x pydantic", "typed", json, "pydantic", 1.0, encode),
        one_way(
            "protobuf typed decode <= 1.5x json", "typed", "flowwire protobuf", json, 1.5, decode
        ),
        one_way(
            "protobuf record arguments decode <= 3x msgpack",
            "record_call",
            "flowwire protobuf args",
            "msgpack",
            3,
            decode,
        ),
    ]


def render_targets(console: Any, targets: list[Target]) -> None:
    table = need("rich.table").Table(title="transport core targets", title_justify="left")
    for col in ("target", "measured", "limit", "met"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for t in targets:
        measured = "-" if t.value is None else f"{t.value:.2f}"
        limit = f"{'<=' if t.at_most else '>='} {t.limit:g}"
        met = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "not measured"}[t.met]
        table.add_row(t.name, measured, limit, met)
    console.print(table)


def render_transport_table(console: Any, results: list[Result]) -> None:
    """Issue 2's table: each built-in transport's encode and decode time next to its raw
    library's on the same value, with ratios, per payload."""
    rows = _rows(results)
    rich_table = need("rich.table")
    table = rich_table.Table(
        title="transports vs the raw library on the same value (ratios: time / raw time)",
        title_justify="left",
    )
    for col in ("payload", "transport", "encode", "decode", "raw", "raw encode", "raw decode"):
        table.add_column(col, justify="left" if col in ("payload", "transport", "raw") else "right")
    for col in ("x encode", "x decode", "x round trip", "x msgpack"):
        table.add_column(col, justify="right")
    payloads = list(dict.fromkeys(r.payload for r in results))
    for payload in payloads:
        for cand in TRANSPORT_TABLE_CANDIDATES:
            r = rows.get((payload, cand))
            if r is None or r.group not in ("flowwire", "codec") or not r.timed:
                continue
            raw = rows.get((payload, r.peer)) if r.peer else None
            raw_timed = raw is not None and raw.timed
            table.add_row(
                payload,
                cand,
                fmt_time(r.encode_s),
                fmt_time(r.decode_s),
                r.peer if raw_timed else f"({r.peer}: {raw.status if raw else 'absent'})",
                fmt_time(raw.encode_s if raw_timed and raw else None),
                fmt_time(raw.decode_s if raw_timed and raw else None),
                fmt_ratio(ratio(r, raw, "encode_s")),
                fmt_ratio(ratio(r, raw, "decode_s")),
                fmt_ratio(ratio(r, raw)),
                fmt_ratio(ratio(r, rows.get((payload, "msgpack")))),
            )
        table.add_section()
    console.print(table)
