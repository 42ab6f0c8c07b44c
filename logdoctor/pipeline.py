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

from logdoctor.events import ChainCache, EventCounter, events_from_records, events_from_scan
from logdoctor.fastpath import Span
from logdoctor.layout import Layout, choose_layout
from logdoctor.model import ConfigLoaded, Event, ReadStats, Record, SmtpSettings
from logdoctor.parallel import (
    PARALLEL_MIN_BYTES,
    Part,
    PartReader,
    detect_source_layout,
    plan,
    worker_count,
)
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
        workers: int | None = None,
    ) -> None:
        forced, self.layout_note = choose_layout(layout, service_config)
        self.forced_layout: Layout | None = forced
        found = discover(paths)
        # Each rotated set is read in one piece (in time order within it), sets one after the
        # other: time order across unrelated sets would cut a set in two and lose the
        # settings in effect between its files.
        first_seen: dict[tuple[str, str, str], int] = {}
        for index, source in enumerate(found):
            first_seen.setdefault(rotation_set(source), index)
        self.sources: list[LogSource] = sorted(found, key=lambda s: first_seen[rotation_set(s)])
        self.readers = [RecordReader(source, forced) for source in self.sources]
        self.counter = EventCounter()
        self._cache = ChainCache()
        self.workers = worker_count() if workers is None else workers
        self._set_of = {source.display: rotation_set(source) for source in self.sources}

    def set_of(self, path: str) -> tuple[str, str, str]:
        """The rotated set a source (by its display path) belongs to."""
        return self._set_of[path]

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
                    progress(done + min(reader.position(), reader.source.size), total)
            done += reader.source.size
            progress(done, total)

    def events(self, progress: ProgressFn | None = None, *, light: bool = False) -> Iterator[Event]:
        """Every event, in order; counts every record into `counter` on the way.

        The settings in effect carry over between the files of one rotated set, never from
        one set (or unrelated file) to another.  Routine records are counted in bulk
        (`RecordReader.scan`), and a big plain file is read on all cores (`parallel`); the
        result is the one of `events_by_record`.  With `light`, a failure that repeats the
        shape of one seen before carries only its exception types (`ChainCache.read`), and a
        success right after a success is only counted (`events_from_scan`): what the incident
        builder needs, which parses a text again when it must.
        """
        total = self.total_bytes
        done = 0
        parts = PartReader(self.workers) if self.workers > 1 else None
        try:
            for _, group in groupby(self.readers, key=lambda r: self._set_of[r.source.display]):
                settings: SmtpSettings | None = None
                for reader in group:
                    plan = self._plan(reader) if parts is not None else None
                    if plan is not None and parts is not None:
                        for event, at in parts.events(
                            reader, plan, self.counter, settings, light=light
                        ):
                            if event is None:
                                if progress is not None:
                                    progress(done + min(at, reader.source.size), total)
                                continue
                            if isinstance(event, ConfigLoaded):
                                settings = event.settings
                            yield event
                    else:
                        for event in events_from_scan(
                            self._scan_one(reader, progress, done, total),
                            counter=self.counter,
                            cache=self._cache,
                            settings=settings,
                            light=light,
                        ):
                            if isinstance(event, ConfigLoaded):
                                settings = event.settings
                            yield event
                    done += reader.source.size
                    if progress is not None:
                        progress(done, total)
        finally:
            if parts is not None:
                parts.close()

    def _plan(self, reader: RecordReader) -> list[Part] | None:
        source = reader.source
        if source.size < PARALLEL_MIN_BYTES or source.member is not None or source.gzip:
            return None
        if reader.layout is None:
            reader.layout = detect_source_layout(source)
        return plan(source, reader.layout)

    def _scan_one(
        self, reader: RecordReader, progress: ProgressFn | None, done: int, total: int
    ) -> Iterator[Record | Span]:
        for count, item in enumerate(reader.scan()):
            yield item
            if progress is not None and count % 64 == 0:
                progress(done + min(reader.position(), reader.source.size), total)

    def events_by_record(self, progress: ProgressFn | None = None) -> Iterator[Event]:
        """`events`, reading every record in full: the plain path the fast one is checked by."""
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
