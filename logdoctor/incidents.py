"""Findings become incidents: the story of what broke, since when, how often, and what fixed it.

Each failure is diagnosed with the settings in effect and the history so far (did these settings
send mail before? did they just change?).  Failures with the same cause and the same settings
are one incident until something resolves it:

- a successful send (mail flows again), except for causes that belong to single messages
  (a rejected recipient, message or relay: other mail going out between them is normal), or
- a configuration record with different settings (what caused it is gone); a later success or
  the silence that follows is said in `resolved_by`.

Whatever is still open at the end is `ongoing`.  Failures no rule explains are grouped by
fingerprint into `unrecognized`, never dropped.

The builder is streaming: it keeps one accumulator per open incident and a bounded amount of
evidence, so memory does not grow with the number of failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from logdoctor.diagkey import DiagnosisKeys
from logdoctor.grammar.chain import parse_chain
from logdoctor.hourly import HourlyCounts, hour_number, pack
from logdoctor.kb.fingerprint import fingerprint
from logdoctor.kb.loader import KnowledgeBase
from logdoctor.kb.match import Diagnosis, RuleMatch, diagnose_prepared
from logdoctor.kb.text import Prepared, prepare
from logdoctor.mask import digest
from logdoctor.model import (
    ConfigLoaded,
    Event,
    ExceptionChain,
    ExceptionLink,
    MatchContext,
    SendFailed,
    SendSucceeded,
    SmtpSettings,
)
from logdoctor.report_model import (
    Alternative,
    Evidence,
    Incident,
    Status,
    TimelinePoint,
    Unrecognized,
    iso,
)
from logdoctor.spill import IncidentSpill

EVIDENCE_FIRST = 3  # the first failures of an incident are kept as evidence ...
EVIDENCE_TEXT_LINES = 4  # ... each as its first lines ...
EVIDENCE_TEXT_CHARS = 600  # ... capped
EXAMPLE_CHARS = 2_000
MAX_ALTERNATIVES = 3
DIAGNOSIS_CACHE = 4_096
MASK_CHARS = 8_192  # the diagnosis key looks at the start of a failure text only
SNAPSHOT_VERSION = 1

# Causes that belong to single messages: other mail going out between them is expected, so
# a successful send does not resolve them (a bad address stays bad); a settings change does.
PER_MESSAGE = frozenset({"recipient.rejected", "message.rejected", "relay.denied"})

SettingsKey = tuple[str | None, int | None, bool | None, str | None, float | None]


def settings_key(settings: SmtpSettings | None) -> SettingsKey:
    if settings is None:
        return (None, None, None, None, None)
    host = settings.host.lower() if settings.host else None
    return (host, settings.port, settings.enable_ssl, settings.ssl_mode, settings.timeout_s)


def evidence_text(text: str) -> str:
    """What an incident shows of a failure: its first non-blank lines, capped."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip():
            lines.append(line.rstrip())
            if len(lines) == EVIDENCE_TEXT_LINES:
                break
    shown = "\n".join(lines)
    if len(shown) > EVIDENCE_TEXT_CHARS:
        shown = shown[: EVIDENCE_TEXT_CHARS - 1] + "…"
    return shown


def evidence_of(event: SendFailed) -> Evidence:
    return Evidence(
        path=event.path,
        line=event.line,
        text=evidence_text(event.text),
        timestamp=event.timestamp,
        kept=event.evidence_kept,
    )


def _where(event: Event) -> str:
    when = event.timestamp.isoformat(sep=" ", timespec="seconds") if event.timestamp else "?"
    return f"{when} ({event.path}:{event.line})"


