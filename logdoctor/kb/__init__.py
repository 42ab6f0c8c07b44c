"""The knowledge base: rule files, matching failures to causes, lint.

from logdoctor.kb import load_kb, diagnose
kb = load_kb()
d = diagnose(kb, chain, MatchContext(settings=settings))
"""

from __future__ import annotations

from logdoctor.kb.categories import CATEGORIES, RULE_CATEGORIES, at_least, severity_rank
from logdoctor.kb.fingerprint import describe, fingerprint
from logdoctor.kb.loader import KbRule, KnowledgeBase, Problem, load_kb, load_kb_report
from logdoctor.kb.match import THRESHOLD, Diagnosis, RuleMatch, check_settings, diagnose

__all__ = [
    "CATEGORIES",
    "RULE_CATEGORIES",
    "THRESHOLD",
    "Diagnosis",
    "KbRule",
    "KnowledgeBase",
    "Problem",
    "RuleMatch",
    "at_least",
    "check_settings",
    "describe",
    "diagnose",
    "fingerprint",
    "load_kb",
    "load_kb_report",
    "severity_rank",
]
