"""The packed timeline is the tuple of points the analysis used to merge."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.analysis import merge_timeline
from logdoctor.hourly import HourlyCounts, hour_number, pack
from logdoctor.report_model import TimelinePoint

CATEGORIES = ["unknown", "network.timeout", "auth.bad_credentials", "tls.certificate"]
_FAILURES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # which builder (rotated set)
        st.datetimes(min_value=datetime(2025, 12, 30), max_value=datetime(2026, 1, 2)),
        st.sampled_from(CATEGORIES),
    ),
    max_size=60,
)


def _parts(failures: list[tuple[int, datetime, str]]) -> list[tuple[Counter[int], list[str]]]:
    """What each builder keeps: its own category numbers, in the order it met them."""
    parts: list[tuple[Counter[int], list[str]]] = [(Counter(), []) for _ in range(3)]
    for builder, when, category in failures:
        counts, names = parts[builder]
        if category not in names:
            names.append(category)
        counts[pack(hour_number(when), names.index(category))] += 1
    return parts


@settings(max_examples=200, deadline=None)
@given(_FAILURES)
def test_packed_counts_merge_to_the_points_of_the_old_merge(
    failures: list[tuple[int, datetime, str]],
) -> None:
    points = [
        TimelinePoint(when.replace(minute=0, second=0, microsecond=0), category, 1)
        for _, when, category in failures
    ]
    expected = merge_timeline(points)
    packed = HourlyCounts(_parts(failures))
    assert tuple(packed) == expected
    assert packed == expected and len(packed) == len(expected)
    assert sum(p.count for p in packed) == len(failures)


def test_it_pickles_as_the_tuple_and_slices() -> None:
    failures = [(0, datetime(2026, 1, 1, 10, 5), "unknown"), (1, datetime(2026, 1, 1, 9), "x")]
    packed = HourlyCounts(_parts(failures))
    assert pickle.loads(pickle.dumps(packed)) == tuple(packed)
    assert packed[:1] == (TimelinePoint(datetime(2026, 1, 1, 9), "x", 1),)
    assert packed[-1] == TimelinePoint(datetime(2026, 1, 1, 10), "unknown", 1)
