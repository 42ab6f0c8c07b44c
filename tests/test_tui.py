"""The terminal UI, driven the way an admin uses it (Textual's pilot) over real analyses."""

from __future__ import annotations

import asyncio
import gzip
import html
import re
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from logdoctor.analysis import analyze_reading
from logdoctor.cli import cli
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.model import ReadStats, SmtpSettings
from logdoctor.pipeline import LogReading, ProgressFn
from logdoctor.report_model import Analysis, Evidence, Incident, TimelinePoint
from logdoctor.sources import discover
from logdoctor.tui.app import LogdoctorApp
from logdoctor.tui.data import (
    ALL,
    Filters,
    apply_filters,
    items_of,
    sort_items,
    spark,
    squeeze,
    timeline_data,
)
from logdoctor.tui.detail import DetailScreen
from logdoctor.tui.help import HelpScreen
from logdoctor.tui.log_view import LogScreen, LogView
from logdoctor.tui.logfile import LogFile
from logdoctor.tui.main_screen import MainScreen
from logdoctor.tui.timeline import render_timeline

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SIZE = (120, 36)

# --- a rotated pair with two problems, written from the reference notes -----------------------
# Older file: Office365 with OnConnect on 587 (the article's case 5), then the mode is fixed to
# UseStartTls on Gmail's 587 and a mail goes out.  Newer file: Gmail rejects the password with
# the multi-line 535 5.7.8 reply; one reply line carries text that looks like Rich markup.
_LOGGER = "FChoice.RuleManager.Email.EmailService"
_HANDSHAKE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation. InnerException message follows: The handshake failed due to an unexpected "
    "packet format. ---> System.IO.IOException: The handshake failed due to an unexpected "
    "packet format.\r\n"
    "   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes, "
    "AsyncProtocolRequest asyncRequest)\r\n"
    "   --- End of inner exception stack trace ---\r\n"
    "   at MailBee.SmtpMail.Smtp.Send()\r\n"
    "   at FChoice.RuleManager.Email.EmailService.Send(EmailMessage message) in "
    "C:\\src\\RuleManager\\EmailService.cs:line 212"
)
MARKUP = "[bold]x1-20020a[/bold] [link=https://evil.example/]click[/link]"
_BAD_PASSWORD = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected "
    "authentication data sent by the client. The server responded: 535-5.7.8 Username and "
    "Password not accepted. For more information, go to\r\n"
    f"535 5.7.8  https://support.google.com/mail/?p=BadCredentials {MARKUP} - gsmtp\r\n"
    "   at MailBee.SmtpMail.Smtp.Login()"
)


def _record(ts: str, level: str, message: str) -> str:
    return f"{ts} [7] {level:<5} {_LOGGER} - {message}\r\n"


def _config(host: str, port: int, mode: str, timeout: int) -> str:
    return (
        f"SMTP server configuration loaded. Host: {host}, Port: {port}, Enable SSL: Yes, "
        f"SSL Mode: {mode}, Timeout: {timeout} seconds"
    )


