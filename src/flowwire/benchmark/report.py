"""Presenting results: the machine and versions, the JSON document, the rich tables.

``rich`` is imported only when a table is drawn; it is in the ``bench`` extra, and a missing
install raises :class:`~flowwire.ConfigurationError` naming ``pip install 'flowwire[bench]'``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from flowwire.benchmark.runner import Result, RunConfig, ratio
from flowwire.errors import ConfigurationError
from flowwire.transport import builtin_codecs

__all__ = ["environment", "need", "render_results", "results_document", "write_json"]

#: Distributions whose versions are recorded with every run (``environment`` takes more).
LIBRARIES = (
    "flowwire",
    "orjson",
    "msgpack",
    "protobuf",
    "pybase64",
    "zstandard",
    "cryptography",
    "rich",
    "matplotlib",
)


def need(module: str) -> Any:
    """Import an optional module of the ``bench`` extra.

    Raises:
        ConfigurationError: if it is not installed, naming the extra to install.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ConfigurationError(
            f"the benchmark needs {top!r} for this output: pip install 'flowwire[bench]'"
        ) from exc


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment(libraries: Iterable[str] = ()) -> dict[str, Any]:
    """The machine and library versions a result was measured on: those of
    :data:`LIBRARIES`, then of ``libraries`` (``None`` for one that is not installed)."""
    versions: dict[str, str | None] = {}
    for name in dict.fromkeys((*LIBRARIES, *libraries)):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "libraries": versions,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def _by_payload(results: Iterable[Result]) -> dict[str, dict[str, Result]]:
    table: dict[str, dict[str, Result]] = {}
    for r in results:
        table.setdefault(r.payload, {})[r.candidate] = r
    return table


#: Baselines tried, in order, when the chosen one cannot carry a payload (typed messages).
FALLBACK_BASELINES = ("protobuf", "orjson")


def baseline_for(row: dict[str, Result], baseline: str) -> Result | None:
    """The baseline result of one payload's row: ``baseline`` if it was timed, else the first
    timed one of :data:`FALLBACK_BASELINES`, else ``None``."""
    for name in (baseline, *FALLBACK_BASELINES):
        found = row.get(name)
        if found is not None and found.timed:
            return found
    return None


def _result_dict(r: Result, row: dict[str, Result], baseline: str) -> dict[str, Any]:
    peer = row.get(r.peer) if r.peer else None
    base = baseline_for(row, baseline)
    return {
        "payload": r.payload,
        "candidate": r.candidate,
        "group": r.group,
        "library": r.library,
        "status": r.status,
        "note": r.note,
        "encoded_size": r.size,
        "nominal_size": r.nominal_size,
        "encode_s": r.encode_s,
        "decode_s": r.decode_s,
        "roundtrip_s": r.roundtrip_s,
        "ops_per_s": r.ops_per_s,
        "mb_per_s": r.mb_per_s(),
        "encode_mb_per_s": r.mb_per_s(r.encode_s),
        "decode_mb_per_s": r.mb_per_s(r.decode_s),
        "peer": r.peer,
        "ratio_to_peer": ratio(r, peer),
        "encode_ratio_to_peer": ratio(r, peer, "encode_s"),
        "decode_ratio_to_peer": ratio(r, peer, "decode_s"),
        "baseline": base.candidate if base else None,
        "ratio_to_baseline": ratio(r, base),
        "encode_samples": r.encode_samples,
        "decode_samples": r.decode_samples,
    }


