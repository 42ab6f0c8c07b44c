"""The sample-log generator: deterministic, honest about what it wrote, covering the article.

The byte-level checks below re-count from the written bytes with their own regular
expressions, so they do not trust the manifest they compare with.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from logdoctor.samplegen import generate, write_log

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MANIFEST: dict[str, Any] = json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))
FILES: list[dict[str, Any]] = MANIFEST["files"]

# Record headers per layout, written from the log4net patterns, not from the generator.
HEADERS = {
    "%date [%thread] %-5level %logger - %message%newline": (
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[[^\]]+\] (?:DEBUG|INFO |WARN |ERROR|FATAL) \S+ - "
    ),
    "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\t%m%n%n": (
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[user: [^\]]*\] \[fcsessionid: [0-9a-f-]{36}\] "
        r"\[(?:DEBUG|INFO |WARN |ERROR|FATAL)\] \[[\w.]+\]$"
    ),
    "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n  %m%n%n": (
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[user: [^\]]*\] \[fcsessionid: [0-9a-f-]{36}\] "
        r"\[(?:DEBUG|INFO |WARN |ERROR|FATAL)\] \[[\w.]+\]$"
    ),
    "%utcdate{yyyy-MM-dd HH:mm:ss.fff} %-5level [%thread] %logger{2}: %message%newline": (
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (?:DEBUG|INFO |WARN |ERROR|FATAL) \[[^\]]+\] "
        r"[\w]+\.[\w]+: "
    ),
    "%date{dd/MM/yyyy HH:mm:ss} | %-5p | %c | %m%n": (
        r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d \| (?:DEBUG|INFO |WARN |ERROR|FATAL) \| [\w.]+ \| "
    ),
}
FAILURE_MARK = re.compile(r"(?:Fatal|NonFatal)EmailServiceException")


def raw_bytes(entry: dict[str, Any], root: Path = SAMPLES) -> bytes:
    """The log bytes an entry describes: decompressed, or the zip member."""
    data = (root / str(entry["path"])).read_bytes()
    if entry.get("compression") == "gzip":
        return gzip.decompress(data)
    if entry.get("compression") == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read(str(entry["member"]))
    return data


def decode(entry: dict[str, Any], data: bytes) -> str:
    enc = entry["encoding"]
    if enc == "utf-16-le":
        assert data[:2] == b"\xff\xfe"
        return data[2:].decode("utf-16-le")
    if enc == "utf-8-sig":
        assert data[:3] == b"\xef\xbb\xbf"
        return data[3:].decode("utf-8")
    return data.decode(enc)


def records(text: str, pattern: str) -> list[str]:
    """Split a log into record texts at the header lines of its layout."""
    header = re.compile(HEADERS[pattern], re.MULTILINE)
    starts = [m.start() for m in header.finditer(text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    generate(out)
    return out


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_regenerating_gives_the_committed_samples_byte_for_byte(regenerated: Path) -> None:
    assert _tree(regenerated) == _tree(SAMPLES)
    for rel in sorted(_tree(SAMPLES)):
        new, old = (regenerated / rel).read_bytes(), (SAMPLES / rel).read_bytes()
        if rel.endswith(".gz") and new != old:
            # Another zlib build may deflate differently; the content must still be identical.
            assert gzip.decompress(new) == gzip.decompress(old), rel
        elif rel.endswith(".zip") and new != old:
            with zipfile.ZipFile(io.BytesIO(new)) as a, zipfile.ZipFile(io.BytesIO(old)) as b:
                assert [(i.filename, i.date_time) for i in a.infolist()] == [
                    (i.filename, i.date_time) for i in b.infolist()
                ]
                for name in a.namelist():
                    assert a.read(name) == b.read(name), f"{rel}!{name}"
        else:
            assert new == old, f"{rel} differs from a fresh generation"


def test_samples_are_small() -> None:
    sizes = {p: p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()}
    assert all(size < 200_000 for size in sizes.values()), sizes
    assert sum(sizes.values()) < 2_000_000


@pytest.mark.parametrize("entry", FILES, ids=lambda e: e["path"] + e.get("member", ""))
def test_bytes_are_what_the_manifest_says(entry: dict[str, Any]) -> None:
    data = raw_bytes(entry)
    assert len(data) == entry["bytes"]
    assert data.startswith(b"\xef\xbb\xbf") == (entry["encoding"] == "utf-8-sig")
    assert data.startswith(b"\xff\xfe") == (entry["encoding"] == "utf-16-le")
    text = decode(entry, data)
    crlf = text.count("\r\n")
    lone_lf = text.count("\n") - crlf
    assert (crlf, lone_lf) == (entry["crlf"], entry["lf"])
    assert {"crlf": lone_lf == 0, "lf": crlf == 0, "mixed": crlf > 0 and lone_lf > 0}[
        entry["line_ends"]
    ]
    if entry["encoding"] == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert "Müller" in text

    text = text.replace("\r\n", "\n")
    recs = records(text, entry["layout"])
    assert len(recs) == entry["records"] - entry["damaged_records"]
    leading = text[: text.find(recs[0])] if recs else text
    assert bool(leading.strip()) == (entry["damaged_records"] == 1)
    failed = [r for r in recs if FAILURE_MARK.search(r)]
    assert len(failed) == entry["sends_failed"]
    levels: dict[str, int] = {}
    for r in recs:
        level = re.search(r"DEBUG|INFO|WARN|ERROR|FATAL", r)
        assert level is not None
        levels[level.group()] = levels.get(level.group(), 0) + 1
    assert levels == entry["by_level"]
    assert sum("SMTP server configuration loaded" in r for r in recs) == entry["config_loads"]


def test_sdk_layout_indents_only_the_first_message_line() -> None:
    entry = next(f for f in FILES if f["path"] == "Rulemanager.log")
    text = decode(entry, raw_bytes(entry)).replace("\r\n", "\n")
    failure = next(r for r in records(text, entry["layout"]) if FAILURE_MARK.search(r))
    lines = failure.split("\n")
    assert lines[1].startswith("\t")
    assert any(line.startswith("   at ") for line in lines[2:])
    assert failure.endswith("\n\n")


def _all_incidents() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = [(f, i) for f in FILES for i in f["incidents"]]
    out += [(s, i) for s in MANIFEST["sets"] for i in s["incidents"]]
    return out


ARTICLE_FAILURES = [
    ("(1)", "tls.implicit_on_plain_port", "localhost", 25, "OnConnect", "unexpected packet format"),
    ("(2)", "tls.starttls_on_implicit_port", "localhost", 465, "UseStartTls", "timed out"),
    (
        "(3)",
        "tls.starttls_on_implicit_port",
        "smtp.gmail.com",
        465,
        "UseStartTlsIfSupported",
        "aborted by remote host",
    ),
    ("(4)", "auth.bad_credentials", "smtp.gmail.com", None, None, "5.7.8"),
    ("(5)", "tls.implicit_on_plain_port", "smtp.office365.com", 587, "OnConnect", "packet format"),
    (
        "(6)",
        "network.filtering",
        "smtp.office365.com",
        587,
        "UseStartTls",
        "forcibly closed by the remote host",
    ),
]


@pytest.mark.parametrize(("label", "category", "host", "port", "mode", "phrase"), ARTICLE_FAILURES)
def test_every_article_failure_is_in_some_sample(
    label: str, category: str, host: str, port: int | None, mode: str | None, phrase: str
) -> None:
    hits = [
        f
        for f, i in _all_incidents()
        if i["category"] == category
        and i["settings"]["host"] == host
        and (port is None or i["settings"]["port"] == port)
        and (mode is None or i["settings"]["ssl_mode"] == mode)
        and "member" not in f
        and "members" not in f
    ]
    assert hits, f"article scenario {label} is not covered"
    texts = [decode(f, raw_bytes(f)) for f in hits]
    assert any(phrase in t for t in texts)


@pytest.mark.parametrize(
    ("host", "port", "mode"),
    [
        (None, 465, "OnConnect"),
        (None, 587, "UseStartTls"),
        ("smtp.gmail.com", 465, "OnConnect"),
        ("smtp.office365.com", 587, "UseStartTls"),
    ],
)
def test_every_good_configuration_has_a_log_with_only_successes(
    host: str | None, port: int, mode: str
) -> None:
    good = [
        f
        for f in FILES
        if f["sends_failed"] == 0
        and f["sends_ok"] > 0
        and any(
            c["port"] == port and c["ssl_mode"] == mode and (host is None or c["host"] == host)
            for c in f["configs"]
        )
    ]
    assert good


def test_beyond_the_article() -> None:
    categories = {i["category"] for _, i in _all_incidents()}
    assert {
        "auth.basic_disabled",
        "tls.protocol_mismatch",
        "network.dns",
        "network.timeout",
        "recipient.rejected",
    } <= categories
    # A wrong mode fixed by a config reload, then mail flows: resolved under the wrong mode.
    fixed = [
        i
        for f, i in _all_incidents()
        if i["status"] == "resolved" and i["settings"]["ssl_mode"] == "OnConnect"
    ]
    assert fixed
    # Worked for days, then timed out: successes before the first failure.
    timeout = next(f for f, i in _all_incidents() if i["category"] == "network.timeout")
    assert timeout["sends_ok"] > 20 and timeout["incidents"][0]["status"] == "ongoing"


def test_layouts_encodings_and_damage_are_all_present() -> None:
    assert {f["layout_name"] for f in FILES} >= {
        "log4net stock",
        "Dovetail SDK (tab)",
        "Dovetail SDK (2 spaces)",
        "custom",
    }
    assert {f["encoding"] for f in FILES} >= {"utf-8", "utf-8-sig", "cp1252", "utf-16-le"}
    assert {f["line_ends"] for f in FILES} == {"crlf", "lf", "mixed"}
    assert any(f["damaged_records"] == 1 for f in FILES)
    rotated = sorted(f["path"] for f in FILES if f.get("set") == "rotated")
    assert rotated == [
        "rotated/Rulemanager.log",
        "rotated/Rulemanager.log.1",
        "rotated/Rulemanager.log.2",
    ]


def _stream(ratio: float, varied: bool, layout: str) -> tuple[bytes, list[str]]:
    buf = io.BytesIO()
    write_log(buf, seed=3, target_bytes=600_000, failure_ratio=ratio, layout=layout, varied=varied)
    data = buf.getvalue()
    pattern = {
        "stock": "%date [%thread] %-5level %logger - %message%newline",
        "sdk-tab": "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\t%m%n%n",
    }[layout]
    return data, records(data.decode("utf-8").replace("\r\n", "\n"), pattern)


@pytest.mark.parametrize(("ratio", "layout"), [(0.01, "stock"), (0.5, "sdk-tab")])
def test_streaming_writer_honours_size_and_failure_ratio(ratio: float, layout: str) -> None:
    data, recs = _stream(ratio, True, layout)
    assert abs(len(data) - 600_000) <= 0.05 * 600_000
    failed = [r for r in recs if FAILURE_MARK.search(r)]
    assert abs(len(failed) / len(recs) - ratio) < 0.03
    if ratio >= 0.5:
        bodies = [r.split("\n", 1)[1] for r in failed]
        assert len(set(bodies)) == len(bodies), "varied failures must all differ"


def test_streaming_writer_repeats_texts_when_not_varied() -> None:
    _, recs = _stream(0.5, False, "sdk-tab")
    bodies = {r.split("\n", 1)[1] for r in recs if FAILURE_MARK.search(r)}
    assert 1 < len(bodies) <= 10


def test_streaming_writer_is_deterministic() -> None:
    a, b = io.BytesIO(), io.BytesIO()
    write_log(a, seed=11, target_bytes=50_000, failure_ratio=0.2, layout="custom-pipe")
    write_log(b, seed=11, target_bytes=50_000, failure_ratio=0.2, layout="custom-pipe")
    assert a.getvalue() == b.getvalue()
