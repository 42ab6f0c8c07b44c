"""Records -> events: configuration loaded, send failed, send succeeded, service start and stop.

Most records are routine and are only counted.  Cheap literal checks decide which records can
matter at all; only those reach the grammars.  A failure text repeats thousands of times, so
parsed chains are kept in a bounded LRU cache keyed by the record body.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from logdoctor.fastpath import PhraseLine, Span
from logdoctor.grammar.chain import is_email_type, parse_chain
from logdoctor.grammar.codes import provider_markers
from logdoctor.grammar.config import find_config
from logdoctor.model import (
    ConfigLoaded,
    Event,
    ExceptionChain,
    ExceptionLink,
    ReadStats,
    Record,
    Scope,
    SendFailed,
    SendSucceeded,
    ServiceStarted,
    ServiceStopped,
    SmtpSettings,
    SourceStats,
)
from logdoctor.shapes import Shaper

DEFAULT_SUCCESS_PHRASES: tuple[str, ...] = (
    "email sent",
    "e-mail sent",
    "message sent",
    "mail sent",
    "sent email",
    "sent e-mail",
    "sent message",
    "successfully sent",
    "sent successfully",
)

# Literal checks look at this much of a record; a longer body is still parsed (capped there).
PREFILTER_CHARS = 64 * 1024
CACHE_SIZE = 4096
MAX_DAMAGED_LISTED = 100

_PROBLEM_LEVELS = frozenset({"WARN", "ERROR", "FATAL"})
_FAILED_TO_SEND = re.compile(r"\bfail(?:ed|ure|s)?\s+(?:to\s+)?send(?:ing)?\b")
_MAIL_WORDS = re.compile(r"e-?mail|\bmail|message|smtp|notification")
# Words that make a "sent" phrase mean the opposite.
_NOT_SUCCESS = re.compile(
    r"\bfail|\bunable\b|\bcould\s*n[o']t\b|\bcannot\b|\bcan't\b|\bnot\s+(?:been\s+)?sent\b"
    r"|\bexception\b|\berror\b|\bretry|\bwill\s+be\s+sent\b|\bnot\s+yet\b"
)
# Service start and stop: the subject must be the service itself, on the first line.
_SUBJECT = (
    r"(?:(?:dovetail\s+)?rule\s?manager(?:\s+(?:windows\s+)?service)?|(?:windows\s+)?service)"
)
_STARTED = re.compile(
    r"^\W{0,3}(?:" + _SUBJECT + r")\s+(?:has\s+|was\s+|is\s+)?(?:started|starting|start(?:ed)?"
    r"\s+successfully|running)\b"
    r"|^\W{0,3}(?:starting|started)\s+(?:the\s+)?(?:" + _SUBJECT + r")\b"
)
_STOPPED = re.compile(
    r"^\W{0,3}(?:" + _SUBJECT + r")\s+(?:has\s+|was\s+|is\s+)?(?:stopped|stopping|shut\s?down"
    r"|shutting\s+down)\b"
    r"|^\W{0,3}(?:stopping|stopped|shutting\s+down)\s+(?:the\s+)?(?:" + _SUBJECT + r")\b"
)
_SERVICE_LOGGER = re.compile(r"(?i)rule\s?manager|service|program|host|main")


class ChainCache:
    """A bounded LRU of parsed chains, keyed by the exact record body.

    The key is the exact text, not a masked one: a chain carries its own messages and codes, so
    two bodies that differ only in an address or a reply code must not share one.  Bodies that
    differ in such details are still cheap to parse, because the grammar memoises its per-line
    work (frames and markers repeat verbatim).

    `read(text, light=True)` gives a repeat of a failure shape (`shapes`) only its link
    types, which is all that deciding and grouping a failure needs; the diagnosis parses the
    text again when it has not seen its kind before.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, ExceptionChain] = OrderedDict()
        self._shaper = Shaper()
        # (shape, types key) -> (the shape, the types' links): repeats share one shape object,
        # so a list of events pickled for another process carries each shape once.
        self._types: dict[tuple[str, tuple[int, ...]], tuple[str, tuple[ExceptionLink, ...]]] = {}

    def parse(self, text: str) -> ExceptionChain:
        chain = self._items.get(text)
        if chain is not None:
            self.hits += 1
            self._items.move_to_end(text)
            return chain
        self.misses += 1
        chain = parse_chain(text)
        if self.size <= 0:
            return chain
        self._items[text] = chain
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return chain

    def read(self, text: str, *, light: bool) -> tuple[ExceptionChain, str | None]:
        """The chain of a failure text, and with `light` the text's shape and a light chain
        for a repeat of it."""
        if not light:
            return self.parse(text), None
        found = self._shaper.shape_and_key(text)
        if found is None:
            return self.parse(text), None
        shape = found[0]
        known = self._types.get(found)
        if known is None:
            chain = self.parse(text)
            if len(self._types) >= CACHE_SIZE:
                self._types.pop(next(iter(self._types)))
            links = tuple(ExceptionLink(type=t, message="") for t in chain.types)
            self._types[found] = (shape, links)
            return chain, shape
        self.hits += 1
        shared, links = known
        return ExceptionChain(links=links, text=text, light=True), shared


