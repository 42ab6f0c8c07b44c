"""Codes inside failure texts: found where they are written, and only there."""

from __future__ import annotations

import pytest

from logdoctor.grammar.codes import (
    aad_codes,
    hresults,
    http_statuses,
    provider_markers,
    smtp_replies,
    socket_errors,
)
from logdoctor.model import SmtpReply

# --- SMTP replies ---------------------------------------------------------------------------


def test_gmail_multiline_reply_is_one_reply() -> None:
    text = (
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server responded:\n"
        "535-5.7.8 Username and Password not accepted. Learn more at\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials q9sm4821093wrp.61 - gsmtp"
    )
    replies = smtp_replies(text)
    assert len(replies) == 1
    reply = replies[0]
    assert (reply.code, reply.enhanced) == (535, "5.7.8")
    assert reply.text.startswith("Username and Password not accepted.")
    assert "p=BadCredentials" in reply.text


def test_article_reply_with_stray_spaces_is_recovered() -> None:
    # As the knowledge-base article prints it: "535 -5.7 .8" and "535  5.7 .8".
    text = (
        "The server has rejected authentication data sent  by the client. The server responded:"
        "  535 -5.7 .8 Username and Password not accepted. \n"
        "Learn more at  535  5.7 .8  https: //support.google.com/mail/?p=BadCredentials "
        "o193sm12343473vkc.45 - gsmtp."
    )
    replies = smtp_replies(text)
    assert [(r.code, r.enhanced) for r in replies] == [(535, "5.7.8")]
    assert "Username and Password not accepted" in replies[0].text


def test_mailkit_reply_with_colon() -> None:
    text = (
        "MailKit.Security.AuthenticationException: 535: 5.7.139 Authentication unsuccessful, "
        "basic authentication is disabled. [PA7P264CA0123.FRAP264.PROD.OUTLOOK.COM]"
    )
    (reply,) = smtp_replies(text)
    assert (reply.code, reply.enhanced) == (535, "5.7.139")
    assert reply.text.startswith("Authentication unsuccessful, basic authentication is disabled")


def test_system_net_mail_enhanced_code_without_basic_code() -> None:
    text = (
        "System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the "
        "client was not authenticated. The server response was: 5.7.57 Client not authenticated "
        "to send mail. [BN0PR04CA0011.namprd04.prod.outlook.com 2026-11-27T10:15:02.123Z]"
    )
    (reply,) = smtp_replies(text)
    assert reply.code == 0  # System.Net.Mail drops the basic code
    assert reply.enhanced == "5.7.57"
    assert reply.text.startswith("Client not authenticated to send mail.")


def test_basic_code_alone_after_responded() -> None:
    text = (
        "MailBee.SmtpMail.MailBeeSmtpNegativeResponseException: The server responded: "
        "530 Must issue a STARTTLS command first."
    )
    assert smtp_replies(text) == (SmtpReply(530, None, "Must issue a STARTTLS command first."),)


def test_two_different_replies_stay_apart() -> None:
    text = (
        "The server responded: 550 5.1.1 <first.last.@company.com>: Recipient address rejected\n"
        "The server responded: 550 5.7.60 SMTP; Client does not have permissions to send as "
        "this sender"
    )
    assert [(r.code, r.enhanced) for r in smtp_replies(text)] == [(550, "5.1.1"), (550, "5.7.60")]


@pytest.mark.parametrize(
    "text",
    [
        "SMTP server configuration loaded Host: smtp.office365.com Port: 587, Timeout: 100 seconds",
        "   at Acme.Notify.Mailer.Send(Notice n) in C:\\src\\Acme\\Mailer.cs:line 535",
        "Upgraded to .NET Framework 4.7.2 on server 10.20.30.40",
        "Processed 500 time bombs in 250 ms",
        "Connecting to smtp.gmail.com:465 (attempt 2 of 3)",
    ],
)
def test_numbers_that_are_not_replies(text: str) -> None:
    assert smtp_replies(text) == ()


