"""`logdoctor rules test`: every rule's own examples, pushed through the same path as a real
failure (grammar, context, matcher, ranking)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from logdoctor.kb.fingerprint import fingerprint
from logdoctor.kb.loader import KbRule, KnowledgeBase
from logdoctor.kb.match import THRESHOLD, Diagnosis, diagnose_prepared, match_rule
from logdoctor.kb.pasted import chain_from_text, split_pasted
from logdoctor.kb.schema import Example
from logdoctor.kb.text import prepare
from logdoctor.model import MatchContext, SmtpSettings
from logdoctor.settings import parse_ssl_mode


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule: str
    kind: str  # match | no_match
    index: int
    path: str
    line: int
    passed: bool
    message: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def example_context(example: Example, logged: SmtpSettings | None = None) -> MatchContext:
    """The example's own settings and history; a configuration record in its text otherwise."""
    settings = logged
    if example.settings is not None:
        s = example.settings
        mode, known = parse_ssl_mode(s.ssl_mode)
        settings = SmtpSettings(
            host=s.host,
            port=s.port,
            enable_ssl=s.enable_ssl,
            ssl_mode=mode,
            ssl_mode_known=known,
            timeout_s=s.timeout_s,
        )
    h = example.history
    return MatchContext(
        settings=settings,
        worked_before=h.worked_before if h else None,
        config_changed=h.config_changed if h else None,
    )


def _summary(d: Diagnosis) -> str:
    if not d.ranked:
        return "nothing matched"
    shown = ", ".join(f"{m.rule} ({m.category}) {m.confidence:.2f}" for m in d.ranked[:3])
    return ("unknown; candidates: " if d.unknown else "ranked: ") + shown


def check_example(kb: KnowledgeBase, kr: KbRule, kind: str, index: int) -> ExampleResult:
    rule = kr.rule
    example = (rule.examples.match if kind == "match" else rule.examples.no_match)[index]
    pasted = split_pasted(example.text)
    chain = chain_from_text(pasted.failure or example.text)
    ctx = example_context(example, pasted.settings)
    p = prepare(chain)
    mine = match_rule(kr, p, ctx)
    line = kr.example_line(kind, index)

    def result(passed: bool, message: str = "") -> ExampleResult:
        return ExampleResult(rule.id, kind, index, kr.path, line, passed, message)

    if kind == "no_match":
        if mine is None:
            return result(True)
        return result(
            False,
            f"must not match, but matched at {mine.confidence:.2f}: " + "; ".join(mine.reasons),
        )
    if mine is None:
        return result(False, "must match, but the rule's conditions do not hold")
    d = diagnose_prepared(kb, p, ctx, fingerprint(chain))
    if d.best is None:
        return result(
            False,
            f"matched at {mine.confidence:.2f}, below the threshold "
            f"{THRESHOLD} ({'; '.join(mine.reasons)})",
        )
    if d.best.category != rule.category:
        return result(
            False,
            f"matched at {mine.confidence:.2f}, but {d.best.rule} "
            f"({d.best.category}) ranks first at {d.best.confidence:.2f}; {_summary(d)}",
        )
    return result(True)


def run_examples(kb: KnowledgeBase, rule_ids: Iterable[str] | None = None) -> list[ExampleResult]:
    wanted = set(rule_ids) if rule_ids is not None else None
    out: list[ExampleResult] = []
    for kr in kb.active_rules:
        if wanted is not None and kr.rule.id not in wanted:
            continue
        for kind, examples in (
            ("match", kr.rule.examples.match),
            ("no_match", kr.rule.examples.no_match),
        ):
            for i in range(len(examples)):
                out.append(check_example(kb, kr, kind, i))
    return out
