"""One big plain log file read on several cores, with exactly the result of reading it alone.

The file is cut into parts at record starts (a line the layout reads as a header: whether a
line is one never depends on the lines around it), and each worker reads its part with the
fast reader, in reads aligned with those of a reader that starts at the top of the file (so an
over-long line is cut at the same place).  Each part starts with the line number the newlines
before it give.  What a worker cannot know is the configuration logged in earlier parts: its
events before its own first configuration record carry none, and the main process gives them
the one in effect, as a single reader would have.  Counts are added up part by part.

Parts are small (1, 2 and 4 MB first, then 8 MB) and only a few are in flight, so memory
stays flat; the main process turns their events into incidents while the workers read on.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from logdoctor.events import ChainCache, EventCounter, events_from_scan
from logdoctor.fastpath import fast_layout
from logdoctor.incidents import evidence_text
from logdoctor.layout import Layout, detect_layout
from logdoctor.model import ConfigLoaded, Event, SendFailed, SendSucceeded, SmtpSettings
from logdoctor.records import SAMPLE_LINES, RecordReader, sample_texts
from logdoctor.redact import left_alone
from logdoctor.sources import (
    MAX_LINE_BYTES,
    LogSource,
    TextLines,
    decode_line,
    encoding_label,
)

# Smaller files are read in one process: starting workers costs more than they save there.
# Parts of 8 MB keep two workers busy while the main process builds incidents (16 MB parts
# left it waiting: failure-heavy 50 MB took 7.0 s with 16 MB parts, 6.9 s with 8, 6.7 s with
# 4; the typical 100 MB log 4.15 s with 8).
PARALLEL_MIN_BYTES = 16 << 20
PART_BYTES = 8 << 20
IN_FLIGHT_PER_WORKER = 2
FIRST_PART_DIVISOR = 8
_BOUNDARY_SEARCH = 4 << 20  # how far past a cut point a record start is looked for
_UNBOUNDED = 1 << 62


@dataclass(frozen=True, slots=True)
class Part:
    start: int
    end: int
    line: int


@dataclass
class PartResult:
    events: list[Event]
    counter: EventCounter
    records: int = 0
    damaged: int = 0
    lines: int = 0
    level_counts: dict[str, int] = field(default_factory=dict)
    last_record_offset: int = 0
    last_record_line: int = 0
    bytes_read: int = 0
    cut_lines: int = 0
    cp1252_lines: int = 0
    utf8_nonascii: bool = False
    bom: int = 0


# From two cores the workers pay: they read and classify, the main process builds incidents.
# (Before workers sent light chains and left out repeated successes, passing every event
# between processes cost more than it saved on the 2-core build box; see bench/README.md.)
AUTO_MIN_CORES = 2
# The main process builds the incidents of every part; past a few workers it is what everyone
# waits for, and each worker holds its own copy of the grammar and caches.
AUTO_MAX_WORKERS = 4


def worker_count() -> int:
    """Workers to use: LOGDOCTOR_WORKERS, else the machine's cores (at most AUTO_MAX_WORKERS)
    when there are at least AUTO_MIN_CORES (0 or 1: read in this process); none in a
    daemonic process."""
    if multiprocessing.current_process().daemon:
        # A daemonic process may not start children: the terminal UI runs its analysis in
        # one, and a pool there would fail on the first big file.
        return 1
    env = os.environ.get("LOGDOCTOR_WORKERS", "").strip()
    if env.isdigit():
        return int(env)
    cores = os.cpu_count() or 1
    return min(cores, AUTO_MAX_WORKERS) if cores >= AUTO_MIN_CORES else 1


def detect_source_layout(source: LogSource) -> Layout:
    """The layout `RecordReader` would detect for the file (from its first lines)."""
    with source.open() as stream:
        sample: list[str] = []
        for item in TextLines(stream).regions():
            sample.extend(sample_texts(item, SAMPLE_LINES - len(sample)))
            if len(sample) >= SAMPLE_LINES:
                break
    return detect_layout(sample)


def plan(
    source: LogSource,
    layout: Layout,
    part_bytes: int = PART_BYTES,
    *,
    start: int = 0,
    line: int = 1,
) -> list[Part] | None:
    """Where to cut a plain UTF-8 file into parts; None when it is not worth it or not safe.

    `start` is a record start (`line` its line) where reading begins: the nightly batch goes
    on from where the last run stopped.
    """
    if source.member is not None or source.gzip or fast_layout(layout) is None:
        return None
    size = source.size
    starts = [start]
    with source.path.open("rb") as fh:
        head = fh.read(4096)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4096]:
            return None  # UTF-16 (or NULs where text should be): the line reader's job
        for target in _cuts(size - start, part_bytes):
            target = max(start + target, starts[-1] + 1, 4097)
            found = _record_start(fh, target, layout)
            if found is not None and found < size:
                starts.append(found)
        if len(starts) < 2:
            return None
        lines = [line]
        pos, newlines = start, line - 1
        for cut in starts[1:]:
            newlines += _newlines(fh, pos, cut)
            pos = cut
            lines.append(newlines + 1)
    ends = [*starts[1:], _UNBOUNDED]
    return [Part(s, e, n) for s, e, n in zip(starts, ends, lines, strict=True)]


def _cuts(size: int, part_bytes: int) -> list[int]:
    """Where parts should end: the first ones small, so that the main process has events to
    work on while the workers are still on their first parts."""
    cuts: list[int] = []
    step = max(1, part_bytes // FIRST_PART_DIVISOR)
    pos = step
    while pos < size:
        cuts.append(pos)
        step = min(part_bytes, step * 2)
        pos += step
    return cuts


def _record_start(fh: object, target: int, layout: Layout) -> int | None:
    """The first line start at or after `target` whose line is a record header."""
    fh.seek(target - 1)  # type: ignore[attr-defined]
    data: bytes = fh.read(_BOUNDARY_SEARCH)  # type: ignore[attr-defined]
    pos = data.find(b"\n")
    while pos >= 0:
        end = data.find(b"\n", pos + 1)
        if end < 0:
            return None
        raw = data[pos + 1 : end]
        if len(raw) < MAX_LINE_BYTES and layout.match(decode_line(raw)[0]) is not None:
            return target - 1 + pos + 1
        pos = end
    return None


def _newlines(fh: object, start: int, end: int) -> int:
    fh.seek(start)  # type: ignore[attr-defined]
    count = 0
    left = end - start
    while left > 0:
        chunk: bytes = fh.read(min(left, 16 << 20))  # type: ignore[attr-defined]
        if not chunk:
            break
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count


_WORKER_CACHE: ChainCache | None = None


def scan_part(source: LogSource, layout: Layout, part: Part, light: bool = False) -> PartResult:
    """A worker's job: the events and counts of one part (`light`: as `LogReading.events`)."""
    global _WORKER_CACHE
    if _WORKER_CACHE is None:
        _WORKER_CACHE = ChainCache()
    reader = RecordReader(
        source, layout, start_offset=part.start, start_line=part.line, end_offset=part.end
    )
    counter = EventCounter()
    # A part starts as if no success came before it: at worst one success more is sent on,
    # which changes nothing for the incident builder.
    scan = events_from_scan(reader.scan(), counter=counter, cache=_WORKER_CACHE, light=light)
    events = [_mark_kept(e) for e in scan] if light else list(scan)
    return reader_result(reader, events, counter)


