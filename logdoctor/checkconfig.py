"""Predicting failures from the settings alone (`logdoctor check-config`).

The predictions come from the knowledge base's rules that carry `predict`, evaluated on the
configured settings only, so a site's own rule files extend check-config the same way they
extend diagnosis.  Only definite predictions are reported: a rule that needs a setting the
config does not give stays quiet.
"""

from __future__ import annotations

from dataclasses import dataclass

from logdoctor.kb.categories import severity_rank
from logdoctor.kb.loader import KnowledgeBase
from logdoctor.kb.match import RuleMatch, check_settings
from logdoctor.model import SmtpSettings


@dataclass(frozen=True, slots=True)
class Finding:
    """One predicted failure: the rule, why it applies, and what to change."""

    rule: str
    category: str
    severity: str
    title: str
    cause: str
    fix: tuple[str, ...]
    verify: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @classmethod
    def from_match(cls, m: RuleMatch) -> Finding:
        return cls(
            rule=m.rule,
            category=m.category,
            severity=m.severity,
            title=m.title,
            cause=m.cause,
            fix=m.fix,
            verify=m.verify,
            reasons=m.reasons,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "cause": self.cause,
            "fix": list(self.fix),
            "verify": list(self.verify),
            "reasons": list(self.reasons),
        }


def check_config(kb: KnowledgeBase, settings: SmtpSettings) -> list[Finding]:
    """The failures these settings predict, worst severity first."""
    matches = check_settings(kb, settings)
    findings = [Finding.from_match(m) for m in matches]
    # Stable sort: within one severity the knowledge base's ranking stays.
    return sorted(findings, key=lambda f: -severity_rank(f.severity))
