"""Finding, ordering, opening and decoding log sources."""

from __future__ import annotations

import gzip
import io
import os
import random
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.errors import LogdoctorError
from logdoctor.sources import TextLines, discover, rotation_name, sniff_encoding


def _line(day: int, hour: int, text: str = "Email sent") -> str:
    return (
        f"2026-11-{day:02d} {hour:02d}:00:00,000 [5] INFO  "
        f"FChoice.RuleManager.Email.EmailService - {text}\r\n"
    )


def _write(path: Path, text: str, *, gz: bool = False, mtime: float | None = None) -> Path:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _names(sources) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(s.display.split("!")[-1]).name for s in sources]


# --- discovery and ordering -----------------------------------------------------------------


def test_rotated_set_given_shuffled_comes_back_oldest_first(tmp_path: Path) -> None:
    # log4net size rolling: .log.2 is older than .log.1, which is older than the live file.
    _write(tmp_path / "Rulemanager.log", _line(27, 12))
    _write(tmp_path / "Rulemanager.log.1", _line(27, 9))
    _write(tmp_path / "Rulemanager.log.2", _line(26, 18), gz=False)
    _write(tmp_path / "Rulemanager.log.10", _line(20, 1))
    given_order = [
        tmp_path / n
        for n in ("Rulemanager.log.1", "Rulemanager.log", "Rulemanager.log.10", "Rulemanager.log.2")
    ]
    for seed in range(3):
        random.Random(seed).shuffle(given_order)
        assert _names(discover(given_order)) == [
            "Rulemanager.log.10",
            "Rulemanager.log.2",
            "Rulemanager.log.1",
            "Rulemanager.log",
        ]


def test_directory_expands_to_rulemanager_logs_only_in_time_order(tmp_path: Path) -> None:
    _write(tmp_path / "Rulemanager.log", _line(27, 12))
    _write(tmp_path / "Rulemanager.log.1.gz", _line(27, 9), gz=True)
    _write(tmp_path / "Rulemanager.log.2", _line(26, 9))
    _write(tmp_path / "FChoice.RuleManager.WindowsService.exe.config", "<configuration/>")
    _write(tmp_path / "other.log", _line(1, 1))
    sources = discover([tmp_path])
    assert _names(sources) == ["Rulemanager.log.2", "Rulemanager.log.1.gz", "Rulemanager.log"]
    assert [s.gzip for s in sources] == [False, True, False]


def test_directory_without_rulemanager_logs_takes_any_log(tmp_path: Path) -> None:
    _write(tmp_path / "fcflnet.log", _line(27, 12))
    _write(tmp_path / "fcflnet.log.1", _line(27, 1))
    _write(tmp_path / "readme.txt", "not a log")
    assert _names(discover([tmp_path])) == ["fcflnet.log.1", "fcflnet.log"]


@pytest.mark.parametrize(
    "names",
    [
        ["Rulemanager.log.2026-11-25", "Rulemanager.log.2026-11-26", "Rulemanager.log"],
        ["Rulemanager.log20261125", "Rulemanager.log20261126", "Rulemanager.log20261127"],
        ["Rulemanager.2026-11-25.log", "Rulemanager.2026-11-26.log", "Rulemanager.log"],
    ],
)
def test_date_suffixed_files_are_read_by_date(tmp_path: Path, names: list[str]) -> None:
    for day, name in zip((25, 26, 27), names, strict=True):
        _write(tmp_path / name, _line(day, 10))
    assert _names(discover([tmp_path / n for n in reversed(names)])) == names


def test_when_names_do_not_decide_the_first_timestamp_does(tmp_path: Path) -> None:
    (tmp_path / "server-b").mkdir()
    (tmp_path / "server-a").mkdir()
    newer = _write(tmp_path / "server-a" / "Rulemanager.log", "\ufeff" + _line(27, 12))
    older = _write(tmp_path / "server-b" / "Rulemanager.log", _line(20, 8))
    assert [s.path for s in discover([newer, older])] == [older, newer]


