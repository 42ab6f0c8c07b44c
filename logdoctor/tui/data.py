"""What the terminal UI shows, as pure functions over an `Analysis`.

Rows for the incident table (unrecognized failure groups included, so nothing is hidden),
filtering, fuzzy search, sorting and timeline buckets.  No Textual here: the screens call these
and draw the result, and the tests check them without a terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from rapidfuzz import fuzz, process

from logdoctor.kb.categories import SEVERITIES, severity_rank
from logdoctor.render import view
from logdoctor.report_model import Analysis, Incident, TimelinePoint, Unrecognized

Granularity = Literal["hour", "day"]
SortColumn = Literal["severity", "category", "title", "count", "first_seen", "last_seen", "status"]
SORT_COLUMNS: tuple[SortColumn, ...] = (
    "severity",
    "category",
    "title",
    "count",
    "first_seen",
    "last_seen",
    "status",
)
UNMATCHED = "unmatched"
STATUSES: tuple[str, ...] = ("ongoing", "resolved", UNMATCHED)
ALL = "all"
# A fuzzy score at or above this (0-100) keeps a row; partial_ratio scores a typo in a
# word of the text around 80, an unrelated word well under 60.
SEARCH_THRESHOLD = 75
# Fuzzy matching costs query length times text length: search the head of long messages,
# in the first few evidence records (the same failure repeats in the others).
SEARCH_TEXT_CHARS = 2000
EVIDENCE_SEARCH_CHARS = 400
EVIDENCE_SEARCHED = 3
UNRECOGNIZED_CAUSE = (
    "No rule in the knowledge base explains this failure. The evidence below is what was "
    "logged; the closest rules are listed as alternatives."
)


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the incident table: an incident, or a group of failures no rule explains."""

    key: str
    incident: Incident
    unrecognized: Unrecognized | None = None
    search_text: str = field(default="", compare=False)

    @property
    def status(self) -> str:
        return UNMATCHED if self.unrecognized is not None else self.incident.status

    @property
    def host(self) -> str:
        settings = self.incident.settings
        return settings.host if settings is not None and settings.host else ""


def items_of(analysis: Analysis) -> tuple[Item, ...]:
    """Incidents first (most urgent first), then the unrecognized groups."""
    out = [_incident_item(i) for i in view.ordered(analysis.incidents)]
    out += [_unrecognized_item(u) for u in analysis.unrecognized]
    return tuple(out)


def _incident_item(incident: Incident) -> Item:
    return Item(key=incident.id, incident=incident, search_text=_search_text(incident))


def _unrecognized_item(group: Unrecognized) -> Item:
    title = "No rule explains: " + view.one_line(group.example, 120)
    pseudo = Incident(
        id="u-" + group.fingerprint[:12],
        rule="",
        category="unknown",
        severity="warning",
        title=title,
        status="ongoing",
        first_seen=group.first_seen,
        last_seen=group.last_seen,
        count=group.count,
        settings=group.settings,
        confidence=0.0,
        cause=UNRECOGNIZED_CAUSE,
        fix=(),
        evidence=group.evidence,
        alternatives=group.candidates,
        fingerprint=group.fingerprint,
    )
    text = _search_text(pseudo) + "\n" + " ".join(group.types).lower()
    return Item(
        key=pseudo.id, incident=pseudo, unrecognized=group, search_text=text[:SEARCH_TEXT_CHARS]
    )


def _search_text(incident: Incident) -> str:
    """Lower-cased once here, so a search over many rows is one C-level pass."""
    settings = incident.settings
    parts = [incident.title, incident.category, incident.rule]
    if settings is not None and settings.host:
        parts.append(settings.host)
    parts += [e.text[:EVIDENCE_SEARCH_CHARS] for e in incident.evidence[:EVIDENCE_SEARCHED]]
    return "\n".join(parts)[:SEARCH_TEXT_CHARS].lower()


# ---------------------------------------------------------------------------------------------
# Filters and search


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user narrowed the view to.  `ALL` (or None for times) means no restriction."""

    category: str = ALL
    severity: str = ALL
    status: str = ALL
    since: datetime | None = None
    until: datetime | None = None
    query: str = ""

    def cleared(self) -> Filters:
        return Filters()

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)  # type: ignore[arg-type]


def search_score(query: str, item: Item) -> float:
    """0-100: how well `query` matches the row's title, category, host and messages."""
    q = query.strip().lower()
    if not q:
        return 100.0
    if q in item.search_text:
        return 100.0
    return float(fuzz.partial_ratio(q, item.search_text))


def search(items: Sequence[Item], query: str) -> list[Item]:
    """The rows that match `query` (a substring, or fuzzily: a typo or two is forgiven)."""
    q = query.strip().lower()
    if not q or not items:
        return list(items)
    # One C-level pass over all rows, on every core: fast enough for tens of thousands.
    scores = process.cdist(
        [q],
        [item.search_text for item in items],
        scorer=fuzz.partial_ratio,
        score_cutoff=SEARCH_THRESHOLD,
        workers=-1,
    )[0]
    return [item for item, score in zip(items, scores, strict=True) if score >= SEARCH_THRESHOLD]


