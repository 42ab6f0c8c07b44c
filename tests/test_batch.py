"""Issue 6: the nightly batch reads only what is new, loses nothing and counts nothing twice.

The reference for "right" is one `analyze` of the whole log: however the log was appended,
rotated, copy-truncated, compressed, or however a run was killed, the store must end up with the
same incidents and counts.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

from logdoctor.analysis import analyze_paths
from logdoctor.batch import run_batch
from logdoctor.kb.loader import load_kb
from logdoctor.report_model import Incident
from logdoctor.samplegen import write_log
from logdoctor.store import Store
from logdoctor.summary import build_summary, write_summary

KB = load_kb()
LOGGER = "FChoice.RuleManager.Email.EmailService"
STATS = ("records", "config_loads", "sends_ok", "sends_failed", "damaged_records", "first", "last")


# -- log text (stock log4net layout), written from reference/seed-kb-rulemanager-tls.txt ------


def config(ts: str, port: int = 587, mode: str = "OnConnect") -> str:
    return (
        f"{ts} [4] INFO  {LOGGER} - SMTP server configuration loaded: Host: smtp.office365.com, "
        f"Port: {port}, Enable SSL: Yes, SSL Mode: {mode}, Timeout: 10 seconds\r\n"
    )


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


def sent(ts: str, n: int) -> str:
    return f"{ts} [4] INFO  {LOGGER} - Email sent successfully to user{n}@example.com\r\n"


def chatter(ts: str, n: int) -> str:
    return f"{ts} [7] DEBUG FChoice.RuleManager.TimeBombProcessor - Time bomb {n} processed\r\n"


def generated(seed: int, size: int = 150_000, layout: str = "stock") -> bytes:
    buf = io.BytesIO()
    write_log(buf, seed=seed, target_bytes=size, failure_ratio=0.2, layout=layout)
    return buf.getvalue()


# -- comparing with analyze -------------------------------------------------------------------


def shape(incidents: tuple[Incident, ...] | list[Incident]) -> list[tuple[object, ...]]:
    return sorted(
        (i.category, i.count, i.status, str(i.first_seen), str(i.last_seen)) for i in incidents
    )


def assert_same_as_analyze(store: Store, paths: list[Path]) -> None:
    whole = analyze_paths(paths, kb=KB)
    assert whole.incidents, "the log should have incidents to compare"
    assert shape([s.incident for s in store.incidents()]) == shape(whole.incidents)
    stats = store.stats()
    for name in STATS:
        assert getattr(stats, name) == getattr(whole.stats, name), name
    assert dict(stats.by_level) == dict(whole.stats.by_level)
    got = sorted((u.group.fingerprint, u.group.count) for u in store.unrecognized())
    assert got == sorted((u.fingerprint, u.count) for u in whole.unrecognized)


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(data)


def record_boundary(data: bytes, at: int) -> int:
    """The start of the first record header at or after `at` (log4net rolls between records)."""
    cut = data.find(b"\n" + data[:4], at) + 1
    assert cut > 0
    return cut


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logdoctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
    )


# -- the exactness requirement ----------------------------------------------------------------


@pytest.mark.parametrize(("seed", "layout"), [(11, "stock"), (12, "sdk-tab")])
def test_pieces_cut_mid_line_and_rotation_give_what_analyze_gives(
    tmp_path: Path, seed: int, layout: str
) -> None:
    data = generated(seed, layout=layout)
    rng = random.Random(seed)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    rotate_at = record_boundary(data, len(data) // 2)
    with Store.open(tmp_path / "store.db") as store:
        pos = 0
        rotated = False
        while pos < len(data):
            end = min(len(data), pos + rng.randint(1, 12_000))
            if not rotated and end >= rotate_at:
                append(live, data[pos:rotate_at])
                run_batch([live], store, KB)
                live.rename(logs / "Rulemanager.log.1")
                rotated, pos = True, rotate_at
                continue
            append(live, data[pos:end])
            pos = end
            run_batch([live], store, KB)
            # After every run, not only at the end: the last record, perhaps cut mid-line, is
            # shown as it is now and counted again (not twice) by the next run.
            assert_same_as_analyze(store, [logs])


def test_a_big_stretch_read_on_workers_gives_what_analyze_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first run over a long history reads the final records of a big file on the workers,
    # and the rest (the live file's last record) here.  Small thresholds make small parts.
    import logdoctor.batch as batch_module
    import logdoctor.parallel as parallel

    monkeypatch.setenv("LOGDOCTOR_WORKERS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 20_000)
    monkeypatch.setattr(parallel, "PART_BYTES", 8192)
    stretches: list[int] = []
    real = batch_module._stretch

    def spy(plan: object, workers: int) -> object:
        found = real(plan, workers)  # type: ignore[arg-type]
        if found is not None:
            stretches.append(len(found.parts))
        return found

    monkeypatch.setattr(batch_module, "_stretch", spy)
    data = generated(13, size=300_000)
    rng = random.Random(13)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    rotate_at = record_boundary(data, len(data) * 2 // 3)
    with Store.open(tmp_path / "store.db") as store:
        pos = 0
        cut = len(data) * 2 // 5  # mid-line, most likely: the first run's last record is cut
        while pos < len(data):
            end = min(len(data), cut)
            if pos < rotate_at <= end:
                append(live, data[pos:rotate_at])
                run_batch([live], store, KB)
                live.rename(logs / "Rulemanager.log.1")
                pos = rotate_at
            else:
                append(live, data[pos:end])
                pos = end
                run_batch([live], store, KB)
                assert_same_as_analyze(store, [logs])
                # Line numbers and settings too: each part starts at the line its offset has.
                whole = analyze_paths([logs], kb=KB)
                assert _details([s.incident for s in store.incidents()]) == _details(
                    whole.incidents
                )
            cut = pos + rng.choice([rng.randint(1, 3_000), rng.randint(20_000, 60_000)])
    assert len(stretches) >= 2 and max(stretches) >= 4


def _details(incidents: list[Incident] | tuple[Incident, ...]) -> list[tuple[object, ...]]:
    return sorted(
        (
            str(i.first_seen),
            i.category,
            i.count,
            # Not the path: the store keeps the name a file had when it was read.
            tuple((e.line, e.text) for e in i.evidence),
            repr(i.settings),
        )
        for i in incidents
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system")
def test_a_run_killed_at_a_random_moment_changes_nothing(tmp_path: Path) -> None:
    data = generated(21, size=400_000)
    rng = random.Random(21)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    db = tmp_path / "store.db"
    cuts = sorted(rng.sample(range(1, len(data)), 5))
    rotate_at = record_boundary(data, cuts[2])
    pieces = [(0, cuts[0]), (cuts[0], cuts[1]), (cuts[1], rotate_at)]
    pieces += [(rotate_at, cuts[3]), (cuts[3], cuts[4]), (cuts[4], len(data))]
    with Store.open(db) as store:
        for n, (start, end) in enumerate(pieces):
            append(live, data[start:end])
            if n == 3:
                # The big piece after the rotation is read by a run that is killed somewhere:
                # while starting, reading, committing, or just after.
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "logdoctor",
                        "batch",
                        str(live),
                        "--db",
                        str(db),
                        "--out",
                        str(tmp_path / "out"),
                        "-q",
                        "--no-redact",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(rng.uniform(0.3, 2.5))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            run_batch([live], store, KB)
            if end == rotate_at:
                live.rename(logs / "Rulemanager.log.1")
        assert_same_as_analyze(store, [logs])


def test_a_commit_that_fails_halfway_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = generated(31, size=60_000)
    live = tmp_path / "Rulemanager.log"
    half = record_boundary(data, len(data) // 2)
    live.write_bytes(data[:half])
    with Store.open(tmp_path / "store.db") as store:
        run_batch([live], store, KB)
        before = (store.stats(), shape([s.incident for s in store.incidents()]), store.runs())
        assert before[0].records > 0
        append(live, data[half:])

        def broken(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(Store, "_upsert_unrecognized", broken)
        monkeypatch.setattr(Store, "_upsert_incidents", broken)
        with pytest.raises(OSError):
            run_batch([live], store, KB)
        assert (store.stats(), shape([s.incident for s in store.incidents()]), store.runs()) == (
            before
        )
        monkeypatch.undo()
        run_batch([live], store, KB)
        assert_same_as_analyze(store, [live])


def test_each_incidents_runs_are_kept_when_written_in_many_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Incidents are written in bulk slices; what the summary reads of each (the run that
    # first saw it, last changed it, resolved it) must be what a row-by-row write gives.
    import logdoctor.store as store_module

    monkeypatch.setattr(store_module, "_IN_CHUNK", 7)
    data = generated(41)
    live = tmp_path / "Rulemanager.log"
    half = record_boundary(data, len(data) // 2)
    live.write_bytes(data[:half])
    with Store.open(tmp_path / "store.db") as store:
        one = run_batch([live], store, KB).run_id
        first = {s.key: s for s in store.incidents()}
        append(live, data[half:])
        two = run_batch([live], store, KB).run_id
        second = store.incidents()
        grown = 0
        for s in second:
            before = first.get(s.key)
            if before is None:
                assert (s.first_run, s.last_run) == (two, two)
                assert s.resolved_run == (two if s.incident.status == "resolved" else None)
                continue
            assert s.first_run == one
            changed = s.incident.count != before.incident.count
            grown += changed
            assert s.last_run == (two if changed else before.last_run)
            if before.incident.status == "resolved":
                assert s.resolved_run == before.resolved_run
            else:
                assert s.resolved_run == (two if s.incident.status == "resolved" else None)
        assert len(first) > 3 * 7 and len(second) > len(first)
        assert grown > 0
        assert_same_as_analyze(store, [live])


# -- rotation styles ---------------------------------------------------------------------------


def test_copy_truncate_reads_the_copy_on_and_the_truncated_file_from_the_start(
    tmp_path: Path,
) -> None:
    data = generated(41, size=120_000)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    first = len(data) // 3
    second = record_boundary(data, 2 * len(data) // 3)
    with Store.open(tmp_path / "store.db") as store:
        live.write_bytes(data[:first])
        run_batch([live], store, KB)
        append(live, data[first:second])
        # logrotate copytruncate: copy the file, then cut the original to nothing in place.
        shutil.copyfile(live, logs / "Rulemanager.log.1")
        with live.open("r+b") as fh:
            fh.truncate(0)
        append(live, data[second:])
        result = run_batch([live], store, KB)
        assert_same_as_analyze(store, [logs])
    assert any("read from the start" in note for note in result.notes)


def test_compressed_rotated_file_already_read_is_not_counted_again(tmp_path: Path) -> None:
    data = generated(51, size=100_000)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    cut = record_boundary(data, len(data) // 2)
    with Store.open(tmp_path / "store.db") as store:
        live.write_bytes(data[:cut])
        run_batch([live], store, KB)
        live.rename(logs / "Rulemanager.log.1")
        live.write_bytes(data[cut:])
        run_batch([live], store, KB)
        counted = store.stats().records
        # logrotate's delaycompress, a night later: the .1 file is compressed.
        rotated = logs / "Rulemanager.log.1"
        (logs / "Rulemanager.log.1.gz").write_bytes(gzip.compress(rotated.read_bytes()))
        both = run_batch([live], store, KB)  # the .gz and the file side by side
        rotated.unlink()
        only_gz = run_batch([live], store, KB)
        again = run_batch([live], store, KB)
        assert store.stats().records == counted
        assert any("same content as" in note for note in both.notes)
        assert not any("same content" in note for note in (*only_gz.notes, *again.notes))
        assert_same_as_analyze(store, [logs / "Rulemanager.log.1.gz", live])


def test_vanished_file_is_forgotten_and_named(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "Rulemanager.log"
    old = logs / "Rulemanager.log.1"
    old.write_text(config("2026-11-20 08:00:00,000") + chatter("2026-11-20 08:00:01,000", 1))
    live.write_text(chatter("2026-11-20 09:00:00,000", 2))
    with Store.open(tmp_path / "store.db") as store:
        run_batch([live], store, KB)
        old.unlink()
        result = run_batch([live], store, KB)
        assert any(n.startswith(str(old)) and "gone" in n for n in result.notes)
        assert [f.path for f in store.files(next(iter(_set_keys(store))))] == [str(live)]


def _set_keys(store: Store) -> list[str]:
    import sqlalchemy as sa

    from logdoctor.store import sets_table

    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(sets_table.c.key))]


# -- incidents across nights ------------------------------------------------------------------


def test_last_nights_ongoing_incident_continues_then_resolves(tmp_path: Path) -> None:
    live = tmp_path / "Rulemanager.log"
    night1 = config("2026-11-26 08:00:00,000") + "".join(
        handshake(f"2026-11-26 08:{m:02d}:00,000") for m in range(1, 4)
    )
    live.write_text(night1 + chatter("2026-11-26 23:00:00,000", 1), newline="")
    out = tmp_path / "out"
    with Store.open(tmp_path / "store.db") as store:
        s1 = build_summary(store, run_batch([live], store, KB))
        (incident,) = [s.incident for s in store.incidents()]
        assert (incident.status, incident.count) == ("ongoing", 3)
        append(live, "".join(handshake(f"2026-11-27 09:{m:02d}:00,000") for m in range(4)).encode())
        append(live, chatter("2026-11-27 23:00:00,000", 2).encode())
        s2 = build_summary(store, run_batch([live], store, KB))
        (again,) = [s.incident for s in store.incidents()]
        assert again.id == incident.id
        assert (again.status, again.count) == ("ongoing", 7)
        append(live, sent("2026-11-28 10:00:00,000", 1).encode())
        append(live, chatter("2026-11-28 23:00:00,000", 3).encode())
        s3 = build_summary(store, run_batch([live], store, KB), day=date(2026, 11, 28))
        (done,) = [s.incident for s in store.incidents()]
        assert (done.id, done.status, done.count) == (incident.id, "resolved", 7)
        assert [len(s.new) for s in (s1, s2, s3)] == [1, 0, 0]
        assert [len(s.ongoing) for s in (s1, s2, s3)] == [0, 1, 0]
        assert [len(s.resolved) for s in (s1, s2, s3)] == [0, 0, 1]
        write_summary(s3, out)
    summary = json.loads((out / "summary-2026-11-28.json").read_text(encoding="utf-8"))
    assert summary["resolved"][0]["id"] == incident.id
    assert summary["resolved"][0]["count"] == 7
    days = {(r["date"], r["category"]): r["count"] for r in summary["by_day"]}
    assert days == {
        ("2026-11-26", "tls.implicit_on_plain_port"): 3,
        ("2026-11-27", "tls.implicit_on_plain_port"): 4,
    }


# -- the command -------------------------------------------------------------------------------


def weird(ts: str, n: int) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        f"send an email to ops{n}@example.com ---> MailBee.MailBeeException: Flux capacitor "
        f"{n} misaligned.\r\n"
    )


def test_batch_command_writes_the_nights_summary_files(tmp_path: Path) -> None:
    live = tmp_path / "Rulemanager.log"
    text = config("2026-11-27 08:00:00,000")
    text += "".join(handshake(f"2026-11-27 08:{m:02d}:00,000") for m in range(1, 3))
    text += "".join(weird(f"2026-11-27 09:{m:02d}:00,000", m) for m in range(1, 4))
    text += chatter("2026-11-27 23:00:00,000", 1)
    live.write_text(text, newline="")
    db, out = tmp_path / "store.db", tmp_path / "out"
    args = ("batch", str(live), "--db", str(db), "--out", str(out))
    result = cli(*args, "--fail-on", "error", "--format", "json")
    assert result.returncode == 1, result.stderr  # an ongoing critical incident
    printed = json.loads(result.stdout)
    stem = f"summary-{date.today().isoformat()}"
    written = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    assert printed == written
    assert {"new", "ongoing", "resolved", "by_day", "unrecognized", "stats"} <= written.keys()
    (incident,) = written["new"]
    assert (incident["category"], incident["count"]) == ("tls.implicit_on_plain_port", 2)
    assert written["stats"]["sends_failed"] == 5
    (unmatched,) = written["unrecognized"]
    assert unmatched["count"] == 3 and "Flux capacitor" in unmatched["example"]
    assert "ops1@example.com" not in (out / f"{stem}.json").read_text(encoding="utf-8")
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Failures per day by category" in html
    assert "Unmatched" in html and "Flux capacitor" in html
    markdown = (out / f"{stem}.md").read_text(encoding="utf-8")
    assert "## New" in markdown and "Unmatched" in markdown
    # The next night: nothing new was logged, the incident is still going on.
    again = cli(*args, "--format", "json")
    assert again.returncode == 0, again.stderr
    later = json.loads(again.stdout)
    assert later["new"] == [] and [i["id"] for i in later["ongoing"]] == [incident["id"]]
    assert later["stats"] == written["stats"]


def test_second_batch_on_the_same_store_waits_then_says_why(tmp_path: Path) -> None:
    live = tmp_path / "Rulemanager.log"
    live.write_text(config("2026-11-27 08:00:00,000"), newline="")
    db = tmp_path / "store.db"
    with FileLock(f"{db}.lock"):  # a first batch that is still running
        started = time.monotonic()
        result = cli("batch", str(live), "--db", str(db), "--out", str(tmp_path), "--wait", "1")
        waited = time.monotonic() - started
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"logdoctor: another logdoctor batch is running on {db}"]
    assert waited >= 1.0
    assert not list(tmp_path.glob("summary-*"))


def test_batch_on_a_missing_log_is_one_line_exit_2(tmp_path: Path) -> None:
    result = cli("batch", str(tmp_path / "no" / "Rulemanager.log"), "--db", str(tmp_path / "s.db"))
    assert result.returncode == 2
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert "Rulemanager.log" in result.stderr and "Traceback" not in result.stderr
