"""Records from real bytes on disk: every layout x encoding x line-end style, gz, offsets."""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from logdoctor.layout import layout_from_pattern
from logdoctor.model import Record
from logdoctor.records import PRE_HEADER_REASON, MultiReader, RecordReader, read_records
from logdoctor.sources import LogSource, discover

LOGGER = "FChoice.RuleManager.Email.EmailService"

# Events of a RuleManager day, in the wording of the KB article (reference/seed-kb-...txt), spread
# over several lines the way log4net writes exception text.
CONFIG_587 = [
    "SMTP server configuration loaded",
    "Host: smtp.office365.com, Port: 587, Enable SSL: Yes, SSL Mode: OnConnect, "
    "Timeout: 10 seconds",
]
FATAL_TLS = [
    "Failed to send an email",
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
    "negotiation",
    "Perhaps you need to specify a more secure protocol such as TLS 1.2 (see "
    "SecurityProtocol.TlsAuto).",
    "InnerException message follows",
    "The handshake failed due to an unexpected packet format. ---> System.IO.IOException: "
    "The handshake failed due to an unexpected packet format.",
    "   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes)",
    "   at MailBee.SmtpMail.Smtp.Send() in C:\\build\\MailBee\\Smtp.cs:line 212",
    "   --- End of inner exception stack trace ---",
    "   at FChoice.RuleManager.Email.EmailService.Send(Message msg) in "
    "C:\\src\\RuleManager\\EmailService.cs:line 88",
]
# A timestamp-looking line inside a message must not start a record.
NONFATAL_AUTH = [
    "FChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error "
    "response. ---> MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has "
    "rejected authentication data sent by the client. The server responded:",
    "535-5.7.8 Username and Password not accepted. Learn more at",
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials o193sm12343473vkc.45 - gsmtp",
    "2026-11-27 10:20:05,120 time bomb 4711 rescheduled for 1/1/2999",
    "   at MailBee.SmtpMail.Smtp.Login() in C:\\build\\MailBee\\Smtp.cs:line 431",
]
UMLAUT = ["Time bomb 4711 processed for contact Müller, subject: Réclamation n° 12"]


@dataclass(frozen=True)
class Ev:
    ts: datetime
    level: str
    lines: list[str]
    thread: str = "7"