def reader_result(reader: RecordReader, events: list[Event], counter: EventCounter) -> PartResult:
    """What a reader found, to be added to the facts of the reader of the whole file."""
    return PartResult(
        events=events,
        counter=counter,
        records=reader.records,
        damaged=reader.damaged,
        lines=reader.lines,
        level_counts=reader.level_counts,
        last_record_offset=reader.last_record_offset,
        last_record_line=reader.last_record_line,
        bytes_read=reader.bytes_read,
        cut_lines=reader.cut_lines,
        cp1252_lines=reader.cp1252_lines,
        utf8_nonascii=reader.utf8_nonascii,
        bom=reader.bom,
    )


_KEPT: dict[str, bool] = {}  # evidence text -> left alone by redaction
_KEPT_MAX = 2_048


def _mark_kept(event: Event) -> Event:
    """A failure whose evidence text redaction leaves alone, marked so.  Redacting evidence
    was two thirds of writing a failure-heavy log's report, all of it in the main process;
    a worker, which waits for the main process there, tries each text once."""
    if not isinstance(event, SendFailed):
        return event
    text = evidence_text(event.text)
    kept = _KEPT.get(text)
    if kept is None:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        kept = _KEPT[text] = left_alone(text)
    return dataclasses.replace(event, evidence_kept=True) if kept else event


