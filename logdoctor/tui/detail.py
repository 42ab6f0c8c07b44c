"""The incident detail screen: settings in effect, cause, fix, verify, alternatives, evidence.

Every log-derived string goes in as `rich.text.Text` (or a markup-free option), so `[bold]` in a
log line stays literal; control characters are shown escaped (`view.inert`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from logdoctor.model import SmtpSettings
from logdoctor.render import view
from logdoctor.render.text import SEVERITY_STYLE, STATUS_STYLE
from logdoctor.tui.data import UNMATCHED, Item

EVIDENCE_PREVIEW_CHARS = 160


def settings_rows(settings: SmtpSettings | None) -> list[tuple[str, str]]:
    """Each setting on its own row, named as in the service's config (Port stands alone)."""
    s = settings or SmtpSettings()
    rows = [
        ("Host", view.inert(s.host) if s.host is not None else view.NOT_LOGGED),
        ("Port", str(s.port) if s.port is not None else view.NOT_LOGGED),
    ]
    # view.settings_rows words Enable SSL, SSL mode and Timeout the way every report does.
    rows += [row for row in view.settings_rows(s) if row[0] != "Server"]
    rows += [(view.inert(k), view.inert(v)) for k, v in s.extra]
    return rows


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def summary_text(item: Item) -> Text:
    i = item.incident
    out = Text()
    out.append(view.one_line(i.title, 400), style="bold")
    out.append("\n")
    out.append(f" {i.severity} ", style=SEVERITY_STYLE.get(i.severity, ""))
    out.append("  ")
    status = "no rule matched" if item.status == UNMATCHED else view.status_label(i)
    out.append(status, style=STATUS_STYLE.get(i.status, "") if item.status != UNMATCHED else "")
    out.append(f"  {i.category}")
    if i.rule:
        out.append(f"  rule {i.rule}", style="dim")
        out.append(f"  confidence {view.percent(i.confidence)}", style="dim")
    out.append("\n")
    out.append(view.seen_line(i.first_seen, i.last_seen, i.count))
    if i.scope:
        scope = "sending is broken" if i.scope == "fatal" else "this message failed"
        out.append(f"  ({i.scope}: {scope})", style="dim")
    if i.resolved_by:
        out.append("\n")
        out.append("Resolved: ", style="green")
        out.append(view.one_line(i.resolved_by, 400))
    return out


def settings_text(item: Item) -> Text:
    out = _heading("Settings in effect")
    for name, value in settings_rows(item.incident.settings):
        out.append("\n")
        out.append(f"  {name:<12}", style="bold")
        out.append(value)
    return out


def diagnosis_text(item: Item) -> Text:
    i = item.incident
    out = _heading("Cause")
    out.append("\n")
    out.append(view.inert(i.cause.strip()))
    if i.fix:
        out.append("\n\n")
        out.append_text(_heading("Fix"))
        for n, step in enumerate(i.fix, start=1):
            out.append(f"\n  {n}. ")
            out.append(view.inert(step.strip()))
    if i.verify:
        out.append("\n\n")
        out.append_text(_heading("How to verify"))
        for step in i.verify:
            out.append("\n  - ")
            out.append(view.inert(step.strip()))
    if i.reasons:
        out.append("\n\n")
        out.append_text(_heading("Why this rule matched"))
        for reason in i.reasons:
            out.append("\n  - ")
            out.append(view.one_line(reason, 400))
    out.append("\n\n")
    label = "Closest rules" if item.unrecognized is not None else "Alternatives"
    out.append_text(_heading(label))
    if not i.alternatives:
        out.append("\n  none: no other rule came close", style="dim")
    for alt in i.alternatives:
        out.append(f"\n  {view.percent(alt.confidence):>4}  ")
        out.append(alt.category)
        out.append(f"  {alt.rule}", style="dim")
        if alt.title:
            out.append("  ")
            out.append(view.one_line(alt.title, 200))
    return out


def evidence_prompt(path: str, line: int, text: str) -> Text:
    first = text.strip().split("\n", 1)[0] if text.strip() else ""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"{view.inert(path)}:{line}", style="bold")
    out.append("  ")
    out.append(view.one_line(first, EVIDENCE_PREVIEW_CHARS))
    return out


class DetailScreen(Screen[None]):
    """One incident; Enter on an evidence line opens the raw log there."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "app.export", "Export"),
        Binding("o", "open_evidence", "Open in log"),
        Binding("pageup", "scroll_detail(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_detail(1)", "Scroll down", show=False),
    ]

    # The evidence list sits below the diagnosis in its own pane, so that focusing it never
    # scrolls the settings and the cause out of sight.
    DEFAULT_CSS = """
    DetailScreen #detail { height: 1fr; padding: 0 1; }
    DetailScreen #detail Static { margin: 0 0 1 0; }
    DetailScreen #evidence-title { height: 1; padding: 0 1; background: $boost; }
    DetailScreen #evidence { height: auto; max-height: 9; }
    """

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(summary_text(self.item), id="summary")
            yield Static(settings_text(self.item), id="settings")
            yield Static(diagnosis_text(self.item), id="diagnosis")
        count = len(self.item.incident.evidence)
        title = Text(f"Evidence: {count} record{'s' if count != 1 else ''}", style="bold")
        title.append("  Enter opens the log at that record; PageUp/PageDown scroll the diagnosis")
        yield Static(title, id="evidence-title")
        options = [
            Option(evidence_prompt(e.path, e.line, e.text), id=str(n))
            for n, e in enumerate(self.item.incident.evidence)
        ]
        yield OptionList(*options, id="evidence", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "logdoctor"
        self.sub_title = view.one_line(self.item.incident.title, 80)
        evidence = self.query_one("#evidence", OptionList)
        if evidence.option_count:
            evidence.highlighted = 0
            evidence.focus()

    def action_scroll_detail(self, direction: int) -> None:
        detail = self.query_one("#detail", VerticalScroll)
        if direction < 0:
            detail.scroll_page_up()
        else:
            detail.scroll_page_down()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option_index)

    def action_open_evidence(self) -> None:
        evidence = self.query_one("#evidence", OptionList)
        if evidence.highlighted is not None:
            self._open(evidence.highlighted)

    def _open(self, index: int) -> None:
        from logdoctor.tui.app import LogdoctorApp

        evidence = self.item.incident.evidence
        if 0 <= index < len(evidence) and isinstance(self.app, LogdoctorApp):
            self.app.open_log(evidence[index].path, evidence[index].line)