@dataclass
class EventCounter:
    """Counts for `analyze`'s stats: every record by level, and what became an event."""

    records: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    config_loads: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    service_starts: int = 0
    service_stops: int = 0
    other: int = 0  # records that became no event
    damaged_records: int = 0
    damaged: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    def add_record(self, record: Record) -> None:
        self.records += 1
        self.by_level[record.level or "NONE"] += 1
        if record.damaged:
            self.damaged_records += 1
            if len(self.damaged) < MAX_DAMAGED_LISTED:
                self.damaged.append(f"{record.where}: {record.reason or 'damaged record'}")
        ts = record.timestamp
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts

    def merge(self, other: EventCounter) -> None:
        """Add the counts of a later part of the same stream."""
        self.records += other.records
        self.by_level.update(other.by_level)
        self.config_loads += other.config_loads
        self.sends_ok += other.sends_ok
        self.sends_failed += other.sends_failed
        self.service_starts += other.service_starts
        self.service_stops += other.service_stops
        self.other += other.other
        self.damaged_records += other.damaged_records
        room = MAX_DAMAGED_LISTED - len(self.damaged)
        self.damaged.extend(other.damaged[: max(room, 0)])
        for ts in (other.first, other.last):
            if ts is not None:
                if self.first is None or ts < self.first:
                    self.first = ts
                if self.last is None or ts > self.last:
                    self.last = ts

    def add_span(self, span: Span) -> None:
        """A run of records counted in bulk by the fast reader (none of them damaged)."""
        self.records += span.records
        for level, count in span.by_level.items():
            self.by_level[level] += count
        # The records of a span that are not built become no event.
        self.other += span.records - len(span.interesting)
        for ts in (span.first, span.last):
            if ts is not None:
                if self.first is None or ts < self.first:
                    self.first = ts
                if self.last is None or ts > self.last:
                    self.last = ts

    def add_event(self, event: Event | None) -> None:
        if isinstance(event, ConfigLoaded):
            self.config_loads += 1
        elif isinstance(event, SendFailed):
            self.sends_failed += 1
        elif isinstance(event, SendSucceeded):
            self.sends_ok += 1
        elif isinstance(event, ServiceStarted):
            self.service_starts += 1
        elif isinstance(event, ServiceStopped):
            self.service_stops += 1
        else:
            self.other += 1

    def to_stats(self, sources: Sequence[SourceStats] = ()) -> ReadStats:
        return ReadStats(
            sources=tuple(sources),
            records=self.records,
            by_level=tuple(sorted(self.by_level.items())),
            config_loads=self.config_loads,
            sends_ok=self.sends_ok,
            sends_failed=self.sends_failed,
            damaged_records=self.damaged_records,
            first=self.first,
            last=self.last,
            damaged=tuple(self.damaged),
        )


def events_from_records(
    records: Iterable[Record],
    *,
    success_phrases: Sequence[str] = DEFAULT_SUCCESS_PHRASES,
    counter: EventCounter | None = None,
    cache: ChainCache | None = None,
    light: bool = False,
) -> Iterator[Event]:
    """The events of a record stream, in order; streaming (one record in memory at a time).

    Failures and successes carry the settings of the last configuration-loaded record before
    them.  When `counter` is given, every record and event is counted into it.  With `light`,
    failures repeating a shape get light chains (`ChainCache.read`).
    """
    phrases = tuple(p.lower() for p in success_phrases if p.strip())
    chains = cache if cache is not None else ChainCache()
    settings: SmtpSettings | None = None
    for record in records:
        if counter is not None:
            counter.add_record(record)
        event = record_event(
            record, settings=settings, success_phrases=phrases, cache=chains, light=light
        )
        if counter is not None:
            counter.add_event(event)
        if event is None:
            continue
        if isinstance(event, ConfigLoaded):
            settings = event.settings
        yield event


