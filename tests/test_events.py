"""Records -> events, and the `events` command."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from logdoctor.cli import cli
from logdoctor.events import (
    ChainCache,
    EventCounter,
    event_to_dict,
    events_from_records,
)
from logdoctor.model import (
    ConfigLoaded,
    Record,
    SendFailed,
    SendSucceeded,
    ServiceStarted,
    ServiceStopped,
)

T0 = datetime(2026, 11, 27, 10, 15, 2, 123000)
EMAIL_LOGGER = "FChoice.RuleManager.Email.EmailService"

CONFIG_587_ONCONNECT = (
    "SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYesSSL Mode"
    "OnConnectTimeout: 10 seconds"
)
CONFIG_587_STARTTLS = (
    "SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYesSSL Mode"
    "UseStartTlsTimeout: 10 seconds"
)
HANDSHAKE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation. ---> System.IO.IOException: The handshake failed due to an unexpected packet "
    "format.\n"
    "   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes, "
    "AsyncProtocolRequest asyncRequest)\n"
    "   --- End of inner exception stack trace ---\n"
    "   --- End of inner exception stack trace ---\n"
    "   at FChoice.RuleManager.Email.EmailService.Send(EmailMessage message)"
)
BAD_RECIPIENT = (
    "FChoice.RuleManager.NonFatalEmailServiceException: The email could not be delivered. ---> "
    "MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException: The server responded: 550 5.1.1 "
    "<{addr}>: Recipient address rejected: User unknown"
)


def rec(
    n: int,
    message: str,
    level: str = "INFO",
    logger: str | None = EMAIL_LOGGER,
) -> Record:
    return Record(
        path="Rulemanager.log",
        line=n,
        offset=n * 100,
        end_line=n + message.count("\n"),
        timestamp=T0 + timedelta(seconds=n),
        level=level,
        logger=logger,
        thread="7",
        message=message,
    )


def test_failure_carries_the_settings_in_effect() -> None:
    records = [
        rec(1, "RuleManager service started", logger="FChoice.RuleManager.WindowsService"),
        rec(2, CONFIG_587_ONCONNECT),
        rec(3, HANDSHAKE, level="ERROR"),
        rec(4, CONFIG_587_STARTTLS),
        rec(5, "Email sent to support@mycompany.com"),
        rec(6, "Stopping RuleManager service", logger="FChoice.RuleManager.WindowsService"),
    ]
    events = list(events_from_records(records))
    kinds = [type(e) for e in events]
    assert kinds == [
        ServiceStarted,
        ConfigLoaded,
        SendFailed,
        ConfigLoaded,
        SendSucceeded,
        ServiceStopped,
    ]
    failed = events[2]
    assert isinstance(failed, SendFailed)
    assert failed.scope == "fatal"
    assert failed.settings is not None
    assert failed.settings.ssl_mode == "OnConnect"
    assert failed.chain.types[-1] == "System.IO.IOException"
    sent = events[4]
    assert isinstance(sent, SendSucceeded)
    assert sent.settings is not None and sent.settings.ssl_mode == "UseStartTls"


def test_failure_before_any_configuration_has_no_settings() -> None:
    (event,) = events_from_records([rec(1, HANDSHAKE, level="ERROR")])
    assert isinstance(event, SendFailed)
    assert event.settings is None


def test_nonfatal_scope_and_flattened_fatal_scope() -> None:
    flattened = (
        "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee."
        "MailBeeAbortedByRemoteHostExceptionSocket connection was aborted by remote host."
    )
    events = list(
        events_from_records(
            [
                rec(1, BAD_RECIPIENT.format(addr="first.last.@company.com"), level="WARN"),
                rec(2, flattened, level="ERROR"),
            ]
        )
    )
    assert [e.scope for e in events if isinstance(e, SendFailed)] == ["nonfatal", "fatal"]


def test_non_email_exceptions_are_counted_not_failures() -> None:
    sql = (
        "System.Data.SqlClient.SqlException (0x80131904): Execution Timeout Expired.  The timeout "
        "period elapsed prior to completion of the operation or the server is not responding.\n"
        "   at System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean "
        "breakConnection, Action`1 wrapCloseInAction)"
    )
    counter = EventCounter()
    events = list(
        events_from_records(
            [rec(1, sql, level="ERROR", logger="FChoice.Common.Data.SqlHelper")], counter=counter
        )
    )
    assert events == []
    assert counter.sends_failed == 0
    assert counter.other == 1
    assert dict(counter.by_level) == {"ERROR": 1}


def test_failed_to_send_without_exception_text() -> None:
    (event,) = events_from_records(
        [rec(1, "Failed to send email for time bomb 268435461: connection lost", level="ERROR")]
    )
    assert isinstance(event, SendFailed)
    assert event.scope is None


@pytest.mark.parametrize(
    "text",
    [
        "Email not sent: the recipient list is empty",
        "Failed: message sent to the pickup directory could not be read",
        "Sent email count: could not read the counter",
    ],
)
def test_negated_success_phrases_are_not_successes(text: str) -> None:
    events = list(events_from_records([rec(1, text)]))
    assert not any(isinstance(e, SendSucceeded) for e in events)


def test_success_phrases_are_configurable() -> None:
    records = [rec(1, "Notification delivered to 3 recipients"), rec(2, "Email sent")]
    events = list(events_from_records(records, success_phrases=["notification delivered"]))
    assert [e.line for e in events] == [1]


@pytest.mark.parametrize(
    ("text", "logger"),
    [
        ("Starting to process time bombs", "FChoice.RuleManager.TimeBombProcessor"),
        ("Email service started sending the queue", "FChoice.Common.Data.SqlHelper"),
        ("The user stopped the rule 'Escalate case'", "FChoice.RuleManager.Rules"),
    ],
)
def test_start_stop_words_elsewhere_are_not_service_events(text: str, logger: str) -> None:
    events = list(events_from_records([rec(1, text, logger=logger)]))
    assert not any(isinstance(e, ServiceStarted | ServiceStopped) for e in events)


def test_counter_stats() -> None:
    records = [
        rec(1, CONFIG_587_ONCONNECT),
        rec(2, HANDSHAKE, level="ERROR"),
        rec(3, "Polling for time bombs", level="DEBUG"),
        rec(4, "Email sent to a@mycompany.com"),
    ]
    counter = EventCounter()
    list(events_from_records(records, counter=counter))
    stats = counter.to_stats()
    assert (stats.records, stats.config_loads, stats.sends_failed, stats.sends_ok) == (4, 1, 1, 1)
    assert dict(stats.by_level) == {"DEBUG": 1, "ERROR": 1, "INFO": 2}
    assert stats.first == T0 + timedelta(seconds=1)
    assert stats.last == T0 + timedelta(seconds=4)


def test_repeated_failures_are_parsed_once_but_keep_their_own_text() -> None:
    cache = ChainCache()
    addresses = ["first.last.@company.com", "jo..smith@company.com"]
    records = [
        rec(i, BAD_RECIPIENT.format(addr=addresses[i % 2]), level="WARN") for i in range(1, 41)
    ]
    events = [e for e in events_from_records(records, cache=cache) if isinstance(e, SendFailed)]
    assert len(events) == 40
    assert cache.misses == 2
    for event, record in zip(events, records, strict=True):
        assert event.chain.text == record.message
        assert addresses[record.line % 2] in event.chain.messages[-1]


def test_reply_codes_are_not_shared_between_different_texts() -> None:
    text_535 = (
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server responded: "
        "535 5.7.8 Username and Password not accepted."
    )
    text_534 = text_535.replace("535 5.7.8", "534 5.7.9")
    events = list(events_from_records([rec(1, text_535, "ERROR"), rec(2, text_534, "ERROR")]))
    assert [e.chain.smtp_replies[0].code for e in events if isinstance(e, SendFailed)] == [535, 534]


def test_event_to_dict_shape() -> None:
    events = list(events_from_records([rec(1, CONFIG_587_ONCONNECT), rec(2, HANDSHAKE, "ERROR")]))
    config = event_to_dict(events[0])
    assert config["event"] == "config_loaded"
    assert config["timestamp"] == "2026-11-27T10:15:03.123"
    assert config["settings"] == {
        "host": "smtp.office365.com",
        "port": 587,
        "enable_ssl": True,
        "ssl_mode": "OnConnect",
        "timeout_s": 10,
        "ssl_mode_known": True,
        "extra": {},
    }
    failed = event_to_dict(events[1])
    assert failed["event"] == "send_failed"
    assert failed["scope"] == "fatal"
    chain = failed["chain"]
    assert isinstance(chain, dict)
    assert chain["types"][0] == "FChoice.RuleManager.FatalEmailServiceException"
    assert (
        chain["links"][2]["message"] == "The handshake failed due to an unexpected packet format."
    )
    json.dumps(failed)  # JSON-ready


# --- through the reader and the command -----------------------------------------------------

STOCK_LOG = """\
2026-11-27 10:00:00,001 [1] INFO  FChoice.RuleManager.WindowsService - RuleManager service started
2026-11-27 10:00:01,250 [5] INFO  FChoice.RuleManager.Email.EmailService - SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYesSSL ModeOnConnectTimeout: 10 seconds
2026-11-27 10:00:02,500 [5] ERROR FChoice.RuleManager.Email.EmailService - Error sending email
FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL negotiation. ---> System.IO.IOException: The handshake failed due to an unexpected packet format.
   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes, AsyncProtocolRequest asyncRequest)
   --- End of inner exception stack trace ---
   --- End of inner exception stack trace ---
   at FChoice.RuleManager.Email.EmailService.Send(EmailMessage message)
