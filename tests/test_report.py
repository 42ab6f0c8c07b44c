"""`logdoctor report`: the store's incidents in the shapes of `analyze`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROTATED = ROOT / "samples" / "rotated"
LOGGER = "FChoice.RuleManager.Email.EmailService"
COMPARED = ("id", "rule", "category", "severity", "status", "first_seen", "last_seen", "count")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logdoctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store that a batch filled from the rotated sample set, and the logs it read."""
    base = tmp_path_factory.mktemp("report")
    logs = base / "logs"
    shutil.copytree(ROTATED, logs)
    db = base / "store.db"
    result = cli("batch", str(logs / "Rulemanager.log"), "--db", str(db), "--out", str(base), "-q")
    assert result.returncode == 0, result.stderr
    return db, logs


def test_report_json_is_what_analyze_says(filled: tuple[Path, Path]) -> None:
    db, logs = filled
    report = cli("report", "--db", str(db), "--format", "json")
    analyze = cli("analyze", str(logs), "--format", "json")
    assert report.returncode == 0 and analyze.returncode == 0, report.stderr + analyze.stderr
    got, want = json.loads(report.stdout), json.loads(analyze.stdout)
    assert want["incidents"]
    assert [{k: i[k] for k in COMPARED} for i in got["incidents"]] == [
        {k: i[k] for k in COMPARED} for i in want["incidents"]
    ]
    assert [i["config"] for i in got["incidents"]] == [i["config"] for i in want["incidents"]]
    for key in ("records", "config_loads", "sends_ok", "sends_failed", "damaged_records"):
        assert got["stats"][key] == want["stats"][key], key
    assert {"logdoctor_version", "sources", "incidents", "unrecognized", "stats"} <= got.keys()
    # Each file with the records read and the layout named as `analyze` names it (the live
    # file is short: its layout is still a first guess, which the store does not keep).
    by_name = {Path(s["path"]).name: s for s in want["sources"]}
    decided = [s for s in got["sources"] if s["layout"]]
    assert len(decided) == 2
    for source in got["sources"]:
        same = by_name[Path(source["path"]).name]
        assert source["records"] == same["records"]
        assert source["layout"] in ("", same["layout"])
    assert {s["layout"] for s in decided} == {"Dovetail SDK (tab)"}


def test_since_leaves_out_incidents_that_ended_before(filled: tuple[Path, Path]) -> None:
    db, _ = filled
    everything = json.loads(cli("report", "--db", str(db), "--format", "json").stdout)
    last = max(i["last_seen"] for i in everything["incidents"])
    later = cli("report", "--db", str(db), "--format", "json", "--since", "2026-11-25T00:00")
    assert later.returncode == 0, later.stderr
    assert last < "2026-11-25"
    assert json.loads(later.stdout)["incidents"] == []


def test_markdown_html_and_text_reports(filled: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = filled
    markdown = cli("report", "--db", str(db), "--format", "markdown")
    assert markdown.returncode == 0 and markdown.stdout.startswith("# ")
    assert "auth.app_password_required" in markdown.stdout
    out = tmp_path / "report.html"
    html = cli("report", "--db", str(db), "--format", "html", "-o", str(out))
    assert html.returncode == 0
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    text = cli("report", "--db", str(db))
    assert text.returncode == 0 and "Gmail wants an App Password" in text.stdout


def test_report_redacts_addresses_unless_asked(tmp_path: Path) -> None:
    log = tmp_path / "Rulemanager.log"
    log.write_text(
        f"2026-11-27 08:00:00,000 [4] INFO  {LOGGER} - SMTP server configuration loaded: "
        "Host: smtp.office365.com, Port: 587, Enable SSL: Yes, SSL Mode: UseStartTls, "
        "Timeout: 10 seconds\r\n"
        f"2026-11-27 08:01:00,000 [4] ERROR {LOGGER} - FChoice.RuleManager."
        "NonFatalEmailServiceException: Failed to send an email ---> MailBee.SmtpMail."
        "MailBeeSmtpNegativeResponseException: The server responded: 550 5.1.1 "
        "<jane.doe@contoso.com>: Recipient address rejected: User unknown\r\n",
        newline="",
    )
    db = tmp_path / "store.db"
    assert cli("batch", str(log), "--db", str(db), "--out", str(tmp_path), "-q").returncode == 0
    shown = cli("report", "--db", str(db), "--format", "json")
    raw = cli("report", "--db", str(db), "--format", "json", "--no-redact")
    assert "recipient.rejected" in shown.stdout
    assert "jane.doe@contoso.com" not in shown.stdout
    assert "jane.doe@contoso.com" in raw.stdout
    assert json.loads(shown.stdout)["redacted"] is True


def test_report_without_a_store_is_one_line_exit_2(tmp_path: Path) -> None:
    result = cli("report", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing.db" in lines[0] and "logdoctor batch" in lines[0]
    assert not (tmp_path / "missing.db").exists()
