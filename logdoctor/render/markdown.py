"""The ticket attachment: GitHub-flavoured Markdown where log text can never turn into markup.

Log text goes into fenced code blocks (with a fence longer than any backtick run inside) or into
code spans; every other text is escaped: Markdown punctuation gets a backslash and `<`, `>`, `&`
become entities, so neither emphasis nor raw HTML can come from a log line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from logdoctor import __version__
from logdoctor.render import view
from logdoctor.report_model import Analysis, CauseSummary, Evidence, Incident, Unrecognized

_PUNCT = re.compile(r"([\\`*\[\]#|~])")
# Inside a word (`s_client`, `ssl_mode`) an underscore is not emphasis in GFM: leave it readable.
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LIST_START = re.compile(r"^(\d+)([.)])")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """Plain text for Markdown prose and table cells: one line, inert."""
    flat = view.one_line(text, 2000)
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _PUNCT.sub(r"\\\1", flat)
    flat = _UNDERSCORE.sub(r"\\_", flat)
    # A leading "-" or "1." would start a list inside a list item.
    flat = _LIST_START.sub(r"\1\\\2", flat)
    if flat.startswith(("-", "+", "=")):
        flat = "\\" + flat
    return flat


def code(text: str, *, cell: bool = False) -> str:
    """An inline code span that holds any text; in a table `cell`, with `|` escaped."""
    flat = view.one_line(text, 2000)
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    # GFM splits table cells at `|` even inside code spans unless it is escaped.
    if cell:
        flat = flat.replace("|", "\\|")
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced(text: str, info: str = "text") -> list[str]:
    """A fenced block longer than any backtick or tilde run in `text`."""
    body = view.clip(text)
    longest = max((len(run) for run in re.findall(r"`{3,}|~{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *body.split("\n"), fence]


def render_markdown(analysis: Analysis, *, title: str | None = None) -> str:
    lines: list[str] = [f"# {escape(title or view.DEFAULT_TITLE)}", ""]
    lines += _summary(analysis)
    if not view.has_failures(analysis):
        lines += _what_was_read(analysis)
        return _join(lines)
    incidents = view.ordered(analysis.incidents)
    if incidents:
        lines += ["## Incidents", ""]
        for number, incident in enumerate(incidents, start=1):
            lines += _incident(number, incident)
    lines += _unrecognized(analysis.unrecognized)
    lines += _what_was_read(analysis)
    return _join(lines)


def _join(lines: list[str]) -> str:
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _summary(analysis: Analysis) -> list[str]:
    stats = analysis.stats
    out = [
        f"**{escape(view.headline(analysis))}**",
        "",
        f"{escape(view.read_line(analysis))}; {escape(view.sends_line(stats))}.",
        "",
    ]
    if analysis.redacted:
        out += [f"> {escape(view.REDACTED_NOTE)}", ""]
    if analysis.incidents:
        out += [
            "| # | status | severity | category | count | first seen | last seen | title |",
            "|---:|---|---|---|---:|---|---|---|",
        ]
        for number, i in enumerate(view.ordered(analysis.incidents), start=1):
            cells = [
                str(number),
                f"**{view.status_label(i)}**" if i.status == "ongoing" else view.status_label(i),
                escape(i.severity),
                code(i.category, cell=True),
                f"{i.count:,}",
                view.when(i.first_seen),
                view.when(i.last_seen),
                escape(i.title),
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if analysis.shortened is not None:
        out += cause_table(view.cause_rows(analysis))
        out += [escape(view.shortened_note(analysis)), ""]
    return out


def cause_table(causes: Sequence[CauseSummary]) -> list[str]:
    """Every incident counted by cause, as a Markdown table (a shortened report's overview)."""
    out = [
        "**By cause** (every incident)",
        "",
        "| incidents | ongoing | failures | first seen | last seen | category | title |",
        "|---:|---:|---:|---|---|---|---|",
    ]
    for c in causes:
        cells = [
            f"{c.incidents:,}",
            f"**{c.ongoing:,}**" if c.ongoing else "0",
            f"{c.failures:,}",
            view.when(c.first_seen),
            view.when(c.last_seen),
            code(c.category, cell=True),
            escape(c.title),
        ]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    return out


def _steps(steps: Iterable[str]) -> list[str]:
    return [f"{n}. {escape(step)}" for n, step in enumerate(steps, start=1)]


def _evidence(items: tuple[Evidence, ...], total: int) -> list[str]:
    shown = items[: view.EVIDENCE_FULL]
    note = f"{len(shown)} of {total:,} failures"
    out = [f"#### Evidence ({note})", ""]
    for ev in shown:
        out += [f"{code(f'{ev.path}:{ev.line}')}", "", *fenced(ev.text), ""]
    return out


def _incident(number: int, i: Incident) -> list[str]:
    out = [
        f"### {number}. {escape(view.status_label(i))}: {escape(i.title)}",
        "",
        f"- **Category:** {code(i.category)}",
        f"- **Severity:** {escape(i.severity)}",
        f"- **Status:** {escape(i.status)}"
        + (f" ({escape(i.resolved_by)})" if i.status == "resolved" and i.resolved_by else ""),
        f"- **Seen:** {escape(view.seen_line(i.first_seen, i.last_seen, i.count))}",
        f"- **Rule:** {code(i.rule)}, confidence {view.percent(i.confidence)}",
    ]
    if i.scope:
        out.append(f"- **Scope:** {escape(i.scope)}")
    out += ["", "#### Settings in effect", "", "| setting | value |", "|---|---|"]
    for name, value in view.settings_rows(i.settings):
        out.append(
            f"| {name} | {code(value, cell=True) if value != view.NOT_LOGGED else '_not logged_'} |"
        )
    out += ["", "#### Cause", "", escape(i.cause), ""]
    if i.fix:
        out += ["#### Fix", "", *_steps(i.fix), ""]
    if i.verify:
        out += ["#### How to verify", "", *_steps(i.verify), ""]
    if i.reasons:
        out += ["#### Why it matched", "", *(f"- {escape(r)}" for r in i.reasons), ""]
    out += ["#### Alternatives considered", ""]
    if i.alternatives:
        out += ["| rule | category | confidence | title |", "|---|---|---:|---|"]
        for a in i.alternatives:
            out.append(
                f"| {code(a.rule, cell=True)} | {code(a.category, cell=True)} "
                f"| {view.percent(a.confidence)} | {escape(a.title)} |"
            )
        out.append("")
    else:
        out += ["None came close.", ""]
    if i.evidence:
        out += _evidence(i.evidence, i.count)
    return out


def _unrecognized(groups: tuple[Unrecognized, ...]) -> list[str]:
    if not groups:
        return []
    out = ["## Failures no rule explained", ""]
    for number, g in enumerate(sorted(groups, key=lambda g: -g.count), start=1):
        out += [
            f"### {number}. {escape(view.types_line(g.types))}",
            "",
            f"- **Seen:** {escape(view.seen_line(g.first_seen, g.last_seen, g.count))}",
            f"- **Fingerprint:** {code(g.fingerprint)}",
        ]
        if g.types:
            out.append("- **Types:** " + ", ".join(code(t) for t in g.types))
        if g.settings is not None:
            out.append(f"- **Settings:** {escape(view.settings_line(g.settings))}")
        if g.candidates:
            near = ", ".join(f"{code(c.rule)} {view.percent(c.confidence)}" for c in g.candidates)
            out.append(f"- **Closest rules:** {near}")
        where = f" ({code(f'{g.evidence[0].path}:{g.evidence[0].line}')})" if g.evidence else ""
        out += ["", f"Example{where}:", "", *fenced(g.example), ""]
    return out


def _what_was_read(analysis: Analysis) -> list[str]:
    stats = analysis.stats
    out = [
        "## What was read",
        "",
        f"- **Time span:** {escape(view.span(stats))}",
        f"- **Records:** {stats.records:,} ({escape(view.levels_line(stats))})",
        f"- **Sends:** {escape(view.sends_line(stats))}",
        f"- **Damaged records:** {stats.damaged_records:,}",
        f"- **logdoctor:** {__version__}",
    ]
    if analysis.redacted:
        out.append(f"- **Redaction:** {escape(view.REDACTED_NOTE)}")
    out.append("")
    rows = view.source_rows(analysis)
    if rows:
        out += ["| file | bytes | records | read as |", "|---|---:|---:|---|"]
        for row in rows:
            out.append(
                f"| {code(row.path, cell=True)} | {row.bytes:,} | {row.records:,} "
                f"| {escape(row.read_as)} |"
            )
        out.append("")
    for note in view.other_notes(analysis):
        out.append(f"- Note: {escape(note)}")
    if stats.damaged:
        out += ["### Damaged records", ""]
        out += [f"- {code(item)}" for item in stats.damaged]
        out.append("")
    return out
