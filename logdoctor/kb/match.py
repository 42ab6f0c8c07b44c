"""Matching a parsed failure and its context against the knowledge base.

Semantics (docs/rule-schema.md): keys of one block are ANDed, lists inside a key are ORed, `any`
needs one block, `not` excludes on a block that holds.  A condition that needs context nobody
knows (no settings logged, no history) is *unknown*: the rule still matches, at lower confidence,
and an unknown `not` block does not exclude.

Confidence is a noisy-OR of the weights of the conditions that held, times UNKNOWN_FACTOR per
unknown condition.  So a rule whose settings are known and hold outranks a rule that only has the
same text evidence, unknown settings cost a little but leave a strong text match first, and a
failure nothing fits gets `unknown` with the candidates listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from rapidfuzz import fuzz

from logdoctor.kb.compiled import Block, Phrase, TypePattern
from logdoctor.kb.fingerprint import fingerprint
from logdoctor.kb.loader import KbRule, KnowledgeBase
from logdoctor.kb.schema import HistoryCond, SettingsCond
from logdoctor.kb.text import Prepared, prepare
from logdoctor.model import ExceptionChain, MatchContext, SmtpSettings

THRESHOLD = 0.5  # below it the answer is `unknown`, with the candidates listed
UNKNOWN_FACTOR = 0.9

W_TYPE = 0.5  # a specific type (MailBeeLoginNoCredentialsException) names its cause
W_TYPE_GENERIC = 0.15
W_PHRASE = 0.65  # three words or more
W_PHRASE_SHORT = 0.5
W_SMTP = 0.35
W_ENHANCED = 0.55
W_ENHANCED_PREFIX = 0.5
W_SOCKET = 0.45
W_AAD = 0.6
W_HTTP = 0.35
W_REGEX = 0.5
W_SETTINGS_KEY = 0.25  # first key of a settings block; each further key adds W_SETTINGS_MORE
W_SETTINGS_MORE = 0.1
W_SETTINGS_MAX = 0.5
W_PROVIDER = 0.2
W_HISTORY = 0.3
W_NOT_CONTEXT = 0.2  # a settings `not` block that the known settings rule out

# Base types that say little on their own: a rule matching only these is a weak candidate.
GENERIC_TYPES = frozenset(
    {
        "exception",
        "systemexception",
        "applicationexception",
        "ioexception",
        "socketexception",
        "win32exception",
        "aggregateexception",
        "invalidoperationexception",
        "webexception",
        "mailbeeexception",
        "fatalemailserviceexception",
        "nonfatalemailserviceexception",
        "emailserviceexception",
        "targetinvocationexception",
    }
)

# Fuzzy matching on long texts only looks at windows around the phrase's words.
_FULL_FUZZ_LIMIT = 3_000
_ANCHOR_HITS = 40


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: str
    category: str
    title: str
    severity: str
    confidence: float
    reasons: tuple[str, ...]
    priority: int = 0
    cause: str = ""
    fix: tuple[str, ...] = ()
    verify: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "category": self.category,
            "title": self.title,
            "severity": self.severity,
            "confidence": self.confidence,
            "cause": self.cause,
            "fix": list(self.fix),
            "verify": list(self.verify),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """`best` is None when nothing reaches THRESHOLD; `alternatives` are then the candidates."""

    best: RuleMatch | None
    alternatives: tuple[RuleMatch, ...]
    unknown: bool
    fingerprint: str

    @property
    def ranked(self) -> tuple[RuleMatch, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives

    @property
    def category(self) -> str:
        return self.best.category if self.best else "unknown"


@dataclass(slots=True)
class _Result:
    ok: bool = True
    evidence: list[tuple[float, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def fail(self) -> _Result:
        self.ok = False
        return self

    def add(self, other: _Result) -> None:
        self.ok = self.ok and other.ok
        self.evidence.extend(other.evidence)
        self.unknown.extend(other.unknown)

    @property
    def score(self) -> float:
        return combine(w for w, _ in self.evidence) * UNKNOWN_FACTOR ** len(self.unknown)


def combine(weights: Iterable[float]) -> float:
    """Noisy-OR: independent pieces of evidence, each with its own weight."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - min(max(w, 0.0), 0.99)
    return 1.0 - miss


