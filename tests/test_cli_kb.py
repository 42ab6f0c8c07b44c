"""The knowledge-base commands as scripts and admins use them: rules, explain."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from logdoctor.cli import cli
from logdoctor.errors import LogdoctorError

# The Dovetail KB article's Office365 case, with the punctuation the page lost.
ARTICLE_O365 = (
    "FChoice.RuleManager.Email.EmailService - SMTP server configuration loadedHost"
    "smtp.office365.comPort: 587, Enable SSLYesSSL ModeOnConnectTimeout: 10 seconds\n"
    "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee.Security."
    "MailBeeSslNegotiationExceptionIOException occurred during SSL negotiation\n"
    "Perhapsyou need to specify a more secure protocol such as TLS 1.2 (see "
    "SecurityProtocol.TlsAuto). \n"
    "InnerException message follows\n"
    "The handshake failed due to an unexpected packet format---System.IO.IOExceptionThe "
    "handshake failed due to an unexpected packet format.\n"
)

GMAIL_535 = (
    "FChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error response. "
    "---> MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected "
    "authentication data sent by the client. The server responded: 535-5.7.8 Username and "
    "Password not accepted. Learn more at 535 5.7.8 https://support.google.com/mail/?p="
    "BadCredentials o193sm12343473vkc.45 - gsmtp"
)

SITE_RULE = """\
rules:
  - id: site-printer-relay
    title: The old printer relay is gone
    category: network.dns
    severity: error
    match:
      phrases: ["printrelay01 could not be resolved"]
    cause: The relay was decommissioned.
    fix: [Point EmailServiceConfig.Host at smtp.corp.local.]
    examples:
      match:
        - text: "Host printrelay01 could not be resolved"
      no_match:
        - text: "No such host is known: mailgw.corp.local"
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    if isinstance(result.exception, LogdoctorError):
        return 2, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_rules_list_json_is_exactly_the_contract_shape() -> None:
    code, out, _ = run("rules", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows, "no built-in rules"
    for row in rows:
        assert set(row) == {"id", "category", "severity", "title", "examples"}
        assert row["examples"] >= 2
    assert len({r["id"] for r in rows}) == len(rows)


def test_rules_list_text_and_show() -> None:
    code, out, _ = run("rules", "list")
    assert code == 0 and "tls.implicit_on_plain_port" in out
    rule_id = json.loads(run("rules", "list", "--format", "json")[1])[0]["id"]
    code, out, _ = run("rules", "show", rule_id, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["id"] == rule_id and doc["fix"] and doc["examples"]["match"]
    assert doc["path"].endswith((".yaml", ".yml")) and doc["line"] >= 1
    code, out, _ = run("rules", "show", rule_id, "--format", "markdown")
    assert code == 0 and out.startswith("# ") and "## Fix" in out


def test_rules_show_unknown_id_is_exit_2_with_a_hint() -> None:
    code, _, err = run("rules", "show", "tls-onconnect-on-startls-port")
    assert code == 2 and "no rule with id" in err


def test_rules_test_passes_for_the_shipped_rules() -> None:
    code, out, _ = run("rules", "test")
    last = out.strip().splitlines()[-1]
    assert last.startswith("rules test: ") and last.endswith(" 0 failed"), out[-3000:]
    assert code == 0


def test_rules_test_reports_a_failing_example_with_file_and_line(tmp_path: Path) -> None:
    broken = SITE_RULE.replace(
        "No such host is known: mailgw.corp.local", "printrelay01 could not be resolved"
    )
    path = tmp_path / "site.yaml"
    path.write_text(broken, encoding="utf-8")
    code, out, _ = run("rules", "test", "--rules", str(path), "--rules-only")
    assert code == 1
    assert f"{path}:14: FAIL site-printer-relay no_match[0]" in out
    assert "rules test: 1 passed, 1 failed" in out
    path.write_text(SITE_RULE, encoding="utf-8")
    code, out, _ = run("rules", "test", "--rules", str(path), "--rules-only")
    assert code == 0 and "rules test: 2 passed, 0 failed" in out


def test_rules_lint_exit_codes(tmp_path: Path) -> None:
    code, out, _ = run("rules", "lint")
    assert code == 0, out
    (tmp_path / "a.yaml").write_text(SITE_RULE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SITE_RULE, encoding="utf-8")
    code, out, _ = run("rules", "lint", "--no-timing", "--rules", str(tmp_path))
    assert code == 1
    assert "duplicate-id" in out and "site-printer-relay" in out


def test_explain_uses_the_logged_configuration_and_json_shape() -> None:
    code, out, _ = run("explain", "--format", "json", stdin=ARTICLE_O365)
    assert code == 0
    doc = json.loads(out)
    first = doc["matches"][0]
    assert set(first) >= {"rule", "category", "title", "severity", "confidence", "cause", "fix"}
    assert first["category"] == "tls.implicit_on_plain_port"
    assert 0.5 <= first["confidence"] <= 1
    assert doc["parsed"]["config"]["port"] == 587
    assert doc["parsed"]["config"]["ssl_mode"] == "OnConnect"
    confidences = [m["confidence"] for m in doc["matches"]]
    assert confidences == sorted(confidences, reverse=True)


def test_explain_options_override_the_logged_settings() -> None:
    _, out, _ = run("explain", "--format", "json", "--port", "465", stdin=ARTICLE_O365)
    doc = json.loads(out)
    assert doc["parsed"]["config"]["port"] == 465
    assert all(m["category"] != "tls.implicit_on_plain_port" for m in doc["matches"])


def test_explain_argument_text_output() -> None:
    code, out, _ = run("explain", GMAIL_535)
    assert code == 0
    assert "auth." in out and "Fix:" in out and "confidence" in out


def test_explain_unknown_is_an_empty_match_list_with_a_fingerprint() -> None:
    text = "System.InvalidOperationException: The flux capacitor is not charged."
    code, out, _ = run("explain", "--format", "json", text)
    doc = json.loads(out)
    assert code == 0 and doc["matches"] == [] and doc["unknown"] is True
    assert doc["fingerprint"]


def test_explain_never_interprets_log_text_as_markup() -> None:
    text = "[bold red]535 5.7.8[/] Username and Password not accepted [link=http://x]y[/link]"
    code, out, _ = run("explain", "--format", "markdown", text)
    assert code == 0
    code, out, _ = run("explain", text)
    assert code == 0
    code, out, _ = run("explain", "--format", "json", text)
    assert json.loads(out)["matches"][0]["category"].startswith("auth.")


def test_explain_empty_input_is_exit_2() -> None:
    code, _, err = run("explain", stdin="   \n")
    assert code == 2 and "no error text" in err


def test_site_rules_add_to_explain(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE_RULE, encoding="utf-8")
    _, out, _ = run(
        "explain",
        "--format",
        "json",
        "--rules",
        str(path),
        "MailBee.MailBeeSocketHostNotFoundException: Host printrelay01 could not be resolved",
    )
    assert json.loads(out)["matches"][0]["rule"] == "site-printer-relay"