2026-11-27 10:00:03,000 [5] DEBUG FChoice.RuleManager.TimeBombs - 3 time bombs due
"""  # noqa: E501


def test_events_command_jsonl(tmp_path: Path) -> None:
    log = tmp_path / "Rulemanager.log"
    log.write_bytes(STOCK_LOG.replace("\n", "\r\n").encode("utf-8"))
    result = CliRunner().invoke(cli, ["events", str(log), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [x["event"] for x in lines] == ["service_started", "config_loaded", "send_failed"]
    failed = lines[2]
    assert failed["line"] == 3
    assert failed["timestamp"] == "2026-11-27T10:00:02.500"
    assert failed["settings"]["ssl_mode"] == "OnConnect"
    assert failed["chain"]["types"][-1] == "System.IO.IOException"
    assert failed["chain"]["links"][0]["frames"] == [
        "at FChoice.RuleManager.Email.EmailService.Send(EmailMessage message)"
    ]


def test_events_command_text(tmp_path: Path) -> None:
    log = tmp_path / "Rulemanager.log"
    log.write_text(STOCK_LOG, encoding="utf-8")
    result = CliRunner().invoke(cli, ["events", str(log), "--format", "text"])
    assert result.exit_code == 0, result.output
    failed = [x for x in result.stdout.splitlines() if "send_failed" in x]
    assert len(failed) == 1
    assert "fatal" in failed[0]
    assert "IOException: The handshake failed" in failed[0]


def test_events_command_missing_file(tmp_path: Path) -> None:
    from logdoctor.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["events", str(tmp_path / "missing.log")])
    assert exc.value.code == 2


def test_events_command_redacts_by_default(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from logdoctor.cli import cli

    log = tmp_path / "Rulemanager.log"
    log.write_text(
        "2026-11-24 08:05:02,986 [4] INFO  FChoice.RuleManager.Email.EmailService - SMTP server "
        "configuration loaded: Host: localhost, Port: 25, Enable SSL: Yes, SSL Mode: OnConnect, "
        "Timeout: 10 seconds, User: svcmailer7, Password: Zq9VerySecretPw\r\n"
        "2026-11-24 08:06:00,000 [4] ERROR FChoice.RuleManager.Email.EmailService - "
        "FChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error "
        "response. ---> MailBee.SmtpMail.MailBeeSmtpNegativeResponseException: 550 5.1.1 "
        "<jane.doe@contoso.com>: Recipient address rejected\r\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    shown = runner.invoke(cli, ["events", str(log)], obj={}).stdout
    for planted in ("Zq9VerySecretPw", "svcmailer7", "jane.doe@contoso.com"):
        assert planted not in shown
    raw = runner.invoke(cli, ["events", "--no-redact", str(log)], obj={}).stdout
    assert "Zq9VerySecretPw" in raw and "jane.doe@contoso.com" in raw