def events_from_scan(
    items: Iterable[Record | Span],
    *,
    success_phrases: Sequence[str] = DEFAULT_SUCCESS_PHRASES,
    counter: EventCounter | None = None,
    cache: ChainCache | None = None,
    settings: SmtpSettings | None = None,
    light: bool = False,
) -> Iterator[Event]:
    """`events_from_records` over `RecordReader.scan`: the same events and counts.

    A `Span`'s records are counted at once; only its `interesting` records are looked at.
    `settings` are the ones in effect before the first record (from an earlier file).  With
    `light`, failures repeating a shape get light chains (`ChainCache.read`), and a one-line
    success that follows a success (no other event between) is only counted: with the same
    settings in effect it tells an incident builder nothing new, and on a healthy server most
    records are such successes.
    """
    phrases = tuple(p.lower() for p in success_phrases if p.strip())
    chains = cache if cache is not None else ChainCache()
    after_success = False
    for item in items:
        if isinstance(item, Span):
            if counter is not None:
                counter.add_span(item)
            records: Iterable[Record | PhraseLine] = item.interesting
        else:
            if counter is not None:
                counter.add_record(item)
            records = (item,)
        for record in records:
            if isinstance(record, PhraseLine):
                if after_success and light:
                    if counter is not None:
                        low = record.message[:PREFILTER_CHARS].lower()
                        if _is_success((record.level or "").upper(), low, phrases):
                            counter.sends_ok += 1
                        else:
                            counter.other += 1
                    continue
                event: Event | None = phrase_line_event(record, settings, phrases)
            else:
                event = record_event(
                    record, settings=settings, success_phrases=phrases, cache=chains, light=light
                )
            if counter is not None:
                counter.add_event(event)
            if event is None:
                continue
            if isinstance(event, ConfigLoaded):
                settings = event.settings
            after_success = isinstance(event, SendSucceeded)
            yield event


def record_event(
    record: Record,
    *,
    settings: SmtpSettings | None = None,
    success_phrases: Sequence[str] = DEFAULT_SUCCESS_PHRASES,
    cache: ChainCache | None = None,
    light: bool = False,
) -> Event | None:
    """The event one record is, or None for everything else.  `success_phrases` lower case;
    `light`: a failure repeating a shape gets a light chain (`ChainCache.read`)."""
    text = record.message
    head = text[:PREFILTER_CHARS]
    low = head.lower()
    where = (record.path, record.line, record.timestamp)

    if "loaded" in low and ("config" in low or "setting" in low):
        found = find_config(text)
        if found is not None:
            return ConfigLoaded(*where, settings=found[0], text=found[1])

    level = (record.level or "").upper()
    chain: ExceptionChain | None = None
    if "xception" in head or "rror" in head or level in _PROBLEM_LEVELS or "fail" in low:
        if "Exception" not in text and "Error" not in text:
            # Every link the grammar reads has a type ending in Exception or Error: this text
            # has no links, so only its words can make it a failure (a warning such as "Polling
            # cycle took 20 seconds" is not worth a parse).
            if not _failed_by_words(low, record.logger):
                chain = _NO_LINKS
            else:
                chain, shape = _read_chain(text, cache, light)
                return SendFailed(
                    *where,
                    chain=chain,
                    scope=scope_of(chain),
                    settings=settings,
                    text=text,
                    shape=shape,
                )
        else:
            chain, shape = _read_chain(text, cache, light)
            if _is_send_failure(chain, low, record.logger):
                return SendFailed(
                    *where,
                    chain=chain,
                    scope=scope_of(chain),
                    settings=settings,
                    text=text,
                    shape=shape,
                )

    if not (chain and chain.links) and _is_success(level, low, success_phrases):
        return SendSucceeded(*where, text=text, settings=settings)

    first_line = low.lstrip().split("\n", 1)[0][:300]
    if ("start" in first_line or "stop" in first_line or "shut" in first_line) and (
        record.logger is None or _SERVICE_LOGGER.search(record.logger)
    ):
        if _STARTED.search(first_line):
            return ServiceStarted(*where, text=text)
        if _STOPPED.search(first_line):
            return ServiceStopped(*where, text=text)
    return None


