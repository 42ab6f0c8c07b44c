"""The timeline strip at the top of the main screen: failures per hour or per day, by category.

One sparkline row per category on a shared scale (a single failure still shows), colours as in
the html report's chart so a colour means the same cause everywhere.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from logdoctor.render.chart import category_color
from logdoctor.tui.data import Granularity, TimelineData, spark, squeeze

LABEL_WIDTH = 30
TOTAL_WIDTH = 7
MAX_ROWS = 6


def _stamp(ts: datetime, granularity: Granularity) -> str:
    return ts.strftime("%Y-%m-%d %H:%M" if granularity == "hour" else "%Y-%m-%d")


def render_timeline(
    data: TimelineData | None, granularity: Granularity, width: int, max_rows: int = MAX_ROWS
) -> Text:
    """The strip as rich Text (category names are data: never markup)."""
    per = "hour" if granularity == "hour" else "day"
    other = "day" if granularity == "hour" else "hour"
    if data is None:
        return Text.assemble(
            (f"Failures per {per}", "bold"), ("  none in this range", "dim"), no_wrap=True
        )
    bars = max(width - LABEL_WIDTH - TOTAL_WIDTH - 1, 4)
    span = len(data.starts)
    # Few buckets get several characters each, so a week of days still reads as a chart.
    widen = max(1, min(bars // span, 8)) if span else 1
    columns = {c: squeeze(data.series(c), bars) for c in data.categories}
    peak = max((max(v, default=0) for v in columns.values()), default=0)
    joined = -(-span // bars) if span > bars else 1
    step = f"{joined} {per}s" if joined > 1 else per
    first, last = _stamp(data.starts[0], granularity), _stamp(data.starts[-1], granularity)
    out = Text(no_wrap=True, overflow="crop")
    out.append(f"Failures per {per}", style="bold")
    out.append(f"  {first} to {last}, one column per {step}, peak {peak}  (t: per {other})")
    shown = data.categories[:max_rows]
    for category in shown:
        out.append("\n")
        out.append(f"{category[: LABEL_WIDTH - 1]:<{LABEL_WIDTH}}")
        bar = "".join(ch * widen for ch in spark(columns[category], peak))
        out.append(bar, style=category_color(category))
        out.append(f" {data.total(category):>{TOTAL_WIDTH - 1},}")
    hidden = data.categories[max_rows:]
    if hidden:
        total = sum(data.total(c) for c in hidden)
        out.append("\n")
        out.append(f"... {len(hidden)} more categories, {total:,} failures", style="dim")
    return out


class Timeline(Widget):
    """Shows `render_timeline` for the current data at the widget's width."""

    DEFAULT_CSS = """
    Timeline {
        height: auto;
        max-height: 9;
        padding: 0 1;
        border-bottom: solid $primary-darken-2;
    }
    """

    granularity: reactive[Granularity] = reactive("hour")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: TimelineData | None = None

    def show(self, data: TimelineData | None, granularity: Granularity) -> None:
        self.data = data
        self.granularity = granularity
        self.refresh(layout=True)

    def render(self) -> Text:
        width = max(self.size.width, 20)
        return render_timeline(self.data, self.granularity, width)
