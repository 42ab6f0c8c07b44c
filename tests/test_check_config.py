"""check-config on the Dovetail KB article's configurations: the mismatched ones are flagged with
the cause the article gives, the good ones pass.  These run the shipped rules (rules/*.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logdoctor.checkconfig import check_config
from logdoctor.cli import cli
from logdoctor.errors import LogdoctorError
from logdoctor.kb import KnowledgeBase, load_kb
from logdoctor.model import SmtpSettings
from logdoctor.serviceconfig import read_app_settings, settings_from_app_settings


def snippet(host: str | None, port: int, enable_ssl: str, mode: str) -> str:
    # The article's own mangled rendering of the tags.
    lines = []
    if host:
        lines.append(
            f'<\n  \n   add key=\n   "EmailServiceConfig.Host" \n    value=\n    "{host}" />'
        )
    lines += [
        f'< add key= "EmailServiceConfig.EnableSsl"  value= "{enable_ssl}" />',
        f'< add key= "EmailServiceConfig.Port"  value= "{port}" />',
        f'< add key= "EmailServiceConfig.SmtpSslMode"  value= "{mode}" />',
        '< add key= "EmailServiceConfig.UserName"  value= "support@mycompany.com" />',
        '< add key= "EmailServiceConfig.Password"  value= "myPassword" />',
    ]
    return "\n".join(lines) + "\n"


GOOD = {
    "SSL/TLS on Port 465, using OnConnect": (None, 465, "true", "OnConnect"),
    "TLS on Port 587, using STARTTLS": (None, 587, "true", "UseStartTls"),
    "GMail": ("smtp.gmail.com", 465, "true", "OnConnect"),
    "Microsoft Office365": ("smtp.office365.com", 587, "true", "UseStartTls"),
}

# The configurations logged before the article's errors, and the cause it names for each.
BAD = {
    "handshake on localhost:25": (
        ("localhost", 25, "true", "OnConnect"),
        "tls.implicit_on_plain_port",
    ),
    "socket timeout on 465 with UseStartTls": (
        ("localhost", 465, "true", "UseStartTls"),
        "tls.starttls_on_implicit_port",
    ),
    "Gmail aborted on 465 with UseStartTlsIfSupported": (
        ("smtp.gmail.com", 465, "true", "UseStartTlsIfSupported"),
        "tls.starttls_on_implicit_port",
    ),
    "Office365 handshake on 587 with OnConnect": (
        ("smtp.office365.com", 587, "true", "OnConnect"),
        "tls.implicit_on_plain_port",
    ),
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def findings_for(kb: KnowledgeBase, text: str) -> list[str]:
    s = settings_from_app_settings(read_app_settings(text))
    return [f.category for f in check_config(kb, s)]


@pytest.mark.parametrize("name", GOOD)
def test_article_good_configurations_pass(kb: KnowledgeBase, name: str) -> None:
    assert findings_for(kb, snippet(*GOOD[name])) == []


@pytest.mark.parametrize("name", BAD)
def test_article_mismatched_configurations_are_flagged(kb: KnowledgeBase, name: str) -> None:
    config, category = BAD[name]
    found = findings_for(kb, snippet(*config))
    assert found and found[0] == category, found


@pytest.mark.parametrize(
    "config",
    [
        ("smtp.office365.com", 465, "true", "OnConnect"),  # Microsoft 365 has no implicit TLS
        ("smtp.gmail.com", 465, "false", "OnConnect"),  # EnableSsl=false on 465
        ("smtp.office365.com", 587, "false", "UseStartTls"),  # EnableSsl=false on 587
        ("smtp.gmail.com", 587, "true", "StartTls"),  # Dovetail Carrier's spelling
    ],
)
def test_provider_and_spelling_problems_are_flagged(
    kb: KnowledgeBase, config: tuple[str, int, str, str]
) -> None:
    assert findings_for(kb, snippet(*config))


def test_findings_carry_cause_and_the_exact_setting_to_change(kb: KnowledgeBase) -> None:
    s = SmtpSettings(host="smtp.office365.com", port=587, enable_ssl=True, ssl_mode="OnConnect")
    f = check_config(kb, s)[0]
    assert f.cause and f.fix
    assert any("EmailServiceConfig.SmtpSslMode" in step for step in f.fix)
    assert any("587" in r for r in f.reasons)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    if isinstance(result.exception, LogdoctorError):
        return 2, result.stdout, str(result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_shape_and_fail_on(tmp_path: Path) -> None:
    path = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    path.write_text(
        "<configuration><appSettings>\n"
        + snippet(*BAD["Office365 handshake on 587 with OnConnect"][0])
        + "</appSettings></configuration>\n",
        encoding="utf-8",
    )
    code, out, _ = run("check-config", "--format", "json", str(path))
    assert code == 0
    doc = json.loads(out)
    assert doc["config"] == {
        "host": "smtp.office365.com",
        "port": 587,
        "enable_ssl": True,
        "ssl_mode": "OnConnect",
        "timeout_s": None,
    }
    assert doc["findings"][0]["category"] == "tls.implicit_on_plain_port"
    assert {"rule", "category", "severity", "title", "cause", "fix"} <= set(doc["findings"][0])
    assert "myPassword" not in out
    code, _, _ = run("check-config", "--fail-on", "error", "--format", "json", str(path))
    assert code == 1


def test_cli_good_config_text_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "good.txt"
    path.write_text(snippet(*GOOD["Microsoft Office365"]), encoding="utf-8")
    code, out, _ = run("check-config", "--fail-on", "info", str(path))
    assert code == 0
    assert "No failures predicted" in out
    code, out, _ = run("check-config", "--format", "json", "-", stdin=snippet(*GOOD["GMail"]))
    assert code == 0 and json.loads(out)["findings"] == []


def test_cli_file_without_email_settings_or_missing_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "web.config"
    path.write_text(
        '<appSettings><add key="fchoice.dbtype" value="MSSQL"/></appSettings>', encoding="utf-8"
    )
    code, _, err = run("check-config", str(path))
    assert code == 2 and "EmailServiceConfig" in err and "web.config" in err
    code, _, err = run("check-config", str(tmp_path / "nope.config"))
    assert code == 2


@pytest.mark.parametrize(
    ("enable_ssl", "port", "noted"),
    [
        ("true", "587", []),
        (" False ", "465", []),
        ("yes", "587", ["EnableSsl"]),
        ("1", "465", ["EnableSsl"]),
        ("true", "587;", ["Port"]),
        ("On", "465 (ssl)", ["EnableSsl", "Port"]),
        ("maybe", "abc", []),  # not read at all: listed as not readable instead
    ],
)
def test_values_read_leniently_are_noted_with_what_dovetail_documents(
    tmp_path: Path, enable_ssl: str, port: str, noted: list[str]
) -> None:
    path = tmp_path / "settings.txt"
    path.write_text(
        f'<add key="EmailServiceConfig.EnableSsl" value="{enable_ssl}" />\n'
        f'<add key="EmailServiceConfig.Port" value="{port}" />\n'
        '<add key="EmailServiceConfig.SmtpSslMode" value="OnConnect" />\n',
        encoding="utf-8",
    )
    code, out, _ = run("check-config", "--format", "json", str(path))
    assert code == 0
    notes = json.loads(out)["notes"]
    assert [n.split(" is ")[0].removeprefix("EmailServiceConfig.") for n in notes] == noted
    if "EnableSsl" in noted:
        assert any("true or false" in n for n in notes)
    _, text, _ = run("check-config", str(path))
    assert text.count("Note: ") == len(noted)
    if not noted and enable_ssl == "maybe":
        assert "Not set or not readable" in text and "EnableSsl" in text


def test_a_noted_value_is_inert_in_markdown(tmp_path: Path) -> None:
    path = tmp_path / "settings.txt"
    path.write_text(
        '<add key="EmailServiceConfig.Port" value="465 &lt;img src=x onerror=alert(1)&gt;" />\n'
        '<add key="EmailServiceConfig.EnableSsl" value="true" />\n',
        encoding="utf-8",
    )
    from markdown_it import MarkdownIt

    _, out, _ = run("check-config", "--format", "markdown", str(path))
    assert "Note:" in out
    tokens = MarkdownIt("commonmark").parse(out)
    html = [t for t in tokens if t.type == "html_block"]
    html += [c for t in tokens for c in t.children or () if c.type == "html_inline"]
    assert html == []
