"""What an analysis produces: incidents, unrecognized failures, the timeline and what was read.

Renderers (text, markdown, json, html), redaction and the store all take an `Analysis`; they
never look at records or events.  `as_contract()` gives exactly the JSON shape of
shared/contract.md (fields may be added, never renamed or dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from logdoctor import __version__
from logdoctor.model import ReadStats, SmtpSettings
from logdoctor.quickpickle import quick_pickle

Status = Literal["ongoing", "resolved"]


def iso(ts: datetime | None) -> str | None:
    """The log's own local time, ISO 8601 with milliseconds (contract)."""
    return None if ts is None else ts.isoformat(timespec="milliseconds")


def config_json(settings: SmtpSettings | None) -> dict[str, object]:
    """The contract's `config` object; unknown fields are null."""
    return (settings or SmtpSettings()).as_contract()


@quick_pickle
@dataclass(frozen=True, slots=True)
class Evidence:
    """A log record that shows the failure: where it is and its first lines."""

    path: str
    line: int
    text: str
    timestamp: datetime | None = None
    kept: bool = field(default=False, compare=False)  # redaction leaves `text` as it is

    def as_contract(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "text": self.text}


@quick_pickle
@dataclass(frozen=True, slots=True)
class Alternative:
    rule: str
    category: str
    confidence: float
    title: str = ""

    def as_contract(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "title": self.title,
        }


@quick_pickle
@dataclass(frozen=True, slots=True)
class Incident:
    """Failures with the same cause and the same settings, close together in time."""

    id: str
    rule: str
    category: str
    severity: str
    title: str
    status: Status
    first_seen: datetime | None
    last_seen: datetime | None
    count: int
    settings: SmtpSettings | None
    confidence: float
    cause: str
    fix: tuple[str, ...]
    verify: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # why the rule matched
    evidence: tuple[Evidence, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    resolved_by: str | None = None  # "configuration changed at ... then a successful send at ..."
    scope: str | None = None  # fatal | nonfatal | None (RuleManager's wrapper exception)
    fingerprint: str = ""

    def as_contract(self) -> dict[str, object]:
        return {
            "id": self.id,
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "status": self.status,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "count": self.count,
            "config": config_json(self.settings),
            "confidence": round(self.confidence, 3),
            "cause": self.cause,
            "fix": list(self.fix),
            "evidence": [e.as_contract() for e in self.evidence],
            "alternatives": [a.as_contract() for a in self.alternatives],
            # additions beyond the contract's minimum
            "verify": list(self.verify),
            "reasons": list(self.reasons),
            "resolved_by": self.resolved_by,
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True)
class Unrecognized:
    """Failures no rule explains, grouped by fingerprint (never dropped)."""

    fingerprint: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    example: str
    types: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    candidates: tuple[Alternative, ...] = ()  # rules that came close, below the threshold
    settings: SmtpSettings | None = None

    def as_contract(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "count": self.count,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "example": self.example,
            "types": list(self.types),
            "evidence": [e.as_contract() for e in self.evidence],
            "candidates": [c.as_contract() for c in self.candidates],
            "config": config_json(self.settings),
        }


@dataclass(frozen=True, slots=True)
class CauseSummary:
    """Every incident of one rule, counted: what a shortened report says of those it leaves out."""

    rule: str
    category: str
    severity: str  # the most severe of its incidents
    title: str
    incidents: int
    ongoing: int
    failures: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class Shortened:
    """Set on an Analysis whose `incidents` are only those a human report details.

    A long log can hold tens of thousands of incidents; printing each in full helps nobody at
    2 a.m. and takes minutes.  `total` and `ongoing` count all of them, and `causes` (most
    urgent first) covers every one, shown or not.
    """

    total: int
    ongoing: int
    causes: tuple[CauseSummary, ...]


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """Failures in one hour, by category (`unknown` for unrecognized ones)."""

    hour: datetime
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class Analysis:
    stats: ReadStats
    incidents: Sequence[Incident]  # a tuple, or incidents read back from a spill file
    unrecognized: tuple[Unrecognized, ...]
    timeline: Sequence[TimelinePoint] = ()  # a tuple, or `hourly.HourlyCounts`
    layout_notes: tuple[str, ...] = ()  # "Rulemanager.log: Dovetail SDK (tab), detected, utf-8"
    redacted: bool = False
    # Set when `incidents` holds only the ones a human report details (`shortlist.shortlist`);
    # never for JSON, which always lists every incident.
    shortened: Shortened | None = None

    def as_contract(self) -> dict[str, object]:
        s = self.stats
        return {
            "logdoctor_version": __version__,
            "sources": [
                {
                    "path": src.path,
                    "bytes": src.bytes,
                    "records": src.records,
                    "encoding": src.encoding,
                    "layout": src.layout,
                }
                for src in s.sources
            ],
            "incidents": [i.as_contract() for i in self.incidents],
            "unrecognized": [u.as_contract() for u in self.unrecognized],
            "stats": {
                "records": s.records,
                "config_loads": s.config_loads,
                "sends_ok": s.sends_ok,
                "sends_failed": s.sends_failed,
                "damaged_records": s.damaged_records,
                "by_level": dict(s.by_level),
                "first": iso(s.first),
                "last": iso(s.last),
                "damaged": list(s.damaged),
            },
            "redacted": self.redacted,
        }