# -- text conditions ---------------------------------------------------------------------------


def type_matches(pattern: TypePattern, full: str) -> bool:
    """`full` is lower case.  Globs match the full name; plain names the full name or a tail."""
    if pattern.glob:
        return fnmatchcase(full, pattern.text)
    return full == pattern.text or full.endswith("." + pattern.text)


def _types(patterns: tuple[TypePattern, ...], p: Prepared) -> _Result:
    for shown in p.types:
        full = shown.lower()
        for pattern in patterns:
            if type_matches(pattern, full):
                short = full.rsplit(".", 1)[-1]
                core = pattern.text.strip("*?.")
                generic = short in GENERIC_TYPES or (pattern.glob and len(core) < 8)
                weight = W_TYPE_GENERIC if generic else W_TYPE
                return _Result(evidence=[(weight, f"type {shown}")])
    return _Result(ok=False)


def _content_words(needle: str) -> list[str]:
    return [w for w in needle.split() if len(w) >= 4]


def _covered(words: list[str], region: str) -> bool:
    """A fuzzy match must still contain the phrase's words (typos allowed).

    Without this, `... is disabled for the tenant` matches `... is disabled for the mailbox`
    at 90: one different word in a long phrase barely moves the similarity.
    """
    missing = 0
    for w in words:
        if w in region:
            continue
        if len(w) >= 5 and fuzz.partial_ratio(w, region) >= 80:
            continue
        missing += 1
    return missing <= (1 if len(words) >= 6 else 0)


def _windows(needle: str, hay: str) -> list[str]:
    """Parts of a long text around the phrase's words (partial_ratio is slow on 20 KB)."""
    if len(hay) <= _FULL_FUZZ_LIMIT:
        return [hay]
    anchors = sorted(set(_content_words(needle)), key=len, reverse=True)[:4]
    if not anchors:
        anchors = needle.split()[:2]
    spans: list[tuple[int, int]] = []
    pad = len(needle)
    for word in anchors:
        start = 0
        for _ in range(_ANCHOR_HITS):
            i = hay.find(word, start)
            if i < 0:
                break
            spans.append((max(0, i - pad), min(len(hay), i + len(word) + pad)))
            start = i + 1
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return [hay[a:b] for a, b in merged]


_SCORES: dict[tuple[str, str, float], float] = {}
_SCORES_MAX = 16_384


def phrase_score(needle: str, hay: str, cutoff: float = 0.0) -> float:
    """Similarity 0-100 of the normalised phrase to its best place in the normalised text.

    Scores under `cutoff`, and fuzzy matches that lose one of the phrase's words, count 0.
    Memoised: a log's failures of one kind are diagnosed again for every context they occur
    in (settings, history), and two thirds of the fuzzy searches were repeats.
    """
    key = (needle, hay, cutoff)
    score = _SCORES.get(key)
    if score is None:
        score = _phrase_score(needle, hay, cutoff)
        if len(_SCORES) >= _SCORES_MAX:
            _SCORES.clear()
        _SCORES[key] = score
    return score


def _phrase_score(needle: str, hay: str, cutoff: float) -> float:
    if not needle or not hay:
        return 0.0
    if needle in hay:
        return 100.0
    words = _content_words(needle)
    if len(hay) <= len(needle):
        score = float(fuzz.ratio(needle, hay))
        return score if score >= cutoff and _covered(words, hay) else 0.0
    best = 0.0
    for window in _windows(needle, hay):
        al = fuzz.partial_ratio_alignment(needle, window, score_cutoff=max(cutoff, best))
        if al is None or al.score <= best:
            continue
        region = window[max(0, al.dest_start - 8) : al.dest_end + 8]
        if _covered(words, region):
            best = float(al.score)
            if best >= 100.0:
                break
    return best


def _phrase_weight(phrase: Phrase, score: float, threshold: float) -> float:
    base = W_PHRASE if phrase.words >= 3 else W_PHRASE_SHORT
    span = max(100.0 - threshold, 1.0)
    return base * (0.75 + 0.25 * min(1.0, (score - threshold) / span))


