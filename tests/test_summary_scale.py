"""The nightly summary of a long history, kept flat: read from the store a page at a time, held
in spill files, redacted one incident at a time.  The files it writes must be the bytes that
the summary held all in memory (as `build_summary` and `redact_summary` were before) gives.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest

import logdoctor.spill as spill
from logdoctor.batch import run_batch
from logdoctor.kb.loader import load_kb
from logdoctor.lazyseq import LazySequence
from logdoctor.redact import redact_analysis
from logdoctor.report_model import Analysis, Incident
from logdoctor.samplegen import write_log
from logdoctor.store import Store
from logdoctor.summary import Summary, build_summary, redact_summary, write_summary

KB = load_kb()
DAY = date(2026, 11, 28)


def _held_in_memory(store: Store, lazy: Summary) -> Summary:
    """The summary as it was built before: every stored incident read, then sorted out."""
    new: list[Incident] = []
    ongoing: list[Incident] = []
    resolved: list[Incident] = []
    for stored in store.incidents():
        if stored.first_run == lazy.run_id:
            new.append(stored.incident)
        elif stored.resolved_run == lazy.run_id:
            resolved.append(stored.incident)
        elif stored.incident.status == "ongoing":
            ongoing.append(stored.incident)
    return dataclasses.replace(
        lazy, new=tuple(new), ongoing=tuple(ongoing), resolved=tuple(resolved)
    )


def _redacted_in_memory(summary: Summary) -> Summary:
    """The redaction as it was: one `redact_analysis` over all the summary's incidents."""
    everything = (*summary.new, *summary.ongoing, *summary.resolved)
    whole = Analysis(stats=summary.stats, incidents=everything, unrecognized=summary.unmatched)
    shown = redact_analysis(whole)
    a, b = len(summary.new), len(summary.new) + len(summary.ongoing)
    return dataclasses.replace(
        summary,
        new=shown.incidents[:a],
        ongoing=shown.incidents[a:b],
        resolved=shown.incidents[b:],
        unmatched=shown.unrecognized,
        stats=shown.stats,
        redacted=True,
    )


def _files(summary: Summary, out: Path) -> list[bytes]:
    return [p.read_bytes() for p in write_summary(summary, out)]


def test_a_spilled_summary_writes_the_same_files_as_one_held_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill, "KEEP_IN_MEMORY", 3)  # spill files even for a small log
    buf = io.BytesIO()
    write_log(buf, seed=52, target_bytes=400_000, failure_ratio=0.2)
    data = buf.getvalue()
    cut = data.find(b"\n" + data[:4], len(data) // 2) + 1
    live = tmp_path / "Rulemanager.log"
    live.write_bytes(data[:cut])
    seen_ongoing_or_resolved = 0
    with Store.open(tmp_path / "store.db") as store:
        for night in (1, 2):
            if night == 2:
                with live.open("ab") as fh:
                    fh.write(data[cut:])
            lazy = build_summary(store, run_batch([live], store, KB), day=DAY)
            held = _held_in_memory(store, lazy)
            assert isinstance(lazy.new, LazySequence)
            assert len(lazy.new) > 3 or night == 2
            seen_ongoing_or_resolved += len(lazy.ongoing) + len(lazy.resolved)
            plain = _files(held, tmp_path / f"held-{night}")
            assert _files(lazy, tmp_path / f"lazy-{night}") == plain
            shown = redact_summary(lazy)
            assert isinstance(shown.new, LazySequence)
            expected = _files(_redacted_in_memory(held), tmp_path / f"held-redacted-{night}")
            got = _files(shown, tmp_path / f"lazy-redacted-{night}")
            assert got == expected
            assert got != plain  # the log's addresses were there to redact
    assert seen_ongoing_or_resolved > 0


def test_the_store_report_reads_its_incidents_into_a_spill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `logdoctor report` over a year of history: the same incidents, in the same order, as
    # the store lists them, without holding them all.
    from logdoctor.summary import store_analysis

    monkeypatch.setattr(spill, "KEEP_IN_MEMORY", 3)
    buf = io.BytesIO()
    write_log(buf, seed=53, target_bytes=200_000, failure_ratio=0.2)
    log = tmp_path / "Rulemanager.log"
    log.write_bytes(buf.getvalue())
    with Store.open(tmp_path / "store.db") as store:
        run_batch([log], store, KB)
        analysis = store_analysis(store)
        assert isinstance(analysis.incidents, LazySequence) and len(analysis.incidents) > 3
        assert list(analysis.incidents) == [s.incident for s in store.incidents()]
