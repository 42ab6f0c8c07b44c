"""The fast path gives exactly what the plain path gives: same incidents, counts and events.

The plain path is kept callable: `LogReading.events_by_record()` reads every line into a
`Record` (the reader as it was before the speed work), and `_PlainBuilder` below memoises each
diagnosis under the plain masked text, as the incident builder did before.  The logs are
written by the sample generator in several layouts, with 1% and 50% failures, with and without
varied failure texts, and by hand with the awkward bytes real files carry.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from logdoctor.analysis import analyze_reading
from logdoctor.diagkey import DiagnosisKeys
from logdoctor.events import event_to_dict
from logdoctor.incidents import MASK_CHARS, IncidentBuilder
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.kb.match import Diagnosis, diagnose
from logdoctor.mask import mask_variable
from logdoctor.model import MatchContext, SendFailed
from logdoctor.pipeline import LogReading
from logdoctor.render.jsonout import contract_chunks
from logdoctor.report_model import Analysis
from logdoctor.samplegen import layout_for, write_log


class _PlainBuilder(IncidentBuilder):
    """The incident builder with its diagnosis memo keyed as before the speed work."""

    def _diagnose(self, event: SendFailed, ctx: MatchContext) -> Diagnosis:
        key = (mask_variable(event.chain.text[:MASK_CHARS], numbers=False), ctx)
        found = self._cache.get(key)
        if found is None:
            found = diagnose(self.kb, event.chain, ctx)
            self._cache[key] = found
        return found


def _plain_analysis(paths: list[Path], kb: KnowledgeBase, layout: str | None) -> Analysis:
    reading = LogReading(paths, layout=layout)
    builder = _PlainBuilder(kb)
    builder.feed_all(reading.events_by_record())
    return Analysis(
        stats=reading.stats(),
        incidents=builder.incidents(),
        unrecognized=builder.unrecognized(),
        timeline=builder.timeline(),
        layout_notes=tuple(reading.layout_notes()),
    )


def _fast_analysis(paths: list[Path], kb: KnowledgeBase, layout: str | None) -> Analysis:
    return analyze_reading(LogReading(paths, layout=layout), kb)


def _reader_facts(reading: LogReading) -> list[dict[str, object]]:
    names = (
        "records",
        "damaged",
        "lines",
        "level_counts",
        "last_record_offset",
        "last_record_line",
        "encoding",
        "bytes_read",
        "cut_lines",
        "truncated",
    )
    return [{n: getattr(r, n) for n in names} for r in reading.readers]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def _generated(tmp: Path, name: str, **kwargs: object) -> Path:
    path = tmp / name
    with path.open("wb") as out:
        write_log(out, **kwargs)  # type: ignore[arg-type]
    return path


# (file name, write_log arguments, --layout).  Failure-heavy logs are smaller: the plain path
# diagnoses each distinct text (about 10 ms each).
CASES = [
    ("stock-typical", dict(seed=11, target_bytes=3 << 20, failure_ratio=0.01), None),
    ("stock-heavy", dict(seed=12, target_bytes=600_000, failure_ratio=0.5), None),
    (
        "sdk-typical-same-texts",
        dict(seed=13, target_bytes=2 << 20, failure_ratio=0.01, layout="sdk-tab", varied=False),
        None,
    ),
    (
        "sdk-heavy-lf",
        dict(seed=14, target_bytes=500_000, failure_ratio=0.5, layout="sdk-tab", line_ends="lf"),
        None,
    ),
    (
        "custom-utc-forced",
        dict(seed=15, target_bytes=2 << 20, failure_ratio=0.05, layout="custom-utc"),
        layout_for("custom-utc").pattern,
    ),
    (
        "custom-pipe-forced",
        dict(seed=16, target_bytes=400_000, failure_ratio=0.1, layout="custom-pipe"),
        layout_for("custom-pipe").pattern,
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "layout"), CASES, ids=[c[0] for c in CASES])
def test_fast_analysis_equals_the_plain_one(
    tmp_path: Path, kb: KnowledgeBase, name: str, kwargs: dict[str, object], layout: str | None
) -> None:
    log = _generated(tmp_path, f"Rulemanager-{name}.log", **kwargs)
    plain = _plain_analysis([log], kb, layout)
    fast = _fast_analysis([log], kb, layout)
    assert plain.stats.sends_failed > 0  # the comparison has failures to compare
    assert json.dumps(fast.as_contract(), sort_keys=True) == json.dumps(
        plain.as_contract(), sort_keys=True
    )
    assert fast == plain  # the fields outside the contract too (reasons, timeline ...)


def test_events_and_reader_facts_are_the_same(tmp_path: Path) -> None:
    log = _generated(tmp_path, "Rulemanager.log", seed=21, target_bytes=1 << 20, failure_ratio=0.2)
    plain, fast = LogReading([log]), LogReading([log])
    plain_events = [event_to_dict(e) for e in plain.events_by_record()]
    fast_events = [event_to_dict(e) for e in fast.events()]
    assert len(fast_events) > 500
    assert fast_events == plain_events
    assert fast.stats() == plain.stats()
    assert _reader_facts(fast) == _reader_facts(plain)


STOCK = "{ts} [{thread}] {level:<5} FChoice.RuleManager.Email.EmailService - {msg}"
CONFIG = (
    "SMTP server configuration loadedHostsmtp.office365.comPort: 587, Enable SSLYesSSL Mode"
    "OnConnectTimeout: 10 seconds"
)
FAILURE = (
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.Security.MailBeeSslNegotiationException: The handshake failed due to an "
    "unexpected packet format.\n"
    "   at MailBee.Security.SslNegotiator.Negotiate(Socket socket, String targetHost)\n"
    "   at FChoice.RuleManager.Email.EmailService.SendMessage(EmailMessage message)"
)


def _awkward_log(*, damaged: bool) -> bytes:
    """Records with the bytes real files carry: non-ASCII text everywhere, and once each a
    cp1252 line, a NUL run, a BOM where two logs were joined, a header in Arabic-Indic digits
    (a header for the str regex only); with `damaged`, bad dates and `.` for `,` too."""
    lines: list[bytes] = []

    def rec(second: int, level: str, msg: str, thread: str = "12", sep: str = ",") -> None:
        ts = f"2026-11-27 {10 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        ts += f"{sep}{second % 1000:03d}"
        lines.append(STOCK.format(ts=ts, thread=thread, level=level, msg=msg).encode("utf-8"))

    if damaged:
        # In text order `,900` comes before `.500`; in time order it is the other way round.
        for ts in ("2026-11-27 09:59:59.500", "2026-11-27 09:59:59,900"):
            lines.append(STOCK.format(ts=ts, thread="1", level="INFO", msg="x").encode())
    rec(0, "INFO", CONFIG)
    for i in range(1, 6000):
        k = i % 60
        if i == 2500:
            rec(i, "INFO", "Mail sent to the caf\xe9 owner")
            lines.append(b"r\xe9sum\xe9 attached")  # cp1252, not UTF-8
        elif i == 3000:
            lines.append(b"crash left NULs here \x00\x00\x00 and went on")
        elif i == 3500:
            head = STOCK.format(ts="2026-11-27 11:00:00,000", thread="1", level="INFO", msg="x")
            lines.append(b"\xef\xbb\xbf" + head.encode("ascii"))  # `copy a+b`
        elif i == 4000:
            digits = "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0662\u0667"
            lines.append(f"{digits} 10:00:00,000 [1] INFO  X - eastern digits".encode())
        elif damaged and i % 700 == 0:
            lines.append(b"2026-13-40 10:00:00,000 [1] INFO  X - bad month in a header")
        elif damaged and i % 500 == 0:
            rec(i, "INFO", "Service heartbeat", sep=".")
        elif k == 0:
            rec(i, "ERROR", FAILURE.replace("\n", "\r\n"))
        elif k == 1:
            rec(i, "INFO", f"Email sent to j\u00fcrgen.m\u00fcller{i}@example.org (time bomb {i})")
        elif k == 2:
            rec(i, "DEBUG", "Query took 0.01 seconds", thread="Worker \u00dcnicode \u2713")
        elif k == 3:
            lines.append("continuation with \u2014 a dash and a 535 5.7.8 reply".encode())
        elif k == 9:
            rec(i, "info", "lower-case level; RuleManager service started")
        else:
            rec(i, "DEBUG", f"ExecuteScalar query ({i}) took 0.0081 seconds.")
    return b"\r\n".join(lines) + b"\r\n"


@pytest.mark.parametrize("damaged", [False, True], ids=["odd-bytes", "odd-bytes-and-damaged"])
@pytest.mark.parametrize("chunk", [65536, 4096])
def test_awkward_bytes_read_the_same(
    tmp_path: Path,
    kb: KnowledgeBase,
    chunk: int,
    damaged: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logdoctor.sources as sources

    defaults = dict(sources.TextLines.__init__.__kwdefaults__ or {})
    defaults["chunk_size"] = chunk
    monkeypatch.setattr(sources.TextLines.__init__, "__kwdefaults__", defaults)
    log = tmp_path / "Rulemanager.log"
    log.write_bytes(_awkward_log(damaged=damaged))
    plain, fast = LogReading([log]), LogReading([log])
    plain_events = [event_to_dict(e) for e in plain.events_by_record()]
    fast_events = [event_to_dict(e) for e in fast.events()]
    assert fast.stats() == plain.stats()
    assert (plain.stats().damaged_records > 0) == damaged
    assert fast_events == plain_events
    assert _reader_facts(fast) == _reader_facts(plain)
    assert plain.readers[0].encoding == "utf-8+cp1252"
    assert _fast_analysis([log], kb, None) == _plain_analysis([log], kb, None)


def test_a_cut_line_and_a_file_without_final_newline(tmp_path: Path) -> None:
    head = STOCK.format(ts="2026-11-27 10:00:00,000", thread="1", level="INFO", msg="x")
    blob = "A" * (3 << 20)
    text = "\r\n".join(
        [
            head,
            STOCK.format(ts="2026-11-27 10:00:01,000", thread="1", level="ERROR", msg=blob),
            "   at Somewhere()",
            STOCK.format(ts="2026-11-27 10:00:02,000", thread="1", level="INFO", msg="Email sent"),
        ]
    )
    log = tmp_path / "Rulemanager.log"
    log.write_text(text, encoding="utf-8", newline="")
    plain, fast = LogReading([log]), LogReading([log])
    assert [event_to_dict(e) for e in fast.events()] == [
        event_to_dict(e) for e in plain.events_by_record()
    ]
    assert fast.stats() == plain.stats()
    assert _reader_facts(fast) == _reader_facts(plain)
    assert fast.readers[0].cut_lines == 1


def test_rotated_set_and_utf16_read_the_same(tmp_path: Path, kb: KnowledgeBase) -> None:
    older = io.BytesIO()
    write_log(older, seed=31, target_bytes=300_000, failure_ratio=0.05)
    (tmp_path / "Rulemanager.log.1").write_bytes(older.getvalue())
    newer = io.BytesIO()
    write_log(newer, seed=32, target_bytes=200_000, failure_ratio=0.05, encoding="utf-16")
    (tmp_path / "Rulemanager.log").write_bytes(newer.getvalue())
    assert _fast_analysis([tmp_path], kb, None) == _plain_analysis([tmp_path], kb, None)


def test_the_diagnosis_key_lets_long_numbers_and_frames_share(kb: KnowledgeBase) -> None:
    keys = DiagnosisKeys(kb)
    assert keys.canonical_numbers  # the built-in rules have no regex conditions
    a = "Unable to send email for time bomb 499721\n" + FAILURE
    b = "Unable to send email for time bomb 382564\n" + FAILURE.rsplit("\n", 1)[0]
    assert keys.key(a) == keys.key(b)
    # Codes stay apart.
    c = a.replace("unexpected packet format.", "unexpected packet format. 535 5.7.8")
    assert keys.key(c) != keys.key(a)
    socket = a + "\n ---> System.Net.Sockets.SocketException (10060): timed out"
    assert keys.key(socket) != keys.key(socket.replace("10060", "10061"))


def test_parts_read_on_workers_give_the_same_events_and_counts(
    tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logdoctor.parallel as parallel
    import logdoctor.pipeline as pipeline

    log = _generated(tmp_path, "Rulemanager.log", seed=41, target_bytes=3 << 20, failure_ratio=0.05)
    # Small parts, so that configuration records and long records fall on part borders.
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(
        pipeline, "plan", lambda source, layout: parallel.plan(source, layout, part_bytes=200_000)
    )
    alone, parts = LogReading([log], workers=1), LogReading([log], workers=2)
    plan = parallel.plan(alone.sources[0], parallel.detect_source_layout(alone.sources[0]), 200_000)
    assert plan is not None and len(plan) > 10
    assert [event_to_dict(e) for e in parts.events()] == [event_to_dict(e) for e in alone.events()]
    assert parts.stats() == alone.stats()
    assert _reader_facts(parts) == _reader_facts(alone)
    on_workers = analyze_reading(LogReading([log], workers=2), kb)
    in_one = analyze_reading(LogReading([log], workers=1), kb)
    assert on_workers == in_one
    # The workers mark evidence that redaction leaves alone; the report is the same.
    assert any(e.kept for i in on_workers.incidents for e in i.evidence)
    assert not any(e.kept for i in in_one.incidents for e in i.evidence)
    assert "".join(contract_chunks(on_workers)) == "".join(contract_chunks(in_one))


@pytest.mark.parametrize(
    ("cores", "env", "expected"), [(1, "", 1), (2, "", 2), (16, "", 4), (16, "1", 1), (1, "3", 3)]
)
def test_worker_count_uses_the_cores_within_bounds(
    monkeypatch: pytest.MonkeyPatch, cores: int, env: str, expected: int
) -> None:
    import logdoctor.parallel as parallel

    monkeypatch.setattr(parallel.os, "cpu_count", lambda: cores)
    monkeypatch.setenv("LOGDOCTOR_WORKERS", env)
    assert parallel.worker_count() == expected


@pytest.mark.parametrize("ending", ["\r\n", ""], ids=["ended", "last-line-not-ended"])
def test_the_last_record_of_a_scan_comes_built(tmp_path: Path, ending: str) -> None:
    # `batch` holds the live file's last record back as provisional: it must never be hidden
    # inside a Span, whatever the region sizes.
    from logdoctor.fastpath import Span
    from logdoctor.records import RecordReader
    from logdoctor.sources import discover

    log = _generated(tmp_path, "Rulemanager.log", seed=23, target_bytes=1 << 20, failure_ratio=0.05)
    text = log.read_bytes()
    log.write_bytes(text.rstrip(b"\r\n") + ending.encode())
    source = discover([log])[0]
    plain = list(RecordReader(source))
    items = list(RecordReader(source).scan())
    assert any(isinstance(item, Span) and item.records > 1 for item in items)
    assert not isinstance(items[-1], Span)
    assert items[-1] == plain[-1]
    assert sum(i.records if isinstance(i, Span) else 1 for i in items) == len(plain)
