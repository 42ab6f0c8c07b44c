"""Finished incidents kept in a temporary file, so memory does not grow with their number.

A year of log can close tens of thousands of incidents (a flapping connection resolved by
every other send).  `analyze` hands an `IncidentSpill` to its incident builders: each incident
is handed over when it is final, with the key it is sorted by; past the first
`KEEP_IN_MEMORY` they are written out, and `incidents()` gives them all back as a sequence in
report order that reads one incident at a time.  The result is the same
as the builders' own `incidents()`, merged and sorted as `analysis.analyze_reading` does.

The file holds pickles that this process wrote itself a moment earlier, into a temporary file
only it can open; nothing from outside is ever unpickled.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import IO

from logdoctor.lazyseq import LazySequence
from logdoctor.report_model import Incident

# Report order: first seen, then the line of the first failure, then which builder (rotated
# set, in the order the sets were first met) and the order the incident closed in there.
SortKey = tuple[datetime, int, int, int]


def sort_key(incident: Incident, builder: int, seq: int) -> SortKey:
    line = incident.evidence[0].line if incident.evidence else 0
    return (incident.first_seen or datetime.min, line, builder, seq)


_UTC_START = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FIELD = 64  # bits for each part of a packed key but the time (lines, builders, counts)


def _micros(when: datetime) -> int:
    """Microseconds since 0001-01-01 (aware times: UTC, and may be negative), which orders
    times as datetime comparison does."""
    start = _UTC_START if when.utcoffset() is not None else datetime.min
    return (when - start) // _MICROSECOND


def packed_key(key: SortKey, entry: int) -> int:
    """`key` and the entry's number as one int that sorts as (key, entry) does: one small
    object per incident instead of a tuple of four and a datetime."""
    when, line, builder, seq = key
    out = _micros(when)
    for part in (line, builder, seq, entry):
        if not 0 <= part < 1 << _FIELD:
            raise ValueError(f"sort key part out of range: {part}")
        out = (out << _FIELD) | part
    return out


def _entry(packed: int) -> int:
    return packed & ((1 << _FIELD) - 1)


# Writing an incident out and reading it back costs about 25 us: only the first ones stay in
# memory, so that memory is the same for a log of a hundred incidents and one of a hundred
# thousand (a 1 GB log of the build box closes 50,000).
KEEP_IN_MEMORY = 1_000


class _Spill:
    """Incidents kept: the first `keep` in memory, the rest in a temporary file."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = KEEP_IN_MEMORY if keep is None else keep
        self._file: IO[bytes] | None = None
        self._count = 0
        self._kept: list[Incident] = []  # entries below `keep`
        self._offsets = array("q")  # entries from `keep` on: where each one is in the file
        self._end = 0

    def _store(self, incident: Incident) -> int:
        """Keep `incident`; returns its entry number."""
        entry = self._count
        self._count += 1
        if entry < self.keep:
            self._kept.append(incident)
            return entry
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        data = pickle.dumps(incident, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        self._offsets.append(self._end)
        self._end += len(data)
        return entry

    def _sequence(self, order: Sequence[int]) -> SpilledIncidents:
        if self._file is not None:
            self._file.flush()
        self._offsets.append(self._end)  # where the last one ends
        return SpilledIncidents(self._file, order, self._kept, self._offsets)


class OrderedSpill(_Spill):
    """Incidents given back in the order they were added.  The nightly summary of a first run
    over a year of log holds its tens of thousands of new incidents this way."""

    def add(self, incident: Incident) -> None:
        self._store(incident)

    def incidents(self) -> SpilledIncidents:
        """Everything added, in the order added (the spill is handed over: add no more)."""
        return self._sequence(range(self._count))


class IncidentSpill(_Spill):
    """Incidents kept as they become final, given back in report order."""

    def __init__(self, keep: int | None = None) -> None:
        super().__init__(keep)
        self._keys: list[int] = []  # packed sort keys, the entry number in the low bits

    def add(self, incident: Incident, builder: int, seq: int) -> None:
        entry = self._store(incident)
        self._keys.append(packed_key(sort_key(incident, builder, seq), entry))

    def incidents(self) -> SpilledIncidents:
        """Everything added, in report order (the spill is handed over: add no more)."""
        self._keys.sort()
        return self._sequence(array("q", map(_entry, self._keys)))


class SpilledIncidents(LazySequence[Incident]):
    """A read-only sequence of incidents that stay on disk until asked for.

    It compares equal to any sequence of the same incidents, and pickles as a tuple (the
    terminal UI passes analyses between processes).
    """

    def __init__(
        self,
        file: IO[bytes] | None,
        order: Sequence[int],
        kept: Sequence[Incident],
        offsets: Sequence[int],
    ) -> None:
        """`order`: entry numbers in report order; entries below len(kept) are in `kept`,
        entry k from there on lies in `file` from offsets[k - len(kept)] to the next offset."""
        self._file = file
        self._order = order
        self._kept = kept
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._order)

    def _item(self, index: int) -> Incident:
        entry = self._order[index]
        if entry < len(self._kept):
            return self._kept[entry]
        assert self._file is not None
        k = entry - len(self._kept)
        offset = self._offsets[k]
        self._file.seek(offset)
        found: Incident = pickle.loads(self._file.read(self._offsets[k + 1] - offset))
        return found

    def __repr__(self) -> str:
        return f"SpilledIncidents({len(self)} incidents)"
