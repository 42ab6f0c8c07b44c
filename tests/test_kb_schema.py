"""Rule files are validated at load, and a mistake names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from logdoctor.errors import LogdoctorError
from logdoctor.kb import load_kb
from logdoctor.kb.categories import CATEGORIES, RULE_CATEGORIES, at_least, severity_rank

GOOD = """\
rules:
  - id: site-relay-denied
    title: Our relay refuses the RuleManager server
    category: relay.denied
    severity: error
    match:
      phrases: "unable to relay"
      smtp_codes: 550
    cause: The relay only accepts mail from listed servers.
    fix: Add the RuleManager server's address to the relay connector.
    examples:
      match:
        - text: "MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException: 550 5.7.1 Unable to relay"
      no_match:
        - text: "550 5.1.1 User unknown"
"""


def write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> LogdoctorError:
    with pytest.raises(LogdoctorError) as info:
        load_kb([path], replace=True)
    return info.value


def test_a_valid_site_file_loads_and_scalars_become_lists(tmp_path: Path) -> None:
    kb = load_kb([write(tmp_path, GOOD)], replace=True)
    assert kb.ids() == ["site-relay-denied"]
    rule = kb.rules[0].rule
    assert rule.match.phrases == ["unable to relay"]
    assert rule.match.smtp_codes == [550]
    assert rule.fix == ["Add the RuleManager server's address to the relay connector."]
    assert kb.rules[0].line == 2


def test_unknown_category_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("category: relay.denied", "category: relay.denyed"))
    err = load_error(path)
    assert err.path == str(path)
    assert err.line == 4
    assert f"{path}:4:" in str(err)
    assert "relay.denyed" in str(err) and "did you mean 'relay.denied'" in str(err)


def test_misspelt_condition_key_is_an_error_not_a_silent_no_op(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("      phrases:", "      phrase:"))
    err = load_error(path)
    assert err.line == 7
    assert "unknown key 'phrase'" in str(err)
    assert "phrases" in str(err)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    severity: error", "    severity: [error"))
    err = load_error(path)
    assert err.path == str(path)
    assert err.line is not None and err.line >= 5
    assert "invalid YAML" in str(err)


def test_bad_value_inside_an_example_points_at_that_example(tmp_path: Path) -> None:
    text = GOOD.replace(
        '        - text: "550 5.1.1 User unknown"',
        '        - text: "550 5.1.1 User unknown"\n          settings: {port: twenty-five}',
    )
    err = load_error(write(tmp_path, text))
    assert err.line == 16
    assert "examples.no_match[0].settings.port" in str(err)


def test_unknown_is_not_a_rule_category(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, GOOD.replace("category: relay.denied", "category: unknown")))
    assert "engine's answer" in str(err)


def test_regex_that_does_not_compile_or_backtracks_is_rejected_at_load(tmp_path: Path) -> None:
    bad = GOOD.replace("      smtp_codes: 550", '      regex: "unable to (relay"')
    assert "does not compile" in str(load_error(write(tmp_path, bad)))
    slow = GOOD.replace("      smtp_codes: 550", '      regex: "(\\\\w+\\\\s?)+relay"')
    err = load_error(write(tmp_path, slow, "slow.yaml"))
    assert "nested quantifiers" in str(err)
    assert err.line == 8


def test_enhanced_codes_and_reply_codes_are_checked(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, GOOD.replace("smtp_codes: 550", 'enhanced_codes: ["5.7"]')))
    assert "enhanced status code" in str(err)
    err = load_error(
        write(tmp_path, GOOD.replace("smtp_codes: 550", "smtp_codes: 10060"), "b.yaml")
    )
    assert "not an SMTP reply code" in str(err)


def test_empty_match_block_and_missing_fix_are_errors(tmp_path: Path) -> None:
    text = GOOD.replace('      phrases: "unable to relay"\n      smtp_codes: 550\n', "      {}\n")
    assert "match" in str(load_error(write(tmp_path, text)))
    text = GOOD.replace(
        "    fix: Add the RuleManager server's address to the relay connector.\n", ""
    )
    err = load_error(write(tmp_path, text, "nofix.yaml"))
    assert "fix" in str(err) and err.line == 2


def test_predict_true_needs_settings_conditions(tmp_path: Path) -> None:
    text = GOOD.replace("    cause:", "    predict: true\n    cause:")
    assert "predict" in str(load_error(write(tmp_path, text)))


def test_not_a_rules_file(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "- just\n- a list\n"))
    assert "rules:" in str(err)


def test_site_rule_with_a_builtin_id_replaces_it(tmp_path: Path) -> None:
    builtin = load_kb()
    assert builtin.rules, "the built-in rules (rules/*.yaml) are missing"
    victim = builtin.rules[0]
    text = GOOD.replace("site-relay-denied", victim.rule.id)
    kb = load_kb([write(tmp_path, text)])
    replaced = kb.get(victim.rule.id)
    assert replaced is not None and replaced.path == str(tmp_path / "site.yaml")
    assert len(kb.rules) == len(builtin.rules)
    assert any(victim.rule.id in note for note in kb.notes)


def test_a_site_file_named_like_a_builtin_file_replaces_the_whole_file(tmp_path: Path) -> None:
    builtin = load_kb()
    name = Path(builtin.rules[0].path).name
    in_that_file = [kr.rule.id for kr in builtin.rules if Path(kr.path).name == name]
    kb = load_kb([write(tmp_path, GOOD, name)])
    assert not any(kb.get(rid) for rid in in_that_file if rid != "site-relay-denied")
    assert kb.get("site-relay-denied") is not None


def test_missing_rules_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(LogdoctorError) as info:
        load_kb([tmp_path / "nope"])
    assert "nope" in str(info.value)


def test_categories_match_the_contract_and_severity_order() -> None:
    contract = Path(__file__).resolve().parents[1].parent / "shared" / "contract.md"
    if contract.is_file():
        text = contract.read_text(encoding="utf-8")
        for name in CATEGORIES:
            assert f"| `{name}` |" in text, name
    assert "unknown" not in RULE_CATEGORIES and len(RULE_CATEGORIES) == 23
    assert severity_rank("critical") > severity_rank("error") > severity_rank("warning")
    assert at_least("critical", "error") and not at_least("warning", "error")
