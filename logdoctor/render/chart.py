"""Failures over time as an inline SVG stacked bar chart, one colour per category.

Plain SVG text (no script, no external resource) so the HTML report stays one file that prints.
Every text that reaches the SVG goes through `markupsafe.escape`.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from markupsafe import Markup, escape

from logdoctor.report_model import TimelinePoint

Granularity = Literal["hour", "day", "week"]

# Fixed per category so a colour means the same cause in every report and every night.
# Families: TLS blues, authentication oranges, addresses greens, network reds and purples,
# throttling brown, Graph teals, unknown grey.
CATEGORY_COLORS: dict[str, str] = {
    "tls.implicit_on_plain_port": "#1f4e9c",
    "tls.starttls_on_implicit_port": "#3a78d0",
    "tls.starttls_not_offered": "#6a9de0",
    "tls.protocol_mismatch": "#0f2f66",
    "tls.certificate": "#5b5fc7",
    "tls.required": "#8fb6ee",
    "auth.bad_credentials": "#f08c00",
    "auth.app_password_required": "#ffa94d",
    "auth.web_login_required": "#fcc419",
    "auth.basic_disabled": "#b35900",
    "auth.required": "#e67700",
    "sender.rejected": "#2b8a3e",
    "recipient.rejected": "#51a85d",
    "relay.denied": "#1b5e20",
    "message.rejected": "#82c91e",
    "throttling": "#6f4e37",
    "network.timeout": "#c92a2a",
    "network.refused": "#e03131",
    "network.dns": "#862e9c",
    "network.filtering": "#ae3ec9",
    "graph.auth": "#0b7285",
    "graph.permission": "#1098ad",
    "graph.throttling": "#66d9e8",
    "unknown": "#868e96",
}
_SPARE = ("#5c940d", "#364fc7", "#a61e4d", "#495057", "#e67700", "#087f5b", "#9c36b5")

WIDTH = 760
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 44
LEGEND_ROW = 20
LEGEND_COLUMNS = 3
LEGEND_GAP = 16  # between the caption under the axis and the legend
MAX_LABELS = 8


def category_color(category: str) -> str:
    """The category's fixed colour; a category outside the contract gets a stable spare one."""
    known = CATEGORY_COLORS.get(category)
    if known is not None:
        return known
    return _SPARE[zlib.crc32(category.encode("utf-8")) % len(_SPARE)]


@dataclass(frozen=True, slots=True)
class Buckets:
    granularity: Granularity
    starts: tuple[datetime, ...]
    categories: tuple[str, ...]  # most failures first: the biggest share sits at the bottom
    counts: dict[tuple[datetime, str], int]

    def total(self, start: datetime) -> int:
        return sum(self.counts.get((start, c), 0) for c in self.categories)


def granularity_for(first: datetime, last: datetime) -> Granularity:
    """Hours for up to three days, days up to four months, weeks beyond."""
    if last - first <= timedelta(days=3):
        return "hour"
    if last - first <= timedelta(days=120):
        return "day"
    return "week"


def _floor(ts: datetime, granularity: Granularity) -> datetime:
    hour = ts.replace(minute=0, second=0, microsecond=0)
    if granularity == "hour":
        return hour
    day = hour.replace(hour=0)
    if granularity == "day":
        return day
    return day - timedelta(days=day.weekday())


def _step(granularity: Granularity) -> timedelta:
    return {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}[
        granularity
    ]


