"""The report renderers: what an admin and a support engineer see, and that log text stays inert."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from logdoctor.model import ReadStats, SmtpSettings, SourceStats
from logdoctor.render import render, render_html, render_markdown, render_text
from logdoctor.render.chart import bucket, category_color, failure_chart_svg
from logdoctor.report_model import (
    Alternative,
    Analysis,
    Evidence,
    Incident,
    TimelinePoint,
    Unrecognized,
)

T0 = datetime(2026, 11, 27, 10, 15, 2, 123000)

TLS_RECORD = (
    "2026-11-27 10:15:02,123 [user: ] [fcsessionid: ] [ERROR] "
    "[FChoice.RuleManager.Email.EmailService]\n"
    "\tFChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation. InnerException message follows: The handshake failed due to an unexpected "
    "packet format. ---> System.IO.IOException: The handshake failed due to an unexpected "
    "packet format."
)
RCPT_RECORD = (
    "2026-11-27 08:02:11,004 [ERROR] FChoice.RuleManager.Email.EmailService - "
    "FChoice.RuleManager.NonFatalEmailServiceException: Failed to send an email ---> "
    "MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException: The server rejected the recipient. "
    "The server responded: 550 5.1.1 User unknown"
)
HOSTILE_MARKUP = "Failed to send [bold]x[/bold] to [link=http://evil]y[/link]"
HOSTILE_HTML = "Bad reply <script>alert(1)</script> and <img src=x onerror=alert(1)> ``` end"

TLS_FIX = (
    "Keep EmailServiceConfig.Port = 587 and set EmailServiceConfig.SmtpSslMode = UseStartTls "
    "(EmailServiceConfig.EnableSsl = true).",
    "Restart the RuleManager service so it reloads FChoice.RuleManager.WindowsService.exe.config.",
)


def tls_incident(evidence: tuple[Evidence, ...] | None = None) -> Incident:
    return Incident(
        id="inc-tls-1",
        rule="tls-onconnect-on-starttls-port",
        category="tls.implicit_on_plain_port",
        severity="critical",
        title="OnConnect (implicit TLS) used on a port that starts in plain text (25 or 587)",
        status="ongoing",
        first_seen=T0,
        last_seen=T0 + timedelta(hours=1, minutes=25),
        count=12,
        settings=SmtpSettings(
            host="smtp.office365.com",
            port=587,
            enable_ssl=True,
            ssl_mode="OnConnect",
            timeout_s=10,
        ),
        confidence=0.93,
        cause="SmtpSslMode is OnConnect, so RuleManager starts with a TLS handshake, but port "
        "587 first sends a plain-text 220 greeting and expects STARTTLS.",
        fix=TLS_FIX,
        verify=("openssl s_client -starttls smtp -connect smtp.office365.com:587 -crlf",),
        reasons=(
            "message contains 'handshake failed due to an unexpected packet format'",
            "settings: ssl_mode OnConnect, port 587",
        ),
        evidence=evidence
        or (
            Evidence("logs/Rulemanager.log", 1234, TLS_RECORD, T0),
            Evidence("logs/Rulemanager.log", 1301, TLS_RECORD, T0 + timedelta(minutes=5)),
        ),
        alternatives=(
            Alternative("net-tls-interception", "network.filtering", 0.21, "TLS interception"),
        ),
        scope="fatal",
    )


def rcpt_incident() -> Incident:
    return Incident(
        id="inc-rcpt-1",
        rule="recipient-unknown",
        category="recipient.rejected",
        severity="warning",
        title="A recipient address does not exist (550 5.1.1)",
        status="resolved",
        first_seen=datetime(2026, 11, 27, 8, 2, 11),
        last_seen=datetime(2026, 11, 27, 8, 2, 11),
        count=1,
        settings=SmtpSettings(host="smtp.office365.com", port=587),
        confidence=0.88,
        cause="The server refused one recipient: the mailbox does not exist.",
        fix=("Correct the address in the contact record.",),
        evidence=(Evidence("logs/Rulemanager.log.1", 88, RCPT_RECORD),),
        resolved_by="a successful send at 2026-11-27 08:30:00",
        scope="nonfatal",
    )


def unknown_group(
    example: str = "System.InvalidOperationException: Queue is in a bad state",
) -> Unrecognized:
    return Unrecognized(
        fingerprint="a1b2c3",
        count=3,
        first_seen=datetime(2026, 11, 27, 9, 0, 0),
        last_seen=datetime(2026, 11, 27, 9, 40, 0),
        example=example,
        types=(
            "FChoice.RuleManager.FatalEmailServiceException",
            "System.InvalidOperationException",
        ),
        evidence=(Evidence("logs/Rulemanager.log", 900, example),),
        candidates=(Alternative("net-timeout", "network.timeout", 0.31),),
    )


def stats() -> ReadStats:
    return ReadStats(
        sources=(
            SourceStats("logs/Rulemanager.log.1", 20480, 160, "utf-8", "Dovetail SDK (tab)"),
            SourceStats("logs/Rulemanager.log", 65536, 480, "cp1252", "log4net default"),
        ),
        records=640,
        by_level=(("INFO", 600), ("ERROR", 16), ("DEBUG", 24)),
        config_loads=2,
        sends_ok=30,
        sends_failed=16,
        damaged_records=1,
        first=datetime(2026, 11, 27, 8, 0, 0),
        last=datetime(2026, 11, 27, 12, 0, 0),
        damaged=("logs/Rulemanager.log:7: text before the first record header",),
    )


def analysis(**changes: object) -> Analysis:
    base = {
        "stats": stats(),
        "incidents": (rcpt_incident(), tls_incident()),  # deliberately not in urgency order
        "unrecognized": (unknown_group(),),
        "timeline": (
            TimelinePoint(datetime(2026, 11, 27, 8), "recipient.rejected", 1),
            TimelinePoint(datetime(2026, 11, 27, 9), "unknown", 3),
            TimelinePoint(datetime(2026, 11, 27, 10), "tls.implicit_on_plain_port", 7),
            TimelinePoint(datetime(2026, 11, 27, 11), "tls.implicit_on_plain_port", 5),
        ),
        "layout_notes": (
            "logs/Rulemanager.log.1: Dovetail SDK (tab), detected, utf-8",
            "logs/Rulemanager.log: log4net default, detected, cp1252",
        ),
        "redacted": True,
    }
    base.update(changes)
    return Analysis(**base)  # type: ignore[arg-type]


def empty_analysis() -> Analysis:
    return Analysis(
        stats=ReadStats(
            sources=(SourceStats("Rulemanager.log", 4096, 40),),
            records=40,
            by_level=(("INFO", 40),),
            sends_ok=5,
            first=datetime(2026, 11, 27, 8),
            last=datetime(2026, 11, 27, 9),
        ),
        incidents=(),
        unrecognized=(),
    )


def text_of(a: Analysis, verbose: int = 0) -> str:
    out = StringIO()
    render_text(a, Console(file=out, no_color=True, width=100), verbose=verbose)
    return out.getvalue()


def raw_html_tokens(markdown: str) -> list[str]:
    from markdown_it import MarkdownIt

    found: list[str] = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "html_block":
            found.append(token.content)
        for child in token.children or ():
            if child.type == "html_inline":
                found.append(child.content)
    return found


def outside_fences(markdown: str) -> str:
    """The markdown with fenced code blocks taken out (fences of 3 or more backticks)."""
    kept, fence = [], None
    for line in markdown.split("\n"):
        m = re.match(r"^(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    assert fence is None, "a fence was left open"
    return "\n".join(kept)


# --- markdown ---------------------------------------------------------------------------------


def test_markdown_has_every_section_in_order() -> None:
    md = render_markdown(analysis())
    headings = [
        "## Incidents",
        "#### Settings in effect",
        "#### Cause",
        "#### Fix",
        "#### How to verify",
        "#### Why it matched",
        "#### Alternatives considered",
        "#### Evidence",
        "## Failures no rule explained",
        "## What was read",
    ]
    positions = [md.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "### Damaged records" in md
    assert "--no-redact" in md


def test_markdown_shows_settings_fix_and_evidence_locations() -> None:
    md = render_markdown(analysis())
    assert "`smtp.office365.com:587`" in md
    assert "| SSL mode | `OnConnect` |" in md
    assert "| Timeout | `10 s` |" in md
    assert "1. Keep EmailServiceConfig.Port = 587 and set EmailServiceConfig.SmtpSslMode" in md
    assert "2. Restart the RuleManager service" in md
    assert "`logs/Rulemanager.log:1234`" in md
    assert "`logs/Rulemanager.log.1:88`" in md
    assert "The handshake failed due to an unexpected packet format" in md
    assert "93%" in md and "21%" in md


def test_markdown_says_not_logged_for_unknown_settings() -> None:
    md = render_markdown(analysis())
    # the recipient incident's settings have no SSL fields
    rcpt = md[md.index("A recipient address does not exist") :]
    assert "| Enable SSL | _not logged_ |" in rcpt


def test_markdown_what_was_read_lists_files_span_levels_and_damage() -> None:
    md = render_markdown(analysis())
    read = md[md.index("## What was read") :]
    assert "`logs/Rulemanager.log.1` | 20,480 | 160 | Dovetail SDK (tab), detected, utf-8 |" in read
    assert "log4net default, detected, cp1252" in read
    assert "2026-11-27 08:00:00 to 2026-11-27 12:00:00 (4h 0m)" in read
    assert "INFO 600" in read and "DEBUG 24" in read
    assert "`logs/Rulemanager.log:7: text before the first record header`" in read


def test_markdown_ongoing_incident_comes_first() -> None:
    md = render_markdown(analysis())
    assert md.index("ONGOING: OnConnect") < md.index("resolved: A recipient address")


def test_markdown_fences_hostile_evidence_and_escapes_it_elsewhere() -> None:
    hostile = tls_incident(evidence=(Evidence("logs/Rulemanager.log", 77, HOSTILE_HTML),))
    md = render_markdown(
        analysis(incidents=(hostile,), unrecognized=(unknown_group(HOSTILE_HTML),))
    )
    assert "<script>alert(1)</script>" in md  # shown, but only inside a fence
    prose = outside_fences(md)
    assert "<script" not in prose and "<img" not in prose
    # the ``` inside the text did not close the block early: a longer fence was chosen
    assert "````text" in md


def test_markdown_escapes_log_text_in_prose_and_tables() -> None:
    odd = Unrecognized(
        fingerprint="f|1",
        count=2,
        first_seen=None,
        last_seen=None,
        example="x",
        types=("Evil<b>Type|Exception", "**Bold**"),
    )
    md = render_markdown(analysis(unrecognized=(odd,)))
    prose = outside_fences(md)
    # code spans show their text literally, so only the rest must be escaped
    assert "<b>" not in re.sub(r"(`+).*?\1", "", prose)
    assert "Evil&lt;b&gt;Type\\|Exception" in prose
    assert "\\*\\*Bold\\*\\*" in prose
    assert "- **Fingerprint:** `f|1`" in prose  # a code span outside a table needs no escape


# --- text -------------------------------------------------------------------------------------


def test_text_summary_lists_both_incidents_ongoing_first_on_one_screen() -> None:
    out = text_of(analysis())
    summary = out.split("\n")[:24]
    joined = "\n".join(summary)
    assert "2 incidents (1 ongoing)" in joined
    ongoing = next(i for i, line in enumerate(summary) if "ONGOING" in line)
    resolved = next(i for i, line in enumerate(summary) if "resolved" in line)
    assert ongoing < resolved
    assert "OnConnect (implicit TLS)" in summary[ongoing] and "critical" in summary[ongoing]
    assert "A recipient address does not exist" in summary[resolved]
    assert "Failures no rule explained: 1 group, 3 failures" in joined


def test_text_summary_names_categories_when_there_is_room() -> None:
    out = StringIO()
    render_text(analysis(), Console(file=out, no_color=True, width=160))
    summary = out.getvalue().split("\n")[:12]
    assert any("tls.implicit_on_plain_port" in line and "ONGOING" in line for line in summary)


def test_text_details_show_settings_fix_and_evidence() -> None:
    out = text_of(analysis())
    assert "Server smtp.office365.com:587" in out
    assert "SSL mode OnConnect" in out
    assert "Enable SSL not logged" in out  # the recipient incident
    assert "1. Keep EmailServiceConfig.Port = 587" in out
    assert "logs/Rulemanager.log:1234" in out
    assert "confidence: 93%" in out
    assert "a successful send at 2026-11-27 08:30:00" in out
    assert "What was read" in out and "cp1252" in out


def test_text_shows_rich_markup_in_log_text_literally() -> None:
    hostile = tls_incident(evidence=(Evidence("logs/Rulemanager.log", 5, HOSTILE_MARKUP),))
    out = text_of(analysis(incidents=(hostile,)))
    assert "[bold]x[/bold]" in out
    assert "[link=http://evil]y[/link]" in out


def test_text_neutralises_terminal_escape_sequences() -> None:
    nasty = "Failed \x1b[2J\x1b[31mred\x07 text\r over"
    hostile = tls_incident(evidence=(Evidence("logs/Rulemanager.log", 5, nasty),))
    out = text_of(analysis(incidents=(hostile,)))
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out


def test_text_shows_three_evidence_lines_unless_verbose() -> None:
    many = tuple(Evidence("logs/Rulemanager.log", 100 + n, TLS_RECORD) for n in range(6))
    a = analysis(incidents=(tls_incident(evidence=many),))
    assert "logs/Rulemanager.log:103" not in text_of(a)
    assert "logs/Rulemanager.log:105" in text_of(a, verbose=1)


def test_text_summary_stays_one_screen_with_ten_incidents() -> None:
    incidents = tuple(tls_incident() if n % 2 else rcpt_incident() for n in range(10))
    out = text_of(analysis(incidents=incidents))
    first_detail = next(i for i, line in enumerate(out.split("\n")) if line.startswith("1. "))
    assert first_detail <= 24


# --- html -------------------------------------------------------------------------------------


def test_html_escapes_hostile_evidence() -> None:
    hostile = tls_incident(evidence=(Evidence("logs/Rulemanager.log", 77, HOSTILE_HTML),))
    page = render_html(analysis(incidents=(hostile,), unrecognized=(unknown_group(HOSTILE_HTML),)))
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_has_chart_with_one_legend_entry_per_category() -> None:
    page = render_html(analysis())
    assert "<svg" in page
    legend = re.findall(r'<g class="legend-entry">.*?class="legend">([^<(]+)', page, re.S)
    assert sorted(name.strip() for name in legend) == [
        "recipient.rejected",
        "tls.implicit_on_plain_port",
        "unknown",
    ]
    assert category_color("tls.implicit_on_plain_port") in page


def test_html_loads_nothing_from_outside() -> None:
    page = render_html(analysis())
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert "<script" not in page.lower()


def test_html_has_the_same_content_as_markdown() -> None:
    page = render_html(analysis())
    for needle in (
        "smtp.office365.com:587",
        "OnConnect",
        "Keep EmailServiceConfig.Port = 587",
        "logs/Rulemanager.log:1234",
        "Failures no rule explained",
        "What was read",
        "logs/Rulemanager.log:7: text before the first record header",
        "--no-redact",
        "a successful send at 2026-11-27 08:30:00",
    ):
        assert needle in page, needle
    assert page.index(">ONGOING<") < page.index(">resolved<")


def test_html_title_is_escaped() -> None:
    page = render_html(analysis(), title="Nightly <b>summary</b>")
    assert "Nightly &lt;b&gt;summary&lt;/b&gt;" in page


# --- empty and chart --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_empty_analysis_says_no_email_failures(fmt: str) -> None:
    out = render(empty_analysis(), fmt)
    assert "no email failures" in out.lower()
    assert "Rulemanager.log" in out  # what was read is still there
    assert "Incidents" not in out


def test_chart_uses_days_for_a_long_span_and_fills_gaps() -> None:
    points = (
        TimelinePoint(datetime(2026, 11, 1, 3), "network.timeout", 2),
        TimelinePoint(datetime(2026, 11, 1, 22), "network.timeout", 1),
        TimelinePoint(datetime(2026, 11, 6, 9), "auth.bad_credentials", 4),
    )
    b = bucket(points)
    assert b is not None
    assert b.granularity == "day"
    assert len(b.starts) == 6  # 1st to 6th November, empty days included
    assert b.total(datetime(2026, 11, 1)) == 3
    svg = str(failure_chart_svg(points))
    assert "2026-11-01" in svg and "Failures per day" in svg


def test_chart_empty_state() -> None:
    assert "No failures to chart" in failure_chart_svg(())


def test_category_colours_are_fixed_and_distinct() -> None:
    assert category_color("network.dns") == category_color("network.dns")
    known = [
        "tls.implicit_on_plain_port",
        "auth.bad_credentials",
        "recipient.rejected",
        "network.timeout",
        "unknown",
    ]
    assert len({category_color(c) for c in known}) == len(known)
    assert category_color("custom.mine") == category_color("custom.mine")


def test_template_ships_with_the_package() -> None:
    import logdoctor.render

    template = Path(logdoctor.render.__file__).parent / "templates" / "report.html.j2"
    source = template.read_text(encoding="utf-8")
    assert "{{ report.chart }}" in source
    assert not re.search(r"\{\{[^}]*\|\s*safe", source)


# --- any log text ---------------------------------------------------------------------------

HOSTILE_ALPHABET = st.sampled_from(
    [*"<>&|`*_[]#\\-+=~!\n\r\t\x1b\x07 aZ9.:/\"'", "\u202e", "é", "```", "[/", "]]"]
)
hostile_text = st.lists(HOSTILE_ALPHABET, max_size=60).map("".join)


@settings(max_examples=60, deadline=None)
@given(evidence=hostile_text, title=hostile_text, type_name=hostile_text, host=hostile_text)
def test_any_log_text_stays_inert_in_every_format(
    evidence: str, title: str, type_name: str, host: str
) -> None:
    incident = replace(
        tls_incident(evidence=(Evidence("logs/Rulemanager.log", 3, evidence),)),
        title=title,
        settings=SmtpSettings(host=host, port=587, ssl_mode=title, ssl_mode_known=False),
        reasons=(evidence,),
    )
    group = replace(unknown_group(evidence), types=(type_name,), fingerprint=type_name)
    a = analysis(incidents=(incident,), unrecognized=(group,))

    md = render_markdown(a)
    outside_fences(md)  # every fence closed
    # A CommonMark parser (markdown-it, which Rich ships) must find no raw HTML anywhere.
    assert not raw_html_tokens(md)

    page = render_html(a)
    assert "<script" not in page.lower() and "\x1b" not in page

    out = text_of(a)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
