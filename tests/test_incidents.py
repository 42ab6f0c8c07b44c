"""Incident semantics, with raw log text pushed through the real reader, grammars and rules."""

from __future__ import annotations

from pathlib import Path

from logdoctor.analysis import analyze_paths
from logdoctor.kb.loader import load_kb
from logdoctor.timespec import parse_when

KB = load_kb()
LOGGER = "FChoice.RuleManager.Email.EmailService"


def config(ts: str, host: str, port: int, ssl: str, mode: str) -> str:
    return (
        f"{ts} [4] INFO  {LOGGER} - SMTP server configuration loaded: Host: {host}, "
        f"Port: {port}, Enable SSL: {ssl}, SSL Mode: {mode}, Timeout: 10 seconds\r\n"
    )


def sent(ts: str, n: int) -> str:
    return f"{ts} [4] INFO  {LOGGER} - Email sent successfully to user{n}@example.com\r\n"


def handshake(ts: str) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        "send an email ---> MailBee.Security.MailBeeSslNegotiationException: IOException "
        "occurred during SSL negotiation ---> System.IO.IOException: The handshake failed due "
        "to an unexpected packet format.\r\n"
        "   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes)\r\n"
        "   --- End of inner exception stack trace ---\r\n"
        "   at MailBee.SmtpMail.Smtp.Send()\r\n"
    )


def timeout(ts: str) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        "send an email ---> MailBee.MailBeeSocketTimeoutException: Socket connection has timed "
        "out. ---> System.Net.Sockets.SocketException: A connection attempt failed because the "
        "connected party did not properly respond after a period of time 10.1.2.3:25\r\n"
    )


def weird(ts: str, n: int) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        f"send an email ---> MailBee.MailBeeException: Flux capacitor {n} misaligned.\r\n"
    )