@dataclass
class _Group:
    """An incident (or unrecognized group) while the log is being read."""

    key: tuple[object, ...]
    settings: SmtpSettings | None
    match: RuleMatch | None
    diagnosis: Diagnosis
    first: SendFailed
    last: SendFailed
    count: int = 0
    confidence: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    last_evidence: Evidence | None = None
    last_pending: bool = False  # last_evidence is still to be taken from `last`
    scopes: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    matches: dict[str, tuple[RuleMatch, Diagnosis]] = field(default_factory=dict)
    status: Status = "ongoing"
    resolved_by: str | None = None
    changed_at: str | None = None  # settings changed while it was open

    def add(self, event: SendFailed, diagnosis: Diagnosis) -> None:
        self.count += 1
        # The last failure is kept whole only while the group is open; its evidence is
        # taken when the group ends (most failures are followed by another of their kind).
        self.last = event if self.count > 1 else self.first
        best = diagnosis.best
        if best is not None:
            self.confidence = max(self.confidence, best.confidence)
            self.rules[best.rule] += 1
            if best.rule not in self.matches:
                self.matches[best.rule] = (best, diagnosis)
        if event.scope:
            self.scopes[event.scope] += 1
        if len(self.evidence) < EVIDENCE_FIRST:
            self.evidence.append(evidence_of(event))
        else:
            self.last_pending = True

    def final_last_evidence(self) -> Evidence | None:
        """The evidence of the latest failure after the first EVIDENCE_FIRST, if any."""
        if self.last_pending:
            self.last_evidence = evidence_of(self.last)
            self.last_pending = False
        return self.last_evidence


