"""The configuration-loaded record, in every shape the brief lists."""

from __future__ import annotations

import pytest

from logdoctor.grammar.config import find_config, parse_config
from logdoctor.model import SmtpSettings

# The article's three configuration records, with their punctuation lost as it prints them.
ARTICLE = [
    (
        "SMTP server configuration loadedHostlocalhostPort: 25, Enable SSLYesSSL Mode"
        "OnConnectTimeout: 10 seconds",
        ("localhost", 25, True, "OnConnect", 10.0),
    ),
    (
        "SMTP server configuration loadedHostlocalhostPort: 465, Enable SSLYesSSL Mode"
        "UseStartTlsTimeout: 10 seconds",
        ("localhost", 465, True, "UseStartTls", 10.0),
    ),
    (
        "SMTP server configuration loadedHostsmtp.gmail.comPort: 465, Enable SSLYesSSL Mode"
        "UseStartTlsIfSupportedTimeout: 100 seconds",
        ("smtp.gmail.com", 465, True, "UseStartTlsIfSupported", 100.0),
    ),
    (
        "SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYesSSL Mode"
        "OnConnectTimeout: 10 seconds",
        ("smtp.office365.com", 587, True, "OnConnect", 10.0),
    ),
]


def _core(s: SmtpSettings | None) -> tuple[object, ...]:
    assert s is not None
    return (s.host, s.port, s.enable_ssl, s.ssl_mode, s.timeout_s)


@pytest.mark.parametrize(("text", "expected"), ARTICLE)
def test_article_flattened_records(text: str, expected: tuple[object, ...]) -> None:
    assert _core(parse_config(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # one line, colons and commas
        "SMTP server configuration loaded: Host: smtp.office365.com, Port: 587, "
        "Enable SSL: True, SSL Mode: UseStartTls, Timeout: 100 seconds",
        # key=value, any order, config-file spellings
        "SMTP server configuration loaded. Timeout=100; SmtpSslMode=usestarttls; EnableSsl=1; "
        "Port=587; Host=smtp.office365.com",
        # one field per line, as a multi-line record
        "SMTP server configuration loaded\n"
        "    Host: smtp.office365.com\n"
        "    Port: 587\n"
        "    Enable SSL: yes\n"
        "    SSL Mode: UseStartTls\n"
        "    Timeout: 100 seconds\n",
        # tabs between label and value
        "SMTP server configuration loaded\tHost\tsmtp.office365.com\tPort\t587\tEnable SSL\t"
        "True\tSSL Mode\tUseStartTls\tTimeout\t100000 ms",
        # a comma between label and value
        "SMTP server configuration loaded Host, smtp.office365.com, Port, 587, Enable SSL, "
        "true, SSL Mode, UseStartTls, Timeout, 100",
        # the appSettings key names as a debug dump might print them
        "Loaded e-mail settings: EmailServiceConfig.Host=smtp.office365.com "
        "EmailServiceConfig.Port=587 EmailServiceConfig.EnableSsl=true "
        "EmailServiceConfig.SmtpSslMode=UseStartTls Timeout=100",
    ],
)
def test_separators_and_order(text: str) -> None:
    assert _core(parse_config(text)) == ("smtp.office365.com", 587, True, "UseStartTls", 100.0)


def test_further_fields_are_kept_in_extra() -> None:
    text = (
        "SMTP server configuration loaded: Host: smtp.gmail.com, Port: 465, Enable SSL: Yes, "
        "SSL Mode: OnConnect, Timeout: 30 seconds, User Name: support@mycompany.com, "
        "From address: support@mycompany.com, Authentication: Login, Max Connections: 3"
    )
    s = parse_config(text)
    assert s is not None
    assert _core(s) == ("smtp.gmail.com", 465, True, "OnConnect", 30.0)
    extra = dict(s.extra)
    assert extra["user"] == "support@mycompany.com"
    assert extra["from"] == "support@mycompany.com"
    assert extra["authentication"] == "Login"
    assert extra["Max Connections"] == "3"


def test_default_from_email_address_label() -> None:
    s = parse_config(
        "SMTP server configuration loaded HostlocalhostPort: 25DefaultFromEmailAddress"
        "support@mycompany.comTimeout: 10 seconds"
    )
    assert s is not None
    assert s.host == "localhost"
    assert s.port == 25
    assert dict(s.extra)["from"] == "support@mycompany.com"
    assert s.timeout_s == 10.0


def test_host_containing_a_label_word_stays_whole() -> None:
    s = parse_config(
        "SMTP server configuration loadedHostmailserver.mycompany.localPort: 25, "
        "Enable SSLNoTimeout: 30 seconds"
    )
    assert s is not None
    assert s.host == "mailserver.mycompany.local"
    assert s.enable_ssl is False


def test_carrier_spelling_is_kept_and_flagged() -> None:
    s = parse_config(
        "SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYes"
        "SSL ModeStartTlsTimeout: 10 seconds"
    )
    assert s is not None
    assert s.ssl_mode == "StartTls"
    assert s.ssl_mode_known is False


def test_mode_names_case_insensitive_and_known() -> None:
    s = parse_config("SMTP server configuration loaded: SSL Mode: onconnect, Port: 465")
    assert s is not None
    assert (s.ssl_mode, s.ssl_mode_known, s.port) == ("OnConnect", True, 465)


def test_record_without_fields_still_counts() -> None:
    s = parse_config("SMTP server configuration loaded")
    assert s == SmtpSettings()


@pytest.mark.parametrize(
    "text",
    [
        "Configuration loaded from FChoice.RuleManager.WindowsService.exe.config",
        "Loading SMTP server configuration",
        "Time bomb configuration loaded: 12 rules",
        "Email sent to support@mycompany.com (Host smtp.office365.com, Port 587)",
    ],
)
def test_not_a_configuration_record(text: str) -> None:
    assert parse_config(text) is None


def test_find_config_returns_the_record_text() -> None:
    text = (
        "FChoice.RuleManager.Email.EmailService - SMTP server configuration loadedHostlocalhost"
        "Port: 25, Enable SSLYesSSL ModeOnConnectTimeout: 10 seconds"
    )
    found = find_config(text)
    assert found is not None
    settings, record = found
    assert settings.port == 25
    assert record.startswith("SMTP server configuration loaded")
    assert record.endswith("10 seconds")


def test_other_wording_counts_when_smtp_fields_follow() -> None:
    s = parse_config(
        "Configuration loaded for the SMTP server: Host=smtp.gmail.com, Port=587, "
        "SslMode=UseStartTls"
    )
    assert s is not None
    assert (s.host, s.port, s.ssl_mode) == ("smtp.gmail.com", 587, "UseStartTls")
    assert parse_config("Configuration loaded: 12 rules, 3 time bombs, Port=8080") is None
