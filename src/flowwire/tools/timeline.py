"""An execution as a picture: every task a bar on a time axis (``--timeline out.svg``).

The drawing is built from a small engine-neutral model, so any engine can feed it:

* :class:`TimelineRow`: one task attempt (an activity, a child workflow, a timer, a decision
  task) with its ``key``, a ``label``, its ``kind``, when it was ``scheduled``, ``started`` and
  ``ended`` (seconds since the epoch; ``None`` when it has not happened) and its ``outcome``
  (one of :data:`OUTCOMES`), plus a free-text ``detail`` (a failure reason, a timeout type).
* :class:`Timeline`: the rows of one execution with its title, start, end and status.

**The source interface.** A history source is anything that returns a :class:`Timeline`
(:class:`TimelineSource`): read your engine's events in order, open a row when a task is
scheduled, fill ``started``/``ended``/``outcome`` from the events that answer it, one row per
attempt (a retry is a new row, its key names the retry). The SWF source is
:func:`flowwire.engines.swf.inspect.swf_timeline` (SWF's raw events carry ``eventTimestamp``);
the durable local engine plugs in the same way by building rows from its stored events, and
then gets every renderer below for free.

Renderers: :func:`render_svg` (one inline SVG document, hover titles on every bar),
:func:`render_html` (a self-contained page around that SVG: no script, no server, no network),
:func:`render_png` (matplotlib, extra ``timeline``), and :func:`write_timeline`, which picks
one from the file name. What the picture shows: a lane of running-task counts over time (the
concurrency), then one row per task in order of scheduling, a pale bar while it waited to start
and a coloured bar while it ran, coloured by outcome (failures and timeouts stand out; a retry
is the next row with the same call and a higher retry number); decision tasks are ticks on a
lane of their own. Rows are 14 pixels high, so a few hundred tasks stay legible.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flowwire.errors import ConfigurationError

__all__ = [
    "COLORS",
    "KINDS",
    "OUTCOMES",
    "Timeline",
    "TimelineRow",
    "TimelineSource",
    "render_html",
    "render_png",
    "render_svg",
    "write_timeline",
]

#: What a row may stand for; ``decision`` rows are drawn on the decision lane.
KINDS = ("activity", "child workflow", "timer", "decision")
#: How a row may end (``running``: not yet).
OUTCOMES = (
    "completed",
    "failed",
    "timed out",
    "canceled",
    "schedule failed",
    "fired",
    "running",
)
#: Fill colour of a running bar by outcome (colour-blind-safe palette, Okabe-Ito).
COLORS = {
    "completed": "#0072b2",
    "failed": "#d55e00",
    "timed out": "#e69f00",
    "canceled": "#999999",
    "schedule failed": "#cc79a7",
    "fired": "#009e73",
    "running": "#56b4e9",
}
_WAITING = "#d9d9d9"


@dataclass(frozen=True)
class TimelineRow:
    """One task attempt; times in seconds since the epoch (``None``: not happened)."""

    key: str
    label: str
    kind: str
    scheduled: float
    started: float | None = None
    ended: float | None = None
    outcome: str = "running"
    detail: str = ""


@dataclass(frozen=True)
class Timeline:
    """The rows of one execution; ``ended`` is ``None`` while it is open."""

    title: str
    started: float
    ended: float | None
    status: str
    rows: tuple[TimelineRow, ...]

    @property
    def last(self) -> float:
        """The latest time the timeline knows of (its end, else its last row event)."""
        times = [self.started, *(t for r in self.rows for t in (r.scheduled, r.started, r.ended))]
        known = [t for t in times if t is not None]
        return self.ended if self.ended is not None else max(known)


class TimelineSource(Protocol):
    """What an engine provides to be drawn: the timeline of one execution."""

    def timeline(self) -> Timeline:
        """The execution's rows, read from its history."""
        ...


# -- geometry ---------------------------------------------------------------------------

_LABEL_WIDTH = 300
_PLOT_WIDTH = 900
_ROW = 14
_BAR = 10
_TOP = 52  # legend and axis
_LANE = 36  # concurrency lane
_DECISIONS = 14


def _step(span: float) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving at most 10 ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / 10
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def _seconds(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.4g} min"
    return f"{value:.3g} s" if value < 10 else f"{value:.4g} s"


def _tooltip(row: TimelineRow, origin: float) -> str:
    parts = [f"{row.key}: {row.label}", row.outcome]
    parts.append(f"scheduled +{_seconds(row.scheduled - origin)}")
    if row.started is not None:
        parts.append(f"started +{_seconds(row.started - origin)}")
    if row.ended is not None:
        parts.append(f"ended +{_seconds(row.ended - origin)}")
        if row.started is not None:
            parts.append(f"ran {_seconds(row.ended - row.started)}")
    if row.detail:
        parts.append(row.detail)
    return ", ".join(parts)


