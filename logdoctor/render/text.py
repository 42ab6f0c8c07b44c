"""The terminal report: a one-screen summary first, then each incident in detail.

Everything log-derived goes in as `rich.text.Text`, never as console markup, so `[bold]` or
`[link=...]` in a log prints literally.  Colour or not is the console's business (the CLI sets it
up from the TTY and NO_COLOR); styles here only say what deserves attention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.rule import Rule
from rich.text import Text

from logdoctor import __version__
from logdoctor.render import view
from logdoctor.report_model import Analysis, CauseSummary, Evidence, Incident, Unrecognized

# Same families as the html badges: critical and error red, warning amber, info blue.
SEVERITY_STYLE: dict[str, str] = {
    "critical": "bold white on red",
    "error": "bold red",
    "warning": "bold yellow",
    "info": "blue",
}
STATUS_STYLE = {"ongoing": "bold red", "resolved": "green"}
# Rows of the summary table before it says "and N more": the summary must fit one screen.
SUMMARY_ROWS = 12
MIN_TITLE = 40
RIGHT_ALIGNED = ("#", "count")


def render_text(
    analysis: Analysis, console: Console, *, verbose: int = 0, title: str | None = None
) -> None:
    """Print the report on `console`; `verbose` > 0 shows every evidence line."""
    console.print(_summary(analysis, title, console.width))
    if not view.has_failures(analysis):
        console.print()
        console.print(_what_was_read(analysis, console.width))
        return
    for number, incident in enumerate(view.ordered(analysis.incidents), start=1):
        console.print()
        console.print(_incident(number, incident, verbose, console.width))
    if analysis.unrecognized:
        console.print()
        console.print(_unrecognized(analysis.unrecognized, verbose, console.width))
    console.print()
    console.print(_what_was_read(analysis, console.width))


def severity_text(severity: str) -> Text:
    return Text(view.one_line(severity, 20), style=SEVERITY_STYLE.get(severity.lower(), ""))


def status_text(incident: Incident) -> Text:
    return Text(view.status_label(incident), style=STATUS_STYLE.get(incident.status, ""))


def _summary(analysis: Analysis, title: str | None, width: int) -> RenderableType:
    parts: list[RenderableType] = [
        Text.assemble(
            (view.one_line(title or view.DEFAULT_TITLE), "bold"),
            (f"  (logdoctor {__version__})", "dim"),
        )
    ]
    total, ongoing = view.incident_totals(analysis)
    if view.has_failures(analysis):
        parts.append(Text(view.headline(analysis), style="bold red" if ongoing else "bold"))
    else:
        parts.append(Text(view.NO_FAILURES, style="bold green"))
    stats = analysis.stats
    parts.append(Text(view.read_line(analysis)))
    sends = Text(f"sends ok: {stats.sends_ok:,}, ")
    sends.append(
        f"sends failed: {stats.sends_failed:,}", style="bold red" if stats.sends_failed else ""
    )
    sends.append(f", configuration loads: {stats.config_loads:,}")
    parts.append(sends)
    if analysis.redacted:
        parts.append(Text(view.REDACTED_NOTE, style="dim"))
    if analysis.incidents:
        parts.append(Text())
        hidden = total - len(analysis.incidents)
        parts.append(_summary_table(view.ordered(analysis.incidents), width, hidden))
    if analysis.shortened is not None:
        parts.append(Text())
        parts.append(_cause_table(view.cause_rows(analysis), width))
        parts.append(Text(view.shortened_note(analysis), style="dim"))
    if analysis.unrecognized:
        failures = sum(u.count for u in analysis.unrecognized)
        parts.append(
            Text(
                f"Failures no rule explained: {view.plural(len(analysis.unrecognized), 'group')}, "
                f"{view.plural(failures, 'failure')} (listed after the incidents)",
                style="yellow",
            )
        )
    return Group(*parts)


def _summary_table(incidents: list[Incident], width: int, hidden: int = 0) -> RenderableType:
    shown = list(enumerate(incidents[:SUMMARY_ROWS], start=1))
    columns: list[_Column[tuple[int, Incident]]] = [
        ("#", len(str(len(shown))), lambda ni: Text(str(ni[0]))),
        ("status", 8, lambda ni: status_text(ni[1])),
        ("severity", 8, lambda ni: severity_text(ni[1].severity)),
        (
            "category",
            min(max(len(i.category) for _n, i in shown), 30),
            lambda ni: Text(view.one_line(ni[1].category, 40)),
        ),
        (
            "count",
            max(5, *(len(f"{i.count:,}") for _n, i in shown)),
            lambda ni: Text(f"{ni[1].count:,}"),
        ),
        ("last seen", 11, lambda ni: Text(_short_time(ni[1].last_seen))),
    ]
    rows = _table(shown, columns, lambda ni: ni[1].title, width, right=RIGHT_ALIGNED)
    more = max(len(incidents) - SUMMARY_ROWS, 0)
    said = []
    if more:
        said.append(f"{view.plural(more, 'more incident')} below")
    if hidden:
        said.append(f"{hidden:,} more counted by cause, not shown in detail")
    if said:
        rows.append(Text(f"... and {'; '.join(said)}", style="dim"))
    return Group(*rows)


def _cause_table(causes: list[CauseSummary], width: int) -> RenderableType:
    """Every incident counted by cause: what a long report says of those it does not detail."""
    columns: list[_Column[CauseSummary]] = [
        ("incidents", 9, lambda c: Text(f"{c.incidents:,}")),
        ("ongoing", 7, lambda c: Text(f"{c.ongoing:,}", style="bold red" if c.ongoing else "")),
        ("failures", 9, lambda c: Text(f"{c.failures:,}")),
        ("last seen", 11, lambda c: Text(_short_time(c.last_seen))),
        (
            "category",
            min(max(len(c.category) for c in causes), 30),
            lambda c: Text(view.one_line(c.category, 40)),
        ),
    ]
    rows = _table(
        causes, columns, lambda c: c.title, width, right=("incidents", "ongoing", "failures")
    )
    return Group(Text("By cause (every incident):", style="bold"), *rows)


_Item = TypeVar("_Item")
_Column = tuple[str, int, Callable[[_Item], Text]]  # heading, width, cell


def _table(
    items: list[_Item],
    columns: list[_Column[_Item]],
    title: Callable[[_Item], str],
    width: int,
    *,
    right: tuple[str, ...],
) -> list[RenderableType]:
    """A heading and one row per item, the title last and cut to what the width leaves.

    Rows of fixed-width cells, built by hand: rich.Table squeezes the short columns to nothing
    next to a long title and pads every line to the console width.  On a narrow screen the
    category and then the time give way: the title says the same in words.
    """
    for optional in ("category", "last seen"):
        if _title_width(width, columns) >= MIN_TITLE:
            break
        columns = [c for c in columns if c[0] != optional]
    title_w = max(_title_width(width, columns), 10)
    rows: list[RenderableType] = [
        Text.assemble(
            *(_cell(Text(h), w, h in right) for h, w, _c in columns), "title", style="dim"
        )
    ]
    for item in items:
        cut = Text(view.one_line(title(item)))
        cut.truncate(title_w, overflow="ellipsis")
        rows.append(
            Text.assemble(*(_cell(cell(item), w, h in right) for h, w, cell in columns), cut)
        )
    return rows


def _cell(text: Text, width: int, right: bool) -> Text:
    """`text` cut or padded to exactly `width`, then the one-space gap."""
    text.truncate(width, overflow="ellipsis")
    gap = " " * (width - text.cell_len)
    return Text.assemble(gap, text, " ") if right else Text.assemble(text, gap, " ")


def _title_width(width: int, columns: list[_Column[_Item]]) -> int:
    return width - sum(w + 1 for _h, w, _c in columns)


def _short_time(ts: datetime | None) -> str:
    """Month, day and time: the year is in the line that says what was read."""
    return "unknown" if ts is None else ts.strftime("%m-%d %H:%M")


def _indent(text: Text, spaces: int) -> Text:
    """Each line of `text` indented.  Not rich.Padding: that pads every line to the console
    width and crops what is longer, and a report written to a file must keep whole lines."""
    pad = " " * spaces
    return Text("\n").join(Text(pad) + line for line in text.split("\n"))


def _heading(title: Text, width: int) -> RenderableType:
    # A rule across a 240-column file would be noise; one screen width is enough.
    return Constrain(Rule(title, align="left", characters="-"), width=min(width, 100))


def _section(name: str) -> Text:
    return Text(f"{name}:", style="bold")


def _label(name: str) -> Text:
    return Text(f"{name}: ", style="bold")


def _numbered(steps: tuple[str, ...]) -> RenderableType:
    lines = [Text(f"{n}. {view.one_line(step, 2000)}") for n, step in enumerate(steps, start=1)]
    return _indent(Text("\n").join(lines), 2)


def _bullets(items: list[Text]) -> RenderableType:
    return _indent(Text("\n").join(Text.assemble("- ", item) for item in items), 2)


def _evidence(items: tuple[Evidence, ...], total: int, verbose: int) -> list[RenderableType]:
    shown = items if verbose > 0 else items[: view.EVIDENCE_BRIEF]
    heading = f"Evidence ({len(shown)} of {total:,} failures"
    heading += ", -v shows all listed)" if len(shown) < len(items) else ")"
    out: list[RenderableType] = [_section(heading)]
    for ev in shown:
        out.append(_indent(Text(f"{view.inert(ev.path)}:{ev.line}", style="cyan"), 2))
        out.append(_indent(Text(view.clip(ev.text), style="dim"), 4))
    return out


def _incident(number: int, incident: Incident, verbose: int, width: int) -> RenderableType:
    head = Text.assemble(
        f"{number}. ", status_text(incident), " ", severity_text(incident.severity)
    )
    head.append(" " + view.one_line(incident.title))
    parts: list[RenderableType] = [_heading(head, width)]
    parts.append(
        Text.assemble(
            _label("category"),
            view.one_line(incident.category),
            "   ",
            _label("rule"),
            view.one_line(incident.rule),
            "   ",
            _label("confidence"),
            view.percent(incident.confidence),
        )
    )
    seen = Text.assemble(
        _label("seen"), view.seen_line(incident.first_seen, incident.last_seen, incident.count)
    )
    if incident.scope:
        seen.append(f"   ({view.one_line(incident.scope, 20)} failure)")
    parts.append(seen)
    if incident.status == "resolved":
        parts.append(
            Text.assemble(
                _label("resolved"),
                (view.one_line(incident.resolved_by or "a later successful send"), "green"),
            )
        )
    settings = Text()
    for index, (name, value) in enumerate(view.settings_rows(incident.settings)):
        if index:
            settings.append("   ")
        settings.append(f"{name} ", style="dim")
        settings.append(value, style="dim italic" if value == view.NOT_LOGGED else "")
    parts += [_section("settings in effect"), _indent(settings, 2)]
    parts.append(Text.assemble(_label("cause"), view.inert(" ".join(incident.cause.split()))))
    if incident.fix:
        parts += [_section("fix"), _numbered(incident.fix)]
    if incident.verify:
        parts += [_section("verify"), _numbered(incident.verify)]
    if incident.reasons:
        parts += [
            _section("why it matched"),
            _bullets([Text(view.one_line(r, 500)) for r in incident.reasons]),
        ]
    if incident.alternatives:
        alternatives = [
            Text(
                f"{view.one_line(a.rule, 80)} ({view.one_line(a.category, 40)}) "
                f"{view.percent(a.confidence)}" + (f": {view.one_line(a.title)}" if a.title else "")
            )
            for a in incident.alternatives
        ]
        parts += [_section("also considered"), _bullets(alternatives)]
    if incident.evidence:
        parts += _evidence(incident.evidence, incident.count, verbose)
    return Group(*parts)


def _unrecognized(groups: tuple[Unrecognized, ...], verbose: int, width: int) -> RenderableType:
    parts: list[RenderableType] = [
        _heading(Text("Failures no rule explained", style="bold yellow"), width)
    ]
    for number, group in enumerate(sorted(groups, key=lambda g: -g.count), start=1):
        parts.append(
            Text.assemble(
                (f"{number}. ", "bold"),
                (view.types_line(group.types), "bold"),
                f"   {view.seen_line(group.first_seen, group.last_seen, group.count)}",
            )
        )
        if group.settings is not None:
            parts.append(
                _indent(Text("settings: " + view.settings_line(group.settings), style="dim"), 2)
            )
        if group.candidates:
            near = ", ".join(
                f"{view.one_line(c.rule, 80)} {view.percent(c.confidence)}"
                for c in group.candidates
            )
            parts.append(_indent(Text(f"closest rules: {near}"), 2))
        where = f" ({group.evidence[0].path}:{group.evidence[0].line})" if group.evidence else ""
        parts.append(_indent(Text("example" + view.inert(where) + ":"), 2))
        lines = view.EVIDENCE_MAX_LINES if verbose > 0 else 8
        parts.append(_indent(Text(view.clip(group.example, lines), style="dim"), 4))
    return Group(*parts)


def _what_was_read(analysis: Analysis, width: int) -> RenderableType:
    stats = analysis.stats
    parts: list[RenderableType] = [
        _heading(Text("What was read", style="bold"), width),
        Text.assemble(_label("time span"), view.span(stats)),
        Text.assemble(_label("records"), f"{stats.records:,}  ({view.levels_line(stats)})"),
        Text.assemble(_label("sends"), view.sends_line(stats)),
    ]
    rows = view.source_rows(analysis)
    if rows:
        cells = [
            (row.path, f"{row.bytes:,}", f"{row.records:,}", row.read_as)
            for row in [view.SourceRow("file", 0, 0, "read as"), *rows]
        ]
        cells[0] = ("file", "bytes", "records", "read as")
        w_path, w_bytes, w_records = (max(len(c[k]) for c in cells) for k in range(3))
        for index, (path, size, records, read_as) in enumerate(cells):
            line = f"  {path:<{w_path}}  {size:>{w_bytes}}  {records:>{w_records}}  {read_as}"
            parts.append(Text(line, style="dim" if index == 0 else ""))
    for note in view.other_notes(analysis):
        parts.append(Text(f"note: {note}", style="dim"))
    damaged = Text.assemble(_label("damaged records"), f"{stats.damaged_records:,}")
    parts.append(damaged)
    for item in stats.damaged:
        parts.append(_indent(Text(view.one_line(item, 500), style="yellow"), 2))
    if analysis.redacted:
        parts.append(Text(view.REDACTED_NOTE, style="dim"))
    return Group(*parts)
