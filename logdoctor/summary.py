"""What the store says: the nightly summary (new, ongoing, resolved) and store reports.

`store_analysis(store)` gives an `Analysis` over the store's history, so `report` (and the TUI)
reuse the renderers of `analyze`.  `build_summary(store, result)` gives one night's summary,
written by `write_summary` as `summary-YYYY-MM-DD.json`, `.md` and `.html`.

Which list an incident is in, for the run that wrote the summary:

- new: first seen in this run (its `status` says whether it is still going on);
- resolved: seen before, resolved in this run;
- ongoing: seen before and still going on (with or without new failures tonight).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from logdoctor import __version__
from logdoctor.batch import BatchResult
from logdoctor.model import ReadStats
from logdoctor.render.jsonout import Streamed, object_chunks
from logdoctor.report_model import Analysis, Incident, Shortened, Unrecognized, iso
from logdoctor.spill import OrderedSpill
from logdoctor.store import Store, StoredUnrecognized

CHART_DAYS = 30
TOP_UNMATCHED = 10


def store_analysis(
    store: Store, *, since: datetime | None = None, until: datetime | None = None
) -> Analysis:
    """The store's incidents (overlapping [since, until]) as an Analysis, for the renderers.

    `stats` are the counts of everything the store has read, whatever the window.  The
    incidents wait in a spill file, read a page at a time from the store: a year of history
    holds tens of thousands.
    """
    spill = OrderedSpill()
    for stored in store.iter_incidents(since=since, until=until):
        spill.add(stored.incident)
    incidents = spill.incidents()
    unrecognized = tuple(u.group for u in store.unrecognized(since=since, until=until))
    return Analysis(
        stats=store.stats(),
        incidents=incidents,
        unrecognized=unrecognized,
        timeline=store.timeline(since=since, until=until),
        layout_notes=(),
    )


@dataclass(frozen=True, slots=True)
class DayCount:
    date: str  # YYYY-MM-DD, the log's own local date
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class Summary:
    day: date
    run_id: int
    # Each in the store's order (first seen); a first run over a year of log finds tens of
    # thousands of new ones, so these may be spills (`OrderedSpill`) read one at a time.
    new: Sequence[Incident]
    ongoing: Sequence[Incident]
    resolved: Sequence[Incident]
    by_day: tuple[DayCount, ...]
    chart_start: date
    chart_end: date
    unmatched: tuple[Unrecognized, ...]  # seen in this run, commonest first
    unmatched_tonight: tuple[int, ...]  # failures of each in this run
    stats: ReadStats
    run_records: int
    run_bytes: int
    notes: tuple[str, ...]
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """One list of the Markdown and HTML summary: every incident, or past `DETAIL_LIMIT` the
    most urgent ones and the most urgent of every other cause, with all counted by cause.  A
    first run over a year of log finds tens of thousands of new incidents; the JSON summary
    lists every one."""

    title: str
    total: int
    rows: Sequence[Incident]  # most urgent first
    shortened: Shortened | None
    note: str


def sections(summary: Summary) -> list[Section]:
    from logdoctor.render import view
    from logdoctor.render.shortlist import shortlist

    json_name = summary_paths(Path(), summary.day)[0].name
    out = []
    for title, items in (
        ("New", summary.new),
        ("Ongoing", summary.ongoing),
        ("Resolved tonight", summary.resolved),
    ):
        short = shortlist(Analysis(stats=summary.stats, incidents=items, unrecognized=()))
        if short.shortened is None:
            out.append(Section(title, len(items), view.in_order(items), None, ""))
            continue
        rows = view.ordered(short.incidents)
        note = (
            f"{len(rows):,} of {len(items):,} are listed: the most urgent ones and the most "
            f"urgent of every other cause. All are counted by cause above; {json_name} lists "
            "every one."
        )
        out.append(Section(title, len(items), rows, short.shortened, note))
    return out


def by_day(store: Store, end: date, days: int = CHART_DAYS) -> tuple[DayCount, ...]:
    """Failures per day and category over `days` days up to `end`, summed with pandas."""
    import pandas as pd

    start = end - timedelta(days=days - 1)
    rows = store.hour_counts(
        since=datetime.combine(start, datetime.min.time()),
        until=datetime.combine(end, datetime.max.time()),
    )
    if not rows:
        return ()
    frame = pd.DataFrame(rows, columns=["hour", "category", "count"])
    frame["date"] = frame["hour"].str.slice(0, 10)
    daily = frame.groupby(["date", "category"])["count"].sum().reset_index()
    daily = daily.sort_values(["date", "category"])
    return tuple(
        DayCount(date=str(d), category=str(c), count=int(n))
        for d, c, n in daily[["date", "category", "count"]].itertuples(index=False)
    )


def build_summary(store: Store, result: BatchResult, *, day: date | None = None) -> Summary:
    """The summary of the run `result` describes, from the store."""
    run_id = result.run_id
    new, ongoing, resolved = OrderedSpill(), OrderedSpill(), OrderedSpill()
    for stored in store.iter_incidents(run=run_id):
        incident = stored.incident
        if stored.first_run == run_id:
            new.add(incident)
        elif stored.resolved_run == run_id:
            resolved.add(incident)
        elif incident.status == "ongoing":
            ongoing.add(incident)
    stats = store.stats()
    # The chart ends on the last day the log speaks of: for a nightly run that is today or
    # yesterday, and a log replayed later still gets its own month charted.
    last_logged = stats.last.date() if stats.last is not None else None
    end = last_logged or (day or result.started_at.date())
    tonight: list[StoredUnrecognized] = [u for u in store.unrecognized() if u.last_run == run_id]
    tonight.sort(key=lambda u: (-u.run_count, -u.group.count, u.group.fingerprint))
    tonight = tonight[:TOP_UNMATCHED]
    return Summary(
        day=day or result.started_at.date(),
        run_id=run_id,
        new=new.incidents(),
        ongoing=ongoing.incidents(),
        resolved=resolved.incidents(),
        by_day=by_day(store, end),
        chart_start=end - timedelta(days=CHART_DAYS - 1),
        chart_end=end,
        unmatched=tuple(u.group for u in tonight),
        unmatched_tonight=tuple(u.run_count for u in tonight),
        stats=stats,
        run_records=result.records,
        run_bytes=result.bytes,
        notes=result.notes,
    )


def redact_summary(summary: Summary) -> Summary:
    """Secrets, user names and addresses replaced, with one set of stand-ins for the summary.

    Stand-ins are numbered in the order new, ongoing, resolved, then the unmatched groups;
    incidents go one at a time from one spill into another."""
    from logdoctor.redact import Redactor, redact_analysis, redact_incident

    redactor = Redactor()

    def redacted(items: Sequence[Incident]) -> Sequence[Incident]:
        spill = OrderedSpill()
        for incident in items:
            spill.add(redact_incident(incident, redactor))
        return spill.incidents()

    new, ongoing, resolved = (
        redacted(items) for items in (summary.new, summary.ongoing, summary.resolved)
    )
    rest = Analysis(stats=summary.stats, incidents=(), unrecognized=summary.unmatched)
    shown = redact_analysis(rest, redactor)
    return dataclasses.replace(
        summary,
        new=new,
        ongoing=ongoing,
        resolved=resolved,
        unmatched=shown.unrecognized,
        stats=shown.stats,
        redacted=True,
    )


# ---------------------------------------------------------------------------------------------
# JSON


def stats_json(stats: ReadStats) -> dict[str, object]:
    return {
        "records": stats.records,
        "config_loads": stats.config_loads,
        "sends_ok": stats.sends_ok,
        "sends_failed": stats.sends_failed,
        "damaged_records": stats.damaged_records,
        "by_level": dict(stats.by_level),
        "first": iso(stats.first),
        "last": iso(stats.last),
        "damaged": list(stats.damaged),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        key: list(value.items) if isinstance(value, Streamed) else value
        for key, value in _summary_fields(summary)
    }


def summary_json_chunks(summary: Summary) -> Iterator[str]:
    """The text of `json.dumps(summary_json(summary), indent=2, ensure_ascii=False)` in pieces:
    a first run over a year of log makes tens of thousands of new incidents, and their dicts
    and the one string of them all took more memory than everything else together."""
    return object_chunks(_summary_fields(summary))


def _summary_fields(summary: Summary) -> list[tuple[str, object]]:
    unmatched = []
    for group, tonight in zip(summary.unmatched, summary.unmatched_tonight, strict=True):
        item = group.as_contract()
        item["count_this_run"] = tonight
        unmatched.append(item)
    return [
        ("logdoctor_version", __version__),
        ("date", summary.day.isoformat()),
        (
            "run",
            {
                "id": summary.run_id,
                "records": summary.run_records,
                "bytes": summary.run_bytes,
                "notes": list(summary.notes),
            },
        ),
        ("new", Streamed(i.as_contract() for i in summary.new)),
        ("ongoing", Streamed(i.as_contract() for i in summary.ongoing)),
        ("resolved", Streamed(i.as_contract() for i in summary.resolved)),
        (
            "by_day",
            [{"date": d.date, "category": d.category, "count": d.count} for d in summary.by_day],
        ),
        ("unrecognized", unmatched),
        ("stats", stats_json(summary.stats)),
        (
            "sources",
            [
                {"path": s.path, "bytes": s.bytes, "records": s.records, "layout": s.layout}
                for s in summary.stats.sources
            ],
        ),
        ("redacted", summary.redacted),
    ]


# ---------------------------------------------------------------------------------------------
# Markdown


def summary_markdown(summary: Summary, parts: list[Section] | None = None) -> str:
    """The Markdown summary; `parts`: its `sections`, when the caller has them already."""
    from logdoctor.render import view
    from logdoctor.render.markdown import cause_table, code, escape, fenced

    s = summary.stats
    out = [
        f"# logdoctor nightly summary, {summary.day.isoformat()}",
        "",
        f"**{len(summary.new):,} new, {len(summary.ongoing):,} ongoing, "
        f"{len(summary.resolved):,} resolved.** This run read {summary.run_records:,} records "
        f"({summary.run_bytes:,} bytes); the store holds {s.records:,} records, "
        f"{escape(view.sends_line(s))}.",
        "",
    ]
    if summary.redacted:
        out += [f"> {escape(view.REDACTED_NOTE)}", ""]
    for section in parts if parts is not None else sections(summary):
        out += [f"## {section.title}", ""]
        if not section.total:
            out += ["None.", ""]
            continue
        if section.shortened is not None:
            out += cause_table(section.shortened.causes)
            out += [escape(section.note), ""]
        out += [
            "| severity | category | count | first seen | last seen | title |",
            "|---|---|---:|---|---|---|",
        ]
        for i in section.rows:
            out.append(
                f"| {escape(i.severity)} | {code(i.category, cell=True)} | {i.count:,} "
                f"| {view.when(i.first_seen)} | {view.when(i.last_seen)} | {escape(i.title)} |"
            )
        out.append("")
        for i in section.rows:
            if i.status != "ongoing" or not i.fix:
                continue
            out += [f"**{escape(i.title)}**: what to do", ""]
            out += [f"{n}. {escape(step)}" for n, step in enumerate(i.fix, start=1)]
            out.append("")
    out += [
        f"## Failures per day ({summary.chart_start.isoformat()} to "
        f"{summary.chart_end.isoformat()})",
        "",
    ]
    if summary.by_day:
        out += ["| date | category | failures |", "|---|---|---:|"]
        out += [
            f"| {d.date} | {code(d.category, cell=True)} | {d.count:,} |" for d in summary.by_day
        ]
    else:
        out.append("No failures in these days.")
    out.append("")
    if summary.unmatched:
        out += ["## Unmatched: failures no rule explained", ""]
        for n, (g, tonight) in enumerate(
            zip(summary.unmatched, summary.unmatched_tonight, strict=True), start=1
        ):
            out += [
                f"### {n}. {escape(view.types_line(g.types))}",
                "",
                f"- **This run:** {tonight:,}; in all: "
                f"{escape(view.seen_line(g.first_seen, g.last_seen, g.count))}",
                f"- **Fingerprint:** {code(g.fingerprint)}",
                "",
                *fenced(g.example),
                "",
            ]
    if summary.notes:
        out += ["## Files", "", *(f"- {escape(note)}" for note in summary.notes), ""]
    out.append(f"_logdoctor {__version__}, run {summary.run_id}_")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_CHART_W, _CHART_H = 760, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 10, 12, 40


def chart_svg(summary: Summary) -> Markup:
    """Failures per day by category over the chart's days, as a stacked bar chart (inline SVG)."""
    from logdoctor.render.chart import category_color

    days = [
        summary.chart_start + timedelta(days=n)
        for n in range((summary.chart_end - summary.chart_start).days + 1)
    ]
    counts = {(row.date, row.category): row.count for row in summary.by_day}
    totals: dict[str, int] = {}
    for row in summary.by_day:
        totals[row.category] = totals.get(row.category, 0) + row.count
    categories = sorted(totals, key=lambda c: (-totals[c], c))
    day_totals = [sum(counts.get((d.isoformat(), c), 0) for c in categories) for d in days]
    top = max([*day_totals, 1])
    height = _CHART_H + 18 * len(categories)
    plot_w = _CHART_W - _LEFT - _RIGHT
    plot_h = _CHART_H - _TOP - _BOTTOM
    slot = plot_w / len(days)
    caption = (
        f"Failures per day by category, {summary.chart_start.isoformat()} to "
        f"{summary.chart_end.isoformat()}"
    )
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {_CHART_W} {height}" width="100%" '
        f'aria-label="{escape(caption)}"><title>{escape(caption)}</title>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end" class="axis">{top}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h + 4}" text-anchor="end" class="axis">0</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_CHART_W - _RIGHT}" '
        f'y2="{_TOP + plot_h}" stroke="#999"/>',
    ]
    for index, d in enumerate(days):
        x = _LEFT + index * slot + slot * 0.1
        base = float(_TOP + plot_h)
        for category in categories:
            n = counts.get((d.isoformat(), category), 0)
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
                f'fill="{category_color(category)}"><title>{escape(d.isoformat())} '
                f"{escape(category)}: {n}</title></rect>"
            )
        if index % 5 == 0 or index == len(days) - 1:
            out.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle" '
                f'class="axis">{escape(d.strftime("%m-%d"))}</text>'
            )
    for number, category in enumerate(categories):
        y = _CHART_H + number * 18
        out.append(
            f'<rect x="{_LEFT}" y="{y - 10}" width="12" height="12" '
            f'fill="{category_color(category)}"/><text x="{_LEFT + 18}" y="{y}" class="legend">'
            f"{escape(category)} ({totals[category]:,})</text>"
        )
    if not categories:
        out.append(
            f'<text x="{_LEFT + 8}" y="{_TOP + plot_h / 2:.0f}" class="legend">'
            "No failures in these days.</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logdoctor nightly summary {{ s.day }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.2em; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.ongoing { color: #b00020; font-weight: 600; }
.axis, .legend { font-size: 12px; fill: #444; }
pre { background: #f5f5f5; padding: .6em; overflow-x: auto; white-space: pre-wrap; }
.note { color: #555; }
</style></head><body>
<h1>logdoctor nightly summary, {{ s.day }}</h1>
<p><strong>{{ "{:,}".format(s.new|length) }} new, {{ "{:,}".format(s.ongoing|length) }} ongoing,
{{ "{:,}".format(s.resolved|length) }} resolved.</strong>
This run read {{ "{:,}".format(s.run_records) }} records; the store holds
{{ "{:,}".format(s.stats.records) }} records, {{ sends }}.</p>
{% if s.redacted %}<p class="note">{{ redacted_note }}</p>{% endif %}
<h2>Failures per day</h2>
{{ chart }}
{% for section in groups %}
<h2>{{ section.title }}</h2>
{% if section.shortened %}
<table><tr><th>incidents</th><th>ongoing</th><th>failures</th><th>first seen</th>
<th>last seen</th><th>category</th><th>title</th></tr>
{% for c in section.shortened.causes %}
<tr><td class="n">{{ "{:,}".format(c.incidents) }}</td>
<td class="n{% if c.ongoing %} ongoing{% endif %}">{{ "{:,}".format(c.ongoing) }}</td>
<td class="n">{{ "{:,}".format(c.failures) }}</td><td>{{ when(c.first_seen) }}</td>
<td>{{ when(c.last_seen) }}</td><td><code>{{ c.category }}</code></td><td>{{ c.title }}</td></tr>
{% endfor %}</table>
<p class="note">{{ section.note }}</p>
{% endif %}
{% if section.rows %}
<table><tr><th>status</th><th>severity</th><th>category</th><th>count</th>
<th>first seen</th><th>last seen</th><th>title</th></tr>
{% for i in section.rows %}
<tr><td class="{{ i.status }}">{{ i.status }}</td><td>{{ i.severity }}</td>
<td><code>{{ i.category }}</code></td><td class="n">{{ "{:,}".format(i.count) }}</td>
<td>{{ when(i.first_seen) }}</td><td>{{ when(i.last_seen) }}</td><td>{{ i.title }}
{% if i.status == "ongoing" and i.fix %}<ol>{% for step in i.fix %}<li>{{ step }}</li>
{% endfor %}</ol>{% endif %}</td></tr>
{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}
{% endfor %}
{% if unmatched %}
<h2>Unmatched: failures no rule explained</h2>
{% for g, tonight in unmatched %}
<h3>{{ loop.index }}. {{ types(g.types) }}</h3>
<p>This run: {{ tonight }}; in all: {{ seen(g.first_seen, g.last_seen, g.count) }}.
Fingerprint <code>{{ g.fingerprint }}</code>.</p>
<pre>{{ clip(g.example) }}</pre>
{% endfor %}
{% endif %}
{% if s.notes %}<h2>Files</h2><ul>{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<p class="note">logdoctor {{ version }}, run {{ s.run_id }}</p>
</body></html>
"""


def summary_html(summary: Summary) -> str:
    return "".join(summary_html_chunks(summary))


def summary_html_chunks(summary: Summary, parts: list[Section] | None = None) -> Iterator[str]:
    """`summary_html` in pieces (Jinja2's `generate`), for writing without one big string."""
    import jinja2

    from logdoctor.render import view

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_HTML)
    return template.generate(
        s=summary,
        sends=view.sends_line(summary.stats),
        redacted_note=view.REDACTED_NOTE,
        chart=chart_svg(summary),
        groups=parts if parts is not None else sections(summary),
        unmatched=list(zip(summary.unmatched, summary.unmatched_tonight, strict=True)),
        when=view.when,
        types=view.types_line,
        seen=view.seen_line,
        clip=view.clip,
        version=__version__,
    )


def summary_paths(out_dir: Path, day: date) -> tuple[Path, Path, Path]:
    stem = f"summary-{day.isoformat()}"
    return (out_dir / f"{stem}.json", out_dir / f"{stem}.md", out_dir / f"{stem}.html")


def write_summary(summary: Summary, out_dir: Path) -> Sequence[Path]:
    """The three summary files; each written whole under a temporary name, then renamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = summary_paths(out_dir, summary.day)
    # The lists of the Markdown and HTML files: one pass over the incidents serves both.
    parts = sections(summary)
    # One file at a time, each written as it is made: never the three texts at once.
    makers: tuple[Callable[[], Iterable[str]], ...] = (
        lambda: chain(summary_json_chunks(summary), ("\n",)),
        lambda: (summary_markdown(summary, parts),),
        lambda: summary_html_chunks(summary, parts),
    )
    for path, make in zip(paths, makers, strict=True):
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            for chunk in make():
                fh.write(chunk)
        tmp.replace(path)
    return paths