def results_document(
    results: list[Result],
    *,
    config: RunConfig,
    baseline: str,
    payloads: list[dict[str, Any]],
    skipped: list[dict[str, str]],
) -> dict[str, Any]:
    """Everything a run measured, as plain JSON-ready data (times in seconds per operation;
    ratios are this candidate's time over the other's, so > 1 means slower). The environment
    records the version of every candidate's library too."""
    rows = _by_payload(results)
    return {
        "format": "flowwire-bench/1",
        "environment": environment(r.library for r in results if r.library != "python"),
        "config": {"rounds": config.rounds, "min_time": config.min_time, "seed": config.seed},
        "baseline": baseline,
        "payloads": payloads,
        "skipped_candidates": skipped,
        "results": [_result_dict(r, rows[r.payload], baseline) for r in results],
    }


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Write the document as indented JSON (parent directories created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return out


def fmt_time(seconds: float | None) -> str:
    """Seconds per operation as a short human figure (ns, µs, ms)."""
    if seconds is None:
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def fmt_count(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def render_results(console: Any, results: list[Result], *, baseline: str) -> None:
    """Print one rich table per payload: times, throughput, size and ratios."""
    rich_table = need("rich.table")
    for name, row in _by_payload(results).items():
        base = baseline_for(row, baseline)
        title = f"payload: {name}  (x base = round trip / {base.candidate if base else '-'})"
        table = rich_table.Table(title=title, title_justify="left")
        for col in ("candidate", "encode", "decode", "round trip", "ops/s", "MB/s", "size"):
            table.add_column(col, justify="left" if col == "candidate" else "right", no_wrap=True)
        table.add_column("x base", justify="right", no_wrap=True)
        table.add_column("x raw lib", justify="right", no_wrap=True)
        notes: list[str] = []
        for r in row.values():
            if not r.timed:
                notes.append(f"{r.candidate}: {r.status} ({r.note})")
                continue
            label = r.candidate if r.status == "ok" else f"{r.candidate} *"
            if r.status != "ok":
                notes.append(f"{r.candidate}: {r.status}: {r.note}")
            peer = row.get(r.peer) if r.peer else None
            mbps = r.mb_per_s()
            table.add_row(
                label,
                fmt_time(r.encode_s),
                fmt_time(r.decode_s),
                fmt_time(r.roundtrip_s),
                fmt_count(r.ops_per_s),
                "-" if mbps is None else f"{mbps:.3g}",
                f"{r.size:,}" if r.size is not None else "-",
                fmt_ratio(ratio(r, base)),
                fmt_ratio(ratio(r, peer)) + (f" ({r.peer})" if ratio(r, peer) else ""),
            )
        console.print(table)
        for note in notes:
            console.print(f"  [dim]{note}[/dim]")


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(document: dict[str, Any]) -> str:
    """Markdown tables from a results document (:func:`results_document`): one table per
    payload, then for each built-in transport a table of its round-trip ratio to every peer
    (one row per peer, one column per payload)."""
    out: list[str] = []
    results = document["results"]
    payloads = [p["name"] for p in document["payloads"]]
    for name in payloads:
        rows = [r for r in results if r["payload"] == name]
        base = next((r["baseline"] for r in rows if r.get("baseline")), None)
        out += [f"**{name}** (x base: round trip / {base or '-'})", ""]
        header = ["candidate", "encode", "decode", "round trip", "MB/s", "size", "x base"]
        out += [_md_row([*header, "x raw lib"]), _md_row(["---"] + ["---:"] * 7)]
        for r in rows:
            if r["roundtrip_s"] is None:
                continue
            mark = "" if r["status"] == "ok" else " \\*"
            peer = r["ratio_to_peer"]
            out.append(
                _md_row(
                    [
                        r["candidate"] + mark,
                        fmt_time(r["encode_s"]),
                        fmt_time(r["decode_s"]),
                        fmt_time(r["roundtrip_s"]),
                        "-" if r["mb_per_s"] is None else f"{r['mb_per_s']:.3g}",
                        "-" if r["encoded_size"] is None else f"{r['encoded_size']:,}",
                        fmt_ratio(r["ratio_to_baseline"]),
                        fmt_ratio(peer) + (f" ({r['peer']})" if peer else ""),
                    ]
                )
            )
        notes = [f"{r['candidate']}: {r['status']}: {r['note']}" for r in rows if r["note"]]
        out += [""] + [f"- {n}" for n in notes] + [""]
    peers = list(
        dict.fromkeys(r["candidate"] for r in results if r["group"] in ("peer", "reference"))
    )
    out += [
        "**Round-trip ratio of each transport to each peer** (< 1: flowwire is faster; "
        "\\* the peer converted the value), one table per transport so it fits a page",
        "",
    ]
    index = {(r["payload"], r["candidate"]): r for r in results}
    for transport in builtin_codecs():
        mine = {
            name: index[(name, f"flowwire {transport}")]
            for name in payloads
            if index.get((name, f"flowwire {transport}"), {}).get("roundtrip_s") is not None
        }
        if not mine:
            continue
        out += [f"`{transport}`:", "", _md_row(["peer", *mine])]
        out.append(_md_row(["---"] + ["---:"] * len(mine)))
        for peer in peers:
            cells = []
            for name, row in mine.items():
                theirs = index.get((name, peer))
                if theirs is None or theirs["roundtrip_s"] is None:
                    cells.append("n/a")
                else:
                    mark = "" if theirs["status"] == "ok" else " \\*"
                    cells.append(fmt_ratio(row["roundtrip_s"] / theirs["roundtrip_s"]) + mark)
            out.append(_md_row([peer, *cells]))
        out.append("")
    return "\n".join(out) + "\n"
