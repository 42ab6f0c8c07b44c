"""`LogdoctorApp`: the Textual application that browses an analysis.

The analysis either comes ready (from the store, or fixed data in tests) or is computed by a
`Loader` in a worker thread while the main screen is already up; the worker reports progress in
an attribute that a timer polls, so the hot loop never waits for the UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from logdoctor.errors import LogdoctorError
from logdoctor.pipeline import ProgressFn
from logdoctor.render import view
from logdoctor.report_model import Analysis
from logdoctor.sources import LogSource
from logdoctor.tui.data import SORT_COLUMNS, Item, items_of
from logdoctor.tui.detail import DetailScreen
from logdoctor.tui.export import ExportScreen, default_export_path, incident_markdown, write_export
from logdoctor.tui.help import HelpScreen
from logdoctor.tui.log_view import LogScreen
from logdoctor.tui.logfile import LogFile, find_source
from logdoctor.tui.main_screen import COLUMN_LABELS, MainScreen

Loader = Callable[[ProgressFn], Analysis]
SourceResolver = Callable[[str], LogSource | None]
PROGRESS_POLL_S = 0.2


class Cancelled(Exception):
    """Raised inside the analysis when the user quits before it is done."""


class LogdoctorApp(App[None]):
    TITLE = "logdoctor"
    SUB_TITLE = "RuleManager email failures"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self,
        *,
        analysis: Analysis | None = None,
        loader: Loader | None = None,
        description: str = "",
        resolve_source: SourceResolver | None = None,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        if analysis is None and loader is None:
            raise ValueError("LogdoctorApp needs an analysis or a loader")
        self.analysis = analysis
        self.loader = loader
        self.description = description
        self.resolve_source: SourceResolver = resolve_source or find_source
        self.export_dir = export_dir if export_dir is not None else Path.cwd()
        self.main = MainScreen(description=description)
        self.progress: tuple[int, int] = (0, 0)
        self.last_export: Path | None = None
        self._logs: dict[str, LogFile] = {}
        self._poll: Timer | None = None
        self._started = 0.0

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        if self.analysis is not None:
            self.main.set_analysis(self.analysis)
        else:
            self._started = time.monotonic()
            self._poll = self.set_interval(PROGRESS_POLL_S, self._show_progress)
            self._analyze()

    # The analysis worker ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _analyze(self) -> tuple[Analysis, tuple[Item, ...]]:
        assert self.loader is not None
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Cancelled
            if total > 0:  # (-1, -1) only asks whether to go on
                self.progress = (done, total)

        analysis = self.loader(progress)
        # The table rows too: tens of thousands of incidents must not be prepared in the UI.
        return analysis, items_of(analysis)

    def _show_progress(self) -> None:
        done, total = self.progress
        self.main.set_progress(done, total, time.monotonic() - self._started)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "analysis":
            return
        if event.state == WorkerState.SUCCESS:
            self._stop_polling()
            result = event.worker.result
            if isinstance(result, tuple):
                analysis, items = result
                self.analysis = analysis
                self.main.set_analysis(analysis, items)
        elif event.state == WorkerState.ERROR:
            self._stop_polling()
            error = event.worker.error
            if isinstance(error, LogdoctorError):
                message = f"logdoctor: {error}"
            else:
                message = f"logdoctor: analysis failed: {type(error).__name__}: {error}"
            self.main.set_error(view.one_line(message, 500))

    def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.stop()
            self._poll = None

    @property
    def analysis_done(self) -> bool:
        return self.analysis is not None or self.main.error is not None

    # Actions ------------------------------------------------------------------------------

    def current_item(self) -> Item | None:
        screen = self.screen
        if isinstance(screen, DetailScreen):
            return screen.item
        if isinstance(screen, LogScreen):
            return None
        return self.main.current_item()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        item = self.current_item()
        if item is None or self.analysis is None:
            self.notify("Select an incident first.", severity="warning")
            return

        def done(path: Path | None) -> None:
            if path is not None:
                self.export(item, path)

        self.push_screen(ExportScreen(default_export_path(self.export_dir, item)), done)

    def export(self, item: Item, path: Path) -> Path | None:
        """Write the incident's Markdown to `path` and put it on the clipboard."""
        assert self.analysis is not None
        text = incident_markdown(self.analysis, item)
        try:
            written = write_export(path, text)
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror or exc}", severity="error")
            return None
        # OSC 52: terminals that do not support it ignore it.
        self.copy_to_clipboard(text)
        self.last_export = written
        self.notify(f"Wrote {written} (and copied it to the clipboard where supported)")
        return written

    def open_log(self, display: str, line: int) -> None:
        log = self._logs.get(display)
        if log is None:
            source = self.resolve_source(display)
            if source is None:
                self.notify(
                    f"Cannot open {view.inert(display)}: not found", severity="error", markup=False
                )
                return
            log = self._logs[display] = LogFile(source)
        self.push_screen(LogScreen(log, line))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and what the screens show", self.action_help)
        yield SystemCommand(
            "Export incident", "Write the selected incident as Markdown", self.action_export
        )
        if isinstance(screen, MainScreen):
            yield SystemCommand(
                "Timeline: per hour / per day",
                "Switch the timeline's buckets",
                screen.action_toggle_timeline,
            )
            yield SystemCommand("Clear filters", "Show every incident", screen.action_clear_filters)
            yield SystemCommand(
                "Search", "Fuzzy search over the incidents", screen.action_focus_search
            )
            for column in SORT_COLUMNS:
                yield SystemCommand(
                    f"Sort by {COLUMN_LABELS[column].lower()}",
                    "Sort the incident table",
                    partial(screen.sort_by, column, False),
                )