def _phrases(phrases: tuple[Phrase, ...], threshold: float, p: Prepared) -> _Result:
    # The phrases of one list are variants of one message: the most telling one found counts
    # (a long phrase over a short one), not their sum.
    best: tuple[float, float, Phrase] | None = None
    for phrase in phrases:
        score = phrase_score(phrase.norm, p.norm, threshold)
        if score < threshold:
            continue
        weight = _phrase_weight(phrase, score, threshold)
        if best is None or weight > best[0]:
            best = (weight, score, phrase)
    if best is None:
        return _Result(ok=False)
    weight, score, phrase = best
    return _Result(evidence=[(weight, f'phrase "{phrase.written}" at {round(score)}')])


def _enhanced(codes: tuple[str, ...], p: Prepared) -> _Result:
    for want in codes:
        if want.endswith("*"):
            prefix = want[:-1]
            hits = sorted(c for c in p.enhanced_codes if c.startswith(prefix))
            if hits:
                # `4.7.5*` (a code range) says nearly as much as a code; `5.7.*` says little.
                digits = sum(ch.isdigit() for ch in prefix)
                weight = W_ENHANCED_PREFIX if digits >= 3 else W_ENHANCED_PREFIX * digits / 4
                return _Result(evidence=[(weight, f"enhanced code {hits[0]}")])
        elif want in p.enhanced_codes:
            return _Result(evidence=[(W_ENHANCED, f"enhanced code {want}")])
    return _Result(ok=False)


def _aad(codes: tuple[str, ...], p: Prepared) -> _Result:
    for want in codes:
        for have in sorted(p.aad_codes):
            if fnmatchcase(have, want):
                return _Result(evidence=[(W_AAD, f"AAD code {have}")])
    return _Result(ok=False)


def _in_set(want: frozenset[int], have: frozenset[int], weight: float, label: str) -> _Result:
    hits = sorted(want & have)
    if hits:
        return _Result(evidence=[(weight, f"{label} {hits[0]}")])
    return _Result(ok=False)


def _regex(block: Block, p: Prepared) -> _Result:
    for rx in block.regex or ():
        m = rx.search(p.flat)
        if m:
            shown = m.group(0)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return _Result(evidence=[(W_REGEX, f'regex /{rx.pattern}/ found "{shown}"')])
    return _Result(ok=False)


# -- context conditions ------------------------------------------------------------------------


def _host_matches(globs: Iterable[str], host: str) -> bool:
    h = host.strip().lower()
    return any(fnmatchcase(h, g.lower()) for g in globs)


def eval_settings(cond: SettingsCond, settings: SmtpSettings | None) -> _Result:
    """Each key is held, failed or unknown; the block fails when any known key fails."""
    held: list[str] = []
    unknown: list[str] = []
    s = settings
    if cond.host is not None:
        if s is None or s.host is None:
            unknown.append("host")
        elif _host_matches(cond.host, s.host):
            held.append(f"host={s.host}")
        else:
            return _Result(ok=False)
    if cond.port is not None:
        if s is None or s.port is None:
            unknown.append("port")
        elif s.port in cond.port:
            held.append(f"port={s.port}")
        else:
            return _Result(ok=False)
    if cond.enable_ssl is not None:
        if s is None or s.enable_ssl is None:
            unknown.append("enable_ssl")
        elif s.enable_ssl == cond.enable_ssl:
            held.append(f"enable_ssl={str(s.enable_ssl).lower()}")
        else:
            return _Result(ok=False)
    if cond.ssl_mode is not None:
        if s is None or s.ssl_mode is None:
            unknown.append("ssl_mode")
        elif s.ssl_mode.strip().lower() in {m.strip().lower() for m in cond.ssl_mode}:
            held.append(f"ssl_mode={s.ssl_mode}")
        else:
            return _Result(ok=False)
    if cond.ssl_mode_known is not None:
        if s is None or s.ssl_mode is None:
            unknown.append("ssl_mode")
        elif s.ssl_mode_known == cond.ssl_mode_known:
            held.append(f"ssl_mode={s.ssl_mode}" + ("" if s.ssl_mode_known else " (not accepted)"))
        else:
            return _Result(ok=False)
    if cond.timeout_s is not None:
        if s is None or s.timeout_s is None:
            unknown.append("timeout_s")
        elif cond.timeout_s.holds(s.timeout_s):
            held.append(f"timeout_s={s.timeout_s:g}")
        else:
            return _Result(ok=False)
    out = _Result()
    if held:
        weight = min(W_SETTINGS_MAX, W_SETTINGS_KEY + W_SETTINGS_MORE * (len(held) - 1))
        if unknown:
            weight *= 0.6
        out.evidence.append((weight, "settings " + " ".join(dict.fromkeys(held))))
    if unknown:
        why = "no configuration logged" if s is None else "not in the configuration"
        out.unknown.append(f"settings {' '.join(dict.fromkeys(unknown))} ({why})")
    return out


