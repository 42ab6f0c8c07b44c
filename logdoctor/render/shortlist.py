"""Which incidents a human report details when a long log holds thousands.

A year of a flaky network gives tens of thousands of short incidents, most of them one failure
that the next successful send resolved.  JSON lists every one of them; the text, Markdown and
HTML reports are read by people, so past `DETAIL_LIMIT` incidents they detail the most urgent
ones (the report's own order, `view.order_key`) and the most urgent incident of every other
cause, and count all of them by cause (`Shortened`).  Each cause's fix is therefore shown at
least once, and nothing is left uncounted.

One pass over the incidents (they may be read back from a spill file one at a time) with a
bounded heap, so memory does not grow with the log.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from logdoctor.kb.categories import severity_rank
from logdoctor.render.view import order_key
from logdoctor.report_model import Analysis, CauseSummary, Incident, Shortened

DETAIL_LIMIT = 20

OrderKey = tuple[int, int, int, float, int]  # view.order_key, then the report position


@dataclass(slots=True)
class _Cause:
    best: OrderKey
    incident: Incident
    incidents: int = 0
    ongoing: int = 0
    failures: int = 0
    severity: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def add(self, incident: Incident) -> None:
        self.incidents += 1
        self.ongoing += incident.status == "ongoing"
        self.failures += incident.count
        if severity_rank(incident.severity) > severity_rank(self.severity):
            self.severity = incident.severity
        self.first_seen = _earlier(self.first_seen, incident.first_seen)
        self.last_seen = _later(self.last_seen, incident.last_seen)

    def summary(self) -> CauseSummary:
        i = self.incident
        return CauseSummary(
            rule=i.rule,
            category=i.category,
            severity=self.severity or i.severity,
            title=i.title,
            incidents=self.incidents,
            ongoing=self.ongoing,
            failures=self.failures,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
        )


def shortlist(analysis: Analysis, limit: int | None = DETAIL_LIMIT) -> Analysis:
    """`analysis` with only the incidents to detail (in report order) and `shortened` set;
    `analysis` itself when every incident would be detailed anyway (or `limit` is None)."""
    incidents = analysis.incidents
    if limit is None or len(incidents) <= limit:
        return analysis
    causes: dict[str, _Cause] = {}

    def keyed() -> Iterator[OrderKey]:
        # Counting by cause rides along the one pass the heap needs.
        for position, incident in enumerate(incidents):
            key: OrderKey = (*order_key(incident), position)
            cause = causes.get(incident.rule)
            if cause is None:
                cause = causes[incident.rule] = _Cause(key, incident)
            elif key < cause.best:
                cause.best, cause.incident = key, incident
            cause.add(incident)
            yield key

    most_urgent = heapq.nsmallest(limit, keyed())
    picked = {key[-1] for key in most_urgent} | {c.best[-1] for c in causes.values()}
    if len(picked) == len(incidents):
        return analysis
    ongoing = sum(c.ongoing for c in causes.values())
    ranked = sorted(causes.values(), key=lambda c: c.best)
    return dataclasses.replace(
        analysis,
        incidents=tuple(incidents[p] for p in sorted(picked)),
        shortened=Shortened(
            total=len(incidents),
            ongoing=ongoing,
            causes=tuple(c.summary() for c in ranked),
        ),
    )


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a if b is None else b
    return b if _comparable(b, a) and b < a else a


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a if b is None else b
    return b if _comparable(b, a) and b > a else a


def _comparable(a: datetime, b: datetime) -> bool:
    # Logs of different sites can mix naive and aware times; such a pair is left as found.
    return (a.tzinfo is None) == (b.tzinfo is None)
