"""The knowledge-base content (rules/*.yaml) as a rule author and an admin meet it.

The first group reads the YAML on its own (yaml.safe_load, no engine): coverage of the
contract's categories, examples on every rule, sources that exist. The second group drives the
CLI in-process: the rules' own examples pass, and the diagnoses and config predictions an admin
sees for the Dovetail article's scenarios are the right ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_categories import CONTRACT_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# Categories whose cause is a RuleManager setting: the fix must name the key to change.
SETTINGS_CATEGORIES = (
    "tls.implicit_on_plain_port",
    "tls.starttls_on_implicit_port",
    "tls.required",
)


def _load_rules() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and isinstance(data.get("rules"), list), path.name
        out.extend((path.name, rule) for rule in data["rules"])
    return out


RULES = _load_rules()


def _rule(rule_id: str) -> dict[str, Any]:
    return next(rule for _, rule in RULES if rule["id"] == rule_id)


def _phrases(block: Any) -> list[str]:
    """Every phrase anywhere in a condition block (including any / not blocks)."""
    if isinstance(block, list):
        return [p for b in block for p in _phrases(b)]
    if not isinstance(block, dict):
        return []
    found = list(block.get("phrases") or [])
    for key in ("any", "not"):
        found += _phrases(block.get(key) or [])
    return found


# -- the YAML alone --------------------------------------------------------------------------


def test_package_marker_stays() -> None:
    # rules/ ships as the package logdoctor.rules; without the marker a plain install has no KB.
    assert (RULES_DIR / "__init__.py").is_file()


def test_enough_rules_with_unique_ids() -> None:
    ids = [rule["id"] for _, rule in RULES]
    assert len(ids) >= 30
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates


def test_every_contract_category_has_a_rule() -> None:
    used = {rule["category"] for _, rule in RULES}
    assert not set(CONTRACT_CATEGORIES) - used
    assert used <= set(CONTRACT_CATEGORIES), used - set(CONTRACT_CATEGORIES)


def test_category_list_matches_the_contract() -> None:
    contract = SHARED / "contract.md"
    if not contract.is_file():
        pytest.skip("shared/contract.md not available")
    text = contract.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", text, re.MULTILINE)) - {"unknown"}
    assert listed == set(CONTRACT_CATEGORIES)


@pytest.mark.parametrize(("fname", "rule"), RULES, ids=[r["id"] for _, r in RULES])
def test_rule_is_complete(fname: str, rule: dict[str, Any]) -> None:
    examples = rule.get("examples") or {}
    assert examples.get("match"), f"{fname}: {rule['id']} has no must-match example"
    assert examples.get("no_match"), f"{fname}: {rule['id']} has no must-not-match example"
    for key in ("title", "cause", "severity", "status"):
        assert str(rule.get(key, "")).strip(), f"{rule['id']}: {key} missing"
    assert rule.get("fix"), rule["id"]
    assert rule.get("verify"), rule["id"]
    assert rule.get("references"), rule["id"]


@pytest.mark.parametrize(
    "rule",
    [r for _, r in RULES if r["category"] in SETTINGS_CATEGORIES],
    ids=lambda r: r["id"],
)
def test_settings_rules_name_the_config_key(rule: dict[str, Any]) -> None:
    assert any("EmailServiceConfig." in step for step in rule["fix"]), rule["id"]


def test_reference_sources_exist() -> None:
    reference = SHARED / "reference"
    if not reference.is_dir():
        pytest.skip("shared/reference not available")
    missing = []
    for _, rule in RULES:
        for ref in rule["references"]:
            source = ref.get("source") if isinstance(ref, dict) else None
            if source and not (SHARED / source).is_file():
                missing.append(f"{rule['id']}: {source}")
    assert not missing


def test_phrases_survive_normalisation() -> None:
    # Failure texts are matched with numbers, URLs and host names masked, so a phrase that
    # carries any of them can never match.
    bad = [
        f"{rule['id']}: {phrase!r}"
        for _, rule in RULES
        for phrase in _phrases(rule["match"])
        if re.search(r"\d|://|\.(?:com|net|org)\b", phrase)
    ]
    assert not bad


def test_no_fix_recommends_less_secure_apps() -> None:
    # The article's Gmail advice ("enable Access for less secure apps") stopped working in
    # 2022 (personal) and 2025 (Workspace); a rule must not repeat it as a fix.
    advising = [
        rule["id"]
        for _, rule in RULES
        for step in rule["fix"]
        if re.search(r"(?:enable|turn on|allow).{0,30}less secure apps", step, re.IGNORECASE)
    ]
    assert not advising


def test_microsoft_basic_auth_timeline_is_current() -> None:
    cause = _rule("m365-basic-auth-disabled")["cause"]
    assert "December 2026" in cause


# -- through the engine and the CLI ----------------------------------------------------------

cli_module = pytest.importorskip("logdoctor.cli")
testing = pytest.importorskip("click.testing")


def _invoke(*args: str) -> Any:
    pytest.importorskip("logdoctor.kb")
    runner = testing.CliRunner()
    return runner.invoke(cli_module.cli, list(args), catch_exceptions=False)


def test_rules_test_passes() -> None:
    result = _invoke("rules", "test")
    assert result.exit_code == 0, result.output[-3000:]


def test_rules_lint_is_clean() -> None:
    result = _invoke("rules", "lint")
    assert result.exit_code == 0, result.output[-3000:]


def _explain(text: str, *options: str) -> list[dict[str, Any]]:
    result = _invoke("explain", "--format", "json", *options, text)
    assert result.exit_code == 0, result.output
    matches: list[dict[str, Any]] = json.loads(result.output)["matches"]
    return matches


ARTICLE_HANDSHAKE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation. InnerException message follows: The handshake failed due to an unexpected "
    "packet format. ---> System.IO.IOException: The handshake failed due to an unexpected "
    "packet format."
)
TIMEOUT = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out. ---> "
    "System.Net.Sockets.SocketException: A connection attempt failed because the connected "
    "party did not properly respond after a period of time"
)


@pytest.mark.parametrize(
    ("text", "options", "category"),
    [
        # Gmail's reply with no settings known: the credentials, not the TLS settings.
        (
            "535-5.7.8 Username and Password not accepted. Learn more at\n"
            "535 5.7.8 https://support.google.com/mail/?p=BadCredentials a1sm99.2 - gsmtp",
            (),
            "auth.bad_credentials",
        ),
        (
            ARTICLE_HANDSHAKE,
            ("--port", "587", "--ssl-mode", "OnConnect"),
            "tls.implicit_on_plain_port",
        ),
        (
            ARTICLE_HANDSHAKE,
            ("--port", "25", "--ssl-mode", "OnConnect"),
            "tls.implicit_on_plain_port",
        ),
        # Same text on the implicit-TLS port with the right mode: something on the path.
        (ARTICLE_HANDSHAKE, ("--port", "465", "--ssl-mode", "OnConnect"), "network.filtering"),
        (TIMEOUT, ("--port", "465", "--ssl-mode", "UseStartTls"), "tls.starttls_on_implicit_port"),
        (TIMEOUT, ("--port", "465", "--no-enable-ssl"), "tls.starttls_on_implicit_port"),
        (TIMEOUT, (), "network.timeout"),
        (
            TIMEOUT,
            ("--port", "587", "--ssl-mode", "UseStartTls", "--enable-ssl", "--worked-before"),
            # still a timeout; the rule that wins is the one saying the path changed
            "network.timeout",
        ),
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
            "the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            (),
            "auth.basic_disabled",
        ),
        (
            "MailKit.Security.AuthenticationException: 535: 5.7.3 Authentication unsuccessful",
            (),
            "auth.bad_credentials",
        ),
        (
            "System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: "
            "5.7.60 SMTP; Client does not have permissions to send as this sender",
            (),
            "sender.rejected",
        ),
        (
            "Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client "
            "secret provided.",
            (),
            "graph.auth",
        ),
    ],
)
def test_explain_ranks_the_likely_cause_first(
    text: str, options: tuple[str, ...], category: str
) -> None:
    matches = _explain(text, *options)
    assert matches, "nothing matched"
    assert matches[0]["category"] == category, [(m["rule"], m["confidence"]) for m in matches[:3]]


def _config(tmp_path: Path, **values: str) -> Path:
    lines = "\n".join(
        f'    <add key="EmailServiceConfig.{k}" value="{v}" />' for k, v in values.items()
    )
    path = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    path.write_text(
        f"<configuration>\n  <appSettings>\n{lines}\n  </appSettings>\n</configuration>\n",
        encoding="utf-8",
    )
    return path


def _findings(path: Path) -> list[dict[str, Any]]:
    result = _invoke("check-config", "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    findings: list[dict[str, Any]] = json.loads(result.output)["findings"]
    return findings


@pytest.mark.parametrize(
    "values",
    [
        {"EnableSsl": "true", "Port": "465", "SmtpSslMode": "OnConnect"},
        {"EnableSsl": "true", "Port": "587", "SmtpSslMode": "UseStartTls"},
        {"Host": "smtp.gmail.com", "EnableSsl": "true", "Port": "465", "SmtpSslMode": "OnConnect"},
        {
            "Host": "smtp.office365.com",
            "EnableSsl": "true",
            "Port": "587",
            "SmtpSslMode": "UseStartTls",
        },
    ],
)
def test_check_config_passes_the_articles_good_configurations(
    tmp_path: Path, values: dict[str, str]
) -> None:
    assert _findings(_config(tmp_path, **values)) == []


@pytest.mark.parametrize(
    ("values", "category"),
    [
        (
            {"Host": "localhost", "Port": "25", "EnableSsl": "true", "SmtpSslMode": "OnConnect"},
            "tls.implicit_on_plain_port",
        ),
        (
            {"Host": "localhost", "Port": "465", "EnableSsl": "true", "SmtpSslMode": "UseStartTls"},
            "tls.starttls_on_implicit_port",
        ),
        (
            {
                "Host": "smtp.gmail.com",
                "Port": "465",
                "EnableSsl": "true",
                "SmtpSslMode": "UseStartTlsIfSupported",
            },
            "tls.starttls_on_implicit_port",
        ),
        (
            {
                "Host": "smtp.office365.com",
                "Port": "587",
                "EnableSsl": "true",
                "SmtpSslMode": "OnConnect",
            },
            "tls.implicit_on_plain_port",
        ),
        (
            {
                "Host": "smtp.office365.com",
                "Port": "465",
                "EnableSsl": "true",
                "SmtpSslMode": "OnConnect",
            },
            "network.refused",
        ),
        (
            {
                "Host": "smtp.gmail.com",
                "Port": "587",
                "EnableSsl": "false",
                "SmtpSslMode": "UseStartTls",
            },
            "tls.required",
        ),
        (
            {
                "Host": "smtp.gmail.com",
                "Port": "465",
                "EnableSsl": "false",
                "SmtpSslMode": "OnConnect",
            },
            "tls.starttls_on_implicit_port",
        ),
        # Dovetail Carrier's spelling is not a RuleManager mode.
        (
            {
                "Host": "smtp.office365.com",
                "Port": "587",
                "EnableSsl": "true",
                "SmtpSslMode": "StartTls",
            },
            "tls.required",
        ),
    ],
)
def test_check_config_flags_mismatched_configurations(
    tmp_path: Path, values: dict[str, str], category: str
) -> None:
    findings = _findings(_config(tmp_path, **values))
    assert category in [f["category"] for f in findings], findings
    assert any(f["severity"] == "critical" for f in findings)
