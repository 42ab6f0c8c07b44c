"""Incidents spilled to a temporary file come back as the same analysis, in the same order."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logdoctor.spill as spill_module
from logdoctor.analysis import analyze_reading
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.pipeline import LogReading
from logdoctor.render.jsonout import contract_chunks
from logdoctor.samplegen import write_log
from logdoctor.spill import SpilledIncidents, packed_key


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def _log(path: Path, seed: int, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_log(out, seed=seed, target_bytes=size, failure_ratio=0.2, varied=True)
    return path


def test_spilled_incidents_are_the_ones_kept_in_memory(
    tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A few kept in memory, the rest written out: both kinds in one sequence.
    monkeypatch.setattr(spill_module, "KEEP_IN_MEMORY", 25)
    # Two unrelated logs read together: two builders share the spill, and their incidents
    # interleave in time, so the merge order is tested too.
    # The third is a copy of the first: its incidents tie with the first one's on time and
    # line, and must still come in the order the sets were read.
    logs = [
        _log(tmp_path / "a" / "Rulemanager.log", 1, 400_000),
        _log(tmp_path / "b" / "Rulemanager.log", 2, 300_000),
        _log(tmp_path / "c" / "Rulemanager.log", 1, 400_000),
    ]
    kept = analyze_reading(LogReading(logs), kb)
    spilled = analyze_reading(LogReading(logs), kb, spill=True)
    assert isinstance(spilled.incidents, SpilledIncidents)
    assert len(kept.incidents) > 100  # enough to interleave, close and stay open
    assert {i.status for i in kept.incidents} == {"ongoing", "resolved"}
    assert list(spilled.incidents) == list(kept.incidents)
    assert spilled == kept
    assert "".join(contract_chunks(spilled)) == "".join(contract_chunks(kept))


def test_spilled_incidents_index_slice_and_pickle(
    tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill_module, "KEEP_IN_MEMORY", 0)
    log = _log(tmp_path / "Rulemanager.log", 3, 200_000)
    spilled = analyze_reading(LogReading([log]), kb, spill=True).incidents
    every = list(spilled)
    assert spilled[0] == every[0] and spilled[-1] == every[-1]
    assert spilled[1:3] == tuple(every[1:3])
    # The terminal UI sends analyses between processes: a spill travels as a plain tuple.
    assert pickle.loads(pickle.dumps(spilled)) == tuple(every)


_NAIVE = st.one_of(
    st.just(datetime.min),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)),
)
_AWARE = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(2026, 1, 2),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    ),
)
_COUNTS = st.integers(min_value=0, max_value=2**40)


def _keys(
    times: st.SearchStrategy[datetime],
) -> st.SearchStrategy[list[tuple[datetime, int, int, int]]]:
    return st.lists(st.tuples(times, _COUNTS, st.integers(0, 50), _COUNTS), min_size=2, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_keys(_NAIVE), _keys(_AWARE)))  # one analysis has times of one kind
def test_packed_keys_sort_as_the_keys_do(keys: list[tuple[datetime, int, int, int]]) -> None:
    packed = [packed_key(k, n) for n, k in enumerate(keys)]
    by_key = sorted(range(len(keys)), key=lambda n: (keys[n], n))
    by_packed = sorted(range(len(keys)), key=lambda n: packed[n])
    assert by_packed == by_key


def test_aware_times_at_the_start_of_the_calendar_pack() -> None:
    # 0001-01-01 00:00 at +05:30 is before 0001-01-01 UTC: it must still sort, not overflow.
    east = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    utc = datetime(1, 1, 1, 1, tzinfo=UTC)
    assert packed_key((east, 0, 0, 0), 0) < packed_key((utc, 0, 0, 0), 1)
