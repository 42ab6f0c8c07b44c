"""Reading logs end to end: sources -> records -> events, with the counts `analyze` reports.

This is the edge where files are opened; everything downstream takes the events it yields.
Usable from Python without the CLI:

    reading = LogReading(["Rulemanager.log"])
    for event in reading.events():
        ...
    print(reading.stats())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain, groupby
from pathlib import Path

from logdoctor.events import ChainCache, EventCounter, events_from_records
from logdoctor.layout import Layout, choose_layout
from logdoctor.model import Event, ReadStats, Record
from logdoctor.records import RecordReader
from logdoctor.sources import LogSource, discover, rotation_name

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total), compressed sizes


class LogReading:
    """One pass over a set of log files.

    Settings carry over from one file of a rotated set to the next, so all sources feed one
    event stream in time order (`discover` orders them).
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        layout: str | None = None,
        service_config: str | Path | None = None,
    ) -> None:
        forced, self.layout_note = choose_layout(layout, service_config)
        self.forced_layout: Layout | None = forced
        self.sources: list[LogSource] = discover(paths)
        self.readers = [RecordReader(source, forced) for source in self.sources]
        self.counter = EventCounter()
        self._cache = ChainCache()
        self._set_of = {source.display: rotation_set(source) for source in self.sources}

    @property
    def total_bytes(self) -> int:
        return sum(source.size for source in self.sources)

    def records(self, progress: ProgressFn | None = None) -> Iterator[Record]:
        if progress is None:
            return chain.from_iterable(self.readers)
        return self._records_with_progress(progress)

    def _records_with_progress(self, progress: ProgressFn) -> Iterator[Record]:
        total = self.total_bytes
        done = 0
        for reader in self.readers:
            count = 0
            for record in reader:
                yield record
                count += 1
                if count % 4096 == 0:
                    progress(done + min(reader.bytes_read, reader.source.size), total)
            done += reader.source.size
            progress(done, total)

    def events(self, progress: ProgressFn | None = None) -> Iterator[Event]:
        """Every event, in order; counts every record into `counter` on the way.

        The settings in effect carry over between the files of one rotated set, never from
        one set (or unrelated file) to another.
        """
        records = self.records(progress)
        for _, group in groupby(records, key=lambda record: self._set_of[record.path]):
            yield from events_from_records(group, counter=self.counter, cache=self._cache)

    def stats(self) -> ReadStats:
        return self.counter.to_stats(tuple(reader.stats() for reader in self.readers))

    def layout_notes(self) -> list[str]:
        """What each file was read with: `Rulemanager.log: Dovetail SDK (tab), detected, utf-8`."""
        return [
            f"{reader.source.display}: {reader.layout_note}, {reader.encoding}"
            + (", gzip cut short" if reader.truncated else "")
            for reader in self.readers
        ]


def rotation_set(source: LogSource) -> tuple[str, str, str]:
    """Which rotated set a file belongs to: its folder (or archive and folder) and base name."""
    if source.member is not None:
        folder, _, name = source.member.replace("\\", "/").rpartition("/")
        return (str(source.path), folder, rotation_name(name).set_name)
    return (str(source.path.parent), "", rotation_name(source.path.name).set_name)
