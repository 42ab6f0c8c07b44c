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
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any, overload

from logdoctor.report_model import Incident

# Report order: first seen, then the line of the first failure, then which builder (rotated
# set, in the order the sets were first met) and the order the incident closed in there.
SortKey = tuple[datetime, int, int, int]


def sort_key(incident: Incident, builder: int, seq: int) -> SortKey:
    line = incident.evidence[0].line if incident.evidence else 0
    return (incident.first_seen or datetime.min, line, builder, seq)


# Writing an incident out and reading it back costs about 40 us: the first ones stay in memory
# (a few MB), only a log with more incidents than that pays for the file.
KEEP_IN_MEMORY = 10_000

# Where an incident is: in memory, or (offset, size) in the file.
Place = Incident | tuple[int, int]


class IncidentSpill:
    """Incidents kept as they become final: the first `keep` in memory, the rest in a
    temporary file."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = KEEP_IN_MEMORY if keep is None else keep
        self._file: IO[bytes] | None = None
        self._index: list[tuple[SortKey, Place]] = []
        self._end = 0

    def add(self, incident: Incident, builder: int, seq: int) -> None:
        key = sort_key(incident, builder, seq)
        if len(self._index) < self.keep:
            self._index.append((key, incident))
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        data = pickle.dumps(incident, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        self._index.append((key, (self._end, len(data))))
        self._end += len(data)

    def incidents(self) -> SpilledIncidents:
        """Everything added, in report order (the spill is handed over: add no more)."""
        self._index.sort(key=lambda entry: entry[0])
        if self._file is not None:
            self._file.flush()
        return SpilledIncidents(self._file, [place for _, place in self._index])


class SpilledIncidents(Sequence[Incident]):
    """A read-only sequence of incidents that stay on disk until asked for.

    It compares equal to any sequence of the same incidents, and pickles as a tuple (the
    terminal UI passes analyses between processes).
    """

    def __init__(self, file: IO[bytes] | None, places: list[Place]) -> None:
        self._file = file
        self._places = places

    def __len__(self) -> int:
        return len(self._places)

    @overload
    def __getitem__(self, index: int) -> Incident: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Incident, ...]: ...

    def __getitem__(self, index: int | slice) -> Incident | tuple[Incident, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        place = self._places[index]
        if isinstance(place, Incident):
            return place
        assert self._file is not None
        offset, size = place
        self._file.seek(offset)
        found: Incident = pickle.loads(self._file.read(size))
        return found

    def __iter__(self) -> Iterator[Incident]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))

    def __repr__(self) -> str:
        return f"SpilledIncidents({len(self)} incidents)"