def test_zip_with_two_members_and_a_gz_inside(tmp_path: Path) -> None:
    archive = tmp_path / "support.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("logs/Rulemanager.log", _line(27, 12))
        zf.writestr("logs/Rulemanager.log.1.gz", gzip.compress(_line(26, 12).encode()))
        zf.writestr("logs/FChoice.RuleManager.WindowsService.exe.config", "<configuration/>")
        zf.writestr("__MACOSX/logs/._Rulemanager.log", b"\x00\x05\x16\x07")
    sources = discover([archive])
    assert [s.display for s in sources] == [
        f"{archive}!logs/Rulemanager.log.1.gz",
        f"{archive}!logs/Rulemanager.log",
    ]
    with sources[0].open() as fh:
        assert fh.read().decode() == _line(26, 12)
    with sources[1].open() as fh:
        assert fh.read().decode() == _line(27, 12)


def test_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    log = _write(tmp_path / "Rulemanager.log", _line(27, 12))
    assert len(discover([log, tmp_path, str(log)])) == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.log", None, "no such file"),
        ("Rulemanager.log.gz", b"\x1f\x8bthis is not deflate data at all........", "corrupt gzip"),
        ("Rulemanager.log.gz", b"plain text pretending", "not a gzip file"),
        ("support.zip", b"PK\x03\x04 cut short", "not a valid zip"),
    ],
)
def test_unreadable_inputs_fail_with_one_line_naming_the_path(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LogdoctorError) as info:
        discover([path])
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and reason in message


def test_an_empty_gz_reads_as_empty_alone_as_in_a_folder(tmp_path: Path) -> None:
    # log4net's rotation compressed only in name: 0 bytes.  Given alone it is what it is in
    # a folder, an empty file, not an error that stops the analysis.
    (tmp_path / "Rulemanager.log.1.gz").write_bytes(b"")
    _write(tmp_path / "Rulemanager.log", _line(27, 12))
    alone = discover([tmp_path / "Rulemanager.log.1.gz"])
    in_folder = [s for s in discover([tmp_path]) if s.display.endswith(".gz")]
    assert (
        [(s.size, s.gzip) for s in alone] == [(s.size, s.gzip) for s in in_folder] == [(0, False)]
    )
    with alone[0].open() as fh:
        assert fh.read() == b""


def test_directory_of_ticket_attachments_reads_the_archives(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "ticket-48213.zip", "w") as zf:
        zf.writestr("Rulemanager.log", _line(27, 12))
    _write(tmp_path / "notes.txt", "customer says mail stopped on Friday")
    assert [s.display for s in discover([tmp_path])] == [
        f"{tmp_path / 'ticket-48213.zip'}!Rulemanager.log"
    ]


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LogdoctorError, match=r"no Rulemanager\.log"):
        discover([tmp_path])


@pytest.mark.parametrize(
    ("name", "set_name", "date", "roll"),
    [
        ("Rulemanager.log", "rulemanager.log", datetime.max, 0),
        ("Rulemanager.log.3", "rulemanager.log", datetime.max, -3),
        ("RULEMANAGER.LOG.3.gz", "rulemanager.log", datetime.max, -3),
        ("Rulemanager.log.2026-11-27", "rulemanager.log", datetime(2026, 11, 27), 0),
        ("Rulemanager.log20261127", "rulemanager.log", datetime(2026, 11, 27), 0),
        ("Rulemanager.2026-11-27.log", "rulemanager.log", datetime(2026, 11, 27), 0),
        ("Rulemanager.log.2026-11-27.2", "rulemanager.log", datetime(2026, 11, 27), -2),
        ("Rulemanager.log.2026-11-27-14", "rulemanager.log", datetime(2026, 11, 27, 14), 0),
    ],
)
def test_rotation_names(name: str, set_name: str, date: datetime, roll: int) -> None:
    rn = rotation_name(name)
    assert (rn.set_name, rn.key.date, rn.key.roll) == (set_name, date, roll)


# --- decoding ---------------------------------------------------------------------------------


def _lines(data: bytes, **kw: int) -> tuple[list[tuple[int, int, str]], TextLines]:
    tl = TextLines(io.BytesIO(data), **kw)
    return list(tl), tl


def test_crlf_lf_and_mixed_line_ends_with_exact_offsets() -> None:
    data = b"first\r\nsecond\nthird\r\n\r\nlast without end"
    lines, tl = _lines(data)
    assert lines == [
        (1, 0, "first"),
        (2, 7, "second"),
        (3, 14, "third"),
        (4, 21, ""),
        (5, 23, "last without end"),
    ]
    assert tl.bytes_read == len(data)