def _provider(globs: tuple[str, ...], settings: SmtpSettings | None) -> _Result:
    if settings is None or settings.host is None:
        return _Result(unknown=["provider (host not known)"])
    if _host_matches(globs, settings.host):
        return _Result(evidence=[(W_PROVIDER, f"provider host={settings.host}")])
    return _Result(ok=False)


def _history(cond: HistoryCond, ctx: MatchContext) -> _Result:
    held: list[str] = []
    unknown: list[str] = []
    for name, want, have in (
        ("worked_before", cond.worked_before, ctx.worked_before),
        ("config_changed", cond.config_changed, ctx.config_changed),
    ):
        if want is None:
            continue
        if have is None:
            unknown.append(name)
        elif have == want:
            held.append(f"{name}={str(have).lower()}")
        else:
            return _Result(ok=False)
    out = _Result()
    if held:
        out.evidence.append((W_HISTORY, "history " + " ".join(held)))
    if unknown:
        out.unknown.append(f"history {' '.join(unknown)} (no history)")
    return out


# -- blocks ------------------------------------------------------------------------------------


def evaluate(block: Block, p: Prepared | None, ctx: MatchContext) -> _Result:
    """AND of the block's keys.  `p` None means: context only (check-config), no failure text."""
    out = _Result()
    checks: list[_Result] = []
    if p is not None:
        if block.types is not None:
            checks.append(_types(block.types, p))
        if block.smtp_codes is not None:
            checks.append(_in_set(block.smtp_codes, p.smtp_codes, W_SMTP, "SMTP code"))
        if block.enhanced_codes is not None:
            checks.append(_enhanced(block.enhanced_codes, p))
        if block.socket_errors is not None:
            checks.append(_in_set(block.socket_errors, p.socket_errors, W_SOCKET, "socket error"))
        if block.aad_codes is not None:
            checks.append(_aad(block.aad_codes, p))
        if block.http_status is not None:
            checks.append(_in_set(block.http_status, p.http_status, W_HTTP, "HTTP status"))
        if block.regex is not None:
            checks.append(_regex(block, p))
    # Cheap checks first: a failed code or settings check skips the fuzzy phrase search.
    for r in checks:
        out.add(r)
        if not out.ok:
            return out
    if block.settings is not None:
        out.add(eval_settings(block.settings, ctx.settings))
        if not out.ok:
            return out
    if block.provider is not None:
        out.add(_provider(block.provider, ctx.settings))
        if not out.ok:
            return out
    if block.history is not None:
        out.add(_history(block.history, ctx))
        if not out.ok:
            return out
    if block.any is not None:
        out.add(_any(block.any, p, ctx))
        if not out.ok:
            return out
    if block.not_ is not None:
        for sub in block.not_:
            r = evaluate(sub, p, ctx)
            if r.ok and not r.unknown and r.evidence:
                return out.fail()
            if not r.ok and sub.context_only:
                # The known settings rule out what the rule excludes: that is evidence too.
                out.evidence.append((W_NOT_CONTEXT, f"settings not {describe_block(sub)}"))
    if p is not None and block.phrases is not None:
        out.add(_phrases(block.phrases, block.threshold, p))
    return out


def describe_block(block: Block) -> str:
    """A short text of a context block's conditions, for reasons."""
    parts: list[str] = []
    if block.settings is not None:
        for key, value in block.settings.model_dump(exclude_none=True).items():
            if isinstance(value, list):
                shown = "|".join(str(v) for v in value)
            elif isinstance(value, bool):
                shown = str(value).lower()
            elif isinstance(value, dict):
                shown = block.settings.timeout_s.describe() if block.settings.timeout_s else ""
            else:
                shown = str(value)
            parts.append(f"{key}={shown}")
    if block.provider is not None:
        parts.append("host=" + "|".join(block.provider))
    if block.history is not None:
        parts += [
            f"{k}={str(v).lower()}" for k, v in block.history.model_dump(exclude_none=True).items()
        ]
    return "(" + " ".join(parts) + ")" if parts else "(...)"