class PartReader:
    """Runs the parts of files on a process pool; `events` yields them in file order."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Forking a process that runs other threads (the TUI) is not safe: spawn there.
            methods = multiprocessing.get_all_start_methods()
            method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context(method)
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def events(
        self,
        reader: RecordReader,
        parts: list[Part],
        counter: EventCounter,
        settings: SmtpSettings | None,
        *,
        light: bool = False,
    ) -> Iterator[tuple[Event | None, int]]:
        """(event, bytes done) in order; (None, bytes done) after each part.  Fills `reader`
        and `counter` as one reader would have."""
        layout = reader.layout
        assert layout is not None
        pool = self.pool()
        pending: deque[Future[PartResult]] = deque()
        todo = iter(parts)
        window = max(1, self.workers * IN_FLIGHT_PER_WORKER)
        for part in todo:
            pending.append(pool.submit(scan_part, reader.source, layout, part, light))
            if len(pending) >= window:
                break
        reader.records = reader.damaged = reader.lines = reader.cut_lines = 0
        reader.cp1252_lines = 0
        reader.utf8_nonascii = False
        reader.level_counts = {}
        first = True
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(scan_part, reader.source, layout, nxt, light))
            configured = False
            for event in result.events:
                if isinstance(event, ConfigLoaded):
                    configured = True
                    settings = event.settings
                elif (
                    not configured
                    and settings is not None
                    and isinstance(event, SendFailed | SendSucceeded)
                ):
                    # Logged before this part's first configuration record: the worker could
                    # not know the configuration in effect.
                    event = dataclasses.replace(event, settings=settings)
                yield event, result.bytes_read
            counter.merge(result.counter)
            add_facts(reader, result, first=first)
            first = False
            yield None, result.bytes_read


def add_facts(reader: RecordReader, result: PartResult, *, first: bool) -> None:
    """Add one part's facts to those of `reader`, which stands for the whole file."""
    reader.records += result.records
    reader.damaged += result.damaged
    reader.lines += result.lines
    reader.cut_lines += result.cut_lines
    reader.cp1252_lines += result.cp1252_lines
    reader.utf8_nonascii = reader.utf8_nonascii or result.utf8_nonascii
    if first:
        reader.bom = result.bom
    for level, count in result.level_counts.items():
        reader.level_counts[level] = reader.level_counts.get(level, 0) + count
    if result.records:
        reader.last_record_offset = result.last_record_offset
        reader.last_record_line = result.last_record_line
    reader.bytes_read = result.bytes_read
    reader.encoding = encoding_label(reader.bom, reader.cp1252_lines, reader.utf8_nonascii)


__all__ = [
    "PARALLEL_MIN_BYTES",
    "Part",
    "PartReader",
    "PartResult",
    "add_facts",
    "detect_source_layout",
    "plan",
    "reader_result",
    "scan_part",
    "worker_count",
]