def write_rotated_pair(folder: Path) -> list[Path]:
    older = [
        _record(
            "2026-11-20 08:00:01,120", "INFO", _config("smtp.office365.com", 587, "OnConnect", 10)
        ),
        _record("2026-11-20 08:05:12,400", "ERROR", _HANDSHAKE),
        _record("2026-11-20 08:35:12,400", "ERROR", _HANDSHAKE),
        _record("2026-11-20 09:05:13,002", "ERROR", _HANDSHAKE),
        _record(
            "2026-11-20 09:40:00,000", "INFO", _config("smtp.gmail.com", 587, "UseStartTls", 30)
        ),
        _record(
            "2026-11-20 09:41:10,250",
            "INFO",
            'Successfully sent email "Case 1042 escalated" to jo.smith@example.org',
        ),
    ]
    newer = [
        _record("2026-11-21 10:15:02,123", "ERROR", _BAD_PASSWORD),
        _record("2026-11-21 10:45:02,500", "ERROR", _BAD_PASSWORD),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Rulemanager.log.1").write_bytes("".join(older).encode("utf-8"))
    (folder / "Rulemanager.log").write_bytes("".join(newer).encode("utf-8"))
    return [folder / "Rulemanager.log", folder / "Rulemanager.log.1"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def make_app(
    paths: list[Path],
    kb: KnowledgeBase,
    export_dir: Path | None = None,
    gate: threading.Event | None = None,
) -> LogdoctorApp:
    from logdoctor.tui.logfile import source_resolver

    reading = LogReading(paths)

    def loader(progress: ProgressFn) -> Analysis:
        if gate is not None:
            gate.wait(10)
        return analyze_reading(reading, kb, progress=progress)

    return LogdoctorApp(
        loader=loader,
        description="test",
        resolve_source=source_resolver(reading.sources),
        export_dir=export_dir,
    )


def drive(app: LogdoctorApp, script: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot)

    asyncio.run(run())


async def analysed(pilot: Pilot[None]) -> None:
    """Wait until the analysis worker is done and the table is filled."""
    app = pilot.app
    assert isinstance(app, LogdoctorApp)
    for _ in range(400):
        if app.analysis_done:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    assert app.analysis is not None, app.main.error


def screen_text(app: LogdoctorApp) -> str:
    """What the terminal shows, as plain text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    parts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    return html.unescape(" ".join(parts)).replace("\xa0", " ")


def table_rows(app: LogdoctorApp) -> list[list[str]]:
    table = app.main.query_one("#incidents", DataTable)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


def static_text(screen: object, selector: str) -> str:
    widget = screen.query_one(selector, Static)  # type: ignore[attr-defined]
    return str(widget.render())


# --- the acceptance scenario -------------------------------------------------------------------


def test_rotated_pair_down_enter_opens_the_second_with_its_port(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    app = make_app(write_rotated_pair(tmp_path / "logs"), kb)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        rows = table_rows(app)
        assert [row[1] for row in rows] == ["auth.bad_credentials", "tls.implicit_on_plain_port"]
        assert [row[6] for row in rows] == ["ongoing", "resolved"]
        await pilot.press("down", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.item.incident.category == "tls.implicit_on_plain_port"
        settings = static_text(screen, "#settings")
        assert re.search(r"Port\s+587", settings)
        assert re.search(r"Host\s+smtp\.office365\.com", settings)
        assert re.search(r"SSL mode\s+OnConnect", settings)
        assert "Port         587" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, script)
    assert app.return_code == 0


# --- browsing the showcase sample --------------------------------------------------------------


def test_filter_search_detail_export_and_quit(tmp_path: Path, kb: KnowledgeBase) -> None:
    app = make_app([SAMPLES / "Rulemanager.log"], kb, export_dir=tmp_path)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        main = app.main
        assert len(table_rows(app)) == 3
        # Filter by category.
        main.query_one("#f-category", Select).value = "recipient.rejected"
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == ["recipient.rejected"]
        assert "showing 1 of 3 rows" in static_text(main, "#status")
        await pilot.press("c")
        await pilot.pause()
        assert len(table_rows(app)) == 3
        # Status filter.
        main.query_one("#f-status", Select).value = "ongoing"
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == ["network.filtering", "recipient.rejected"]
        await pilot.press("c")
        # Fuzzy search, with a typo, over titles, categories, hosts and messages.
        await pilot.press("slash", *"hanshake", "enter")
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == ["tls.implicit_on_plain_port"]
        await pilot.press("c")
        await pilot.press("slash", *"recipint", "enter")
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == ["recipient.rejected"]
        # Open the only row, check the diagnosis, export it.
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert re.search(r"Port\s+587", static_text(screen, "#settings"))
        diagnosis = static_text(screen, "#diagnosis")
        assert "Cause" in diagnosis and "Fix" in diagnosis and "Alternatives" in diagnosis
        await pilot.press("e")
        await pilot.pause()
        box = app.screen.query_one("#export-path", Input)
        expected = tmp_path / "logdoctor-01627621599a.md"
        assert box.value == str(expected) or box.value.startswith(str(tmp_path))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q")

    drive(app, script)
    exported = list(tmp_path.glob("logdoctor-*.md"))
    assert len(exported) == 1
    text = exported[0].read_text(encoding="utf-8")
    assert text.startswith("# logdoctor")
    assert "recipient.rejected" in text
    assert "587" in text
    # Only the selected incident: the other two are not in the file.
    assert "network.filtering" not in text and "tls.implicit_on_plain_port" not in text
    # Redaction is the CLI's choice; here the text went in as logged.
    assert "smtp.office365.com" in text


def test_sorting_and_timeline_switch(kb: KnowledgeBase) -> None:
    app = make_app([SAMPLES / "Rulemanager.log"], kb)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        # The showcase spans five days: per day first, `t` switches to hours.
        assert "Failures per day" in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert "Failures per hour" in screen_text(app)
        await pilot.press("s", "s")  # severity, then category
        await pilot.pause()
        cats = [row[1] for row in table_rows(app)]
        assert cats == sorted(cats)
        await pilot.press("r")
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == sorted(cats, reverse=True)
        await pilot.press("s", "s")  # count, biggest first
        await pilot.pause()
        counts = [int(row[3]) for row in table_rows(app)]
        assert counts == sorted(counts, reverse=True) == [12, 6, 3]

    drive(app, script)


def test_first_screen_shows_while_the_analysis_runs(kb: KnowledgeBase) -> None:
    gate = threading.Event()
    app = make_app([SAMPLES / "Rulemanager.log"], kb, gate=gate)

    async def script(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.analysis is None
        assert "analyzing" in screen_text(app) or "test" in screen_text(app)
        # The UI answers keys while the worker is busy.
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        gate.set()
        await analysed(pilot)
        assert len(table_rows(app)) == 3
        assert app.main.query_one("#progress-row").has_class("-done")

    try:
        drive(app, script)
    finally:
        gate.set()


def test_q_in_the_search_box_types_and_does_not_quit(kb: KnowledgeBase) -> None:
    app = make_app([SAMPLES / "Rulemanager.log"], kb)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        await pilot.press("slash", "q")
        await pilot.pause()
        assert app.is_running
        assert app.main.query_one("#search", Input).value == "q"
        await pilot.press("escape", "q")
        await pilot.pause()
        assert not app.is_running

    drive(app, script)


def test_analysis_error_is_shown_not_raised(kb: KnowledgeBase) -> None:
    def broken(progress: ProgressFn) -> Analysis:
        from logdoctor.errors import LogdoctorError

        raise LogdoctorError("cannot read: corrupt gzip data", path="Rulemanager.log.3.gz")

    app = LogdoctorApp(loader=broken)

    async def script(pilot: Pilot[None]) -> None:
        for _ in range(100):
            if app.analysis_done:
                break
            await pilot.pause(0.02)
        assert "Rulemanager.log.3.gz: cannot read: corrupt gzip data" in screen_text(app)
        assert app.is_running

    drive(app, script)


# --- log text stays literal -------------------------------------------------------------------


def test_markup_in_log_text_is_shown_literally(tmp_path: Path, kb: KnowledgeBase) -> None:
    app = make_app(write_rotated_pair(tmp_path / "logs"), kb)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        await pilot.press("enter")  # the Gmail incident, whose reply carries the markup
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        evidence = [e.text for e in screen.item.incident.evidence]
        assert any(MARKUP in text for text in evidence)
        # Open the raw log at the record and look at the reply line.
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.02)
            if isinstance(app.screen, LogScreen) and app.screen.query_one(LogView)._block:
                break
        log_view = app.screen.query_one(LogView)
        assert log_view.cursor == 1  # the record's first line in Rulemanager.log
        assert "[bold]x1-20020a[/bold]" in screen_text(app)
        # The reply line is wider than the screen: scroll right to its end.
        await pilot.press("right", "right", "right", "right")
        await pilot.pause()
        assert "[link=https://evil.example/]click[/link]" in screen_text(app)

    drive(app, script)


def test_markup_in_titles_and_hosts_stays_literal() -> None:
    tricky = SmtpSettings(host="[red]relay[/red].corp", port=25, ssl_mode="UseStartTls")
    analysis = _fixed_analysis(host=tricky, title="Relay [b]refused[/b] the port")
    app = LogdoctorApp(analysis=analysis)

    async def script(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert "Relay [b]refused[/b] the port" in screen_text(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        shown = screen_text(app)
        assert "[red]relay[/red].corp" in shown
        assert "[i]not italic[/i]" in shown

    drive(app, script)


# --- the lazy raw log reader -------------------------------------------------------------------


def test_logfile_reads_windows_of_lines_with_the_records_numbers(tmp_path: Path) -> None:
    lines = [
        f"2026-11-27 10:{n // 60:02d}:{n % 60:02d},000 [7] INFO  X - line {n}"
        for n in range(1, 5001)
    ]
    body = "\r\n".join(lines) + "\r\n"
    plain = tmp_path / "Rulemanager.log"
    plain.write_bytes(body.encode("utf-8"))
    packed = tmp_path / "Rulemanager.log.1.gz"
    packed.write_bytes(gzip.compress(body.encode("utf-8")))
    wide = tmp_path / "Rulemanager.log.2"
    wide.write_bytes(body.encode("utf-16"))
    for path in (plain, packed, wide):
        log = LogFile(discover([path])[0])
        window = log.read(4321, 3)
        assert [v.number for v in window] == [4321, 4322, 4323]
        assert window[0].text.endswith("line 4321")
        assert [v.number for v in log.read(4999, 10)] == [4999, 5000]
        assert log.read(6000, 5) == []
        assert log.count_lines() == 5000
        # Going back uses a checkpoint and gives the same text.
        assert log.read(17, 1)[0].text.endswith("line 17")


def test_logfile_caps_a_huge_line_and_shows_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(b"first\r\n" + b"A" * 3_000_000 + b"\r\nbell \x07 esc \x1b[31m\r\nlast\r\n")
    log = LogFile(discover([path])[0])
    first, huge, control, last = log.read(1, 10)
    assert first.text == "first" and last.text == "last"
    assert huge.cut and len(huge.text) < 3000
    assert control.text == "bell \\x07 esc \\x1b[31m"
    assert log.count_lines() == 4


# --- pure pieces ---------------------------------------------------------------------------------


def _incident(
    id: str,
    category: str,
    severity: str,
    status: str,
    count: int,
    first: datetime,
    last: datetime,
    settings: SmtpSettings | None,
    title: str,
    text: str,
) -> Incident:
    return Incident(
        id=id,
        rule=f"rm-{id}",
        category=category,
        severity=severity,
        title=title,
        status=status,  # type: ignore[arg-type]
        first_seen=first,
        last_seen=last,
        count=count,
        settings=settings,
        confidence=0.9,
        cause="The port speaks plain SMTP first; [i]not italic[/i] is how a rule might quote it.",
        fix=(
            "Set EmailServiceConfig.SmtpSslMode to UseStartTls.",
            "Restart the RuleManager service.",
        ),
        verify=("The log shows SSL Mode UseStartTls and no handshake errors.",),
        evidence=(Evidence("Rulemanager.log", 22, text, first),),
    )


def _fixed_analysis(host: SmtpSettings | None = None, title: str = "") -> Analysis:
    o365 = host or SmtpSettings("smtp.office365.com", 587, True, "OnConnect", True, 10.0)
    gmail = SmtpSettings("smtp.gmail.com", 465, True, "OnConnect", True, 30.0)
    incidents = (
        _incident(
            "a1",
            "tls.implicit_on_plain_port",
            "critical",
            "resolved",
            6,
            datetime(2026, 11, 23, 8, 11),
            datetime(2026, 11, 23, 9, 31),
            o365,
            title or "OnConnect used on a port that starts in plain text",
            "System.IO.IOException: The handshake failed due to an unexpected packet format.",
        ),
        _incident(
            "b2",
            "auth.app_password_required",
            "error",
            "ongoing",
            16,
            datetime(2026, 11, 24, 10, 23),
            datetime(2026, 11, 24, 13, 59),
            gmail,
            "Gmail wants an app password (534 5.7.9)",
            "534-5.7.9 Application-specific password required.",
        ),
    )
    stats = ReadStats(
        records=500,
        sends_ok=40,
        sends_failed=22,
        first=datetime(2026, 11, 23, 6),
        last=datetime(2026, 11, 24, 15),
    )
    timeline = (
        TimelinePoint(datetime(2026, 11, 23, 8), "tls.implicit_on_plain_port", 2),
        TimelinePoint(datetime(2026, 11, 23, 9), "tls.implicit_on_plain_port", 4),
        TimelinePoint(datetime(2026, 11, 24, 10), "auth.app_password_required", 9),
        TimelinePoint(datetime(2026, 11, 24, 13), "auth.app_password_required", 7),
    )
    return Analysis(stats=stats, incidents=incidents, unrecognized=(), timeline=timeline)


def test_filters_search_and_sort_on_fixed_rows() -> None:
    items = items_of(_fixed_analysis())
    assert [i.incident.id for i in items] == ["b2", "a1"]  # ongoing first
    assert [i.key for i in apply_filters(items, Filters(severity="critical"))] == ["a1"]
    assert [i.key for i in apply_filters(items, Filters(query="gmial"))] == ["b2"]  # host, typo
    assert [i.key for i in apply_filters(items, Filters(query="packet format"))] == ["a1"]
    assert apply_filters(items, Filters(query="zzzz qqqq")) == []
    late = Filters(since=datetime(2026, 11, 24))
    assert [i.key for i in apply_filters(items, late)] == ["b2"]
    assert [i.key for i in apply_filters(items, Filters(category=ALL))] == ["b2", "a1"]
    assert [i.key for i in sort_items(items, "first_seen")] == ["a1", "b2"]
    assert [i.key for i in sort_items(items, "count")] == ["b2", "a1"]


def test_timeline_buckets_squeeze_and_render() -> None:
    analysis = _fixed_analysis()
    hours = timeline_data(analysis.timeline, "hour")
    assert hours is not None and len(hours.starts) == 30  # 08:00 on the 23rd to 13:00 on the 24th
    days = timeline_data(analysis.timeline, "day")
    assert days is not None and days.series("auth.app_password_required") == [0, 16]
    assert timeline_data(analysis.timeline, "day", since=datetime(2026, 11, 25)) is None
    assert squeeze([1, 2, 3, 4, 5], 2) == [6, 9]
    assert spark([0, 1, 10], 10) == " ▁█"
    text = render_timeline(days, "day", 80).plain
    assert "Failures per day" in text and "auth.app_password_required" in text
    assert text.splitlines()[1].rstrip().endswith("16")


# --- the command line ----------------------------------------------------------------------------


def test_cli_without_a_store_or_with_a_missing_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("LOGDOCTOR_DB", str(tmp_path / "no-store.db"))
    result = runner.invoke(cli, ["tui"])
    assert result.exit_code != 0
    assert "no incident store here yet" in str(result.exception)
    result = runner.invoke(cli, ["tui", str(tmp_path / "nope.log")])
    assert result.exit_code != 0
    assert "nope.log: cannot read" in str(result.exception)
    result = runner.invoke(cli, ["tui", "x.log", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 2


def test_db_mode_browses_the_store(tmp_path: Path, kb: KnowledgeBase) -> None:
    from logdoctor.batch import run_batch
    from logdoctor.cli.tui import _store_loader
    from logdoctor.store import Store

    db = tmp_path / "store.db"
    with Store.open(str(db)) as store:
        run_batch([str(p) for p in write_rotated_pair(tmp_path / "logs")], store, kb)
    loader, description = _store_loader(str(db), None, None, no_redact=False)
    app = LogdoctorApp(loader=loader, description=description)

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        assert sorted(row[1] for row in table_rows(app)) == [
            "auth.bad_credentials",
            "tls.implicit_on_plain_port",
        ]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert re.search(r"Port\s+587", static_text(app.screen, "#settings"))

    drive(app, script)


def test_command_palette_sorts_the_table() -> None:
    app = LogdoctorApp(analysis=_fixed_analysis())

    async def script(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert table_rows(app)[0][1] == "auth.app_password_required"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"sort by first seen")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert [row[1] for row in table_rows(app)] == [
            "tls.implicit_on_plain_port",
            "auth.app_password_required",
        ]

    drive(app, script)


def test_export_of_an_unrecognized_group_holds_only_that_group() -> None:
    from dataclasses import replace

    from logdoctor.report_model import Unrecognized
    from logdoctor.tui.export import incident_markdown

    group = Unrecognized(
        fingerprint="3c1f0aa2b7d94e01",
        count=2,
        first_seen=datetime(2026, 11, 25, 3, 0, 12),
        last_seen=datetime(2026, 11, 25, 3, 30, 40),
        example="System.InvalidOperationException: The SMTP host was not specified.",
        types=("System.InvalidOperationException",),
    )
    analysis = replace(_fixed_analysis(), unrecognized=(group,))
    items = items_of(analysis)
    assert [i.status for i in items] == ["ongoing", "resolved", "unmatched"]
    text = incident_markdown(analysis, items[-1])
    assert "The SMTP host was not specified" in text
    assert "auth.app_password_required" not in text
    assert "tls.implicit_on_plain_port" not in text


def test_raw_log_viewer_copes_with_a_file_cut_since_the_analysis(tmp_path: Path) -> None:
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(b"".join(b"line %d\r\n" % n for n in range(1, 41)))
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    app = LogdoctorApp(analysis=_fixed_analysis())

    async def script(pilot: Pilot[None]) -> None:
        await pilot.pause()
        # The analysis saw line 900; the file now has 40 lines.
        app.open_log(str(path), 900)
        for _ in range(100):
            await pilot.pause(0.02)
            if "only 40 lines" in screen_text(app) and "line 40" in screen_text(app):
                break
        shown = screen_text(app)
        assert "the file has only 40 lines now" in shown
        assert "line 40" in shown
        await pilot.press("escape")
        app.open_log(str(empty), 1)
        await pilot.pause(0.2)
        assert isinstance(app.screen, LogScreen)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)
        app.open_log(str(tmp_path / "gone.log"), 5)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

    drive(app, script)


def test_the_cli_runs_the_analysis_in_a_child_process(tmp_path: Path) -> None:
    from functools import partial

    from logdoctor.tui.job import AnalysisJob, run_in_process

    job = AnalysisJob(paths=tuple(str(p) for p in write_rotated_pair(tmp_path / "logs")))
    app = LogdoctorApp(loader=partial(run_in_process, job))

    async def script(pilot: Pilot[None]) -> None:
        await analysed(pilot)
        assert [row[1] for row in table_rows(app)] == [
            "auth.bad_credentials",
            "tls.implicit_on_plain_port",
        ]
        # Redacted by default, as `analyze` does: the address in the log is not shown.
        assert app.analysis is not None and app.analysis.redacted

    drive(app, script)


def test_a_cancelled_child_analysis_stops() -> None:
    from logdoctor.tui.app import Cancelled
    from logdoctor.tui.job import AnalysisJob, run_in_process

    calls = 0

    def progress(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        run_in_process(AnalysisJob(paths=(str(SAMPLES / "Rulemanager.log"),)), progress)


def test_a_failing_child_analysis_reports_one_line(tmp_path: Path) -> None:
    from logdoctor.errors import LogdoctorError
    from logdoctor.tui.job import AnalysisJob, run_in_process

    with pytest.raises(LogdoctorError, match=r"nope\.log: cannot read"):
        run_in_process(AnalysisJob(paths=(str(tmp_path / "nope.log"),)), lambda d, t: None)


def test_the_child_analysis_reads_a_big_log(tmp_path: Path) -> None:
    # The child starts workers of its own for a log this big, as `analyze` does.
    from logdoctor.parallel import PARALLEL_MIN_BYTES
    from logdoctor.samplegen import write_log
    from logdoctor.tui.job import AnalysisJob, run_in_process

    log = tmp_path / "Rulemanager.log"
    with log.open("wb") as out:
        write_log(out, seed=9, target_bytes=PARALLEL_MIN_BYTES + (1 << 20), failure_ratio=0.001)
    job = AnalysisJob(paths=(str(log),), redact=False)
    analysis = run_in_process(job, lambda done, total: None)
    assert analysis.stats.records > 100_000
    assert analysis.stats.sources[0].bytes == log.stat().st_size


def _processes_tagged(tag: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if tag.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_a_cancelled_child_stops_its_workers_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cancelling must not leave the child's workers running on: they would read on, unseen,
    # after the terminal UI has gone.  Every process of this test carries a tag in its
    # environment, so other programs on the machine do not count.
    import time
    import uuid

    from logdoctor.parallel import PARALLEL_MIN_BYTES
    from logdoctor.samplegen import write_log
    from logdoctor.tui.app import Cancelled
    from logdoctor.tui.job import AnalysisJob, run_in_process

    tag = f"logdoctor-test-{uuid.uuid4()}"
    monkeypatch.setenv("LOGDOCTOR_TEST_TAG", tag)
    monkeypatch.setenv("LOGDOCTOR_WORKERS", "2")
    log = tmp_path / "Rulemanager.log"
    with log.open("wb") as out:
        write_log(out, seed=10, target_bytes=PARALLEL_MIN_BYTES * 2, failure_ratio=0.001)
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        if done > 0:
            seen.extend(_processes_tagged(tag))
            raise Cancelled  # the first part is read: the workers are busy

    with pytest.raises(Cancelled):
        run_in_process(AnalysisJob(paths=(str(log),)), progress)
    assert len(set(seen)) >= 3  # the child and its two workers were there
    deadline = time.monotonic() + 5
    while _processes_tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_tagged(tag) == []
