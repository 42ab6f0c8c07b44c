"""`rules lint` catches what would make the knowledge base wrong or slow."""

from __future__ import annotations

from pathlib import Path

from logdoctor.kb import load_kb_report
from logdoctor.kb.lint import LintIssue, lint_kb
from logdoctor.kb.regexsafety import nested_quantifier, timed_check

RULE = """\
  - id: {id}
    title: {title}
    category: {category}
    severity: error
    match:
      {match}
    cause: Because.
    fix: [Do this.]
    references:
      - source: {ref}
    examples:
      match:
        - text: "{text}"
      no_match:
        - text: "250 2.0.0 OK queued"
"""


def rule(
    id: str,
    *,
    category: str = "relay.denied",
    match: str = 'phrases: ["unable to relay"]',
    text: str = "550 5.7.1 Unable to relay for admin@example.com",
    ref: str = "reference/smtp-facts.md",
    title: str = "A rule",
) -> str:
    return RULE.format(id=id, category=category, match=match, text=text, ref=ref, title=title)


def lint(tmp_path: Path, files: dict[str, str], *, timed: bool = False) -> list[LintIssue]:
    for name, body in files.items():
        (tmp_path / name).write_text("rules:\n" + body, encoding="utf-8")
    kb, problems = load_kb_report([tmp_path], replace=True)
    shared = tmp_path / "shared"
    (shared / "reference").mkdir(parents=True, exist_ok=True)
    (shared / "reference" / "smtp-facts.md").write_text("facts", encoding="utf-8")
    return lint_kb(kb, problems, timed=timed, shared=shared)


def codes(issues: list[LintIssue], level: str = "error") -> list[str]:
    return [i.code for i in issues if i.level == level]


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    issues = lint(tmp_path, {"a.yaml": rule("relay-1"), "b.yaml": rule("relay-1", title="Other")})
    dup = [i for i in issues if i.code == "duplicate-id"]
    assert len(dup) == 1
    assert dup[0].where == f"{tmp_path / 'b.yaml'}:2"
    assert f"{tmp_path / 'a.yaml'}:2" in dup[0].message


def test_schema_problems_are_all_listed_with_lines(tmp_path: Path) -> None:
    body = (
        rule("ok-rule")
        + rule("bad-cat", category="relay.nope")
        + rule("bad-key", match='phrasez: ["x"]')
    )
    issues = lint(tmp_path, {"a.yaml": body})
    schema = [i for i in issues if i.code == "schema"]
    assert len(schema) == 2
    assert any("relay.nope" in i.message and i.where.endswith(":19") for i in schema)
    assert any("phrasez" in i.message and i.where.endswith(":37") for i in schema)


def test_nested_quantifier_regex_is_reported(tmp_path: Path) -> None:
    issues = lint(tmp_path, {"a.yaml": rule("slow", match='regex: ["(\\\\w+\\\\s?)+relay"]')})
    assert any(i.code == "schema" and "nested quantifiers" in i.message for i in issues)
    assert nested_quantifier(r"(.*)*x") and nested_quantifier(r"(a+)+")
    assert nested_quantifier(r"unable to relay \d+\.\d+") is None
    assert nested_quantifier(r"(?:\s+\w+){0,3}") is None


def test_timed_check_catches_backtracking_the_static_check_misses() -> None:
    pattern = r"(a|a)*b"  # no nested quantifier, still exponential
    assert nested_quantifier(pattern) is None
    slow = timed_check([r"relay", pattern, r"denied"], budget_s=0.5, size=5_000, base_timeout_s=2.0)
    assert list(slow) == [1]


def test_shadowed_rule_and_identical_conditions(tmp_path: Path) -> None:
    strong = rule(
        "relay-strong",
        match='phrases: ["unable to relay"]\n      enhanced_codes: ["5.7.1"]',
    )
    weak = rule("sender-weak", category="sender.rejected", match='phrases: ["unable to relay"]')
    twin = rule("relay-twin", match='phrases: ["unable to relay"]\n      enhanced_codes: ["5.7.1"]')
    issues = lint(tmp_path, {"a.yaml": strong + weak + twin})
    shadowed = [i for i in issues if i.code == "shadowed"]
    assert [i.message.split(":")[0] for i in shadowed] == ["rule sender-weak"]
    assert "relay-strong" in shadowed[0].message
    same = [i for i in issues if i.code == "same-conditions"]
    assert len(same) == 1 and "relay-twin" in same[0].message and "relay-strong" in same[0].message


def test_rules_without_examples_and_uncovered_categories(tmp_path: Path) -> None:
    body = rule("no-no-match").replace(
        '      no_match:\n        - text: "250 2.0.0 OK queued"\n', ""
    )
    issues = lint(tmp_path, {"a.yaml": body})
    assert any(i.code == "no-examples" and "must-not-match" in i.message for i in issues)
    uncovered = [i.message for i in issues if i.code == "category-uncovered"]
    assert "no rule for category tls.certificate" in uncovered
    assert "no rule for category relay.denied" not in uncovered


def test_reference_to_a_missing_file_is_a_warning(tmp_path: Path) -> None:
    issues = lint(tmp_path, {"a.yaml": rule("r1", ref="reference/not-there.txt")})
    warn = [i for i in issues if i.code == "reference-missing"]
    assert len(warn) == 1 and warn[0].level == "warning"
    assert "not-there.txt" in warn[0].message


def test_builtin_rules_lint_clean() -> None:
    kb, problems = load_kb_report()
    issues = lint_kb(kb, problems, timed=True)
    assert [str(i) for i in issues if i.level == "error"] == []
