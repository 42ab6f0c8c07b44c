"""What every report format says, worded once: order, labels, settings, spans, what was read.

The text, markdown and html renderers differ only in how they draw these pieces, so that an
admin reading the terminal and a support engineer reading the ticket see the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from logdoctor.kb.categories import severity_rank
from logdoctor.lazyseq import LazySequence, Reordered
from logdoctor.model import ReadStats, SmtpSettings
from logdoctor.report_model import Analysis, CauseSummary, Incident

DEFAULT_TITLE = "logdoctor: RuleManager email report"
NO_FAILURES = "No email failures found in what was read."
REDACTED_NOTE = (
    "Secrets, user names and e-mail addresses are replaced by stand-ins; --no-redact shows them."
)
NOT_LOGGED = "not logged"
LEVEL_ORDER = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")

# Evidence in the short views; the ticket and html formats show more.
EVIDENCE_BRIEF = 3
EVIDENCE_FULL = 20
# A stack trace can run to hundreds of lines; a report needs its head.
EVIDENCE_MAX_LINES = 40
EVIDENCE_MAX_CHARS = 6000

# Control characters would drive the terminal (ANSI escapes, carriage returns that overwrite a
# line) and are invalid in HTML; bidi overrides can make text read differently than it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """Log text with control and bidi-override characters shown as `\\xNN`/`\\uNNNN`."""
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clip(
    text: str, max_lines: int = EVIDENCE_MAX_LINES, max_chars: int = EVIDENCE_MAX_CHARS
) -> str:
    """The head of a long text, saying how much was left out; line ends normalised."""
    text = inert(text.replace("\r\n", "\n").replace("\r", "\n")).rstrip("\n")
    cut = len(text) > max_chars
    if cut:
        text = text[:max_chars]
    lines = text.split("\n")
    if len(lines) > max_lines:
        rest = len(lines) - max_lines
        return "\n".join([*lines[:max_lines], f"... ({rest} more lines)"])
    return text + (" ... (cut)" if cut else "")


def one_line(text: str, max_chars: int = 300) -> str:
    """Text for a table cell or a list item: one line, inert, capped."""
    flat = " ".join(inert(text).split())
    return flat if len(flat) <= max_chars else flat[: max_chars - 3] + "..."


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def when(ts: datetime | None) -> str:
    return "unknown" if ts is None else ts.isoformat(sep=" ", timespec="seconds")


def duration(first: datetime, last: datetime) -> str:
    seconds = max(int((last - first).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s"


def span(stats: ReadStats) -> str:
    if stats.first is None or stats.last is None:
        return "no timestamps"
    return f"{when(stats.first)} to {when(stats.last)} ({duration(stats.first, stats.last)})"


def percent(confidence: float) -> str:
    return f"{round(max(0.0, min(confidence, 1.0)) * 100):d}%"


def order_key(incident: Incident) -> tuple[int, int, int, float]:
    """Most urgent first: ongoing, then severity, then count, then the most recent."""
    last = incident.last_seen.timestamp() if incident.last_seen else 0.0
    return (
        0 if incident.status == "ongoing" else 1,
        -severity_rank(incident.severity),
        -incident.count,
        -last,
    )


def ordered(incidents: Iterable[Incident]) -> list[Incident]:
    return sorted(incidents, key=order_key)


def in_order(incidents: Sequence[Incident]) -> Sequence[Incident]:
    """`ordered`, without holding every incident when they are lazy (a spill file): the sort
    keys are read in one pass, and each incident read again when asked for."""
    if not isinstance(incidents, LazySequence):
        return ordered(incidents)
    keys = [order_key(i) for i in incidents]
    # A stable sort of the positions by key: the same order as `ordered`.
    return Reordered(incidents, sorted(range(len(keys)), key=keys.__getitem__))


def status_label(incident: Incident) -> str:
    return "ONGOING" if incident.status == "ongoing" else "resolved"


def server(settings: SmtpSettings | None) -> str:
    s = settings or SmtpSettings()
    if s.host is None and s.port is None:
        return NOT_LOGGED
    host = s.host if s.host is not None else "(host not logged)"
    port = str(s.port) if s.port is not None else "(port not logged)"
    return inert(f"{host}:{port}")


def _yes_no(value: bool | None) -> str:
    return NOT_LOGGED if value is None else ("yes" if value else "no")


def _seconds(value: float | None) -> str:
    if value is None:
        return NOT_LOGGED
    return f"{value:g} s"


def settings_rows(settings: SmtpSettings | None) -> list[tuple[str, str]]:
    """The settings in effect, labelled the way the service's config names them."""
    s = settings or SmtpSettings()
    mode = NOT_LOGGED if s.ssl_mode is None else inert(s.ssl_mode)
    if s.ssl_mode is not None and not s.ssl_mode_known:
        mode += " (not a RuleManager SSL mode)"
    return [
        ("Server", server(s)),
        ("Enable SSL", _yes_no(s.enable_ssl)),
        ("SSL mode", mode),
        ("Timeout", _seconds(s.timeout_s)),
    ]


