"""One self-contained HTML file: inline CSS, an inline SVG chart, no script, no external URL.

The template is rendered with autoescape on, from a view model of plain strings built here, so
log text only ever reaches the page escaped.  The only markup handed over as safe is the chart,
which escapes its own text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from logdoctor import __version__
from logdoctor.render import view
from logdoctor.render.chart import category_color, failure_chart_svg
from logdoctor.report_model import Analysis, CauseSummary, Evidence, Incident, Unrecognized

TEMPLATE = "report.html.j2"


@dataclass(frozen=True, slots=True)
class EvidenceView:
    where: str
    text: str


@dataclass(frozen=True, slots=True)
class IncidentView:
    number: int
    anchor: str
    title: str
    category: str
    color: str
    severity: str
    status: str
    status_label: str
    resolved_by: str
    first_seen: str
    last_seen: str
    count: str
    rule: str
    confidence: str
    scope: str
    settings: list[tuple[str, str]]
    cause: str
    fix: list[str]
    verify: list[str]
    reasons: list[str]
    alternatives: list[tuple[str, str, str, str]]
    evidence: list[EvidenceView]
    evidence_note: str


@dataclass(frozen=True, slots=True)
class UnrecognizedView:
    number: int
    types: str
    seen: str
    fingerprint: str
    settings: str
    candidates: str
    where: str
    example: str


@dataclass(frozen=True, slots=True)
class CauseView:
    incidents: str
    ongoing: str
    failures: str
    first_seen: str
    last_seen: str
    category: str
    color: str
    title: str


@dataclass(frozen=True, slots=True)
class ReportView:
    title: str
    version: str
    headline: str
    has_failures: bool
    any_ongoing: bool
    read_line: str
    sends_line: str
    redacted_note: str
    chart: Markup
    incidents: list[IncidentView]
    causes: list[CauseView]  # only when `incidents` are not all of them
    shortened_note: str
    unrecognized: list[UnrecognizedView]
    span: str
    records: str
    levels: str
    damaged_count: str
    sources: list[view.SourceRow]
    notes: list[str]
    damaged: list[str] = field(default_factory=list)


def render_html(analysis: Analysis, *, title: str | None = None) -> str:
    return _template().render(report=build_view(analysis, title))


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE)


def _load(name: str) -> str:
    # importlib.resources finds the template inside an installed wheel or a zip as well.
    return (resources.files("logdoctor.render") / "templates" / name).read_text(encoding="utf-8")


def build_view(analysis: Analysis, title: str | None = None) -> ReportView:
    stats = analysis.stats
    return ReportView(
        title=view.one_line(title or view.DEFAULT_TITLE),
        version=__version__,
        headline=view.headline(analysis),
        has_failures=view.has_failures(analysis),
        any_ongoing=view.incident_totals(analysis)[1] > 0,
        read_line=view.read_line(analysis),
        sends_line=view.sends_line(stats),
        redacted_note=view.REDACTED_NOTE if analysis.redacted else "",
        chart=failure_chart_svg(analysis.timeline),
        incidents=[
            _incident(n, i) for n, i in enumerate(view.ordered(analysis.incidents), start=1)
        ],
        causes=[_cause(c) for c in view.cause_rows(analysis)],
        shortened_note=view.shortened_note(analysis),
        unrecognized=[
            _unrecognized(n, g)
            for n, g in enumerate(sorted(analysis.unrecognized, key=lambda g: -g.count), start=1)
        ],
        span=view.span(stats),
        records=f"{stats.records:,}",
        levels=view.levels_line(stats),
        damaged_count=f"{stats.damaged_records:,}",
        sources=view.source_rows(analysis),
        notes=view.other_notes(analysis),
        damaged=[view.one_line(d, 500) for d in stats.damaged],
    )


def _cause(c: CauseSummary) -> CauseView:
    return CauseView(
        incidents=f"{c.incidents:,}",
        ongoing=f"{c.ongoing:,}",
        failures=f"{c.failures:,}",
        first_seen=view.when(c.first_seen),
        last_seen=view.when(c.last_seen),
        category=view.one_line(c.category, 80),
        color=category_color(c.category),
        title=view.one_line(c.title),
    )


def _evidence(ev: Evidence) -> EvidenceView:
    return EvidenceView(where=view.inert(f"{ev.path}:{ev.line}"), text=view.clip(ev.text))


def _incident(number: int, i: Incident) -> IncidentView:
    shown = i.evidence[: view.EVIDENCE_FULL]
    resolved_by = ""
    if i.status == "resolved":
        resolved_by = view.one_line(i.resolved_by or "a later successful send")
    return IncidentView(
        number=number,
        anchor=f"incident-{number}",
        title=view.one_line(i.title),
        category=view.one_line(i.category, 80),
        color=category_color(i.category),
        severity=view.one_line(i.severity.lower(), 20),
        status=i.status,
        status_label=view.status_label(i),
        resolved_by=resolved_by,
        first_seen=view.when(i.first_seen),
        last_seen=view.when(i.last_seen),
        count=f"{i.count:,}",
        rule=view.one_line(i.rule, 120),
        confidence=view.percent(i.confidence),
        scope=view.one_line(i.scope or "", 20),
        settings=view.settings_rows(i.settings),
        cause=view.inert(" ".join(i.cause.split())),
        fix=[view.one_line(s, 2000) for s in i.fix],
        verify=[view.one_line(s, 2000) for s in i.verify],
        reasons=[view.one_line(r, 2000) for r in i.reasons],
        alternatives=[
            (
                view.one_line(a.rule, 120),
                view.one_line(a.category, 80),
                view.percent(a.confidence),
                view.one_line(a.title),
            )
            for a in i.alternatives
        ],
        evidence=[_evidence(ev) for ev in shown],
        evidence_note=f"{len(shown)} of {i.count:,} failures",
    )


def _unrecognized(number: int, g: Unrecognized) -> UnrecognizedView:
    near = ", ".join(
        f"{view.one_line(c.rule, 120)} {view.percent(c.confidence)}" for c in g.candidates
    )
    return UnrecognizedView(
        number=number,
        types=view.types_line(g.types),
        seen=view.seen_line(g.first_seen, g.last_seen, g.count),
        fingerprint=view.one_line(g.fingerprint, 200),
        settings=view.settings_line(g.settings) if g.settings is not None else "",
        candidates=near,
        where=view.inert(f"{g.evidence[0].path}:{g.evidence[0].line}") if g.evidence else "",
        example=view.clip(g.example),
    )