def analyze(tmp_path: Path, text: str, **kw: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(text.encode("utf-8"))
    return analyze_paths([path], kb=KB, **kw)  # type: ignore[arg-type]


def test_failures_with_same_cause_and_settings_are_one_incident(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "smtp.office365.com", 587, "Yes", "OnConnect")
    log += "".join(handshake(f"2026-11-20 08:{m:02d}:00,000") for m in range(1, 6))
    (incident,) = analyze(tmp_path, log).incidents
    assert (incident.category, incident.count, incident.status) == (
        "tls.implicit_on_plain_port",
        5,
        "ongoing",
    )
    assert incident.settings is not None and incident.settings.port == 587
    assert incident.first_seen is not None and incident.first_seen.minute == 1
    assert incident.last_seen is not None and incident.last_seen.minute == 5
    assert [e.line for e in incident.evidence][:3] == [2, 6, 10]


def test_config_change_then_success_resolves_and_says_so(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "smtp.office365.com", 587, "Yes", "OnConnect")
    log += handshake("2026-11-20 08:01:00,000")
    log += config("2026-11-20 09:00:00,000", "smtp.office365.com", 587, "Yes", "UseStartTls")
    log += sent("2026-11-20 09:01:00,000", 1)
    (incident,) = analyze(tmp_path, log).incidents
    assert incident.status == "resolved"
    assert incident.resolved_by is not None
    assert "settings changed at 2026-11-20 09:00:00" in incident.resolved_by
    assert "mail was sent at 2026-11-20 09:01:00" in incident.resolved_by


def test_reload_with_same_settings_does_not_resolve(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "localhost", 25, "Yes", "OnConnect")
    log += handshake("2026-11-20 08:01:00,000")
    log += config("2026-11-20 09:00:00,000", "localhost", 25, "Yes", "OnConnect")
    log += handshake("2026-11-20 09:01:00,000")
    (incident,) = analyze(tmp_path, log).incidents
    assert (incident.count, incident.status) == (2, "ongoing")


def test_same_error_other_settings_other_cause(tmp_path: Path) -> None:
    """The handshake error with OnConnect on 465 is not the mode/port mistake."""
    log = config("2026-11-20 08:00:00,000", "smtp.gmail.com", 465, "Yes", "OnConnect")
    log += handshake("2026-11-20 08:01:00,000")
    (incident,) = analyze(tmp_path, log).incidents
    assert incident.category != "tls.implicit_on_plain_port"


def test_timeout_after_days_of_success_blames_the_path(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "relay.corp.local", 25, "Yes", "UseStartTls")
    log += "".join(sent(f"2026-11-2{d} 10:00:00,000", d) for d in range(0, 3))
    log += "".join(timeout(f"2026-11-23 10:{m:02d}:00,000") for m in range(3))
    (incident,) = analyze(tmp_path, log).incidents
    assert incident.category == "network.timeout"
    assert incident.rule == "net-timeout-after-working"
    assert any("worked_before" in r or "history" in r for r in incident.reasons)


def test_unexplained_failures_are_grouped_not_dropped(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "localhost", 25, "No", "Manual")
    log += "".join(weird(f"2026-11-20 08:{m:02d}:00,000", m) for m in range(1, 4))
    analysis = analyze(tmp_path, log)
    assert analysis.incidents == ()
    (group,) = analysis.unrecognized
    assert group.count == 3
    assert "MailBee.MailBeeException" in group.types
    assert analysis.stats.sends_failed == 3


def test_since_and_until_limit_counted_failures(tmp_path: Path) -> None:
    log = config("2026-11-20 08:00:00,000", "localhost", 25, "Yes", "OnConnect")
    log += "".join(handshake(f"2026-11-2{d} 08:00:00,000") for d in range(1, 6))
    analysis = analyze(
        tmp_path, log, since=parse_when("2026-11-22"), until=parse_when("2026-11-24T23:59")
    )
    (incident,) = analysis.incidents
    assert incident.count == 3


def test_service_config_supplies_settings_when_the_log_has_none(tmp_path: Path) -> None:
    cfg = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    cfg.write_text(
        "<configuration><appSettings>\n"
        '<add key="EmailServiceConfig.Host" value="smtp.office365.com" />\n'
        '<add key="EmailServiceConfig.Port" value="587" />\n'
        '<add key="EmailServiceConfig.EnableSsl" value="true" />\n'
        '<add key="EmailServiceConfig.SmtpSslMode" value="OnConnect" />\n'
        "</appSettings></configuration>\n",
        encoding="utf-8",
    )
    log = handshake("2026-11-20 08:01:00,000")
    (incident,) = analyze(tmp_path, log, service_config=cfg).incidents
    assert incident.category == "tls.implicit_on_plain_port"
    assert incident.settings is not None and incident.settings.port == 587


def test_service_config_snippet_of_add_lines_is_accepted(tmp_path: Path) -> None:
    """The same `<add key=... />` lines check-config takes work for --service-config."""
    cfg = tmp_path / "email-settings.txt"
    cfg.write_text(
        '<add key="EmailServiceConfig.Host" value="smtp.office365.com" />\n'
        '<add key="EmailServiceConfig.Port" value="587" />\n'
        '<add key="EmailServiceConfig.EnableSsl" value="true" />\n'
        '<add key="EmailServiceConfig.SmtpSslMode" value="OnConnect" />\n',
        encoding="utf-8",
    )
    analysis = analyze(tmp_path, handshake("2026-11-20 08:01:00,000"), service_config=cfg)
    (incident,) = analysis.incidents
    assert incident.category == "tls.implicit_on_plain_port"
    assert incident.settings is not None and incident.settings.port == 587


def test_the_timeline_counts_failures_per_hour_and_category(tmp_path: Path) -> None:
    log = config("2026-12-31 22:00:00,000", "smtp.office365.com", 587, "Yes", "OnConnect")
    log += handshake("2026-12-31 22:10:00,000") + timeout("2026-12-31 22:20:00,000")
    log += handshake("2026-12-31 23:59:59,999") + handshake("2027-01-01 00:00:00,000")
    log += weird("2027-01-01 00:30:00,000", 1)
    points = {(p.hour.isoformat(), p.category): p.count for p in analyze(tmp_path, log).timeline}
    assert points == {
        ("2026-12-31T22:00:00", "tls.implicit_on_plain_port"): 1,
        ("2026-12-31T22:00:00", "network.timeout"): 1,
        ("2026-12-31T23:00:00", "tls.implicit_on_plain_port"): 1,
        ("2027-01-01T00:00:00", "tls.implicit_on_plain_port"): 1,
        ("2027-01-01T00:00:00", "unknown"): 1,
    }
