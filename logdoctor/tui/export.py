"""Export of one incident's diagnosis as Markdown: to a file, and to the clipboard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from logdoctor.render.markdown import render_markdown
from logdoctor.report_model import Analysis
from logdoctor.tui.data import Item


def incident_analysis(analysis: Analysis, item: Item) -> Analysis:
    """The analysis narrowed to one row: what was read stays, the other incidents go."""
    category = item.incident.category
    timeline = tuple(p for p in analysis.timeline if p.category == category)
    if item.unrecognized is not None:
        return replace(analysis, incidents=(), unrecognized=(item.unrecognized,), timeline=timeline)
    return replace(analysis, incidents=(item.incident,), unrecognized=(), timeline=timeline)


def incident_markdown(analysis: Analysis, item: Item) -> str:
    title = f"logdoctor: {item.incident.category} ({item.incident.id})"
    return render_markdown(incident_analysis(analysis, item), title=title)


def default_export_path(directory: Path, item: Item) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in item.key)
    return directory / f"logdoctor-{safe}.md"


def write_export(path: Path, text: str) -> Path:
    """UTF-8 with LF: a ticket system shows it the same on every platform."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write; Enter writes, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 90; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ExportScreen Input { margin: 1 0 0 0; }
    """

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the diagnosis as Markdown (also copied to the clipboard).")
            yield Label("File (Enter to write, Escape to cancel):")
            yield Input(str(self.default), id="export-path")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(Path(value) if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