def in_range(item: Item, since: datetime | None, until: datetime | None) -> bool:
    """Whether the row's failures overlap the range (unknown times are kept)."""
    first, last = item.incident.first_seen, item.incident.last_seen
    if since is not None and last is not None and last < since:
        return False
    return not (until is not None and first is not None and first > until)


def apply_filters(items: Iterable[Item], filters: Filters) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if filters.category != ALL and item.incident.category != filters.category:
            continue
        if filters.severity != ALL and item.incident.severity != filters.severity:
            continue
        if filters.status != ALL and item.status != filters.status:
            continue
        if not in_range(item, filters.since, filters.until):
            continue
        out.append(item)
    return search(out, filters.query)


def categories_of(items: Iterable[Item]) -> list[str]:
    return sorted({item.incident.category for item in items})


def severities_of(items: Iterable[Item]) -> list[str]:
    found = {item.incident.severity for item in items}
    return [s for s in SEVERITIES if s in found] + sorted(found - set(SEVERITIES))


# ---------------------------------------------------------------------------------------------
# Sorting


def _sort_key(column: SortColumn, item: Item) -> tuple[object, ...]:
    incident = item.incident
    if column == "severity":
        return (-severity_rank(incident.severity), incident.category)
    if column == "category":
        return (incident.category,)
    if column == "title":
        return (incident.title.lower(),)
    if column == "count":
        return (-incident.count,)
    if column == "first_seen":
        return (incident.first_seen or datetime.min,)
    if column == "last_seen":
        return (incident.last_seen or datetime.min,)
    return (STATUSES.index(item.status) if item.status in STATUSES else len(STATUSES),)


def sort_items(items: Sequence[Item], column: SortColumn, reverse: bool = False) -> list[Item]:
    """Stable: rows that tie keep their urgency order.  Severity and count sort biggest first."""
    return sorted(items, key=lambda item: _sort_key(column, item), reverse=reverse)


# ---------------------------------------------------------------------------------------------
# Timeline


@dataclass(frozen=True, slots=True)
class TimelineData:
    """Failures per bucket and category over a range, empty buckets filled in."""

    granularity: Granularity
    starts: tuple[datetime, ...]
    categories: tuple[str, ...]  # most failures first
    counts: dict[tuple[datetime, str], int]

    def series(self, category: str) -> list[int]:
        return [self.counts.get((start, category), 0) for start in self.starts]

    def total(self, category: str) -> int:
        return sum(self.series(category))


def floor_time(ts: datetime, granularity: Granularity) -> datetime:
    hour = ts.replace(minute=0, second=0, microsecond=0)
    return hour if granularity == "hour" else hour.replace(hour=0)


def step(granularity: Granularity) -> timedelta:
    return timedelta(hours=1) if granularity == "hour" else timedelta(days=1)


# A year of hours is 8760 buckets: more than any terminal is wide, and the screen only
# squeezes them into columns, so stop filling in beyond this.
MAX_BUCKETS = 20_000


def timeline_data(
    points: Iterable[TimelinePoint],
    granularity: Granularity,
    *,
    categories: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TimelineData | None:
    """Bucket the hourly points; None when nothing failed in the range."""
    wanted = set(categories) if categories is not None else None
    chosen = [
        p
        for p in points
        if p.count > 0
        and (wanted is None or p.category in wanted)
        and (since is None or p.hour >= floor_time(since, "hour"))
        and (until is None or p.hour <= until)
    ]
    if not chosen:
        return None
    counts: dict[tuple[datetime, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for p in chosen:
        counts[(floor_time(p.hour, granularity), p.category)] += p.count
        totals[p.category] += p.count
    first = floor_time(min(p.hour for p in chosen), granularity)
    last = floor_time(max(p.hour for p in chosen), granularity)
    starts: list[datetime] = []
    cursor, delta = first, step(granularity)
    while cursor <= last and len(starts) < MAX_BUCKETS:
        starts.append(cursor)
        cursor += delta
    order = sorted(totals, key=lambda c: (-totals[c], c))
    return TimelineData(granularity, tuple(starts), tuple(order), dict(counts))


def squeeze(values: Sequence[int], width: int) -> list[int]:
    """`values` summed into at most `width` columns, each covering whole buckets."""
    if width <= 0:
        return []
    if len(values) <= width:
        return list(values)
    per = -(-len(values) // width)  # ceiling: every column the same span
    return [sum(values[i : i + per]) for i in range(0, len(values), per)]


SPARK_CHARS = " ▁▂▃▄▅▆▇█"


def spark(values: Sequence[int], peak: int) -> str:
    """One character per value; any failure shows at least the lowest bar."""
    if peak <= 0:
        return " " * len(values)
    top = len(SPARK_CHARS) - 1
    out = []
    for v in values:
        if v <= 0:
            out.append(SPARK_CHARS[0])
        else:
            out.append(SPARK_CHARS[max(1, min(top, round(v / peak * top)))])
    return "".join(out)


def latest_time(analysis: Analysis) -> datetime | None:
    """The log's own "now": relative ranges (`7d`) count back from its last timestamp."""
    stamps = [i.last_seen for i in analysis.incidents if i.last_seen is not None]
    stamps += [u.last_seen for u in analysis.unrecognized if u.last_seen is not None]
    if analysis.stats.last is not None:
        stamps.append(analysis.stats.last)
    return max(stamps) if stamps else None