class IncidentBuilder:
    """Feed it events in log order; `incidents()`, `unrecognized()`, `timeline()` at the end.

    `default_settings` stand in for failures logged before any configuration record (from
    `--service-config`).  Failures outside [`since`, `until`] still move the state (a success
    before the window can resolve nothing inside it) but are not counted.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        default_settings: SmtpSettings | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> None:
        self.kb = kb
        self.default_settings = default_settings
        self.since = since
        self.until = until
        self._open: dict[tuple[object, ...], _Group] = {}
        # Closed incidents in the order they closed.  Final ones are kept as `Incident`s, not
        # groups: a group holds its first and last failure's text, and a long log closes tens
        # of thousands of them.  Those resolved by a settings change stay groups, since a
        # later send still adds to how they were resolved.
        self._closed: list[tuple[int, _Group | Incident]] = []  # (order closed, it)
        self._closes = 0
        self._spill: IncidentSpill | None = None
        self._spill_tag = 0
        self._unknown: dict[str, _Group] = {}
        self._after_change: list[_Group] = []  # resolved by a settings change, no send since
        self._worked: set[SettingsKey] = set()
        self._config: SmtpSettings | None = None
        self._changed = False  # settings changed and no mail has gone out since
        # Failures per hour and category.  A year of log has thousands of hours: for times
        # without a zone (all log4net writes) the two are packed into one int.
        self._hours: Counter[int] = Counter()
        self._categories: dict[str, int] = {}
        self._timeline: Counter[tuple[datetime, str]] = Counter()  # times with a zone
        self._cache: dict[tuple[str, MatchContext], Diagnosis] = {}
        self._prepared: dict[str, tuple[Prepared, str, dict[int, RuleMatch | None]]] = {}
        self._keys = DiagnosisKeys(kb)

    # -- feeding -------------------------------------------------------------------------

    def feed_all(self, events: Iterable[Event]) -> IncidentBuilder:
        for event in events:
            self.feed(event)
        return self

    def feed(self, event: Event) -> None:
        if isinstance(event, SendFailed):
            self._failed(event)
        elif isinstance(event, SendSucceeded):
            self._succeeded(event)
        elif isinstance(event, ConfigLoaded):
            self._configured(event)

    def _configured(self, event: ConfigLoaded) -> None:
        new = settings_key(event.settings)
        if self._config is not None and settings_key(self._config) != new:
            self._changed = True
            for key, group in list(self._open.items()):
                if settings_key(group.settings) != new:
                    group.changed_at = _where(event)
                    self._close(key, f"the settings changed at {_where(event)}", final=False)
                    self._after_change.append(group)
        self._config = event.settings

    def _succeeded(self, event: SendSucceeded) -> None:
        self._worked.add(settings_key(event.settings or self._config))
        self._changed = False
        for key, group in list(self._open.items()):
            if group.key[0] not in PER_MESSAGE:
                self._close(key, f"mail was sent at {_where(event)}")
        for group in self._after_change:
            group.resolved_by = f"{group.resolved_by}, then mail was sent at {_where(event)}"
            group.changed_at = None
        self._after_change.clear()

    def _close(self, key: tuple[object, ...], why: str, *, final: bool = True) -> None:
        group = self._open.pop(key)
        group.status = "resolved"
        group.resolved_by = why
        seq, self._closes = self._closes, self._closes + 1
        if not final:
            self._closed.append((seq, group))
        elif self._spill is not None:
            self._spill.add(_incident(group), self._spill_tag, seq)
        else:
            self._closed.append((seq, _incident(group)))

    def spill_to(self, spill: IncidentSpill, tag: int) -> None:
        """Write final incidents to `spill` from now on (`tag`: this builder's place among
        the builders sharing it); `flush` adds the rest when the log is read."""
        self._spill = spill
        self._spill_tag = tag

    def flush(self) -> None:
        """Add every incident not yet in the spill to it; `incidents()` of the spill then
        holds what `incidents()` of this builder would give."""
        assert self._spill is not None
        for seq, item in self._ordered():
            incident = item if isinstance(item, Incident) else _incident(item)
            self._spill.add(incident, self._spill_tag, seq)
        self._closed.clear()

    def _in_window(self, ts: datetime | None) -> bool:
        if ts is None:
            return True
        if self.since is not None and ts < self.since:
            return False
        return not (self.until is not None and ts > self.until)

    def _failed(self, event: SendFailed) -> None:
        settings = event.settings or self._config or self.default_settings
        skey = settings_key(settings)
        ctx = MatchContext(
            settings=settings,
            worked_before=self._worked_before(settings, skey),
            config_changed=self._changed if self._config is not None else None,
        )
        diagnosis = self._diagnose(event, ctx)
        if not self._in_window(event.timestamp):
            return
        category = diagnosis.best.category if diagnosis.best is not None else "unknown"
        ts = event.timestamp
        if ts is not None and ts.tzinfo is None:
            self._hours[self._hour_key(ts, category)] += 1
        elif ts is not None:
            self._timeline[(ts.replace(minute=0, second=0, microsecond=0), category)] += 1
        if diagnosis.best is None:
            group = self._unknown.get(diagnosis.fingerprint)
            if group is None:
                slim = _slim(event)
                group = _Group((diagnosis.fingerprint,), settings, None, diagnosis, slim, slim)
                self._unknown[diagnosis.fingerprint] = group
            group.add(event, diagnosis)
            return
        # One cause = one category: two rules of one category on the same settings (a reset
        # during TLS, a reset while connecting) are one incident, told by its commonest rule.
        key = (diagnosis.best.category, skey)
        group = self._open.get(key)
        if group is None:
            slim = _slim(event)
            group = _Group(key, settings, diagnosis.best, diagnosis, slim, slim)
            self._open[key] = group
        group.add(event, diagnosis)

    def _worked_before(self, settings: SmtpSettings | None, skey: SettingsKey) -> bool | None:
        if skey in self._worked:
            return True
        if settings is None:
            return None  # nothing known to compare with
        return False

    def _diagnose(self, event: SendFailed, ctx: MatchContext) -> Diagnosis:
        # The same failure repeats thousands of times with other ids and addresses: match it
        # once.  Codes stay in the key (numbers=False) so 535 and 550 never share an answer.
        # DiagnosisKeys gives that key fast, and lets texts differing only in long numbers
        # share it (see logdoctor.diagkey).
        text = event.chain.text
        shape = event.shape if len(text) <= MASK_CHARS else None
        masked = self._keys.key(text[:MASK_CHARS], shape)
        key = (masked, ctx)
        found = self._cache.get(key)
        if found is None:
            # Texts with one key have one diagnosis in one context (the memo above), so the
            # first of them, prepared, serves every other context too, and so do the rules
            # that read no context at all.
            prepared = self._prepared.get(masked)
            if prepared is None:
                # A light chain holds only types (a repeat of a failure shape): parse it in full.
                chain = parse_chain(text) if event.chain.light else event.chain
                prepared = (prepare(chain), fingerprint(chain), {})
                if len(self._prepared) >= DIAGNOSIS_CACHE:
                    self._prepared.pop(next(iter(self._prepared)))
                self._prepared[masked] = prepared
            p, fp, text_only = prepared
            found = diagnose_prepared(self.kb, p, ctx, fp, text_only=text_only)
            if len(self._cache) >= DIAGNOSIS_CACHE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = found
        return found

    # -- continuing across runs (the nightly batch) --------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What a later run needs to continue this one, as JSON-able data.

        Kept: the open incidents, those resolved by a settings change that a later send may
        still annotate, the unrecognized groups, the settings that sent mail, the settings in
        effect and whether they just changed.  Left out: incidents already final (the store
        keeps them), the timeline (the store adds it up) and the diagnosis cache.  Of a
        group's first and last failure only what the results use is kept.
        """
        return {
            "version": SNAPSHOT_VERSION,
            "open": [_group_state(g) for g in self._open.values()],
            "after_change": [_group_state(g) for g in self._after_change],
            "unknown": [_group_state(g) for g in self._unknown.values()],
            "worked": sorted((list(k) for k in self._worked), key=repr),
            "config": settings_to_state(self._config),
            "changed": self._changed,
        }

    @classmethod
    def restore(
        cls,
        kb: KnowledgeBase,
        state: dict[str, Any],
        *,
        default_settings: SmtpSettings | None = None,
    ) -> IncidentBuilder:
        """A builder that continues where `snapshot()` left off.

        Its `incidents()` lists the groups that were still open or could still change, plus
        everything fed since; `timeline()` covers only what is fed since.
        """
        if state.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported incident state version {state.get('version')!r}")
        builder = cls(kb, default_settings=default_settings)
        for item in state["open"]:
            group = _group_from_state(item)
            builder._open[group.key] = group
        for item in state["after_change"]:
            group = _group_from_state(item)
            builder._after_change.append(group)
            builder._closed.append((builder._closes, group))
            builder._closes += 1
        for item in state["unknown"]:
            group = _group_from_state(item)
            builder._unknown[group.diagnosis.fingerprint] = group
        builder._worked = {_settings_key_from(k) for k in state["worked"]}
        builder._config = settings_from_state(state["config"])
        builder._changed = bool(state["changed"])
        return builder

    # -- results -------------------------------------------------------------------------

    def incidents(self) -> tuple[Incident, ...]:
        found = [g if isinstance(g, Incident) else _incident(g) for _, g in self._ordered()]
        found.sort(key=lambda i: (i.first_seen or datetime.min, i.evidence[0].line))
        return tuple(found)

    def _ordered(self) -> list[tuple[int, _Group | Incident]]:
        """Closed ones in the order they closed, then the open ones."""
        still = enumerate(self._open.values(), start=self._closes)
        return [*self._closed, *still]

    def unrecognized(self) -> tuple[Unrecognized, ...]:
        groups = sorted(self._unknown.values(), key=lambda g: (-g.count, g.first.line))
        return tuple(_unrecognized(g) for g in groups)

    def _hour_key(self, ts: datetime, category: str) -> int:
        return pack(hour_number(ts), self._categories.setdefault(category, len(self._categories)))

    def hourly(self) -> tuple[Counter[int], list[str]] | None:
        """The timeline's counts packed (`hourly.HourlyCounts`), or None when some failure
        had a time with a zone (then `timeline()` is the one)."""
        return None if self._timeline else (self._hours, list(self._categories))

    def timeline(self) -> tuple[TimelinePoint, ...]:
        packed = HourlyCounts([(self._hours, list(self._categories))])
        if not self._timeline:
            return tuple(packed)
        counts = Counter(self._timeline)
        for point in packed:
            counts[(point.hour, point.category)] += point.count
        return tuple(
            TimelinePoint(hour=hour, category=category, count=count)
            for (hour, category), count in sorted(counts.items())
        )


