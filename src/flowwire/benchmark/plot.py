"""PNG charts with matplotlib (the ``bench`` extra): throughput per candidate and payload. Uses
the non-interactive Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowwire.benchmark.report import need
from flowwire.benchmark.runner import Result

__all__ = ["plot_throughput", "pyplot"]

_COLORS = {
    "flowwire": "#1f77b4",
    "stages": "#17becf",
    "codec": "#9467bd",
    "peer": "#7f7f7f",
    "reference": "#2ca02c",
}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend.

    Raises:
        ConfigurationError: if matplotlib is not installed, naming the ``bench`` extra.
    """
    matplotlib = need("matplotlib")
    matplotlib.use("Agg")
    return need("matplotlib.pyplot")


def _throughput_axes(ax: Any, payload: str, rows: list[Result]) -> None:
    rows = sorted(rows, key=lambda r: r.roundtrip_s or 0.0, reverse=True)
    names = [r.candidate + ("" if r.status == "ok" else " *") for r in rows]
    use_mb = all(r.nominal_size for r in rows) and rows[0].nominal_size >= 4096
    values = [(r.mb_per_s() if use_mb else r.ops_per_s) or 0.0 for r in rows]
    bars = ax.barh(names, values, color=[_COLORS.get(r.group, "#333333") for r in rows])
    ax.bar_label(bars, labels=[_short(v) for v in values], fontsize=6, padding=2)
    ax.set_xscale("log")
    ax.set_xlim(min(v for v in values if v > 0) / 3, max(values) * 4)
    ax.xaxis.set_major_formatter(need("matplotlib.ticker").FuncFormatter(lambda v, _: _short(v)))
    ax.set_xlabel("round trips (encode + decode): " + ("MB/s" if use_mb else "per second"))
    ax.set_title(f"{payload}: higher is better (log scale; * = value converted)", fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="x", which="both", alpha=0.3)
    patches = need("matplotlib.patches")
    groups = sorted({r.group for r in rows}, key=list(_COLORS).index)
    ax.legend(
        handles=[patches.Patch(color=_COLORS[g], label=g) for g in groups],
        fontsize=7,
        loc="lower right",
    )


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def plot_throughput(results: list[Result], out_dir: str | Path) -> list[Path]:
    """One PNG per payload (``throughput-<payload>.png``): round-trip throughput per
    candidate, on a log scale, coloured by group. Returns the written paths."""
    plt = pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_payload: dict[str, list[Result]] = {}
    for r in results:
        if r.timed:
            by_payload.setdefault(r.payload, []).append(r)
    written = []
    for payload, rows in by_payload.items():
        fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.4))
        _throughput_axes(ax, payload, rows)
        fig.tight_layout()
        path = out / f"throughput-{payload}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
