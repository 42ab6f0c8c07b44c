"""The independent evaluation corpus (tests/corpus/failures.yaml) against grammar and rules.

The corpus stands in for the held-out texts of the acceptance checks: real failure texts from
public issue threads plus texts composed from the reference facts.  It is kept apart from the
rule writers on purpose (see tests/corpus/README.md), so a miss here means a gap in the
grammar or in the knowledge base, not a wrong corpus entry, unless the entry's `why` is wrong.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_categories import CONTRACT_CATEGORIES

from logdoctor.model import SSL_MODES, ExceptionChain, MatchContext, SmtpSettings

CORPUS = Path(__file__).parent / "corpus" / "failures.yaml"

# The contract's categories, written out in the tests (not taken from the knowledge base).
CATEGORIES = frozenset({*CONTRACT_CATEGORIES, "unknown"})

SETTINGS_KEYS = frozenset({"host", "port", "enable_ssl", "ssl_mode", "timeout_s"})
HISTORY_KEYS = frozenset({"worked_before", "config_changed"})

MIN_ENTRIES = 60
MIN_PUBLIC = 40
MIN_TYPES_EXACT = 0.95
MIN_RIGHT_CATEGORY = 0.90
# A single paste must never take long; the whole corpus is ~100 texts.
MAX_SECONDS_PER_TEXT = 2.0

_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Entry:
    id: str
    origin: str
    source: str
    text: str
    settings: dict[str, Any]
    history: dict[str, Any]
    category: str
    why: str
    types: tuple[str, ...]
    first_message: str


def _load() -> list[Entry]:
    raw = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    entries = []
    for item in raw:
        expect = item["expect"]
        entries.append(
            Entry(
                id=item["id"],
                origin=item["origin"],
                source=item["source"],
                text=item["text"],
                settings=dict(item.get("settings") or {}),
                history=dict(item.get("history") or {}),
                category=expect["category"],
                why=expect.get("why", ""),
                types=tuple(expect.get("types") or ()),
                first_message=str(expect.get("first_message", "")),
            )
        )
    return entries


ENTRIES = _load()


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def _same_type(expected: str, got: str) -> bool:
    # Texts sometimes shorten names (`SmtpProtocolException`, `ServiceException`), and a parser
    # may qualify or keep them; the last two dotted segments are what a reader compares.
    if expected == got:
        return True
    return expected.split(".")[-2:] == got.strip().split(".")[-2:]


def _named_types(chain: ExceptionChain) -> tuple[str, ...]:
    return tuple(t for t in chain.types if t.strip())


def _types_ok(entry: Entry, chain: ExceptionChain) -> bool:
    got = _named_types(chain)
    if len(got) != len(entry.types):
        return False
    return all(_same_type(e, g) for e, g in zip(entry.types, got, strict=True))


def _message_ok(entry: Entry, chain: ExceptionChain) -> bool:
    # With no named type the whole text is the message; the first link, if any, must hold it.
    first = chain.links[0].message if chain.links else chain.text
    return _norm(first).startswith(_norm(entry.first_message))


def _settings(entry: Entry) -> SmtpSettings | None:
    if not entry.settings:
        return None
    s = entry.settings
    return SmtpSettings(
        host=s.get("host"),
        port=s.get("port"),
        enable_ssl=s.get("enable_ssl"),
        ssl_mode=s.get("ssl_mode"),
        timeout_s=s.get("timeout_s"),
    )


def _context(entry: Entry) -> MatchContext:
    return MatchContext(
        settings=_settings(entry),
        worked_before=entry.history.get("worked_before"),
        config_changed=entry.history.get("config_changed"),
    )


def _short(text: str, width: int = 60) -> str:
    one = _WS.sub(" ", text).strip()
    return one if len(one) <= width else one[: width - 1] + "…"


# --------------------------------------------------------------------------------------------
# The corpus itself
# --------------------------------------------------------------------------------------------


def test_corpus_is_well_formed() -> None:
    problems: list[str] = []
    ids = [e.id for e in ENTRIES]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"duplicate ids: {dupes}")
    raw = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    for item, e in zip(raw, ENTRIES, strict=True):
        where = e.id
        if e.origin not in ("public", "composed"):
            problems.append(f"{where}: origin {e.origin!r}")
        if e.origin == "public" and not e.source.startswith(("https://", "http://")):
            problems.append(f"{where}: public entry without a URL source")
        if e.origin == "composed" and not e.source.startswith("reference/"):
            problems.append(f"{where}: composed entry must cite reference/<file>")
        if e.category not in CATEGORIES:
            problems.append(f"{where}: category {e.category!r} is not in the contract")
        if not e.why.strip():
            problems.append(f"{where}: no `why`")
        if not e.text.strip():
            problems.append(f"{where}: empty text")
        if not isinstance(item["expect"].get("types"), list):
            problems.append(f"{where}: expect.types must be a list")
        if not e.first_message.strip():
            problems.append(f"{where}: no first_message")
        if set(e.settings) - SETTINGS_KEYS:
            problems.append(f"{where}: unknown settings {sorted(set(e.settings) - SETTINGS_KEYS)}")
        if e.settings.get("ssl_mode") not in (None, *SSL_MODES):
            problems.append(f"{where}: ssl_mode {e.settings['ssl_mode']!r}")
        if set(e.history) - HISTORY_KEYS:
            problems.append(f"{where}: unknown history {sorted(set(e.history) - HISTORY_KEYS)}")
    public = [e for e in ENTRIES if e.origin == "public"]
    if len(ENTRIES) < MIN_ENTRIES:
        problems.append(f"only {len(ENTRIES)} entries, want >= {MIN_ENTRIES}")
    if len(public) < MIN_PUBLIC:
        problems.append(f"only {len(public)} public entries, want >= {MIN_PUBLIC}")
    assert not problems, "\n".join(problems)


def test_corpus_covers_every_cause_class() -> None:
    # A category nobody checks is a category whose rules can rot unnoticed.
    seen = {e.category for e in ENTRIES}
    missing = sorted(CATEGORIES - seen)
    assert not missing, f"no corpus entry for: {missing}"


# --------------------------------------------------------------------------------------------
# Grammar: every text parses, into the chain a careful reader sees
# --------------------------------------------------------------------------------------------


def test_grammar_reads_every_corpus_text() -> None:
    chain_mod = pytest.importorskip("logdoctor.grammar.chain")
    parse_chain = chain_mod.parse_chain

    crashes: list[str] = []
    slow: list[str] = []
    wrong: list[str] = []
    for e in ENTRIES:
        started = time.perf_counter()
        try:
            chain = parse_chain(e.text)
        except Exception as exc:  # the point is to catch whatever escapes
            crashes.append(f"{e.id}: {type(exc).__name__}: {exc}")
            continue
        took = time.perf_counter() - started
        if took > MAX_SECONDS_PER_TEXT:
            slow.append(f"{e.id}: {took:.2f}s")
        bad = []
        if not _types_ok(e, chain):
            bad.append(f"types {list(_named_types(chain))} != {list(e.types)}")
        if not _message_ok(e, chain):
            first = chain.links[0].message if chain.links else chain.text
            bad.append(f"message {_short(first)!r} !^ {e.first_message!r}")
        if bad:
            wrong.append(f"{e.id}: " + "; ".join(bad))

    parsed = len(ENTRIES) - len(crashes)
    exact = (parsed - len(wrong)) / len(ENTRIES)
    report = (
        f"{len(crashes)} crashed, {len(slow)} slow, {len(wrong)} misread, "
        f"{exact:.0%} exact of {len(ENTRIES)}\n"
        + "\n".join(["crashes:", *crashes, "slow:", *slow, "misread:", *wrong])
    )
    print(report)
    assert not crashes and not slow and exact >= MIN_TYPES_EXACT, report


# --------------------------------------------------------------------------------------------
# Diagnosis: the right category first
# --------------------------------------------------------------------------------------------


def _category_of(diagnosis: Any) -> str:
    if getattr(diagnosis, "unknown", False):
        return "unknown"
    best = getattr(diagnosis, "best", None)
    return "unknown" if best is None else str(best.category)


def test_knowledge_base_puts_the_right_category_first() -> None:
    chain_mod = pytest.importorskip("logdoctor.grammar.chain")
    loader = pytest.importorskip("logdoctor.kb.loader")
    match = pytest.importorskip("logdoctor.kb.match")

    kb = loader.load_kb()
    rows: list[tuple[str, str, str, str]] = []
    crashes: list[str] = []
    right = 0
    for e in ENTRIES:
        try:
            chain = chain_mod.parse_chain(e.text)
            got = _category_of(match.diagnose(kb, chain, _context(e)))
        except Exception as exc:  # a crash is a miss, and is listed as such
            crashes.append(f"{e.id}: {type(exc).__name__}: {exc}")
            continue
        if got == e.category:
            right += 1
        else:
            rows.append((e.id, e.category, got, e.why))

    share = right / len(ENTRIES)
    width = max((len(r[0]) for r in rows), default=10)
    table = "\n".join(
        f"{i:<{width}}  want {want:<30} got {got:<30} ({_short(why, 70)})"
        for i, want, got, why in rows
    )
    report = (
        f"right category first: {right}/{len(ENTRIES)} = {share:.0%} "
        f"(need {MIN_RIGHT_CATEGORY:.0%}); {len(crashes)} crashed\n{table}\n" + "\n".join(crashes)
    )
    print(report)
    assert not crashes and share >= MIN_RIGHT_CATEGORY, report