def _basename(path: str) -> str:
    return path.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]


def _evidence(group: _Group) -> tuple[Evidence, ...]:
    last = group.final_last_evidence()
    tail = (last,) if last is not None else ()
    return (*group.evidence, *tail)


def _alternatives(diagnosis: Diagnosis, skip: str | None) -> tuple[Alternative, ...]:
    out = [
        Alternative(rule=m.rule, category=m.category, confidence=m.confidence, title=m.title)
        for m in diagnosis.alternatives
        if m.rule != skip
    ]
    return tuple(out[:MAX_ALTERNATIVES])


def _incident(group: _Group) -> Incident:
    match, diagnosis = group.matches[group.rules.most_common(1)[0][0]]
    first = group.first.timestamp
    # Stable across runs over the same log: what it is, with which settings, since when.
    since = iso(first) or f"{_basename(group.first.path)}:{group.first.line}"
    ident = digest(match.rule, match.category, repr(settings_key(group.settings)), since)
    resolved_by = group.resolved_by
    if resolved_by is not None and group.changed_at is not None:
        resolved_by += ", no failure of this kind since"
    scope = group.scopes.most_common(1)[0][0] if group.scopes else None
    return Incident(
        id=ident,
        rule=match.rule,
        category=match.category,
        severity=match.severity,
        title=match.title,
        status=group.status,
        first_seen=first,
        last_seen=group.last.timestamp,
        count=group.count,
        settings=group.settings,
        confidence=group.confidence,
        cause=match.cause,
        fix=match.fix,
        verify=match.verify,
        reasons=match.reasons,
        evidence=_evidence(group),
        alternatives=_alternatives(diagnosis, match.rule),
        resolved_by=resolved_by,
        scope=scope,
        fingerprint=diagnosis.fingerprint,
    )


