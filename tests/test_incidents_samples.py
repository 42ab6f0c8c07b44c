"""Issue 5: every committed sample gives exactly the incidents its generator meant.

The expected incidents are the generator's own bookkeeping (samples/MANIFEST.json), written
while it produced the log, never read back from logdoctor's output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from logdoctor.analysis import analyze_paths
from logdoctor.kb.loader import load_kb
from logdoctor.report_model import Analysis

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MANIFEST = json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))
KB = load_kb()


def shape(analysis: Analysis) -> list[tuple[str, int, str, int | None, str | None]]:
    return sorted(
        (
            i.category,
            i.count,
            i.status,
            i.settings.port if i.settings else None,
            i.settings.ssl_mode if i.settings else None,
        )
        for i in analysis.incidents
    )


def expected(entry: dict[str, Any]) -> list[tuple[str, int, str, int | None, str | None]]:
    return sorted(
        (i["category"], i["count"], i["status"], i["settings"]["port"], i["settings"]["ssl_mode"])
        for i in entry["incidents"]
    )


def layout_of(entry: dict[str, Any]) -> str | None:
    return entry["layout"] if entry["layout_name"] == "custom" else None


SINGLE = [f for f in MANIFEST["files"] if "member" not in f and "/" not in f["path"]]


@pytest.mark.parametrize("entry", SINGLE, ids=[f["path"] for f in SINGLE])
def test_single_file_incidents(entry: dict[str, Any]) -> None:
    analysis = analyze_paths([SAMPLES / entry["path"]], kb=KB, layout=layout_of(entry))
    assert shape(analysis) == expected(entry)
    assert analysis.unrecognized == ()


def test_gzip_sample_incidents() -> None:
    entry = next(f for f in MANIFEST["files"] if f["path"].endswith(".gz"))
    analysis = analyze_paths([SAMPLES / entry["path"]], kb=KB, layout=layout_of(entry))
    assert shape(analysis) == expected(entry)


@pytest.mark.parametrize("entry", MANIFEST["sets"], ids=[s["path"] for s in MANIFEST["sets"]])
def test_rotated_set_incidents_newest_first(entry: dict[str, Any]) -> None:
    base = SAMPLES / entry["path"]
    paths = (
        [base / m for m in reversed(entry["members"])] if entry["container"] == "dir" else [base]
    )
    analysis = analyze_paths(paths, kb=KB, layout=layout_of(entry))
    assert shape(analysis) == expected(entry)


def test_only_successes_means_no_incident() -> None:
    for entry in SINGLE:
        if entry["path"].startswith("good-"):
            analysis = analyze_paths([SAMPLES / entry["path"]], kb=KB, layout=layout_of(entry))
            assert analysis.incidents == (), entry["path"]
            assert analysis.stats.sends_ok > 0


def test_incident_ids_are_stable_across_runs() -> None:
    first = analyze_paths([SAMPLES / "Rulemanager.log"], kb=KB)
    again = analyze_paths([SAMPLES / "Rulemanager.log"], kb=KB)
    assert [i.id for i in first.incidents] == [i.id for i in again.incidents]
    assert len({i.id for i in first.incidents}) == len(first.incidents)


def test_resolved_incident_says_by_what() -> None:
    analysis = analyze_paths([SAMPLES / "office365-onconnect-587.log"], kb=KB)
    (incident,) = analysis.incidents
    assert incident.status == "resolved"
    assert incident.resolved_by is not None
    assert "settings changed" in incident.resolved_by and "mail was sent" in incident.resolved_by


def test_evidence_points_at_the_failure_record() -> None:
    path = SAMPLES / "tls-onconnect-port25.log"
    analysis = analyze_paths([path], kb=KB)
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    for incident in analysis.incidents:
        for ev in incident.evidence:
            assert ev.text.splitlines()[0].strip() in lines[ev.line - 1] or (
                ev.text.splitlines()[0].strip() in lines[ev.line]
            )


def test_unrelated_logs_read_together_keep_their_own_incidents() -> None:
    """A success in one log must not resolve an incident of another, nor split a rotated set."""
    rotated = next(s for s in MANIFEST["sets"] if s["container"] == "dir")
    showcase = next(f for f in MANIFEST["files"] if f["path"] == "Rulemanager.log")
    together = analyze_paths([SAMPLES / rotated["path"], SAMPLES / showcase["path"]], kb=KB)
    assert shape(together) == sorted(expected(rotated) + expected(showcase))