def bucket(timeline: Iterable[TimelinePoint]) -> Buckets | None:
    """Counts per bucket and category, with empty buckets filled in; None when nothing failed."""
    points = [p for p in timeline if p.count > 0]
    if not points:
        return None
    first = min(p.hour for p in points)
    last = max(p.hour for p in points)
    gran = granularity_for(first, last)
    counts: dict[tuple[datetime, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for p in points:
        counts[(_floor(p.hour, gran), p.category)] += p.count
        totals[p.category] += p.count
    starts = []
    cursor, end, step = _floor(first, gran), _floor(last, gran), _step(gran)
    while cursor <= end:
        starts.append(cursor)
        cursor += step
    categories = tuple(sorted(totals, key=lambda c: (-totals[c], c)))
    return Buckets(gran, tuple(starts), categories, dict(counts))


def _label(start: datetime, granularity: Granularity, with_date: bool) -> str:
    if granularity == "hour":
        return start.strftime("%m-%d %H:00" if with_date else "%H:00")
    if granularity == "day":
        return start.strftime("%Y-%m-%d")
    return "wk " + start.strftime("%Y-%m-%d")


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 5:
        return max(value, 1)
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude


def _caption(b: Buckets) -> str:
    last = b.starts[-1] + _step(b.granularity)
    fmt = "%Y-%m-%d %H:00" if b.granularity == "hour" else "%Y-%m-%d"
    return (
        f"Failures per {b.granularity} by category, "
        f"{b.starts[0].strftime(fmt)} to {last.strftime(fmt)}"
    )


def failure_chart_svg(timeline: Sequence[TimelinePoint]) -> Markup:
    """The chart as SVG markup, or a short paragraph when there is nothing to draw."""
    b = bucket(timeline)
    if b is None:
        return Markup('<p class="chart-empty">No failures to chart.</p>')
    totals = {c: sum(b.counts.get((s, c), 0) for s in b.starts) for c in b.categories}
    labels = {c: f"{c} ({totals[c]:,})" for c in b.categories}
    # About 6.5 px a character at 12 px: three columns only when the longest label fits.
    columns = LEGEND_COLUMNS if max(len(t) for t in labels.values()) <= 30 else 2
    legend_rows = -(-len(b.categories) // columns)
    height = HEIGHT + LEGEND_GAP + legend_rows * LEGEND_ROW
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top = _nice_max(max(b.total(s) for s in b.starts))
    slot = plot_w / len(b.starts)
    bar_w = min(max(slot * 0.8, 0.5), 48.0)
    caption = _caption(b)
    out: list[str] = [
        # HTML5 needs no xmlns on inline SVG; leaving it out keeps the file free of URLs.
        f'<svg class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{escape(caption)}">',
        f"<title>{escape(caption)}</title>",
    ]
    # y axis: 0, the top and the half when it is a whole number, with faint grid lines
    ticks = {0, top} | ({top // 2} if top % 2 == 0 else set())
    for value in sorted(ticks):
        y = TOP + plot_h - plot_h * value / top
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value}</text>'
        )
    for index, start in enumerate(b.starts):
        x = LEFT + index * slot + (slot - bar_w) / 2
        base = float(TOP + plot_h)
        for category in b.categories:
            count = b.counts.get((start, category), 0)
            if not count:
                continue
            h = plot_h * count / top
            base -= h
            tip = f"{_label(start, b.granularity, True)}  {category}: {count}"
            out.append(
                f'<rect x="{x:.2f}" y="{base:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
                f'fill="{category_color(category)}"><title>{escape(tip)}</title></rect>'
            )
    every = max(1, -(-len(b.starts) // MAX_LABELS))
    previous_day = None
    for index in range(0, len(b.starts), every):
        start = b.starts[index]
        with_date = start.date() != previous_day
        previous_day = start.date()
        x = LEFT + index * slot + slot / 2
        out.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="axis">'
            f"{escape(_label(start, b.granularity, with_date))}</text>"
        )
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'class="baseline"/>'
        f'<text x="{LEFT}" y="{TOP + plot_h + 34}" class="axis">{escape(caption)}</text>'
    )
    column_w = plot_w / columns
    for index, category in enumerate(b.categories):
        # filled row by row, so the biggest categories are read first
        y = HEIGHT + LEGEND_GAP + (index // columns) * LEGEND_ROW
        x = LEFT + (index % columns) * column_w
        out.append(
            f'<g class="legend-entry"><rect x="{x:.1f}" y="{y - 10}" width="12" height="12" '
            f'fill="{category_color(category)}"/>'
            f'<text x="{x + 18:.1f}" y="{y}" class="legend">{escape(labels[category])}</text></g>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))
