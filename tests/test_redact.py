"""Redaction: no planted secret, user name or address survives; stand-ins stay stable.

The log texts below are written from the facts in shared/reference (the KB article's settings
record and MailBee/System.Net.Mail failures, the Dovetail SDK layout with `[user: ...]`, the
`fchoice.connectionstring` setting, Graph's AADSTS errors); the planted values are ours.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.model import ReadStats, SmtpSettings, SourceStats
from logdoctor.redact import (
    SECRET,
    Redactor,
    kind_of,
    left_alone,
    redact_analysis,
    redact_jsonable,
    redact_settings,
)
from logdoctor.report_model import Analysis, Evidence, Incident, TimelinePoint, Unrecognized

PASSWORD = "Tr0ub4dor&3"
DB_PASSWORD = "Hunter2!"
BEARER = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"
    ".eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9"
    ".QmVhcmVyU2lnbmF0dXJlRm9yVGVzdHM"
)
CLIENT_SECRET = "Xk48Q~ab12CD34ef56GH78ij90KL12mn34OP56"  # the shape of an Entra secret
CLIENT_SECRET_PLAIN = "s3cr3t-Value-99"
AUTH_PLAIN = "AHN1cHBvcnRAbXljb21wYW55LmNvbQBUcjB1YjRkb3ImMw=="
LOGIN_USER_B64 = "c3VwcG9ydEBteWNvbXBhbnkuY29t"
LOGIN_PASS_B64 = "VHIwdWI0ZG9yJjM="
API_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"

SENDER = "support@mycompany.com"
RECIPIENT = "Ines.Meyer+rm@acme-industries.com"
OTHER_RECIPIENT = "hugo.lindqvist@northwind.net"
SDK_USER = "jsmith"
DB_USER = "clarify_app"
SERVICE_ACCOUNT = "svc-rulemanager"
HOME_USER = "amueller"
DISPLAY_NAME = "Jürgen Müller"

SETTINGS_RECORD = (
    "2026-11-27 10:15:02,123 [user: jsmith] [fcsessionid: 1636fbda-6bbf-463d-afcc-d24a8f113da6]"
    " [INFO ] [FChoice.RuleManager.Email.EmailService]\n"
    "\tSMTP server configuration loaded Host: smtp.office365.com, Port: 587, Enable SSL: Yes,"
    " SSL Mode: UseStartTls, Timeout: 10 seconds, User: support@mycompany.com,"
    " Password: Tr0ub4dor&3"
)
MAILBEE_AUTH_FAILURE = (
    "2026-11-27 10:15:04,877 [user: jsmith] [fcsessionid: 1636fbda-6bbf-463d-afcc-d24a8f113da6]"
    " [ERROR] [FChoice.RuleManager.Email.EmailService]\n"
    "\tFChoice.RuleManager.FatalEmailServiceException: Failed to send an email --->"
    " MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected"
    " authentication data sent by the client. The server responded:"
    " 535 5.7.139 Authentication unsuccessful, the user credentials were incorrect."
    " [LO2P265CA0123.GBRP265.PROD.OUTLOOK.COM 2026-11-27T10:15:04.812Z]\n"
    "   at MailBee.SmtpMail.Smtp.Send(String senderEmail, EmailAddressCollection recipients)"
    " in C:\\Program Files\\Dovetail Software\\RuleManager\\Email\\EmailService.cs:line 212"
)
SEND_AS_FAILURE = (
    "2026-11-27 11:02:10,004 [ERROR] [FChoice.RuleManager.Email.EmailService]\n"
    "\tFChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error"
    " response. ---> System.Net.Mail.SmtpException: Mailbox unavailable. The server response"
    " was: 5.7.60 SMTP; Client does not have permissions to send as this sender"
    " <support@mycompany.com> (RCPT TO:<Ines.Meyer+rm@acme-industries.com>)"
)
RECIPIENT_FAILURE = (
    "MailBee.SmtpMail.MailBeeSmtpNoAcceptedRecipientsException: None of the recipients has been"
    " accepted by the server. Recipient: ines.meyer+RM@ACME-industries.com. The server"
    " responded: 550 5.1.1 <hugo.lindqvist@northwind.net>: Recipient address rejected"
)
DB_FAILURE = (
    "2026-11-27 09:00:00,010 [user: (null)] [fcsessionid: (null)] [ERROR]"
    " [FChoice.Common.Data.SqlHelper]\n"
    "\tSystem.Data.SqlClient.SqlException (0x80131904): Login failed for user"
    " 'CORP\\svc-rulemanager'. ClientConnectionId:4f1c2a3b-0000-4d5e-8f90-123456789abc\n"
    "\tfchoice.connectionstring: Data Source=sql01.corp.local;Initial Catalog=clarify;"
    "User Id=clarify_app;Password=Hunter2!;Max Pool Size=20\n"
    "\tlog file C:\\Users\\amueller\\AppData\\Local\\Temp\\Rulemanager.log"
)
CONFIG_LINES = (
    '<add key="EmailServiceConfig.UserName" value="support@mycompany.com" />\n'
    '<add key="EmailServiceConfig.Password" value="Tr0ub4dor&amp;3" />\n'
    '<add key="EmailServiceConfig.Port" value="587" />\n'
    '<add key="fchoice.connectionstring" value="Server=sql01;Database=clarify;'
    'UID=clarify_app;Pwd=Hunter2!;" />'
)
GRAPH_FAILURE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email --->"
    " Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret"
    " provided. Trace ID: 0b1c2d3e-1111-2222-3333-444455556666\n"
    "\tPOST https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    " client_id=11111111-2222-3333-4444-555555555555&client_secret=s3cr3t-Value-99"
    "&scope=https://graph.microsoft.com/.default\n"
    "\tMsGraph.ClientSecret: Xk48Q~ab12CD34ef56GH78ij90KL12mn34OP56\n"
    "\tAuthorization: Bearer " + BEARER + "\n"
    '\t{"api_key": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "status": 401}'
)
TRANSCRIPT = (
    "[10:15:02.11] [SEND] EHLO rm01.corp.local\r\n"
    "[10:15:02.19] [RECV] 250-smtp.office365.com Hello [10.0.0.25]\r\n"
    "[10:15:02.20] [SEND] AUTH PLAIN " + AUTH_PLAIN + "\r\n"
    "[10:15:02.90] [RECV] 535 5.7.3 Authentication unsuccessful\r\n"
    "[10:15:03.00] [SEND] AUTH LOGIN\r\n"
    "[10:15:03.05] [RECV] 334 VXNlcm5hbWU6\r\n"
    "[10:15:03.06] [SEND] " + LOGIN_USER_B64 + "\r\n"
    "[10:15:03.10] [RECV] 334 UGFzc3dvcmQ6\r\n"
    "[10:15:03.11] [SEND] " + LOGIN_PASS_B64 + "\r\n"
    "[10:15:03.60] [RECV] 535 5.7.3 Authentication unsuccessful\r\n"
)
MISC = (
    "Relay via smtp://support:Tr0ub4dor&3@relay.mycompany.com:25/ failed\n"
    'Sending notification to "Jürgen Müller" <hugo.lindqvist@northwind.net>\n'
    "Service runs as CORP\\svc-rulemanager; UserName=jsmith;"
    " mailto:Ines.Meyer+rm@acme-industries.com"
)

ALL_TEXTS = (
    SETTINGS_RECORD,
    MAILBEE_AUTH_FAILURE,
    SEND_AS_FAILURE,
    RECIPIENT_FAILURE,
    DB_FAILURE,
    CONFIG_LINES,
    GRAPH_FAILURE,
    TRANSCRIPT,
    MISC,
)
PLANTED = (
    PASSWORD,
    "Tr0ub4dor&amp;3",
    DB_PASSWORD,
    BEARER,
    BEARER.split(".")[2],
    CLIENT_SECRET,
    CLIENT_SECRET_PLAIN,
    AUTH_PLAIN,
    LOGIN_USER_B64,
    LOGIN_PASS_B64,
    "VXNlcm5hbWU6",
    API_KEY,
    SENDER,
    "mycompany.com>",
    RECIPIENT,
    OTHER_RECIPIENT,
    "acme-industries",
    SDK_USER,
    DB_USER,
    SERVICE_ACCOUNT,
    HOME_USER,
    DISPLAY_NAME,
)
KEPT = (
    "smtp.office365.com",
    "Port: 587",
    "SSL Mode: UseStartTls",
    "535 5.7.139 Authentication unsuccessful",
    "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException",
    "FChoice.RuleManager.FatalEmailServiceException",
    "System.Net.Mail.SmtpException",
    "5.7.60 SMTP; Client does not have permissions to send as this sender",
    "550 5.1.1",
    "AADSTS7000215: Invalid client secret provided",
    "0b1c2d3e-1111-2222-3333-444455556666",
    "client_id=11111111-2222-3333-4444-555555555555",
    "[10.0.0.25]",
    "sql01.corp.local",
    "C:\\Program Files\\Dovetail Software\\RuleManager\\Email\\EmailService.cs:line 212",
    "C:\\Users\\",
    "\\AppData\\Local\\Temp\\Rulemanager.log",
    "[fcsessionid: 1636fbda-6bbf-463d-afcc-d24a8f113da6]",
    "[user: (null)]",
    "relay.mycompany.com:25",
    "535 5.7.3 Authentication unsuccessful",
    "AUTH LOGIN",
    "CORP\\",
)


def _all_redacted() -> str:
    r = Redactor()
    return "\n".join(r.text(t) for t in ALL_TEXTS)


@pytest.mark.parametrize("planted", PLANTED)
def test_no_planted_value_survives_free_text(planted: str) -> None:
    assert planted in "\n".join(ALL_TEXTS)  # the plant is really there before
    assert planted.casefold() not in _all_redacted().casefold()


@pytest.mark.parametrize("kept", KEPT)
def test_what_a_diagnosis_needs_is_kept(kept: str) -> None:
    assert kept in _all_redacted()


def test_stand_ins_are_readable_and_numbered_in_order() -> None:
    r = Redactor()
    out = r.text(SEND_AS_FAILURE)
    assert "sender <address1@domain1.invalid>" in out
    assert "RCPT TO:<address2@domain2.invalid>" in out
    assert r.text("[user: jsmith] then [user: (null)] then User Id=sa") == (
        "[user: <user-1>] then [user: (null)] then User Id=<user-2>"
    )
    assert r.text("Password=Hunter2!;Server=sql01") == "Password=<secret>;Server=sql01"


def test_same_address_same_stand_in_whatever_its_case_and_form() -> None:
    r = Redactor()
    a = r.text(SEND_AS_FAILURE)
    b = r.text(RECIPIENT_FAILURE)
    c = r.text("mailto:INES.MEYER+RM@acme-industries.com")
    standin = r.email(RECIPIENT)
    assert standin in a and standin in b and standin in c
    # the same domain keeps the same domain number, a different one gets its own
    assert r.email("hugo.meyer@acme-industries.com").endswith(standin.split("@")[1])
    assert r.email(OTHER_RECIPIENT).split("@")[1] != standin.split("@")[1]


def test_secret_stand_in_never_shows_length_or_part() -> None:
    r = Redactor()
    short = r.text("Password=ab;")
    long = r.text("Password=" + "x" * 40 + ";")
    assert short == long == "Password=<secret>;"
    assert r.value("secret", "Hunter2!") == SECRET
    assert r.value("secret", "") == ""  # "no password set" is worth seeing


def test_smtp_auth_transcript_is_redacted_but_replies_kept() -> None:
    out = Redactor().text(TRANSCRIPT)
    lines = out.splitlines()
    assert lines[2] == "[10:15:02.20] [SEND] AUTH PLAIN <secret>"
    assert lines[5] == "[10:15:03.05] [RECV] 334 <secret>"
    assert lines[6] == "[10:15:03.06] [SEND] <secret>"
    assert lines[8] == "[10:15:03.11] [SEND] <secret>"
    assert lines[9] == "[10:15:03.60] [RECV] 535 5.7.3 Authentication unsuccessful"
    assert out.count("\r\n") == TRANSCRIPT.count("\r\n")


@pytest.mark.parametrize(
    "text",
    [
        "535-5.7.8 Username and Password not accepted. Learn more at",
        "534 5.7.9 Application-specific password required.",
        "System.IdentityModel.Tokens.SecurityTokenExpiredException: IDX10223: Lifetime failed",
        "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected it",
        "AUTH LOGIN failed, user is locked by your organization's security defaults policy",
        "   at System.Net.Security.SslState.StartSendAuthResetSignal(ProtocolToken message)",
        "Running as NT AUTHORITY\\NETWORK SERVICE from logs\\Rulemanager.log.1",
        '<add key="EmailServiceConfig.SmtpSslMode" value="OnConnect" />',
        "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
        "https://support.google.com/mail/?p=BadCredentials o193sm12343473vkc.45 - gsmtp",
    ],
)
def test_failure_texts_without_personal_data_are_unchanged(text: str) -> None:
    assert Redactor().text(text) == text


def test_text_is_idempotent() -> None:
    r = Redactor()
    for text in ALL_TEXTS:
        once = r.text(text)
        assert r.text(once) == once
        assert Redactor().text(once) == once


def test_value_by_kind_and_kind_by_field_name() -> None:
    assert kind_of("EmailServiceConfig.Password") == "secret"
    assert kind_of("MsGraph.ClientSecret") == "secret"
    assert kind_of("fchoice.connectionstring") == "secret"
    assert kind_of("EmailServiceConfig.UserName") == "user"
    assert kind_of("user") == "user"
    assert kind_of("EmailServiceConfig.DefaultFromEmailAddress") == "email"
    assert kind_of("from") == "email"
    assert kind_of("EmailServiceConfig.DefaultFromEmailAddressDisplayName") == "user"
    assert kind_of("Port") == "text"
    r = Redactor()
    assert r.value("user", "CORP\\svc-rulemanager") == "CORP\\<user-1>"
    assert r.value("user", "svc-rulemanager") == "<user-1>"
    assert r.value("user", SENDER) == r.value("email", SENDER) == "address1@domain1.invalid"
    assert r.value("email", "MyCompany Support <support@mycompany.com>") == (
        "MyCompany Support <address1@domain1.invalid>"
    )


# --- analyses ----------------------------------------------------------------------------------


def _settings() -> SmtpSettings:
    return SmtpSettings(
        host="smtp.office365.com",
        port=587,
        enable_ssl=True,
        ssl_mode="UseStartTls",
        timeout_s=10.0,
        extra=(
            ("user", SENDER),
            ("password", PASSWORD),
            ("from", RECIPIENT),
            ("authentication", "Login"),
        ),
    )


def _incident(n: int, text: str, when: datetime) -> Incident:
    return Incident(
        id=f"inc-{n}",
        rule="m365-auth-bad-credentials",
        category="auth.bad_credentials",
        severity="critical",
        title="Microsoft 365 rejected the user name or password",
        status="resolved" if n == 2 else "ongoing",
        first_seen=when,
        last_seen=when,
        count=3,
        settings=_settings(),
        confidence=0.9,
        cause="The account's password is wrong or expired.",
        fix=("Put the right password in EmailServiceConfig.Password.",),
        reasons=('regex /password:/ found "Password: Tr0ub4dor&3"', "enhanced code 5.7.139"),
        evidence=(Evidence("C:\\logs\\Rulemanager.log", 10 + n, text, when),),
        resolved_by=f"configuration changed, then a successful send to {OTHER_RECIPIENT}"
        if n == 2
        else None,
    )


def _analysis() -> Analysis:
    t = datetime(2026, 11, 27, 10, 15, 2)
    return Analysis(
        stats=ReadStats(
            sources=(SourceStats("C:\\logs\\Rulemanager.log", 4096, 12),),
            records=12,
            sends_failed=4,
            damaged_records=1,
            damaged=("C:\\logs\\Rulemanager.log:40: unreadable header near 'User: jsmith'",),
        ),
        incidents=(
            _incident(1, SETTINGS_RECORD + "\n" + SEND_AS_FAILURE, t),
            _incident(2, RECIPIENT_FAILURE + "\n" + MAILBEE_AUTH_FAILURE, t),
        ),
        unrecognized=(
            Unrecognized(
                fingerprint="3f2a9c0d1e4b",
                count=1,
                first_seen=t,
                last_seen=t,
                example=GRAPH_FAILURE,
                types=("Microsoft.Identity.Client.MsalServiceException",),
                evidence=(Evidence("C:\\logs\\Rulemanager.log", 99, DB_FAILURE),),
                settings=_settings(),
            ),
        ),
        timeline=(TimelinePoint(datetime(2026, 11, 27, 10), "auth.bad_credentials", 3),),
        layout_notes=("C:\\logs\\Rulemanager.log: Dovetail SDK (tab), detected, utf-8",),
    )


def _dump(analysis: Analysis) -> str:
    """Everything any renderer can show: the contract JSON plus the fields it leaves out."""
    parts = [json.dumps(analysis.as_contract(), ensure_ascii=False)]
    for inc in analysis.incidents:
        parts.append(repr(inc.settings))
    for u in analysis.unrecognized:
        parts.append(repr(u.settings))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "planted",
    [
        PASSWORD,
        DB_PASSWORD,
        SENDER,
        RECIPIENT,
        OTHER_RECIPIENT,
        SDK_USER,
        DB_USER,
        SERVICE_ACCOUNT,
        CLIENT_SECRET,
        CLIENT_SECRET_PLAIN,
        BEARER,
    ],
)
def test_no_planted_value_in_a_redacted_analysis(planted: str) -> None:
    original = _analysis()
    assert planted in _dump(original)
    assert planted not in _dump(redact_analysis(original))


def test_redacted_analysis_keeps_diagnosis_and_marks_itself() -> None:
    original = _analysis()
    red = redact_analysis(original)
    assert red.redacted is True and original.redacted is False
    for before, after in zip(original.incidents, red.incidents, strict=True):
        assert after.settings is not None and before.settings is not None
        assert after.settings.as_contract() == before.settings.as_contract()  # host, port, mode
        assert (after.rule, after.category, after.cause, after.fix, after.count) == (
            before.rule,
            before.category,
            before.cause,
            before.fix,
            before.count,
        )
        assert after.evidence[0].path == before.evidence[0].path
        assert after.evidence[0].line == before.evidence[0].line
    assert red.layout_notes == original.layout_notes
    assert red.stats.sources == original.stats.sources
    assert red.timeline == original.timeline
    assert red.stats.damaged == (
        "C:\\logs\\Rulemanager.log:40: unreadable header near 'User: <user-1>'",
    )
    assert red.unrecognized[0].types == original.unrecognized[0].types
    assert "AADSTS7000215" in red.unrecognized[0].example
    assert "enhanced code 5.7.139" in red.incidents[0].reasons


def test_settings_extra_redacted_by_field_name() -> None:
    r = Redactor()
    red = redact_settings(_settings(), r)
    assert red is not None
    assert dict(red.extra) == {
        "user": "address1@domain1.invalid",
        "password": SECRET,
        "from": "address2@domain2.invalid",
        "authentication": "Login",
    }
    assert red.host == "smtp.office365.com"
    assert redact_settings(None, r) is None


def test_same_address_same_stand_in_across_incidents() -> None:
    red = redact_analysis(_analysis())
    first = red.incidents[0].evidence[0].text
    second = red.incidents[1].evidence[0].text
    inc_settings = red.incidents[0].settings
    assert inc_settings is not None
    from_standin = dict(inc_settings.extra)["from"]
    # the From of the settings, the RCPT TO of incident 1 and the recipient of incident 2
    assert f"RCPT TO:<{from_standin}>" in first
    assert f"Recipient: {from_standin}." in second
    user_standin = dict(inc_settings.extra)["user"]
    assert f"send as this sender <{user_standin}>" in first
    assert user_standin != from_standin
    # the user name in the SDK header is one stand-in in every incident and in the stats
    assert "[user: <user-1>]" in first and "[user: <user-1>]" in second
    assert red.stats.damaged[0].endswith("'User: <user-1>'")


def test_redact_analysis_is_idempotent() -> None:
    once = redact_analysis(_analysis())
    assert redact_analysis(once) == once


def test_shared_redactor_numbers_across_calls() -> None:
    r = Redactor()
    a = redact_analysis(_analysis(), r)
    b = redact_analysis(_analysis(), r)
    assert a == b


# --- hostile input -----------------------------------------------------------------------------


def _random_text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    pieces = [
        "Password=",
        "user: ",
        "User Id=",
        "@",
        "\\",
        "/",
        " ",
        "\n",
        "\r\n",
        "334 ",
        "AUTH LOGIN\n",
        "token",
        "eyJ",
        "key=",
        "Bearer ",
        "C:\\Users\\",
        '"',
        "'",
        "<",
        ">",
        ";",
        "=",
        ":",
        "joe@x.com",
        "a" * 300,
        "Q~",
        "://",
        "from: ",
        "\t",
        "\x00",
        "\u2028",
        "é",
    ]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+/="
    out: list[str] = []
    n = 0
    while n < size:
        piece = (
            rng.choice(pieces)
            if rng.random() < 0.3
            else "".join(rng.choices(alphabet, k=rng.randint(1, 40)))
        )
        out.append(piece)
        n += len(piece)
    return "".join(out)[:size]


def test_one_megabyte_of_random_text_completes() -> None:
    text = _random_text(1_000_000, seed=7)
    out = Redactor().text(text)
    assert isinstance(out, str)
    assert "joe@x.com" not in out


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "a@" * 200_000,
        "ab\\" * 300_000,
        "password=" * 100_000,
        "[user: " * 100_000,
        ("AUTH LOGIN\n" + "QUJDRA==\n" * 3) * 20_000,
        'key="' * 150_000,
        "\\Users\\" * 100_000,
        " " * 1_000_000,
    ],
    ids=["letters", "ats", "backslashes", "keys", "users", "transcript", "xml", "homes", "spaces"],
)
def test_pathological_inputs_complete(text: str) -> None:
    assert isinstance(Redactor().text(text), str)


_PIECES = (
    "Password=",
    "pwd: ",
    "User Id=",
    "[user: ",
    "]",
    "UserName=",
    "for user '",
    "@",
    "joe@x.com",
    "\\",
    "CORP\\",
    "C:\\Users\\",
    "/home/",
    "://",
    "334 ",
    "AUTH PLAIN ",
    "AUTH LOGIN\r\n",
    "Authorization: Bearer ",
    "eyJ",
    "Q~",
    "key=",
    '"',
    "'",
    "<",
    ">",
    ";",
    " ",
    "\n",
    "from: ",
    "<secret>",
    "<user-1>",
    "address1@domain1.invalid",
)
# Texts built from the pieces above and from anything at all.
_TEXTS = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(max_size=12)),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_any_text_redacts_without_error_and_idempotently(text: str) -> None:
    once = Redactor().text(text)
    assert Redactor().text(once) == once


def _seasoned() -> Redactor:
    """A Redactor that has numbered values already, as one far into a report has."""
    r = Redactor()
    r.text("From: Joe Smith <joe@example.com> user=CORP\\svc_rm login jane.doe C:\\Users\\bob\\x")
    return r


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_a_text_left_alone_is_left_alone_in_any_report(text: str) -> None:
    if left_alone(text):
        assert _seasoned().text(text) == text
        assert Redactor().text(text) == text


def test_left_alone_tells_failure_texts_from_texts_with_values() -> None:
    assert left_alone(
        "System.Net.Sockets.SocketException (10060): A connection attempt failed\n"
        "   at MailBee.SmtpMail.Smtp.Connect() in C:\\Build\\Smtp.cs:line 20"
    )
    assert not left_alone("550 5.1.1 <joe@example.com>: Recipient address rejected")
    assert not left_alone("Authentication failed for user=jane.doe")
    assert not left_alone("password=Tr0ub4dor&3 was refused")
    assert not left_alone("log file C:\\Users\\bob\\AppData\\rm.log")


def test_jsonable_output_of_other_commands_can_be_redacted() -> None:
    parsed = {
        "types": ["System.Net.Mail.SmtpException"],
        "messages": [SEND_AS_FAILURE, "Password=Hunter2!;"],
        "smtp_replies": [{"code": 550, "enhanced": "5.7.60"}],
    }
    out = redact_jsonable(parsed, Redactor())
    dumped = json.dumps(out)
    assert SENDER not in dumped and DB_PASSWORD not in dumped
    assert isinstance(out, dict)
    assert out["types"] == parsed["types"] and out["smtp_replies"] == parsed["smtp_replies"]


def test_secret_shapes_are_found_without_a_key_name() -> None:
    r = Redactor()
    out = r.text(f"AADSTS7000222: secret {CLIENT_SECRET} expired; retry with {BEARER} later")
    assert CLIENT_SECRET not in out and BEARER not in out
    assert out.startswith("AADSTS7000222: secret <secret> expired; retry with <secret>")


def test_secrets_and_accounts_written_as_prose_are_redacted() -> None:
    r = Redactor()
    text = (
        "Login failed with password 'AuthPw5555' for user dave.unknown; "
        "retrying using pwd Secr3tWord9 as login svc_rulemgr2"
    )
    out = r.text(text)
    for planted in ("AuthPw5555", "Secr3tWord9", "dave.unknown", "svc_rulemgr2"):
        assert planted not in out
    # ...while the words of real replies stay readable.
    for reply in (
        "535 5.7.8 Username and Password not accepted",
        "550 5.1.1 User unknown",
        "454 4.7.0 Too many login attempts, please try again later",
        "the user 5.1.1 code",
    ):
        assert r.text(reply) == reply
