"""A failure text diagnosed again in another context gives what `diagnose` gives.

The incident builder prepares a failure text once and keeps the matches of rules that read no
context (settings, provider, history) for every later context it meets; a rule that does read
the context but were kept would give the answer of the first context in all the others.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from logdoctor.events import events_from_records
from logdoctor.kb import KnowledgeBase, diagnose, fingerprint, load_kb
from logdoctor.kb.match import RuleMatch, diagnose_prepared
from logdoctor.kb.text import prepare
from logdoctor.model import MatchContext, SendFailed, SmtpSettings
from logdoctor.records import RecordReader
from logdoctor.sources import discover

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

SETTINGS = [
    None,
    SmtpSettings(host="smtp.office365.com", port=587, enable_ssl=True, ssl_mode="UseStartTls"),
    SmtpSettings(host="smtp.office365.com", port=587, enable_ssl=True, ssl_mode="OnConnect"),
    SmtpSettings(host="smtp.gmail.com", port=465, enable_ssl=True, ssl_mode="UseStartTls"),
    SmtpSettings(host="smtp.gmail.com", port=465, enable_ssl=True, ssl_mode="OnConnect"),
    SmtpSettings(host="mail.corp.local", port=25, enable_ssl=False, ssl_mode="None"),
]
CONTEXTS = [
    MatchContext(settings=s, worked_before=w, config_changed=c)
    for s, w, c in itertools.product(SETTINGS, (None, True, False), (None, True))
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def failures() -> list[SendFailed]:
    found: dict[str, SendFailed] = {}
    for path in sorted(SAMPLES.glob("*.log")):
        for source in discover([path]):
            for event in events_from_records(RecordReader(source)):
                if isinstance(event, SendFailed):
                    found.setdefault(event.chain.text[:300], event)
    assert len(found) >= 10
    return list(found.values())


def test_the_shipped_rules_include_context_rules_and_text_only_ones(kb: KnowledgeBase) -> None:
    reads = [kr.match.reads_context for kr in kb.active_rules]
    assert any(reads) and not all(reads)


def test_kept_text_only_matches_give_what_diagnose_gives(
    kb: KnowledgeBase, failures: list[SendFailed]
) -> None:
    differing = 0
    for event in failures:
        chain = event.chain
        p, fp = prepare(chain), fingerprint(chain)
        kept: dict[int, RuleMatch | None] = {}
        answers = set()
        for ctx in CONTEXTS:
            expected = diagnose(kb, chain, ctx)
            assert diagnose_prepared(kb, p, ctx, fp, text_only=kept) == expected, (ctx, chain.text)
            answers.add(expected.best.rule if expected.best else None)
        differing += len(answers) > 1
    # The contexts change the answer for some failures, so the context rules were exercised.
    assert differing >= 3
