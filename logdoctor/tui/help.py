"""The `?` help screen: what the screens show and which keys do what."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "The main screen shows failures over time at the top (one row per category), the filters, "
    "and the incidents: one row per group of failures with the same cause and the same "
    "settings. Rows marked 'unmatched' are failures no rule explains yet."
)
KEYS: tuple[tuple[str, str, str], ...] = (
    ("Enter", "incidents", "open the incident: settings in effect, cause, fix, evidence"),
    ("Up / Down", "anywhere", "move"),
    ("/", "main", "search (fuzzy: titles, categories, hosts, messages)"),
    ("f", "main", "go to the filters (category, severity, status, from, to)"),
    ("c", "main", "clear every filter and the search"),
    ("t", "main", "timeline per hour or per day"),
    ("s / r", "main", "sort by the next column / reverse (or click a header)"),
    ("e", "main, detail", "export the incident as Markdown (and copy it)"),
    ("Enter / o", "evidence", "open the raw log at that record"),
    ("PageUp / PageDown", "detail", "scroll the diagnosis"),
    ("g / G / n", "raw log", "start / end of the file / back to the record"),
    ("Left / Right", "raw log", "scroll long lines sideways"),
    ("Escape", "anywhere", "back"),
    ("Ctrl+P", "anywhere", "command palette"),
    ("?", "anywhere", "this help"),
    ("q", "anywhere", "quit"),
)
NOTES = (
    "From and To take a date or time (2026-11-27, 2026-11-27T10:00) or a span back from the "
    "last timestamp in the log (7d, 12h).\n\n"
    "Log text is shown exactly as logged; control characters appear as \\xNN. Secrets are "
    "replaced by stand-ins in the diagnosis (unless --no-redact); the raw log viewer shows the "
    "file as it is on disk."
)


def help_renderable() -> Group:
    # A rich Table, not a Markdown widget: it mounts in milliseconds.
    keys = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    keys.add_column(Text("key"), style="bold cyan", no_wrap=True)
    keys.add_column(Text("where"), style="dim", no_wrap=True)
    keys.add_column(Text("what"))
    for key, where, what in KEYS:
        keys.add_row(Text(key), Text(where), Text(what))
    title = Text("logdoctor terminal UI", style="bold underline")
    return Group(title, Text(""), Text(INTRO), Text(""), keys, Text(""), Text(NOTES))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Back"),
        Binding("question_mark", "dismiss", "Back", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    HelpScreen Static { height: auto; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_renderable())

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