def settings_line(settings: SmtpSettings | None) -> str:
    return "  ".join(f"{name}: {value}" for name, value in settings_rows(settings))


def levels(stats: ReadStats) -> list[tuple[str, int]]:
    counts = dict(stats.by_level)
    first = [(name, counts.pop(name)) for name in LEVEL_ORDER if name in counts]
    return first + sorted(counts.items())


def levels_line(stats: ReadStats) -> str:
    pairs = levels(stats)
    return ", ".join(f"{inert(name)} {count:,}" for name, count in pairs) if pairs else "none"


def sends_line(stats: ReadStats) -> str:
    return (
        f"sends ok: {stats.sends_ok:,}, sends failed: {stats.sends_failed:,}, "
        f"configuration loads: {stats.config_loads:,}"
    )


@dataclass(frozen=True, slots=True)
class SourceRow:
    path: str
    bytes: int
    records: int
    read_as: str


def source_rows(analysis: Analysis) -> list[SourceRow]:
    """Each file with how it was read; a layout note for the file wins over the bare fields."""
    notes = _notes_by_path(analysis)
    rows = []
    for src in analysis.stats.sources:
        read_as = notes.get(src.path) or ", ".join(p for p in (src.layout, src.encoding) if p)
        rows.append(SourceRow(inert(src.path), src.bytes, src.records, inert(read_as)))
    return rows


def other_notes(analysis: Analysis) -> list[str]:
    """Layout notes that belong to no listed file (general remarks)."""
    paths = {src.path for src in analysis.stats.sources}
    return [
        inert(note)
        for note in analysis.layout_notes
        if not any(note.startswith(path + ": ") for path in paths)
    ]


def _notes_by_path(analysis: Analysis) -> dict[str, str]:
    found: dict[str, str] = {}
    # Longest path first, so "a.log.1" is not taken for a note about "a.log".
    paths = sorted((src.path for src in analysis.stats.sources), key=len, reverse=True)
    for note in analysis.layout_notes:
        for path in paths:
            if note.startswith(path + ": ") and path not in found:
                found[path] = note[len(path) + 2 :]
                break
    return found


def has_failures(analysis: Analysis) -> bool:
    return bool(analysis.incidents or analysis.unrecognized)


def incident_totals(analysis: Analysis) -> tuple[int, int]:
    """All incidents and the ongoing ones, whether the report details them or not."""
    if analysis.shortened is not None:
        return analysis.shortened.total, analysis.shortened.ongoing
    return len(analysis.incidents), sum(1 for i in analysis.incidents if i.status == "ongoing")


def shortened_note(analysis: Analysis) -> str:
    """Why a long report details only some incidents; empty when it details all."""
    s = analysis.shortened
    if s is None:
        return ""
    return (
        f"{len(analysis.incidents):,} of {s.total:,} incidents are shown in detail: the most "
        "urgent ones and the most urgent of every other cause. All of them are counted by "
        "cause; -v shows each in detail, --format json lists each."
    )


def cause_rows(analysis: Analysis) -> list[CauseSummary]:
    return list(analysis.shortened.causes) if analysis.shortened is not None else []


def headline(analysis: Analysis) -> str:
    """The one sentence a reader at 2 a.m. needs first."""
    if not has_failures(analysis):
        return NO_FAILURES
    parts = []
    if analysis.incidents:
        total, ongoing = incident_totals(analysis)
        parts.append(f"{plural(total, 'incident')} ({ongoing:,} ongoing)")
    else:
        parts.append("no known cause found")
    if analysis.unrecognized:
        failures = sum(u.count for u in analysis.unrecognized)
        parts.append(
            f"{plural(len(analysis.unrecognized), 'group')} of failures no rule explained "
            f"({plural(failures, 'failure')})"
        )
    return "; ".join(parts)


def read_line(analysis: Analysis) -> str:
    stats = analysis.stats
    return (
        f"Read {plural(len(stats.sources), 'file')}, {plural(stats.records, 'record')}, "
        f"{span(stats)}"
    )


def seen_line(first: datetime | None, last: datetime | None, count: int) -> str:
    return f"{plural(count, 'time')}, first {when(first)}, last {when(last)}"


def types_line(types: Sequence[str]) -> str:
    return " -> ".join(inert(t) for t in types) if types else "no exception type read"