def _concurrency(rows: Sequence[TimelineRow], end: float) -> list[tuple[float, int]]:
    """``(time, tasks running from then on)`` steps of the non-decision rows."""
    changes: list[tuple[float, int]] = []
    for row in rows:
        if row.kind == "decision" or row.started is None:
            continue
        changes.append((row.started, 1))
        changes.append((row.ended if row.ended is not None else end, -1))
    changes.sort(key=lambda c: (c[0], c[1]))
    steps: list[tuple[float, int]] = []
    running = 0
    for time, delta in changes:
        running += delta
        if steps and steps[-1][0] == time:
            steps[-1] = (time, running)
        else:
            steps.append((time, running))
    return steps


def _ordered(rows: Iterable[TimelineRow]) -> tuple[list[TimelineRow], list[TimelineRow]]:
    tasks = sorted((r for r in rows if r.kind != "decision"), key=lambda r: r.scheduled)
    decisions = [r for r in rows if r.kind == "decision"]
    return tasks, decisions


def render_svg(timeline: Timeline) -> str:
    """The timeline as a standalone SVG document (see the module docstring)."""
    tasks, decisions = _ordered(timeline.rows)
    origin = timeline.started
    end = timeline.last
    span = max(end - origin, 1e-3)
    scale = _PLOT_WIDTH / span
    lanes_top = _TOP
    rows_top = lanes_top + _LANE + _DECISIONS + 8
    height = rows_top + _ROW * len(tasks) + 16
    width = _LABEL_WIDTH + _PLOT_WIDTH + 24

    def x(time: float) -> float:
        return _LABEL_WIDTH + (time - origin) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{html.escape(timeline.title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # legend
    legend_x = 8.0
    for name in (*OUTCOMES, "waiting"):
        color = COLORS.get(name, _WAITING)
        out.append(
            f'<rect x="{legend_x:.1f}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14:.1f}" y="15">{name}</text>'
        )
        legend_x += 22 + 6.2 * len(name)
    # axis and grid
    step = _step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        tx = x(origin + tick)
        out.append(
            f'<line x1="{tx:.1f}" y1="{_TOP - 14}" x2="{tx:.1f}" y2="{height - 12}" '
            'stroke="#eeeeee"/>'
            f'<text x="{tx:.1f}" y="{_TOP - 18}" text-anchor="middle" fill="#555555">'
            f"{_seconds(tick)}</text>"
        )
        tick += step
    # concurrency lane
    steps = _concurrency(tasks, end)
    peak = max((n for _, n in steps), default=0)
    out.append(
        f'<text x="8" y="{lanes_top + _LANE / 2 + 4:.1f}">running tasks (peak {peak})</text>'
    )
    if peak:
        base = lanes_top + _LANE - 2
        points = [f"{x(origin):.1f},{base:.1f}"]
        level = 0
        for time, running in steps:
            points.append(f"{x(time):.1f},{base - level * (_LANE - 6) / peak:.1f}")
            level = running
            points.append(f"{x(time):.1f},{base - level * (_LANE - 6) / peak:.1f}")
        points.append(f"{x(end):.1f},{base - level * (_LANE - 6) / peak:.1f}")
        points.append(f"{x(end):.1f},{base:.1f}")
        out.append(
            f'<polygon points="{" ".join(points)}" fill="#0072b2" fill-opacity="0.35" '
            'stroke="#0072b2" stroke-width="0.8"/>'
        )
    # decision lane
    decision_y = lanes_top + _LANE + 2
    out.append(f'<text x="8" y="{decision_y + 10}">decision tasks ({len(decisions)})</text>')
    for row in decisions:
        start = row.started if row.started is not None else row.scheduled
        stop = row.ended if row.ended is not None else end
        color = COLORS.get(row.outcome, COLORS["completed"])
        out.append(
            f'<rect x="{x(start):.1f}" y="{decision_y}" '
            f'width="{max(1.5, (stop - start) * scale):.1f}" '
            f'height="{_BAR}" fill="{color}" fill-opacity="0.6">'
            f"<title>{html.escape(_tooltip(row, origin))}</title></rect>"
        )
    # one row per task
    for index, row in enumerate(tasks):
        y = rows_top + index * _ROW
        if index % 2:
            out.append(f'<rect x="0" y="{y - 2}" width="{width}" height="{_ROW}" fill="#f7f7f7"/>')
        label = f"{row.key}  {row.label}"
        if len(label) > 48:
            label = label[:47] + "\u2026"
        out.append(f'<text x="8" y="{y + _BAR - 1}">{html.escape(label)}</text>')
        title = f"<title>{html.escape(_tooltip(row, origin))}</title>"
        running_from = row.started if row.started is not None else row.ended
        waited_until = running_from if running_from is not None else end
        if waited_until > row.scheduled:
            out.append(
                f'<rect x="{x(row.scheduled):.1f}" y="{y}" '
                f'width="{(waited_until - row.scheduled) * scale:.1f}" height="{_BAR}" '
                f'fill="{_WAITING}">{title}</rect>'
            )
        if row.started is not None:
            stop = row.ended if row.ended is not None else end
            color = COLORS.get(row.outcome, COLORS["completed"])
            out.append(
                f'<rect x="{x(row.started):.1f}" y="{y}" '
                f'width="{max(1.5, (stop - row.started) * scale):.1f}" height="{_BAR}" '
                f'fill="{color}">{title}</rect>'
            )
        elif row.ended is not None:  # ended without starting: a mark where it ended
            color = COLORS.get(row.outcome, COLORS["failed"])
            out.append(
                f'<rect x="{x(row.ended) - 2:.1f}" y="{y}" width="4" height="{_BAR}" '
                f'fill="{color}">{title}</rect>'
            )
    out.append("</svg>")
    return "\n".join(out)


def render_html(timeline: Timeline) -> str:
    """A self-contained HTML page: the title, a one-line summary and the inline SVG."""
    tasks, decisions = _ordered(timeline.rows)
    counts: dict[str, int] = {}
    for row in tasks:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    took = _seconds(timeline.last - timeline.started)
    status = "open" if timeline.ended is None else timeline.status.lower()
    title = html.escape(timeline.title)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
        "h1{font-size:1.2rem;margin:0 0 .3rem}p{margin:0 0 1rem;color:#555}"
        "svg{max-width:none}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n"
        f"<p>{status}, {took}: {len(tasks)} tasks ({html.escape(summary or 'none')}), "
        f"{len(decisions)} decision tasks. Hover a bar for its times.</p>\n"
        f"{render_svg(timeline)}\n</body>\n</html>\n"
    )


def render_png(timeline: Timeline, path: str | Path) -> None:
    """Draw the timeline into a PNG file with matplotlib.

    Raises:
        ConfigurationError: matplotlib is not installed (``pip install 'flowwire[timeline]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError as exc:
        raise ConfigurationError(
            f"a PNG timeline needs matplotlib: pip install 'flowwire[timeline]' ({exc}); "
            "an .svg or .html timeline needs nothing"
        ) from exc
    tasks, decisions = _ordered(timeline.rows)
    origin, end = timeline.started, timeline.last
    lanes = len(tasks) + 2
    figure, axes = plt.subplots(figsize=(12, max(3.0, 0.16 * lanes + 1.2)), dpi=100)
    for index, row in enumerate(tasks):
        y = len(tasks) - index
        running_from = row.started if row.started is not None else row.ended
        waited_until = running_from if running_from is not None else end
        if waited_until > row.scheduled:
            axes.barh(y, waited_until - row.scheduled, left=row.scheduled - origin,
                      height=0.7, color=_WAITING)  # fmt: skip
        color = COLORS.get(row.outcome, COLORS["completed"])
        if row.started is not None:
            stop = row.ended if row.ended is not None else end
            axes.barh(y, max(stop - row.started, (end - origin) / 600),
                      left=row.started - origin, height=0.7, color=color)  # fmt: skip
        elif row.ended is not None:  # ended without starting: a mark where it ended
            mark = (end - origin) / 250
            axes.barh(y, mark, left=row.ended - origin - mark / 2, height=0.7, color=color)
    for row in decisions:
        start = row.started if row.started is not None else row.scheduled
        stop = row.ended if row.ended is not None else end
        axes.barh(len(tasks) + 1, max(stop - start, (end - origin) / 600), left=start - origin,
                  height=0.7, color="#555555")  # fmt: skip
    labels = [f"{r.key}  {r.label}"[:48] for r in tasks]
    axes.set_yticks([*range(len(tasks), 0, -1), len(tasks) + 1])
    axes.set_yticklabels([*labels, f"decision tasks ({len(decisions)})"], fontsize=7)
    axes.set_xlabel("seconds since the execution started")
    axes.set_xlim(0, max(end - origin, 1e-3))
    axes.set_title(timeline.title, fontsize=10)
    axes.grid(axis="x", color="#eeeeee")
    patches = [Patch(color=COLORS[o], label=o) for o in OUTCOMES]
    axes.legend(
        handles=[*patches, Patch(color=_WAITING, label="waiting")],
        loc="upper center", bbox_to_anchor=(0.5, -0.6 / max(3.0, 0.16 * lanes + 1.2)),
        ncol=8, fontsize=7, frameon=False,
    )  # fmt: skip
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_timeline(timeline: Timeline, path: str | Path) -> str:
    """Write ``timeline`` to ``path`` in the format its suffix names (``.svg``, ``.html``,
    ``.png``); returns the format. Raises ConfigurationError for another suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".svg":
        Path(path).write_text(render_svg(timeline), encoding="utf-8")
    elif suffix in (".html", ".htm"):
        Path(path).write_text(render_html(timeline), encoding="utf-8")
    elif suffix == ".png":
        render_png(timeline, path)
    else:
        raise ConfigurationError(
            f"cannot write a timeline as {Path(path).name!r}: use a .svg, .html or .png file"
        )
    return suffix.lstrip(".")
