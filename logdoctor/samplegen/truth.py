"""What the generator knows about every log it writes: the ground truth of MANIFEST.json.

The truth is counted while entries are generated, never by reading the written bytes back, so a
test can compare what the reader finds with what the generator meant to write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["noise", "config", "ok", "fail", "start", "stop", "error"]
Status = Literal["ongoing", "resolved"]

# The rule the expected incidents follow (written into the manifest, so a reader of the truth
# knows what "one incident" means here): consecutive failures of one category under one set
# of settings form an incident; any later successful send resolves every open incident except
# those of single-message causes (recipient, message or relay rejected), and a configuration
# record with settings different from the known ones resolves every open incident; what is
# still open at the end is ongoing.  Settings are those of the last configuration record
# before the failure in the same file (or set), unknown (null) when there is none.
# A bad recipient stays bad while other mail goes out: a success does not resolve these.
PER_MESSAGE = frozenset({"recipient.rejected", "message.rejected", "relay.denied"})

INCIDENT_RULE = (
    "failures with the same category and settings (from the last configuration record before "
    "them in the same file or set; null when none) form one incident until a later successful "
    "send (except for single-message causes: recipient.rejected, message.rejected, "
    "relay.denied), or a configuration record whose settings differ from the known ones, "
    "resolves it; still open at the end means ongoing"
)


@dataclass(frozen=True, slots=True)
class Settings:
    """SMTP settings as the service logs them when it loads its configuration."""

    host: str
    port: int
    enable_ssl: bool
    ssl_mode: str
    timeout_s: int

    def as_contract(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "enable_ssl": self.enable_ssl,
            "ssl_mode": self.ssl_mode,
            "timeout_s": self.timeout_s,
        }


UNKNOWN_SETTINGS: dict[str, object] = {
    "host": None,
    "port": None,
    "enable_ssl": None,
    "ssl_mode": None,
    "timeout_s": None,
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One log4net event before rendering. `message` lines are joined with ``\\n``."""

    when: datetime
    level: str
    logger: str
    thread: str
    user: str
    session: str
    message: str
    kind: Kind = "noise"
    settings: Settings | None = None  # for kind == "config"
    category: str | None = None  # for kind == "fail": the contract category


@dataclass(frozen=True, slots=True)
class Incident:
    category: str
    count: int
    status: Status
    settings: Settings | None
    first: datetime
    last: datetime

    def as_manifest(self) -> dict[str, object]:
        return {
            "category": self.category,
            "count": self.count,
            "status": self.status,
            "settings": self.settings.as_contract() if self.settings else dict(UNKNOWN_SETTINGS),
            "first_seen": iso(self.first),
            "last_seen": iso(self.last),
        }


def iso(when: datetime) -> str:
    """ISO 8601 with milliseconds, as the contract prints times."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


@dataclass(slots=True)
class _Open:
    category: str
    settings: Settings | None
    count: int
    first: datetime
    last: datetime


@dataclass(slots=True)
class IncidentTracker:
    """Groups failures into incidents as entries stream past (see INCIDENT_RULE)."""

    current: Settings | None = None
    open: dict[tuple[str, Settings | None], _Open] = field(default_factory=dict)
    done: list[Incident] = field(default_factory=list)

    def feed(self, entry: Entry) -> None:
        if entry.kind == "config" and entry.settings is not None:
            # Unknown -> known (a rolled file that starts after the last load) is no change.
            if self.current is not None and entry.settings != self.current:
                self._close("resolved")
            self.current = entry.settings
        elif entry.kind == "ok":
            self._close("resolved", keep=PER_MESSAGE)
        elif entry.kind == "fail" and entry.category is not None:
            key = (entry.category, self.current)
            group = self.open.get(key)
            if group is None:
                self.open[key] = _Open(entry.category, self.current, 1, entry.when, entry.when)
            else:
                group.count += 1
                group.last = entry.when

    def _close(self, status: Status, keep: frozenset[str] = frozenset()) -> None:
        for key, g in list(self.open.items()):
            if g.category in keep:
                continue
            self.done.append(Incident(g.category, g.count, status, g.settings, g.first, g.last))
            del self.open[key]

    def finish(self) -> tuple[Incident, ...]:
        self._close("ongoing")
        return tuple(sorted(self.done, key=lambda i: (i.first, i.category)))


@dataclass(frozen=True, slots=True)
class Truth:
    """What one written log holds, as the generator meant it."""

    layout_name: str
    layout_pattern: str
    encoding: str
    bom: bool
    line_ends: str  # "crlf", "lf" or "mixed"
    bytes: int
    crlf: int  # line ends written as CR LF
    lf: int  # line ends written as a lone LF
    records: int
    by_level: tuple[tuple[str, int], ...]
    config_loads: int
    sends_ok: int
    sends_failed: int
    damaged_records: int
    first: datetime | None
    last: datetime | None
    failures_by_category: tuple[tuple[str, int], ...]
    incidents: tuple[Incident, ...]
    configs: tuple[Settings, ...] = ()  # distinct settings loaded, in order of first load

    def as_manifest(self) -> dict[str, object]:
        return {
            "layout_name": self.layout_name,
            "layout": self.layout_pattern,
            "encoding": self.encoding,
            "bom": self.bom,
            "line_ends": self.line_ends,
            "bytes": self.bytes,
            "crlf": self.crlf,
            "lf": self.lf,
            "records": self.records,
            "by_level": dict(self.by_level),
            "config_loads": self.config_loads,
            "sends_ok": self.sends_ok,
            "sends_failed": self.sends_failed,
            "damaged_records": self.damaged_records,
            "first_timestamp": iso(self.first) if self.first else None,
            "last_timestamp": iso(self.last) if self.last else None,
            "failures_by_category": dict(self.failures_by_category),
            "incidents": [i.as_manifest() for i in self.incidents],
            "configs": [c.as_contract() for c in self.configs],
        }


@dataclass(slots=True)
class TruthCounter:
    """Counts entries as they are written; `freeze` gives the Truth."""

    records: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    config_loads: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    damaged: int = 0
    first: datetime | None = None
    last: datetime | None = None
    categories: Counter[str] = field(default_factory=Counter)
    configs: list[Settings] = field(default_factory=list)
    tracker: IncidentTracker = field(default_factory=IncidentTracker)

    def count(self, entry: Entry) -> None:
        self.records += 1
        self.levels[entry.level] += 1
        if self.first is None:
            self.first = entry.when
        self.last = entry.when
        if entry.kind == "config":
            self.config_loads += 1
            if entry.settings is not None and entry.settings not in self.configs:
                self.configs.append(entry.settings)
        elif entry.kind == "ok":
            self.sends_ok += 1
        elif entry.kind == "fail":
            self.sends_failed += 1
            self.categories[entry.category or "unknown"] += 1
        self.tracker.feed(entry)

    def count_damaged(self) -> None:
        self.records += 1
        self.damaged += 1
