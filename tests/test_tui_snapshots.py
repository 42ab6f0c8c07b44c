"""Snapshots of the main and detail screens at 120x36, with fixed data (no clock, no files).

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from logdoctor.model import ReadStats, SmtpSettings, SourceStats
from logdoctor.report_model import (
    Alternative,
    Analysis,
    Evidence,
    Incident,
    TimelinePoint,
    Unrecognized,
)
from logdoctor.tui.app import LogdoctorApp

SIZE = (120, 36)
SnapCompare = Callable[..., bool]

_HANDSHAKE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation. InnerException message follows: The handshake failed due to an unexpected "
    "packet format.\n   at MailBee.SmtpMail.Smtp.Send()"
)
_RESET = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.MailBeeSocketTransferException: Socket error during data transfer. ---> "
    "System.Net.Sockets.SocketException: An existing connection was forcibly closed by the "
    "remote host [bold]10054[/bold]"
)


def fixed_analysis() -> Analysis:
    starttls = SmtpSettings("smtp.office365.com", 587, True, "UseStartTls", True, 10.0)
    onconnect = SmtpSettings("smtp.office365.com", 587, True, "OnConnect", True, 10.0)
    filtering = Incident(
        id="fa29e5dab9a2",
        rule="rm-network-filter-reset",
        category="network.filtering",
        severity="critical",
        title="Connection reset during SSL negotiation with working settings",
        status="ongoing",
        first_seen=datetime(2026, 11, 27, 14, 3, 16),
        last_seen=datetime(2026, 11, 27, 17, 56, 21),
        count=12,
        settings=starttls,
        confidence=0.82,
        cause=(
            "The same settings sent mail until Friday; now the connection is reset while TLS "
            "is negotiated. Something between the server and smtp.office365.com (a firewall, "
            "proxy or internet filter) closes it."
        ),
        fix=(
            "Ask the network team whether a filter inspects outbound port 587.",
            "Allow smtp.office365.com:587 without TLS inspection for the RuleManager server.",
        ),
        verify=("Test-NetConnection smtp.office365.com -Port 587 from the RuleManager server.",),
        reasons=("the same settings sent mail before", "socket error 10054 during negotiation"),
        evidence=(
            Evidence("Rulemanager.log", 1708, _RESET, datetime(2026, 11, 27, 14, 3, 16)),
            Evidence("Rulemanager.log", 1744, _RESET, datetime(2026, 11, 27, 14, 40, 2)),
        ),
        alternatives=(
            Alternative("rm-tls-protocol", "tls.protocol_mismatch", 0.31, "No common TLS version"),
        ),
        scope="fatal",
    )
    onconnect_incident = Incident(
        id="7fa120d1bcbf",
        rule="rm-tls-onconnect-587",
        category="tls.implicit_on_plain_port",
        severity="critical",
        title="OnConnect (implicit TLS) used on a port that starts in plain text (25 or 587)",
        status="resolved",
        first_seen=datetime(2026, 11, 23, 8, 11, 55),
        last_seen=datetime(2026, 11, 23, 9, 31, 58),
        count=6,
        settings=onconnect,
        confidence=0.95,
        cause=(
            "Port 587 expects a plain SMTP greeting and then STARTTLS; OnConnect starts TLS at "
            "once, so the handshake reads the server's plain-text greeting."
        ),
        fix=("Set EmailServiceConfig.SmtpSslMode to UseStartTls.", "Restart the service."),
        verify=("The configuration line shows SSL Mode UseStartTls.",),
        evidence=(Evidence("Rulemanager.log", 22, _HANDSHAKE, datetime(2026, 11, 23, 8, 11, 55)),),
        resolved_by="configuration changed at 2026-11-23 09:40:00, then a successful send",
        scope="fatal",
    )
    unknown = Unrecognized(
        fingerprint="3c1f0aa2b7d94e01",
        count=2,
        first_seen=datetime(2026, 11, 25, 3, 0, 12),
        last_seen=datetime(2026, 11, 25, 3, 30, 40),
        example="System.InvalidOperationException: The SMTP host was not specified.",
        types=("System.InvalidOperationException",),
        evidence=(Evidence("Rulemanager.log", 900, "System.InvalidOperationException: ..."),),
        settings=starttls,
    )
    stats = ReadStats(
        sources=(SourceStats("Rulemanager.log", 153_136, 572, "utf-8", "Dovetail SDK (tab)"),),
        records=572,
        config_loads=3,
        sends_ok=132,
        sends_failed=20,
        first=datetime(2026, 11, 23, 6, 58),
        last=datetime(2026, 11, 27, 18, 5, 55),
    )
    timeline = (
        TimelinePoint(datetime(2026, 11, 23, 8), "tls.implicit_on_plain_port", 2),
        TimelinePoint(datetime(2026, 11, 23, 9), "tls.implicit_on_plain_port", 4),
        TimelinePoint(datetime(2026, 11, 25, 3), "unknown", 2),
        TimelinePoint(datetime(2026, 11, 27, 14), "network.filtering", 5),
        TimelinePoint(datetime(2026, 11, 27, 15), "network.filtering", 3),
        TimelinePoint(datetime(2026, 11, 27, 17), "network.filtering", 4),
    )
    return Analysis(
        stats=stats,
        incidents=(filtering, onconnect_incident),
        unrecognized=(unknown,),
        timeline=timeline,
    )


def _app() -> LogdoctorApp:
    return LogdoctorApp(analysis=fixed_analysis())


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(_app(), terminal_size=SIZE)


def test_main_screen_per_hour_filtered(snap_compare: Any) -> None:
    async def narrow(pilot: Any) -> None:
        await pilot.press("t", "slash", *"filtering", "enter")
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=SIZE, run_before=narrow)


def test_detail_screen(snap_compare: Any) -> None:
    assert snap_compare(_app(), press=["down", "enter"], terminal_size=SIZE)