def test_lone_cr_stays_inside_the_line() -> None:
    lines, _ = _lines(b"a\rb\r\nc\n")
    assert [t for _, _, t in lines] == ["a\rb", "c"]


def test_cp1252_lines_are_decoded_and_reported() -> None:
    data = "Kontakt Müller\r\nRéclamation\r\n".encode("cp1252")
    lines, tl = _lines(data)
    assert [t for _, _, t in lines] == ["Kontakt Müller", "Réclamation"]
    assert tl.encoding == "cp1252"


def test_mixed_utf8_and_cp1252_lines() -> None:
    data = "Müller (UTF-8)\n".encode() + "Müller (ANSI)\n".encode("cp1252")
    lines, tl = _lines(data)
    assert [t for _, _, t in lines] == ["Müller (UTF-8)", "Müller (ANSI)"]
    assert tl.encoding == "utf-8+cp1252"


def test_utf8_bom_is_skipped_but_counted_in_offsets() -> None:
    data = "\ufeffone\r\ntwo\r\n".encode()
    lines, tl = _lines(data)
    assert lines == [(1, 3, "one"), (2, 8, "two")]
    assert tl.encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = "\ufeff".encode(codec)
    body = "Müller\r\n一\u0a41\n€ last".encode(codec)
    lines, tl = _lines(bom + body)
    assert [t for _, _, t in lines] == ["Müller", "一\u0a41", "€ last"]
    assert [o for _, o, _ in lines] == [2, 2 + 16, 2 + 16 + 6]
    assert tl.encoding == codec


def test_utf16_line_end_is_only_found_on_a_character_boundary() -> None:
    # U+0A41 then U+4E00 gives the bytes 41 0A 00 4E: a "\n\x00" at an odd offset.
    text = "\u0a41\u4e00 still line one\r\nline two\r\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    lines, _ = _lines(data, chunk_size=7)
    assert [t for _, _, t in lines] == ["\u0a41\u4e00 still line one", "line two"]


def test_utf16_without_bom_is_sniffed() -> None:
    assert sniff_encoding("2026-11-27 10:15:02,123 [5] INFO".encode("utf-16-le")) == (
        "utf-16-le",
        0,
    )


def test_over_long_line_is_cut_and_the_next_line_keeps_its_offset() -> None:
    data = b"x" * 5000 + b"\nnext\n"
    lines, tl = _lines(data, chunk_size=1000, max_line_bytes=1500)
    assert [(n, o, len(t)) for n, o, t in lines] == [(1, 0, 1500), (2, 5001, 4)]
    assert tl.cut_lines == 1
    assert tl.bytes_read == len(data)


def test_nul_padding_is_dropped() -> None:
    lines, _ = _lines(b"ok\n\x00\x00\x00\x00end\n")
    assert [t for _, _, t in lines] == ["ok", "end"]


def test_resume_at_an_offset_keeps_numbering() -> None:
    data = b"one\r\ntwo\r\nthree\r\n"
    lines, _ = _lines(data, start_offset=5, start_line=2)
    assert lines == [(2, 5, "two"), (3, 10, "three")]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=40), max_size=20
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(min_value=1, max_value=64),
)
def test_any_text_round_trips_with_offsets(lines: list[str], end: str, chunk: int) -> None:
    data = "".join(line + end for line in lines).encode("utf-8", "surrogatepass")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return  # lone surrogates: not UTF-8 text
    got, _ = _lines(data, chunk_size=chunk)
    assert [t.replace("\x00", "") for t in lines] == [t for _, _, t in got]
    for _, offset, text in got:
        assert data[offset:].decode("utf-8").replace("\x00", "").startswith(text)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=50))
def test_arbitrary_bytes_never_crash(data: bytes, chunk: int) -> None:
    got, tl = _lines(data, chunk_size=chunk, max_line_bytes=80)
    assert tl.bytes_read == len(data)
    assert [n for n, _, _ in got] == list(range(1, len(got) + 1))


def test_bom_in_the_middle_of_a_joined_file_is_dropped() -> None:
    data = "\ufeffone\r\n".encode() + "\ufefftwo\r\n".encode()
    lines, tl = _lines(data)
    assert [t for _, _, t in lines] == ["one", "two"]
    assert tl.encoding == "utf-8-sig"
