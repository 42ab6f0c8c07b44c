"""Condition blocks prepared once at load: phrases normalised, regexes compiled, globs lowered."""

from __future__ import annotations

import re
from dataclasses import dataclass

from logdoctor.kb.schema import Conditions, HistoryCond, SettingsCond
from logdoctor.kb.text import normalise

DEFAULT_PHRASE_THRESHOLD = 88.0


@dataclass(frozen=True, slots=True)
class TypePattern:
    text: str  # lower case, as written
    glob: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    written: str
    norm: str
    words: int


@dataclass(frozen=True, slots=True)
class Block:
    """A `Conditions` block ready to evaluate; `source` keeps the validated model."""

    source: Conditions
    types: tuple[TypePattern, ...] | None
    phrases: tuple[Phrase, ...] | None
    threshold: float
    smtp_codes: frozenset[int] | None
    enhanced_codes: tuple[str, ...] | None
    socket_errors: frozenset[int] | None
    aad_codes: tuple[str, ...] | None
    http_status: frozenset[int] | None
    regex: tuple[re.Pattern[str], ...] | None
    settings: SettingsCond | None
    provider: tuple[str, ...] | None
    history: HistoryCond | None
    any: tuple[Block, ...] | None
    not_: tuple[Block, ...] | None
    # Whether evaluating the block looks at the context (settings, provider, history) anywhere
    # in it; when not, its result depends on the failure text alone.
    reads_context: bool = True

    @property
    def context_only(self) -> bool:
        return self.source.context_only()


def compile_block(c: Conditions) -> Block:
    any_ = None if c.any is None else tuple(compile_block(b) for b in c.any)
    not_ = None if c.not_ is None else tuple(compile_block(b) for b in c.not_)
    phrases = None
    if c.phrases is not None:
        phrases = tuple(
            Phrase(written=p, norm=n, words=len(n.split()))
            for p in c.phrases
            if (n := normalise(p))
        )
    return Block(
        source=c,
        types=None
        if c.types is None
        else tuple(
            TypePattern(text=t.strip().lower(), glob=any(ch in t for ch in "*?[")) for t in c.types
        ),
        phrases=phrases,
        threshold=DEFAULT_PHRASE_THRESHOLD if c.phrase_threshold is None else c.phrase_threshold,
        smtp_codes=None if c.smtp_codes is None else frozenset(c.smtp_codes),
        enhanced_codes=None
        if c.enhanced_codes is None
        else tuple(e.strip() for e in c.enhanced_codes),
        socket_errors=None if c.socket_errors is None else frozenset(c.socket_errors),
        aad_codes=None if c.aad_codes is None else tuple(a.strip().upper() for a in c.aad_codes),
        http_status=None if c.http_status is None else frozenset(c.http_status),
        regex=None
        if c.regex is None
        else tuple(re.compile(r, re.IGNORECASE | re.MULTILINE) for r in c.regex),
        settings=c.settings,
        provider=None if c.provider is None else tuple(p.strip().lower() for p in c.provider),
        history=c.history,
        any=any_,
        not_=not_,
        reads_context=(
            c.settings is not None
            or c.provider is not None
            or c.history is not None
            or any(b.reads_context for b in (*(any_ or ()), *(not_ or ())))
        ),
    )
