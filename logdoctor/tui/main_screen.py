"""The main screen: timeline, filters and search, the incident table, analysis progress."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from rich.console import JustifyMethod
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Select, Static
from textual.widgets.data_table import RowKey
from textual.worker import get_current_worker

from logdoctor.errors import LogdoctorError
from logdoctor.render import view
from logdoctor.render.text import SEVERITY_STYLE, STATUS_STYLE
from logdoctor.report_model import Analysis
from logdoctor.timespec import parse_when
from logdoctor.tui.data import (
    ALL,
    SORT_COLUMNS,
    STATUSES,
    UNMATCHED,
    Filters,
    Granularity,
    Item,
    SortColumn,
    apply_filters,
    categories_of,
    items_of,
    latest_time,
    severities_of,
    sort_items,
    timeline_data,
)
from logdoctor.tui.timeline import Timeline

COLUMN_LABELS: dict[SortColumn, str] = {
    "severity": "Severity",
    "category": "Category",
    "title": "Title",
    "count": "Count",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "status": "Status",
}
FIXED_WIDTHS: dict[SortColumn, int] = {
    "severity": 8,
    "category": 29,
    "count": 6,
    "status": 9,
}
MIN_TITLE = 20
MAX_TABLE_ROWS = 1000
SEARCH_DELAY_S = 0.25
# Above this many rows, filtering and sorting run in a worker (a fuzzy search over 70,000 rows
# takes about a second).
BACKGROUND_ROWS = 5000


def _cell(text: str, style: str = "", justify: JustifyMethod = "left") -> Text:
    # Cells are Text, never str: DataTable would read a str as markup.
    return Text(
        view.one_line(text, 300), style=style, no_wrap=True, overflow="ellipsis", justify=justify
    )


def time_format(items: list[Item]) -> str:
    """Drop the year when every time shown is in the same year: the table needs the room."""
    years = {
        ts.year
        for item in items
        for ts in (item.incident.first_seen, item.incident.last_seen)
        if ts is not None
    }
    return "%m-%d %H:%M" if len(years) <= 1 else "%Y-%m-%d %H:%M"


def default_granularity(analysis: Analysis) -> Granularity:
    hours = [p.hour for p in analysis.timeline if p.count > 0]
    if hours and max(hours) - min(hours) > timedelta(days=3):
        return "day"
    return "hour"


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("f", "focus_filters", "Filters"),
        Binding("c", "clear_filters", "Clear"),
        Binding("t", "toggle_timeline", "Hour/day"),
        Binding("s", "next_sort", "Sort"),
        Binding("r", "reverse_sort", "Reverse", show=False),
        Binding("e", "app.export", "Export"),
        Binding("escape", "back_to_table", "Back", show=False),
    ]

    DEFAULT_CSS = """
    MainScreen #filters { height: 1; margin: 0 0 1 0; }
    MainScreen #filters Select { width: 31; margin-right: 1; }
    MainScreen #filters #f-severity { width: 18; }
    MainScreen #filters #f-status { width: 16; }
    MainScreen #filters Input { width: 12; margin-right: 1; }
    MainScreen #filters #search { width: 1fr; margin-right: 0; }
    MainScreen #filters Input.-bad { color: $error; }
    MainScreen #progress-row { height: 1; padding: 0 1; }
    MainScreen #progress-row.-done { display: none; }
    MainScreen #progress { width: 50; }
    MainScreen #status { height: auto; padding: 0 1; }
    MainScreen #incidents { height: 1fr; }
    """

    def __init__(self, *, description: str = "") -> None:
        super().__init__()
        self.description = description
        self.analysis: Analysis | None = None
        self.items: tuple[Item, ...] = ()
        self.shown: list[Item] = []
        self.filters = Filters()
        self.sort_column: SortColumn | None = None
        self.sort_reverse = False
        self.granularity: Granularity = "hour"
        self.error: str | None = None
        self._ready = False
        self._search_timer: Timer | None = None
        self._pending: Analysis | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Timeline(id="timeline")
        with Horizontal(id="filters"):
            yield Select[str](
                [("all categories", ALL)],
                value=ALL,
                allow_blank=False,
                compact=True,
                id="f-category",
            )
            yield Select[str](
                [("all severities", ALL)],
                value=ALL,
                allow_blank=False,
                compact=True,
                id="f-severity",
            )
            yield Select[str](
                [("any status", ALL)] + [(s, s) for s in STATUSES],
                value=ALL,
                allow_blank=False,
                compact=True,
                id="f-status",
            )
            yield Input(placeholder="from", compact=True, id="f-since")
            yield Input(placeholder="to", compact=True, id="f-until")
            yield Input(
                placeholder="/ search titles, categories, hosts, messages",
                compact=True,
                id="search",
            )
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=None, show_eta=False, id="progress")
        yield Static(Text(self.description or "reading ...", style="dim"), id="status")
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True, id="incidents")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = "logdoctor"
        self.sub_title = "RuleManager email failures"
        self._build_table()
        self.query_one("#incidents", DataTable).focus()
        self._ready = True
        if self._pending is not None:
            self.set_analysis(self._pending)

    # Data in ------------------------------------------------------------------------------

    def set_progress(self, done: int, total: int, elapsed_s: float) -> None:
        bar = self.query_one("#progress", ProgressBar)
        # The reader reports bytes per file as it finishes each one: until then the bar pulses.
        bar.update(total=total if done > 0 else None, progress=done)
        mb = f", {done / 1e6:,.0f} of {total / 1e6:,.0f} MB" if done > 0 and total >= 1e6 else ""
        text = Text(
            f"{self.description}  analyzing ... {elapsed_s:,.0f} s{mb}".strip(), style="dim"
        )
        self.query_one("#status", Static).update(text)

    def set_analysis(self, analysis: Analysis, items: tuple[Item, ...] | None = None) -> None:
        if not self._ready:
            # Given before the screen is composed (fixed data): shown on mount.
            self._pending = analysis
            return
        self._pending = None
        self.analysis = analysis
        self.items = items if items is not None else items_of(analysis)
        self.granularity = default_granularity(analysis)
        self.query_one("#progress-row").add_class("-done")
        self._fill_selects()
        self.refresh_view()
        self.query_one("#incidents", DataTable).focus()

    def set_error(self, message: str) -> None:
        self.error = message
        self.query_one("#progress-row").add_class("-done")
        self.query_one("#status", Static).update(Text(message, style="bold red"))

    def _fill_selects(self) -> None:
        categories = self.query_one("#f-category", Select)
        categories.set_options(
            [("all categories", ALL)] + [(c, c) for c in categories_of(self.items)]
        )
        categories.value = ALL
        severities = self.query_one("#f-severity", Select)
        severities.set_options(
            [("all severities", ALL)] + [(s, s) for s in severities_of(self.items)]
        )
        severities.value = ALL

    # The view -----------------------------------------------------------------------------

    def current_item(self) -> Item | None:
        table = self.query_one("#incidents", DataTable)
        if not self.shown or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def refresh_view(self) -> None:
        if self.analysis is None:
            return
        if len(self.items) > BACKGROUND_ROWS:
            self._select_in_background(self.filters, self.sort_column, self.sort_reverse)
        else:
            self._show(self._select(self.filters, self.sort_column, self.sort_reverse))

    def _select(self, filters: Filters, column: SortColumn | None, reverse: bool) -> list[Item]:
        shown = apply_filters(self.items, filters)
        return sort_items(shown, column, reverse) if column is not None else shown

    @work(thread=True, exclusive=True, group="select")
    def _select_in_background(
        self, filters: Filters, column: SortColumn | None, reverse: bool
    ) -> None:
        shown = self._select(filters, column, reverse)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, shown)

    def _show(self, shown: list[Item]) -> None:
        assert self.analysis is not None
        keep = self.current_item()
        self.shown = shown
        self._build_table(keep)
        self._update_status()
        categories = {i.incident.category for i in shown} if self._narrowed() else None
        data = timeline_data(
            self.analysis.timeline,
            self.granularity,
            categories=categories,
            since=self.filters.since,
            until=self.filters.until,
        )
        self.query_one(Timeline).show(data, self.granularity)

    def _narrowed(self) -> bool:
        f = self.filters
        return any(v != ALL for v in (f.category, f.severity, f.status)) or bool(f.query.strip())

    def _update_status(self) -> None:
        assert self.analysis is not None
        out = Text()
        out.append(view.headline(self.analysis), style="bold")
        out.append("\n")
        out.append(view.read_line(self.analysis), style="dim")
        listed = min(len(self.shown), MAX_TABLE_ROWS)
        if listed != len(self.items):
            out.append("\n")
            hint = "c clears the filters" if listed == len(self.shown) else "filter or search"
            out.append(
                f"showing {listed:,} of {len(self.items):,} rows ({hint})",
                style="yellow",
            )
        self.query_one("#status", Static).update(out)

    def _widths(self) -> dict[SortColumn, int]:
        fmt = time_format(self.shown)
        time_width = len(datetime(2026, 11, 28, 10, 0).strftime(fmt))
        widths: dict[SortColumn, int] = dict(FIXED_WIDTHS)
        widths["first_seen"] = widths["last_seen"] = time_width
        table = self.query_one("#incidents", DataTable)
        # Two cells of padding per column and a scrollbar.
        used = sum(widths.values()) + 2 * len(SORT_COLUMNS) + 2
        widths["title"] = max(MIN_TITLE, table.size.width - used if table.size.width else 40)
        return widths

    def _build_table(self, keep: Item | None = None) -> None:
        """Rebuild the table; the cursor stays on `keep` when it is still shown."""
        table = self.query_one("#incidents", DataTable)
        table.clear(columns=True)
        widths = self._widths()
        for column in SORT_COLUMNS:
            label = COLUMN_LABELS[column]
            if column == self.sort_column:
                label += " v" if not self.sort_reverse else " ^"
            table.add_column(Text(label), width=widths[column], key=column)
        fmt = time_format(self.shown)
        # Tens of thousands of rows would take seconds to build and nobody scrolls them:
        # the most urgent first, and the status line says how to narrow down.
        for item in self.shown[:MAX_TABLE_ROWS]:
            i = item.incident
            first = i.first_seen.strftime(fmt) if i.first_seen else "?"
            last = i.last_seen.strftime(fmt) if i.last_seen else "?"
            status_style = "" if item.status == UNMATCHED else STATUS_STYLE.get(i.status, "")
            table.add_row(
                _cell(i.severity, SEVERITY_STYLE.get(i.severity, "")),
                _cell(i.category),
                _cell(i.title),
                _cell(f"{i.count:,}", justify="right"),
                _cell(first),
                _cell(last),
                _cell(item.status, status_style),
                key=item.key,
            )
        if keep is not None and keep in self.shown[:MAX_TABLE_ROWS]:
            table.move_cursor(row=self.shown.index(keep), animate=False)

    def on_resize(self) -> None:
        if self.analysis is not None:
            self._build_table(self.current_item())

    # Events -------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self._item_for(event.row_key)
        if item is not None:
            from logdoctor.tui.detail import DetailScreen

            self.app.push_screen(DetailScreen(item))

    def _item_for(self, key: RowKey) -> Item | None:
        for item in self.shown:
            if item.key == key.value:
                return item
        return None

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        for column in SORT_COLUMNS:
            if column == event.column_key.value:
                self.sort_by(column)

    def sort_by(self, column: SortColumn, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        self.refresh_view()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = str(event.value) if event.value is not Select.NULL else ALL
        field = {"f-category": "category", "f-severity": "severity", "f-status": "status"}.get(
            event.select.id or ""
        )
        if field is not None and getattr(self.filters, field) != value:
            self.filters = self.filters.with_(**{field: value})
            self.refresh_view()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "search":
            # Typing fast re-filters once, after the last key.
            if self._search_timer is not None:
                self._search_timer.stop()
            self._search_timer = self.set_timer(SEARCH_DELAY_S, lambda: self._search(event.value))
        elif event.input.id in ("f-since", "f-until"):
            self._set_time(event.input, event.value)

    def _search(self, query: str) -> None:
        self._search_timer = None
        if query != self.filters.query:
            self.filters = self.filters.with_(query=query)
            self.refresh_view()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "search":
            self._search(event.value)
        self.query_one("#incidents", DataTable).focus()

    def _set_time(self, box: Input, text: str) -> None:
        when = None
        box.remove_class("-bad")
        if text.strip():
            now = latest_time(self.analysis) if self.analysis else None
            try:
                when = parse_when(text, now=now)
            except LogdoctorError:
                box.add_class("-bad")
                return
            if box.id == "f-until" and len(text.strip()) <= 10 and "-" in text:
                when = when + timedelta(days=1) - timedelta(microseconds=1)  # the whole day
        field = "since" if box.id == "f-since" else "until"
        self.filters = self.filters.with_(**{field: when})
        self.refresh_view()

    # Actions ------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_filters(self) -> None:
        self.query_one("#f-category", Select).focus()

    def action_back_to_table(self) -> None:
        self.query_one("#incidents", DataTable).focus()

    def action_clear_filters(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.filters = Filters()
        with self.prevent(Select.Changed, Input.Changed):
            for select_id in ("#f-category", "#f-severity", "#f-status"):
                self.query_one(select_id, Select).value = ALL
            for input_id in ("#f-since", "#f-until", "#search"):
                box = self.query_one(input_id, Input)
                box.value = ""
                box.remove_class("-bad")
        self.refresh_view()

    def action_toggle_timeline(self) -> None:
        self.granularity = "day" if self.granularity == "hour" else "hour"
        self.refresh_view()

    def action_next_sort(self) -> None:
        if self.sort_column is None:
            column: SortColumn = SORT_COLUMNS[0]
        else:
            column = SORT_COLUMNS[(SORT_COLUMNS.index(self.sort_column) + 1) % len(SORT_COLUMNS)]
        self.sort_by(column, reverse=False)

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column or "severity", reverse=not self.sort_reverse)