# --- socket errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("System.Net.Sockets.SocketException (10060): A connection attempt failed", (10060,)),
        ("MailBee.MailBeeSocketRefusedException: Socket error code: 10061.", (10061,)),
        ("SocketException: An existing connection ... ErrorCode = 10054", (10054,)),
        ("SocketErrorCode: TimedOut", (10060,)),
        ("SocketError.HostNotFound while resolving smtp.office356.com", (11001,)),
        ("connect() failed: WSAECONNREFUSED", (10061,)),
        ("System.Net.Sockets.SocketException (111): Connection refused", (111, 10061)),
        ("write failed: ETIMEDOUT", (110,)),
        (
            "System.Net.Sockets.SocketException: No such host is known",
            (11001,),
        ),
        (
            "A connection attempt failed because the connected party did not properly respond "
            "after a period of time, or established connection failed",
            (10060,),
        ),
    ],
)
def test_socket_errors_in_socket_contexts(text: str, expected: tuple[int, ...]) -> None:
    assert socket_errors(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Port: 10060, Timeout: 10 seconds",
        "   at Acme.Mailer.Send() in C:\\src\\Mailer.cs:line 10054",
        "The server responded: 550 5.1.1 error code 550 User unknown",
    ],
)
def test_socket_numbers_out_of_context_are_ignored(text: str) -> None:
    assert socket_errors(text) == ()


# --- HRESULTs, AAD, HTTP, providers ---------------------------------------------------------


def test_hresults_hex_and_decimal() -> None:
    text = (
        "System.ComponentModel.Win32Exception (0x80004005): The client and server cannot "
        "communicate, because they do not possess a common algorithm\n"
        "System.ComponentModel.Win32Exception: The message received was unexpected or badly "
        "formatted 0x80090326 HResult=-2146233088"
    )
    assert hresults(text) == ("0x80004005", "0x80090326", "0x80131500")


def test_hresult_needs_the_0x8_shape() -> None:
    assert hresults("offset 0x000b6 in <a8460a77e67a430a8486a9751162e5f4>:0") == ()


def test_aad_codes() -> None:
    text = (
        "Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret "
        "provided. Ensure the secret being sent in the request is the client secret value."
    )
    assert aad_codes(text) == ("AADSTS7000215",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Status Code: Unauthorized\nMicrosoft.Graph.ServiceException: Code: InvalidToken",
            (401,),
        ),
        ("Microsoft.Graph.ServiceException: Code: ApplicationThrottled Status Code: 429", (429,)),
        ("The request was throttled: TooManyRequests, Retry-After: 30", (429,)),
        ("The remote server returned an error: (403) Forbidden.", (403,)),
        ("Response status code does not indicate success: 503 (Service Unavailable).", (503,)),
    ],
)
def test_http_statuses(text: str, expected: tuple[int, ...]) -> None:
    assert http_statuses(text) == expected


def test_http_status_not_taken_from_smtp_replies() -> None:
    assert (
        http_statuses("The server responded: 421 4.7.0 Try again later, closing connection.") == ()
    )


def test_provider_markers() -> None:
    gmail = "535 5.7.8 https://support.google.com/mail/?p=BadCredentials x1sm2 - gsmtp"
    assert provider_markers(gmail) == ("google", "gsmtp")
    office = "5.7.139 Authentication unsuccessful [BN0PR04CA0011.namprd04.prod.outlook.com]"
    assert provider_markers(office) == ("outlook",)
    relay = "Connecting to mycompany-com.mail.protection.outlook.com:25"
    assert provider_markers(relay) == ("protection.outlook.com",)
    assert provider_markers("Connection to mail.mycompany.local refused") == ()


def test_mailkit_status_name_before_enhanced_code() -> None:
    text = (
        "MailKit.Security.AuthenticationException: AuthenticationInvalidCredentials: 5.7.3 "
        "Authentication unsuccessful [BN3PR03CA0067.namprd03.prod.outlook.com]"
    )
    (reply,) = smtp_replies(text)
    assert (reply.code, reply.enhanced) == (0, "5.7.3")
    assert smtp_replies("Version: 4.7.2 of the framework is installed") == ()