_NO_LINKS = ExceptionChain(links=(), text="")


def _read_chain(
    text: str, cache: ChainCache | None, light: bool
) -> tuple[ExceptionChain, str | None]:
    return cache.read(text, light=light) if cache is not None else (parse_chain(text), None)


def _is_success(level: str, low: str, success_phrases: Sequence[str]) -> bool:
    return (
        level not in ("ERROR", "FATAL")
        and any(p in low for p in success_phrases)
        and not _NOT_SUCCESS.search(low)
    )


def phrase_line_event(
    item: PhraseLine, settings: SmtpSettings | None, success_phrases: Sequence[str]
) -> SendSucceeded | None:
    """`record_event` of a `PhraseLine`: it holds no other word, so it is a success or nothing."""
    low = item.message[:PREFILTER_CHARS].lower()
    if _is_success((item.level or "").upper(), low, success_phrases):
        return SendSucceeded(
            item.path, item.line, item.timestamp, text=item.message, settings=settings
        )
    return None


def _is_send_failure(chain: ExceptionChain, low: str, logger: str | None) -> bool:
    if any(is_email_type(t) for t in chain.types):
        return True
    return _failed_by_words(low, logger)


def _failed_by_words(low: str, logger: str | None) -> bool:
    if _FAILED_TO_SEND.search(low) is None:
        return False
    return _MAIL_WORDS.search(low) is not None or (
        logger is not None and re.search(r"(?i)mail|smtp", logger) is not None
    )


def scope_of(chain: ExceptionChain) -> Scope | None:
    """fatal / nonfatal from the RuleManager wrapper exception, outermost first."""
    for type_name in chain.types:
        if type_name.endswith("NonFatalEmailServiceException"):
            return "nonfatal"
        if type_name.endswith("FatalEmailServiceException"):
            return "fatal"
    return None


# --- JSON shapes ----------------------------------------------------------------------------

EVENT_NAMES: dict[type, str] = {
    ConfigLoaded: "config_loaded",
    SendFailed: "send_failed",
    SendSucceeded: "send_succeeded",
    ServiceStarted: "service_started",
    ServiceStopped: "service_stopped",
}


def iso_ms(ts: datetime | None) -> str | None:
    return ts.isoformat(timespec="milliseconds") if ts is not None else None


def settings_to_dict(settings: SmtpSettings | None) -> dict[str, object] | None:
    """The contract's `config` object, plus `ssl_mode_known` and `extra`."""
    if settings is None:
        return None
    out = settings.as_contract()
    timeout = settings.timeout_s
    if timeout is not None and float(timeout).is_integer():
        out["timeout_s"] = int(timeout)
    out["ssl_mode_known"] = settings.ssl_mode_known
    out["extra"] = dict(settings.extra)
    return out


def chain_to_dict(chain: ExceptionChain) -> dict[str, object]:
    return {
        "types": list(chain.types),
        "links": [
            {"type": link.type, "message": link.message, "frames": list(link.frames)}
            for link in chain.links
        ],
        "partial": chain.partial,
        "smtp_replies": [
            {"code": r.code, "enhanced": r.enhanced, "text": r.text} for r in chain.smtp_replies
        ],
        "socket_errors": list(chain.socket_errors),
        "hresults": list(chain.hresults),
        "aad_codes": list(chain.aad_codes),
        "http_status": list(chain.http_status),
        "provider_markers": list(provider_markers(chain.text)),
    }


def event_to_dict(event: Event) -> dict[str, object]:
    """One event as a JSON-ready dict (the `events --format jsonl` line)."""
    out: dict[str, object] = {
        "event": EVENT_NAMES[type(event)],
        "path": event.path,
        "line": event.line,
        "timestamp": iso_ms(event.timestamp),
    }
    if isinstance(event, ConfigLoaded):
        out["settings"] = settings_to_dict(event.settings)
        out["text"] = event.text
    elif isinstance(event, SendFailed):
        out["scope"] = event.scope
        out["settings"] = settings_to_dict(event.settings)
        out["chain"] = chain_to_dict(event.chain)
    elif isinstance(event, SendSucceeded):
        out["settings"] = settings_to_dict(event.settings)
        out["text"] = event.text
    else:
        out["text"] = event.text
    return out