EVENTS = [
    Ev(datetime(2026, 11, 27, 10, 15, 0, 5000), "INFO", ["RuleManager service started"]),
    Ev(datetime(2026, 11, 27, 10, 15, 2, 123000), "INFO", CONFIG_587),
    Ev(datetime(2026, 11, 27, 10, 15, 12, 456000), "ERROR", FATAL_TLS, "Timer thread 3"),
    Ev(datetime(2026, 11, 27, 10, 16, 0, 0), "DEBUG", UMLAUT),
    Ev(datetime(2026, 11, 27, 10, 20, 5, 99000), "WARN", NONFATAL_AUTH),
    Ev(datetime(2026, 11, 27, 10, 21, 0, 1000), "INFO", CONFIG_587),
    Ev(datetime(2026, 11, 27, 10, 21, 9, 777000), "FATAL", FATAL_TLS),
]
N_CONFIG = 2
N_FAILED = 3


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S,") + f"{ts.microsecond // 1000:03d}"


def stock_lines(ev: Ev) -> list[str]:
    head = f"{_iso(ev.ts)} [{ev.thread}] {ev.level:<5} {LOGGER} - {ev.lines[0]}"
    return [head, *ev.lines[1:]]


def sdk_lines(indent: str):  # type: ignore[no-untyped-def]
    def render(ev: Ev) -> list[str]:
        head = (
            f"{_iso(ev.ts)} [user: sa] [fcsessionid: 1636fbda-6bbf-463d-afcc-d24a8f113da6] "
            f"[{ev.level:<5}] [{LOGGER}]"
        )
        return [head, indent + ev.lines[0], *ev.lines[1:], "", ""]

    return render


CUSTOM_PATTERN = "%date{dd/MM/yyyy HH:mm:ss.fff} %-5level [%thread] (%logger) %message%newline"


def custom_lines(ev: Ev) -> list[str]:
    ts = ev.ts.strftime("%d/%m/%Y %H:%M:%S.") + f"{ev.ts.microsecond // 1000:03d}"
    return [f"{ts} {ev.level:<5} [{ev.thread}] ({LOGGER}) {ev.lines[0]}", *ev.lines[1:]]


LAYOUTS = {
    "stock": (stock_lines, None, "log4net stock"),
    "sdk-tab": (sdk_lines("\t"), None, "Dovetail SDK (tab)"),
    "sdk-spaces": (sdk_lines("  "), None, "Dovetail SDK (2 spaces)"),
    "custom": (custom_lines, CUSTOM_PATTERN, "custom: "),
}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")
LINE_ENDS = ("crlf", "lf", "mixed")


@dataclass
class Built:
    data: bytes  # raw bytes as written (before gzip)
    header_lines: list[int]  # 1-based line of each record header
    lines: list[str]


def build(render, ending: str, encoding: str, events=EVENTS, preamble=()):  # type: ignore[no-untyped-def]
    lines: list[str] = list(preamble)
    headers: list[int] = []
    for ev in events:
        headers.append(len(lines) + 1)
        lines.extend(render(ev))
    parts = []
    for i, line in enumerate(lines):
        end = {"crlf": "\r\n", "lf": "\n"}.get(ending) or ("\r\n" if i % 2 else "\n")
        parts.append(line + end)
    text = "".join(parts)
    data = text.encode(encoding)  # utf-16 writes a BOM, utf-8-sig too
    return Built(data, headers, lines)


def _src(path: Path) -> LogSource:
    [src] = discover([path])
    return src


def _reopen_line(raw: bytes, offset: int, encoding: str) -> str:
    """The line that starts at `offset` in the raw (decompressed) bytes."""
    if encoding == "utf-16":
        chunk = raw[offset : offset + 4000].decode("utf-16-le", "replace")
    else:
        chunk = raw[offset : offset + 4000].decode("cp1252" if encoding == "cp1252" else "utf-8")
    return chunk.splitlines()[0]


@pytest.mark.parametrize("ending", LINE_ENDS)
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("layout_key", list(LAYOUTS))
def test_layout_encoding_line_end_matrix(
    tmp_path: Path, layout_key: str, encoding: str, ending: str
) -> None:
    render, pattern, layout_name = LAYOUTS[layout_key]
    built = build(render, ending, encoding)
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(built.data)

    forced = layout_from_pattern(pattern) if pattern else None
    reader = RecordReader(_src(path), forced)
    records = list(reader)

    assert len(records) == len(EVENTS)
    assert reader.layout is not None and reader.layout.name.startswith(layout_name)
    assert reader.layout_note.endswith("forced" if pattern else "detected")
    assert [r.line for r in records] == built.header_lines
    assert [r.timestamp for r in records] == [e.ts for e in EVENTS]
    assert [r.level for r in records] == [e.level for e in EVENTS]
    assert all(r.logger == LOGGER for r in records)
    assert not any(r.damaged for r in records)
    assert sum("SMTP server configuration loaded" in r.message for r in records) == N_CONFIG
    assert sum("EmailServiceException" in r.message for r in records) == N_FAILED
    # Messages come back whole: first line without indent, continuation lines kept, no
    # separator blank lines at the end.
    for rec, ev in zip(records, EVENTS, strict=True):
        assert rec.message == "\n".join(ev.lines)
    # Offsets point at the header bytes.
    for rec in records:
        head = _reopen_line(built.data, rec.offset, encoding)
        assert head == built.lines[rec.line - 1]
    expected_enc = {
        "utf-8": "utf-8",
        "utf-8-sig": "utf-8-sig",
        "cp1252": "cp1252",
        "utf-16": "utf-16-le",
    }[encoding]
    assert reader.encoding == expected_enc
    assert reader.bytes_read == len(built.data)
    assert reader.stats().records == len(EVENTS)


@pytest.mark.parametrize("layout_key", list(LAYOUTS))
def test_gzip_reads_like_plain_and_offsets_are_in_decompressed_bytes(
    tmp_path: Path, layout_key: str
) -> None:
    render, pattern, _ = LAYOUTS[layout_key]
    built = build(render, "crlf", "utf-8-sig")
    path = tmp_path / "Rulemanager.log.1.gz"
    path.write_bytes(gzip.compress(built.data))
    forced = layout_from_pattern(pattern) if pattern else None
    src = _src(path)
    assert src.display == str(path)
    records = list(read_records(src, forced))
    assert [r.line for r in records] == built.header_lines
    for rec in records:
        assert _reopen_line(built.data, rec.offset, "utf-8") == built.lines[rec.line - 1]


def test_sdk_with_tab_and_with_two_spaces_are_told_apart(tmp_path: Path) -> None:
    for indent, name in (("\t", "Dovetail SDK (tab)"), ("  ", "Dovetail SDK (2 spaces)")):
        path = tmp_path / f"{len(indent)}" / "Rulemanager.log"
        path.parent.mkdir()
        path.write_bytes(build(sdk_lines(indent), "crlf", "utf-8").data)
        reader = RecordReader(_src(path))
        first = next(iter(reader))
        assert reader.layout is not None and reader.layout.name == name
        assert first.message == "RuleManager service started"
        assert dict(first.fields) == {
            "user": "sa",
            "session": "1636fbda-6bbf-463d-afcc-d24a8f113da6",
        }


def test_text_before_first_header_is_one_damaged_record(tmp_path: Path) -> None:
    preamble = [
        "   at FChoice.RuleManager.Email.EmailService.Send(Message msg)",
        "   --- End of inner exception stack trace ---",
    ]
    built = build(stock_lines, "crlf", "utf-8", preamble=preamble)
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(built.data)
    reader = RecordReader(_src(path))
    records = list(reader)
    assert len(records) == len(EVENTS) + 1
    first = records[0]
    assert first.damaged and first.reason == PRE_HEADER_REASON
    assert (first.line, first.offset, first.end_line) == (1, 0, 2)
    assert first.message == "\n".join(preamble)
    assert reader.damaged == 1
    assert records[1].line == 3 and not records[1].damaged


def test_end_line_covers_continuation_and_separator_lines(tmp_path: Path) -> None:
    built = build(sdk_lines("\t"), "lf", "utf-8")
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(built.data)
    records = list(read_records(_src(path)))
    # records tile the file: each ends the line before the next header
    for rec, nxt in itertools.pairwise(records):
        assert rec.end_line == nxt.line - 1
    assert records[-1].end_line == len(built.lines)


def test_unreadable_timestamp_in_header_is_damaged_but_kept(tmp_path: Path) -> None:
    text = (
        "2026-11-27 10:15:02,123 [5] INFO  FChoice.RuleManager.Email.EmailService - ok\r\n"
        "2026-13-45 25:61:02,123 [5] ERROR FChoice.RuleManager.Email.EmailService - bad clock\r\n"
    )
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(text.encode())
    records = list(read_records(_src(path)))
    assert len(records) == 2
    assert records[1].damaged and records[1].timestamp is None
    assert records[1].level == "ERROR" and records[1].message == "bad clock"
    assert "2026-13-45" in (records[1].reason or "")


def test_unknown_layout_falls_back_to_generic_timestamp(tmp_path: Path) -> None:
    text = (
        "2026-11-27T10:15:02.123 | ERROR | EmailService | Failed to send an email\n"
        "System.Net.Sockets.SocketException (10060): A connection attempt failed\n"
        "2026-11-27T10:15:09.001 | INFO | EmailService | Email sent\n"
    )
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(text.encode())
    reader = RecordReader(_src(path))
    records = list(reader)
    assert reader.layout is not None and reader.layout.name == "generic timestamp"
    assert [r.level for r in records] == ["ERROR", "INFO"]
    assert records[0].timestamp == datetime(2026, 11, 27, 10, 15, 2, 123000)
    assert "10060" in records[0].message


def test_absolute_time_only_layout_takes_the_date_from_the_file(tmp_path: Path) -> None:
    layout = layout_from_pattern("%date{ABSOLUTE} [%thread] %-5level %logger - %message%newline")
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(b"10:15:02,123 [5] ERROR X.Y - boom\r\n")
    src = _src(path)
    assert src.mtime is not None
    reader = RecordReader(src, layout)
    [rec] = list(reader)
    assert rec.timestamp == datetime.combine(
        src.mtime.date(), datetime(1, 1, 1, 10, 15, 2, 123000).time()
    )
    assert reader.base_date == src.mtime.date()


def test_resume_from_last_record_offset_reads_only_new_records(tmp_path: Path) -> None:
    built = build(stock_lines, "crlf", "utf-8")
    path = tmp_path / "Rulemanager.log"
    path.write_bytes(built.data)
    first = RecordReader(_src(path))
    all_records = list(first)
    resumed = RecordReader(
        _src(path), start_offset=first.last_record_offset, start_line=first.last_record_line
    )
    again = list(resumed)
    assert again == all_records[-1:]


def test_multireader_chains_sources_in_given_order(tmp_path: Path) -> None:
    a = tmp_path / "Rulemanager.log.1"
    b = tmp_path / "Rulemanager.log"
    a.write_bytes(build(stock_lines, "crlf", "utf-8", events=EVENTS[:3]).data)
    b.write_bytes(build(sdk_lines("\t"), "crlf", "utf-8", events=EVENTS[3:]).data)
    multi = MultiReader(discover([b, a]))
    records: list[Record] = list(multi)
    assert [r.timestamp for r in records] == [e.ts for e in EVENTS]
    stats = multi.source_stats()
    assert [s.layout for s in stats] == ["log4net stock", "Dovetail SDK (tab)"]
    assert [s.records for s in stats] == [3, 4]


def test_truncated_gzip_keeps_what_was_there(tmp_path: Path) -> None:
    built = build(stock_lines, "crlf", "utf-8", events=EVENTS * 40)
    blob = gzip.compress(built.data)
    path = tmp_path / "Rulemanager.log.gz"
    path.write_bytes(blob[: len(blob) * 2 // 3])
    reader = RecordReader(_src(path))
    records = list(reader)
    assert reader.truncated
    assert 0 < len(records) < len(EVENTS) * 40
    assert records[0].timestamp == EVENTS[0].ts


def test_memory_stays_flat_on_a_big_file(tmp_path: Path) -> None:
    block = build(stock_lines, "crlf", "utf-8").data
    path = tmp_path / "Rulemanager.log"
    size = 0
    with path.open("wb") as fh:
        while size < 16_000_000:
            fh.write(block * 200)
            size += len(block) * 200
    src = _src(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_records(src))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == size // len(block) * len(EVENTS)
    assert peak < 6_000_000, f"peak {peak} bytes for a {size} byte file"