def _any(blocks: tuple[Block, ...], p: Prepared | None, ctx: MatchContext) -> _Result:
    candidates = [r for r in (evaluate(b, p, ctx) for b in blocks) if r.ok]
    if not candidates:
        return _Result(ok=False)
    held = [r for r in candidates if not r.unknown and r.evidence]
    if not held:
        return max(candidates, key=lambda r: (not r.unknown, r.score))
    # Every alternative that holds is evidence of its own (a 5.7.8 code and the matching
    # phrase say more together than either alone).
    out = _Result()
    for r in held:
        out.evidence.extend(r.evidence)
    return out


# -- the knowledge base ------------------------------------------------------------------------


def _rule_match(kr: KbRule, r: _Result) -> RuleMatch:
    rule = kr.rule
    reasons = [why for _, why in r.evidence] + [f"unknown: {u}" for u in r.unknown]
    return RuleMatch(
        rule=rule.id,
        category=rule.category,
        title=rule.title,
        severity=rule.severity.value,
        confidence=round(min(r.score, 1.0), 3),
        reasons=tuple(reasons),
        priority=rule.priority,
        cause=rule.cause,
        fix=tuple(rule.fix),
        verify=tuple(rule.verify),
    )


def match_rule(kr: KbRule, p: Prepared, ctx: MatchContext) -> RuleMatch | None:
    """The rule's match against one prepared failure, or None when it does not match."""
    r = evaluate(kr.match, p, ctx)
    if not r.ok or not r.evidence:
        return None
    return _rule_match(kr, r)


def rank(matches: Iterable[tuple[int, RuleMatch]]) -> list[RuleMatch]:
    """Highest confidence first, then priority, then the knowledge base's order."""
    ordered = sorted(matches, key=lambda im: (-im[1].confidence, -im[1].priority, im[0]))
    return [m for _, m in ordered]


def diagnose_prepared(
    kb: KnowledgeBase,
    p: Prepared,
    ctx: MatchContext,
    fp: str,
    *,
    text_only: dict[int, RuleMatch | None] | None = None,
) -> Diagnosis:
    """`diagnose` of a prepared failure.  `text_only`, when given, keeps the matches of the
    rules that never look at the context, for the next context the same `p` is diagnosed in
    (one failure text is diagnosed again for each settings and history it meets)."""
    found: list[tuple[int, RuleMatch]] = []
    for i, kr in enumerate(kb.active_rules):
        if text_only is None or kr.match.reads_context:
            m = match_rule(kr, p, ctx)
        elif i in text_only:
            m = text_only[i]
        else:
            m = text_only[i] = match_rule(kr, p, ctx)
        if m is not None:
            found.append((i, m))
    ranked = rank(found)
    if ranked and ranked[0].confidence >= THRESHOLD:
        return Diagnosis(
            best=ranked[0], alternatives=tuple(ranked[1:]), unknown=False, fingerprint=fp
        )
    return Diagnosis(best=None, alternatives=tuple(ranked), unknown=True, fingerprint=fp)


def diagnose(kb: KnowledgeBase, chain: ExceptionChain, ctx: MatchContext) -> Diagnosis:
    """The best rule for a failure in its context, ranked alternatives, or `unknown`.

    Pure: callers may memoise on (masked chain text, ctx), which is how the analyzer avoids
    matching the same failure thousands of times.
    """
    return diagnose_prepared(kb, prepare(chain), ctx, fingerprint(chain))


def check_settings(kb: KnowledgeBase, settings: SmtpSettings) -> list[RuleMatch]:
    """Rules with `predict` whose settings conditions this configuration satisfies.

    Only definite predictions count: a condition on a setting the configuration does not give
    (unknown) does not flag it.
    """
    ctx = MatchContext(settings=settings)
    found: list[tuple[int, RuleMatch]] = []
    for i, kr in enumerate(kb.active_rules):
        if kr.predict is None:
            continue
        r = evaluate(kr.predict, None, ctx)
        if r.ok and r.evidence and not r.unknown:
            found.append((i, _rule_match(kr, r)))
    return rank(found)
