"""Failures per hour and category, kept as two arrays of ints.

A year of log has failures in thousands of hours.  As `TimelinePoint`s (a datetime and a
tuple each) the timeline was what a 1 GB log's analysis held most of at the end (43,620
points, about 10 MB with the Counter that merged them).  `HourlyCounts` keeps each point as
one packed int and a count, in report order, and makes the `TimelinePoint` when asked; it is
a sequence equal to the tuple of points it stands for.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from logdoctor.lazyseq import LazySequence
from logdoctor.report_model import TimelinePoint

CATEGORY_BITS = 20  # room for the categories of any knowledge base
_CATEGORY_MASK = (1 << CATEGORY_BITS) - 1


def hour_number(ts: datetime) -> int:
    """Hours since 0001-01-01 of a time without a zone."""
    return ts.toordinal() * 24 + ts.hour


def pack(hour: int, category: int) -> int:
    if category >> CATEGORY_BITS:
        raise ValueError("too many categories for the timeline")
    return hour << CATEGORY_BITS | category


def unpack(key: int) -> tuple[int, int]:
    return key >> CATEGORY_BITS, key & _CATEGORY_MASK


class HourlyCounts(LazySequence[TimelinePoint]):
    """Timeline points in (hour, category) order, built from packed counts."""

    def __init__(self, parts: Sequence[tuple[Counter[int], Sequence[str]]]) -> None:
        """`parts`: for each builder, counts by `pack(hour, index)` and its category names by
        index.  The same hour and category in several parts add up."""
        names = sorted({name for _, part_names in parts for name in part_names})
        rank = {name: n for n, name in enumerate(names)}
        merged: list[tuple[int, int]] = []
        for counts, part_names in parts:
            ranks = [rank[name] for name in part_names]
            for key, count in counts.items():
                hour, index = unpack(key)
                merged.append((pack(hour, ranks[index]), count))
        merged.sort()
        self._keys = array("q")
        self._counts = array("q")
        for key, count in merged:
            if self._keys and self._keys[-1] == key:
                self._counts[-1] += count
            else:
                self._keys.append(key)
                self._counts.append(count)
        self._names = names

    def __len__(self) -> int:
        return len(self._keys)

    def _item(self, index: int) -> TimelinePoint:
        hour, category = unpack(self._keys[index])
        day, at = divmod(hour, 24)
        return TimelinePoint(
            hour=datetime.fromordinal(day).replace(hour=at),
            category=self._names[category],
            count=self._counts[index],
        )

    def __repr__(self) -> str:
        return f"HourlyCounts({len(self)} points)"