def _unrecognized(group: _Group) -> Unrecognized:
    text = group.first.text
    example = text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
    return Unrecognized(
        fingerprint=group.diagnosis.fingerprint,
        count=group.count,
        first_seen=group.first.timestamp,
        last_seen=group.last.timestamp,
        example=example,
        types=group.first.chain.types,
        evidence=_evidence(group),
        candidates=_alternatives(group.diagnosis, None),
        settings=group.settings,
    )


# -- state codecs (JSON-able, exact round trip) ----------------------------------------------


def _ts_state(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _ts_from(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def settings_to_state(settings: SmtpSettings | None) -> dict[str, Any] | None:
    """SmtpSettings as JSON-able data that `settings_from_state` turns back into an equal one."""
    if settings is None:
        return None
    return {
        "host": settings.host,
        "port": settings.port,
        "enable_ssl": settings.enable_ssl,
        "ssl_mode": settings.ssl_mode,
        "ssl_mode_known": settings.ssl_mode_known,
        "timeout_s": settings.timeout_s,
        "extra": [list(pair) for pair in settings.extra],
    }


def settings_from_state(state: dict[str, Any] | None) -> SmtpSettings | None:
    if state is None:
        return None
    return SmtpSettings(
        host=state["host"],
        port=state["port"],
        enable_ssl=state["enable_ssl"],
        ssl_mode=state["ssl_mode"],
        ssl_mode_known=bool(state["ssl_mode_known"]),
        timeout_s=state["timeout_s"],
        extra=tuple((str(k), str(v)) for k, v in state["extra"]),
    )


def _settings_key_from(value: list[Any]) -> SettingsKey:
    host, port, enable_ssl, ssl_mode, timeout_s = value
    return (host, port, enable_ssl, ssl_mode, timeout_s)


def evidence_to_state(ev: Evidence) -> dict[str, Any]:
    return {"path": ev.path, "line": ev.line, "text": ev.text, "timestamp": _ts_state(ev.timestamp)}


def evidence_from_state(state: dict[str, Any]) -> Evidence:
    return Evidence(
        path=state["path"],
        line=int(state["line"]),
        text=state["text"],
        timestamp=_ts_from(state["timestamp"]),
    )


def match_to_state(match: RuleMatch | None) -> dict[str, Any] | None:
    return None if match is None else asdict(match)


def match_from_state(state: dict[str, Any] | None) -> RuleMatch | None:
    if state is None:
        return None
    return RuleMatch(
        rule=state["rule"],
        category=state["category"],
        title=state["title"],
        severity=state["severity"],
        confidence=float(state["confidence"]),
        reasons=tuple(state["reasons"]),
        priority=int(state["priority"]),
        cause=state["cause"],
        fix=tuple(state["fix"]),
        verify=tuple(state["verify"]),
    )


def _diagnosis_state(d: Diagnosis) -> dict[str, Any]:
    return {
        "best": match_to_state(d.best),
        "alternatives": [match_to_state(m) for m in d.alternatives],
        "unknown": d.unknown,
        "fingerprint": d.fingerprint,
    }


def _diagnosis_from(state: dict[str, Any]) -> Diagnosis:
    alternatives = tuple(m for m in map(match_from_state, state["alternatives"]) if m is not None)
    return Diagnosis(
        best=match_from_state(state["best"]),
        alternatives=alternatives,
        unknown=bool(state["unknown"]),
        fingerprint=state["fingerprint"],
    )


def _failure_state(event: SendFailed) -> dict[str, Any]:
    # The results use a group's first and last failure only for where and when it was, the
    # example text (cut at EXAMPLE_CHARS) and the exception types.
    return {
        "path": event.path,
        "line": event.line,
        "timestamp": _ts_state(event.timestamp),
        "scope": event.scope,
        "settings": settings_to_state(event.settings),
        "text": event.text[: EXAMPLE_CHARS + 1],
        "types": list(event.chain.types),
    }


def _slim(event: SendFailed) -> SendFailed:
    """What a group keeps of a failure: where, when, types and the example text, capped.

    Holding every group's full events (their whole text and parsed chain) made memory grow
    with the number of incidents on long logs; the results never use more than this.
    """
    return _failure_from(_failure_state(event))


def _failure_from(state: dict[str, Any]) -> SendFailed:
    text = state["text"]
    links = tuple(ExceptionLink(type=t, message="") for t in state["types"])
    return SendFailed(
        path=state["path"],
        line=int(state["line"]),
        timestamp=_ts_from(state["timestamp"]),
        chain=ExceptionChain(links=links, text=text),
        scope=state["scope"],
        settings=settings_from_state(state["settings"]),
        text=text,
    )


def _group_state(group: _Group) -> dict[str, Any]:
    return {
        "key": [list(part) if isinstance(part, tuple) else part for part in group.key],
        "settings": settings_to_state(group.settings),
        "match": match_to_state(group.match),
        "diagnosis": _diagnosis_state(group.diagnosis),
        "first": _failure_state(group.first),
        "last": _failure_state(group.last),
        "count": group.count,
        "confidence": group.confidence,
        "evidence": [evidence_to_state(e) for e in group.evidence],
        "last_evidence": (
            evidence_to_state(last) if (last := group.final_last_evidence()) is not None else None
        ),
        "scopes": dict(group.scopes),
        "rules": dict(group.rules),
        "matches": {
            rule: [match_to_state(m), _diagnosis_state(d)] for rule, (m, d) in group.matches.items()
        },
        "status": group.status,
        "resolved_by": group.resolved_by,
        "changed_at": group.changed_at,
    }


def _group_from_state(state: dict[str, Any]) -> _Group:
    key = tuple(tuple(part) if isinstance(part, list) else part for part in state["key"])
    matches: dict[str, tuple[RuleMatch, Diagnosis]] = {}
    for rule, (m, d) in state["matches"].items():
        found = match_from_state(m)
        if found is not None:
            matches[rule] = (found, _diagnosis_from(d))
    last_evidence = state["last_evidence"]
    return _Group(
        key=key,
        settings=settings_from_state(state["settings"]),
        match=match_from_state(state["match"]),
        diagnosis=_diagnosis_from(state["diagnosis"]),
        first=_failure_from(state["first"]),
        last=_failure_from(state["last"]),
        count=int(state["count"]),
        confidence=float(state["confidence"]),
        evidence=[evidence_from_state(e) for e in state["evidence"]],
        last_evidence=evidence_from_state(last_evidence) if last_evidence is not None else None,
        scopes=Counter({str(k): int(v) for k, v in state["scopes"].items()}),
        rules=Counter({str(k): int(v) for k, v in state["rules"].items()}),
        matches=matches,
        status="resolved" if state["status"] == "resolved" else "ongoing",
        resolved_by=state["resolved_by"],
        changed_at=state["changed_at"],
    )
