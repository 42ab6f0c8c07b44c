"""The raw log viewer: a window of lines around a record, read lazily from a `LogFile`.

Only the lines on screen plus a margin are held; moving past them reads the next window in a
worker thread, so a 1 GB file (or a slow gzip) never blocks the UI.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from logdoctor.render import view
from logdoctor.tui.logfile import LogFile, ViewLine

# Lines read around the screen, so that scrolling a page does not read again.
MARGIN = 200
GUTTER = 8
H_STEP = 8


class LogView(Widget, can_focus=True):
    """Lines `top`.. of the file, the target line highlighted; no wrapping, left/right scroll."""

    DEFAULT_CSS = """
    LogView { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup,b", "page(-1)", "Page up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("left,h", "shift(-1)", "Left", show=False),
        Binding("right,l", "shift(1)", "Right", show=False),
        Binding("home,g", "home", "Start"),
        Binding("end,G", "end", "End"),
        Binding("n", "jump_target", "Back to record"),
    ]

    top: reactive[int] = reactive(1)
    cursor: reactive[int] = reactive(1)
    x: reactive[int] = reactive(0)

    def __init__(self, log: LogFile, line: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.logfile = log
        self.target = max(1, line)
        self.cursor = self.target
        self.top = max(1, self.target - 5)
        self._block: list[ViewLine] = []
        self._block_start = 0
        self._loading = False
        self.status = "reading"

    def on_mount(self) -> None:
        self._load(self.top)

    # Reading ------------------------------------------------------------------------------

    def _have(self, first: int, last: int) -> bool:
        if not self._block:
            return False
        block_end = self._block_start + len(self._block) - 1
        at_end = self.logfile.total_lines is not None and last > self.logfile.total_lines
        return self._block_start <= first and (last <= block_end or at_end)

    def _ensure(self) -> None:
        height = max(self.size.height, 1)
        if not self._have(self.top, self.top + height - 1) and not self._loading:
            self._load(self.top)

    @work(thread=True, exclusive=True, group="log-read")
    def _load(self, around: int) -> None:
        self._loading = True
        height = max(self.size.height, 1)
        start = max(1, around - MARGIN)
        try:
            lines = self.logfile.read(start, height + 2 * MARGIN)
            error = None
        except (OSError, EOFError, ValueError) as exc:
            lines, error = [], str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, start, lines, error)

    def _loaded(self, start: int, lines: list[ViewLine], error: str | None) -> None:
        self._loading = False
        self._block, self._block_start = lines, start
        total = self.logfile.total_lines
        if error is not None:
            self.status = f"cannot read: {view.one_line(error, 200)}"
        elif total is not None and self.target > total:
            self.status = f"the file has only {total:,} lines now (rotated or cut since?)"
        else:
            self.status = ""
        if total is not None and total > 0:
            height = max(self.size.height, 1)
            self.top = max(1, min(self.top, total - height + 1))
            self.cursor = min(self.cursor, total)
        self.refresh()
        self.post_message(LogView.Moved())
        # Read again when the cursor moved on meanwhile, or when the window started past the
        # end of a file shorter than expected (then `top` was just clamped into it).
        if error is None and (lines or (total and self.top < start)):
            self._ensure()

    # Moving -------------------------------------------------------------------------------

    class Moved(Message):
        """The cursor moved or a window was read: the screen updates its position line."""

    def watch_cursor(self) -> None:
        self.post_message(LogView.Moved())

    def _last_line(self) -> int | None:
        return self.logfile.total_lines

    def _clamp(self, line: int) -> int:
        last = self._last_line()
        line = max(1, line)
        return min(line, last) if last else line

    def _show_cursor(self) -> None:
        height = max(self.size.height, 1)
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + height:
            self.top = self.cursor - height + 1
        self._ensure()
        self.refresh()

    def action_move(self, delta: int) -> None:
        self.cursor = self._clamp(self.cursor + delta)
        self._show_cursor()

    def action_page(self, direction: int) -> None:
        height = max(self.size.height - 1, 1)
        self.cursor = self._clamp(self.cursor + direction * height)
        self.top = max(1, self.top + direction * height)
        last = self._last_line()
        if last:
            self.top = max(1, min(self.top, last - height))
        self._show_cursor()

    def action_shift(self, direction: int) -> None:
        self.x = max(0, self.x + direction * H_STEP)
        self.refresh()

    def action_home(self) -> None:
        self.cursor = 1
        self._show_cursor()

    def action_end(self) -> None:
        self._count_then_end()

    def action_jump_target(self) -> None:
        self.cursor = self.target
        self.top = max(1, self.target - 5)
        self._show_cursor()

    @work(thread=True, exclusive=True, group="log-count")
    def _count_then_end(self) -> None:
        total = self.logfile.count_lines()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._go_end, total)

    def _go_end(self, total: int) -> None:
        self.cursor = max(total, 1)
        self._show_cursor()

    def on_resize(self) -> None:
        self._ensure()

    # Drawing ------------------------------------------------------------------------------

    def render(self) -> Text:
        height = max(self.size.height, 1)
        width = max(self.size.width - GUTTER - 1, 1)
        out = Text(no_wrap=True, overflow="crop")
        if not self._block:
            out.append(self.status or "reading ...", style="dim")
            return out
        index = self.top - self._block_start
        rows = self._block[max(index, 0) : max(index, 0) + height] if index >= 0 else []
        if not rows:
            out.append("reading ...", style="dim")
            return out
        for n, line in enumerate(rows):
            if n:
                out.append("\n")
            style = ""
            if line.number == self.cursor:
                style = "reverse"
            elif line.number == self.target:
                style = "bold"
            out.append(f"{line.number:>{GUTTER}} ", style="dim" if not style else style)
            # Text.append of a str never parses markup: the log line stays literal.
            out.append(line.text[self.x : self.x + width], style=style)
        return out


class LogScreen(Screen[None]):
    """The raw log at one record; Escape goes back to the incident."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    DEFAULT_CSS = """
    LogScreen #where { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, log: LogFile, line: int) -> None:
        super().__init__()
        self.logfile = log
        self.line = line

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._where(), id="where", markup=False)
        yield LogView(self.logfile, self.line, id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "logdoctor"
        self.sub_title = "raw log"
        self.query_one(LogView).focus()

    def _where(self) -> Text:
        # The path goes last: when the line is too narrow, it is what gets cut.
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"record at line {self.line:,}", style="bold")
        found = self.query(LogView)
        if found:
            lv = found.first()
            out.append(f"  cursor {lv.cursor:,}")
            if lv.logfile.total_lines is not None:
                out.append(f" of {lv.logfile.total_lines:,}")
            if lv.status:
                out.append(f"  {lv.status}", style="yellow")
        out.append("  ")
        out.append(view.inert(self.logfile.display), style="dim")
        return out

    def on_log_view_moved(self) -> None:
        self.query_one("#where", Static).update(self._where())
