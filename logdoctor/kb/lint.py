"""`logdoctor rules lint`: problems a rule author should fix before a rule ships.

Errors: schema violations (with file and line), duplicate ids, regexes slow on long input, rules
shadowed by another rule, rules with identical conditions, rules without must-match and
must-not-match examples, contract categories no rule covers.  Warnings: references to files that
are not in shared/reference/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logdoctor.kb.categories import RULE_CATEGORIES
from logdoctor.kb.loader import KbRule, KnowledgeBase, Problem
from logdoctor.kb.match import diagnose_prepared, match_rule
from logdoctor.kb.pasted import chain_from_text, split_pasted
from logdoctor.kb.regexsafety import nested_quantifier, timed_check
from logdoctor.kb.schema import Conditions
from logdoctor.kb.selftest import example_context
from logdoctor.kb.text import prepare

REFERENCE_ENV = "LOGDOCTOR_REFERENCE_DIR"


@dataclass(frozen=True, slots=True)
class LintIssue:
    level: str  # error | warning | info
    code: str
    where: str  # path:line, or "" for the knowledge base as a whole
    message: str

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.level}: {self.message} [{self.code}]"

    def as_json(self) -> dict[str, str]:
        return {
            "level": self.level,
            "code": self.code,
            "where": self.where,
            "message": self.message,
        }


def _regexes(c: Conditions) -> list[str]:
    out = list(c.regex or ())
    for sub in (*(c.any or ()), *(c.not_ or ())):
        out.extend(_regexes(sub))
    return out


def check_regexes(
    kb: KnowledgeBase, *, timed: bool = True, budget_s: float = 1.0
) -> list[LintIssue]:
    issues: list[LintIssue] = []
    found: list[tuple[KbRule, str]] = []
    for kr in kb.rules:
        blocks = [kr.rule.match]
        if isinstance(kr.rule.predict, Conditions):
            blocks.append(kr.rule.predict)
        for block in blocks:
            for rx in _regexes(block):
                why = nested_quantifier(rx)
                if why:
                    issues.append(
                        LintIssue(
                            "error",
                            "slow-regex",
                            kr.where,
                            f"rule {kr.rule.id}: regex {rx!r}: {why}",
                        )
                    )
                else:
                    found.append((kr, rx))
    if timed and found:
        slow = timed_check([rx for _, rx in found], budget_s=budget_s)
        for i, why in sorted(slow.items()):
            kr, rx = found[i]
            issues.append(
                LintIssue("error", "slow-regex", kr.where, f"rule {kr.rule.id}: regex {rx!r} {why}")
            )
    return issues


def check_shadowing(kb: KnowledgeBase) -> list[LintIssue]:
    """A rule whose must-match examples all rank another category first can never win; two
    rules with the same conditions cannot be told apart."""
    issues: list[LintIssue] = []
    for kr in kb.active_rules:
        winners: list[str] = []
        for ex in kr.rule.examples.match:
            pasted = split_pasted(ex.text)
            chain = chain_from_text(pasted.failure or ex.text)
            p = prepare(chain)
            ctx = example_context(ex, pasted.settings)
            if match_rule(kr, p, ctx) is None:
                break
            d = diagnose_prepared(kb, p, ctx, "")
            top = d.ranked[0] if d.ranked else None
            if top is None or top.category == kr.rule.category:
                break
            winners.append(f"{top.rule} ({top.category})")
        else:
            if winners:
                issues.append(
                    LintIssue(
                        "error",
                        "shadowed",
                        kr.where,
                        f"rule {kr.rule.id}: every must-match example ranks "
                        f"{', '.join(sorted(set(winners)))} first",
                    )
                )
    seen: dict[str, KbRule] = {}
    for kr in kb.active_rules:
        key = json.dumps(
            kr.rule.match.model_dump(by_alias=True, exclude_none=True), sort_keys=True, default=str
        )
        if key in seen:
            other = seen[key]
            issues.append(
                LintIssue(
                    "error",
                    "same-conditions",
                    kr.where,
                    f"rule {kr.rule.id} has the same match conditions as "
                    f"{other.rule.id} ({other.where})",
                )
            )
        else:
            seen[key] = kr
    return issues


def check_examples_present(kb: KnowledgeBase) -> list[LintIssue]:
    issues = []
    for kr in kb.rules:
        ex = kr.rule.examples
        missing = [
            k for k, v in (("must-match", ex.match), ("must-not-match", ex.no_match)) if not v
        ]
        if missing:
            issues.append(
                LintIssue(
                    "error",
                    "no-examples",
                    kr.where,
                    f"rule {kr.rule.id} has no {' and no '.join(missing)} example",
                )
            )
    return issues


def check_coverage(kb: KnowledgeBase) -> list[LintIssue]:
    covered = {kr.rule.category for kr in kb.active_rules}
    return [
        LintIssue("error", "category-uncovered", "", f"no rule for category {c}")
        for c in RULE_CATEGORIES
        if c not in covered
    ]


def find_shared_dir(start: Sequence[str]) -> Path | None:
    """shared/ (holding reference/) near the rule files, or from LOGDOCTOR_REFERENCE_DIR."""
    env = os.environ.get(REFERENCE_ENV)
    if env:
        p = Path(env)
        return p.parent if p.name == "reference" else p
    for s in start:
        for parent in Path(s).resolve().parents:
            if (parent / "shared" / "reference").is_dir():
                return parent / "shared"
    return None


def check_references(kb: KnowledgeBase, shared: Path | None) -> list[LintIssue]:
    if shared is None:
        return [
            LintIssue(
                "info",
                "references-unchecked",
                "",
                f"shared/reference/ not found; set {REFERENCE_ENV} to check references",
            )
        ]
    issues = []
    for kr in kb.rules:
        for ref in kr.rule.references:
            if not ref.source:
                continue
            src = ref.source.replace("\\", "/").removeprefix("shared/")
            if not ((shared / src).is_file() or (shared / "reference" / src).is_file()):
                issues.append(
                    LintIssue(
                        "warning",
                        "reference-missing",
                        kr.where,
                        f"rule {kr.rule.id}: reference {ref.source!r} is not a file in "
                        f"{shared / 'reference'}",
                    )
                )
    return issues


def lint_kb(
    kb: KnowledgeBase,
    problems: Sequence[Problem] = (),
    *,
    timed: bool = True,
    shared: Path | None = None,
) -> list[LintIssue]:
    issues = [LintIssue("error", "schema", p.where, p.message) for p in problems]
    issues += [
        LintIssue("error", "duplicate-id", d.second, f"rule id {d.id} already used at {d.first}")
        for d in kb.duplicates
    ]
    issues += check_examples_present(kb)
    issues += check_coverage(kb)
    issues += check_regexes(kb, timed=timed)
    issues += check_shadowing(kb)
    issues += check_references(kb, shared if shared is not None else find_shared_dir(kb.files))
    return issues
