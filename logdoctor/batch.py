"""The nightly batch: read only what is new, continue last night's incidents, commit at once.

    with Store.open(db) as store:
        result = run_batch(["C:/RuleManager/logs/Rulemanager.log"], store, load_kb())

Each given path is watched with its rotated set (`Rulemanager.log`, `.log.1`, ..., `.gz`).
A file is known by its identity: device and inode where the system has them, and a hash of its
first bytes (up to 4 KB: a shorter file that grew still matches as a prefix), plus a hash of the
bytes just before the read position.  So a run tells apart:

- log4net rolling (`Rulemanager.log` renamed to `.log.1`, a new file started): the known file is
  found under its new name and read on from its position, then the new file from the start;
- copy-truncate (the file got shorter, or other bytes stand before the position): the copy is
  found by its content and read on; the truncated file is read from the start;
- a compressed rotated file whose content was already read: skipped (nothing after its
  position), and not even decompressed again once it has been seen unchanged;
- files that vanished: forgotten, and named in the run's notes.

When is a record final?  The last record of the live file may still be being written (cut
mid-line, or its stack trace not all there yet).  It is final once a later record header
follows it, or once the file is rotated away (no longer the newest of its set).  Until then it
is counted provisionally: the reports show it, but the stored read position is its first byte,
and the state the next run continues from is the state before it.  The next run takes the
provisional part back out and reads that record again, as it is then.  The same holds for the
layout: `analyze` decides it from a file's first 500 lines, so while the live file is shorter
than that, all of it is provisional.  So after every run the store says exactly what one
`analyze` of the logs as they are at that moment says, however the bytes arrived.

Everything a run learns (positions, the incident builder's state, incidents, counts) is
committed in one transaction (`Store.commit_run`): a run killed at any moment leaves the store
as it was, and the next run reads the same bytes again.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby, islice
from pathlib import Path
from typing import Any, BinaryIO, cast

from logdoctor import parallel
from logdoctor.analysis import service_settings
from logdoctor.errors import LogdoctorError
from logdoctor.events import ChainCache, EventCounter, events_from_scan
from logdoctor.fastpath import Span
from logdoctor.incidents import IncidentBuilder
from logdoctor.kb.loader import KnowledgeBase
from logdoctor.layout import Layout, choose_layout, detect_layout, stored_layout
from logdoctor.model import ConfigLoaded, Event, Record, SmtpSettings, SourceStats
from logdoctor.parallel import Part, PartReader, add_facts, reader_result, worker_count
from logdoctor.pipeline import rotation_set
from logdoctor.records import SAMPLE_LINES, RecordReader
from logdoctor.report_model import Incident, TimelinePoint
from logdoctor.sources import LogSource, TextLines, discover, rotation_name
from logdoctor.spill import IncidentSpill
from logdoctor.store import (
    FileState,
    RunInfo,
    SetUpdate,
    Store,
    counter_from_state,
    counter_to_state,
    incident_key,
)

HEAD_BYTES = 4096
ANCHOR_BYTES = 1024


@dataclass(frozen=True, slots=True)
class BatchResult:
    run_id: int
    started_at: datetime
    records: int  # records counted in this run
    bytes: int  # bytes read in this run
    sources: tuple[SourceStats, ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# What is on disk


@dataclass(frozen=True, slots=True)
class BoundedSource(LogSource):
    """A source read only up to `limit` bytes: the size it had when the run looked at it, so a
    record written while the run reads is left for the next run."""

    limit: int | None = None

    def open(self) -> BinaryIO:
        stream = LogSource.open(self)
        if self.limit is None:
            return stream
        return cast(BinaryIO, _Limited(stream, self.limit))


class _Limited(io.RawIOBase):
    def __init__(self, inner: BinaryIO, limit: int) -> None:
        super().__init__()
        self._inner = inner
        self._limit = limit
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        left = self._limit - self._pos
        if left <= 0:
            return b""
        n = left if size is None or size < 0 else min(size, left)
        data = self._inner.read(n)
        self._pos += len(data)
        return data

    def seekable(self) -> bool:
        return self._inner.seekable()

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self._pos = self._inner.seek(offset, whence)
        return self._pos

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


@dataclass(frozen=True, slots=True)
class Seen:
    """A file as this run found it."""

    source: LogSource
    dev: str | None
    ino: str | None
    size: int
    mtime_ns: int
    head: bytes

    @property
    def plain(self) -> bool:
        return self.source.member is None and not self.source.gzip

    @property
    def head_sha(self) -> str:
        return _sha(self.head)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def observe(source: LogSource) -> Seen:
    """Stat the file and read its first bytes (decompressed)."""
    try:
        if source.member is None:
            st = source.path.stat()
            # st_ino is 0 where the system has no inodes; then only the content tells.
            dev = str(st.st_dev) if st.st_ino else None
            ino = str(st.st_ino) if st.st_ino else None
            size, mtime_ns = st.st_size, st.st_mtime_ns
        else:
            dev = ino = None
            size = source.size
            mtime_ns = int(source.mtime.timestamp() * 1e9) if source.mtime else 0
        with source.open() as fh:
            head = _read_head(fh)
    except OSError as exc:
        raise LogdoctorError(f"cannot read: {exc.strerror or exc}", path=source.display) from exc
    if source.member is None and not source.gzip:
        head = head[: min(len(head), size)]
    return Seen(source, dev, ino, size, mtime_ns, head)


def _read_head(fh: BinaryIO) -> bytes:
    out = b""
    try:
        while len(out) < HEAD_BYTES:
            chunk = fh.read(HEAD_BYTES - len(out))
            if not chunk:
                break
            out += chunk
    except (EOFError, zlib.error, zipfile.BadZipFile):
        pass  # a gzip cut short: its readable start is its head
    return out


def _anchor(seen: Seen, position: int) -> str | None:
    """A hash of the bytes just before `position` (plain files only: cheap to re-read)."""
    if not seen.plain or position <= 0:
        return None
    start = max(0, position - ANCHOR_BYTES)
    try:
        with seen.source.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(position - start)
    except OSError:
        return None
    return _sha(data) if len(data) == position - start else None


def watched_sources(paths: Sequence[str | Path]) -> list[LogSource]:
    """The given files with their rotated siblings, directories and archives, in time order."""
    expanded: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
            expanded.append(path)
            continue
        siblings = _rotated_siblings(path)
        if not siblings:
            raise LogdoctorError("cannot read: no such file or directory", path=str(given))
        expanded.extend(siblings)
    return discover(expanded)


def _rotated_siblings(path: Path) -> list[Path]:
    """`Rulemanager.log` and its rotated files next to it (`.log.1`, `.log.2.gz`, dated)."""
    want = rotation_name(path.name).set_name
    folder = path.parent
    try:
        found = [
            p
            for p in folder.iterdir()
            if p.is_file() and rotation_name(p.name).set_name == want and not _is_lock(p)
        ]
    except OSError:
        found = []
    if path.is_file() and path not in found:
        found.append(path)
    return sorted(found)


def _is_lock(path: Path) -> bool:
    return path.name.endswith((".lock", ".db", ".db-journal"))


def set_key(source: LogSource) -> str:
    folder, inner, name = rotation_set(source)
    base = str(Path(folder).resolve())
    return f"{base}!{inner}|{name}" if inner else f"{base}|{name}"


def group_sets(sources: Sequence[LogSource]) -> dict[str, list[LogSource]]:
    sets: dict[str, list[LogSource]] = {}
    for source in sources:
        sets.setdefault(set_key(source), []).append(source)
    return sets


# ---------------------------------------------------------------------------------------------
# Which known file is which file now


def verifies(row: FileState, seen: Seen) -> bool:
    """Is `seen` the file `row` describes, with everything read so far still in place?"""
    if len(seen.head) < row.head_len or _sha(seen.head[: row.head_len]) != row.head_sha:
        return False
    if seen.plain:
        if seen.size < row.position:
            return False
        if row.anchor_sha is not None and _anchor(seen, row.position) != row.anchor_sha:
            return False
    return True


def pair_files(rows: Sequence[FileState], seen: Sequence[Seen]) -> dict[int, FileState]:
    """seen index -> the known file it is.  The same inode wins, then the same path, then any
    file with the same content (a copy, or the file compressed)."""
    pairs: dict[int, FileState] = {}
    free = list(rows)

    def take(test: Callable[[FileState, Seen], bool] | None) -> None:
        for i, s in enumerate(seen):
            if i in pairs:
                continue
            for row in free:
                if (test is None or test(row, s)) and verifies(row, s):
                    pairs[i] = row
                    free.remove(row)
                    break

    take(lambda r, s: s.ino is not None and (r.dev, r.ino) == (s.dev, s.ino))
    take(lambda r, s: r.path == s.source.display)
    take(None)
    return pairs


# ---------------------------------------------------------------------------------------------
# Reading one set


def sample_layout(source: LogSource) -> tuple[Layout, bool]:
    """The layout `RecordReader` would detect from the file's first lines, and whether those
    lines are all there yet (more than SAMPLE_LINES lines, the last of them ended)."""
    lines: list[str] = []
    try:
        with source.open() as fh:
            lines = [t for _, _, t in islice(TextLines(fh), SAMPLE_LINES + 1)]
    except (EOFError, zlib.error):
        pass
    except OSError as exc:
        raise LogdoctorError(f"cannot read: {exc.strerror or exc}", path=source.display) from exc
    return detect_layout(lines[:SAMPLE_LINES]), len(lines) > SAMPLE_LINES


@dataclass
class _Plan:
    seen: Seen
    row: FileState | None
    start: int
    line: int
    final: bool  # rotated away (not the newest of its set) or an archive member: done growing
    layout: Layout | None
    settled: bool = True  # the layout is decided for good (else: this run's guess)
    skip: bool = False  # known, complete and unchanged: nothing to read
    duplicate_of: str | None = None
    position: int = 0
    next_line: int = 1
    records: int = 0  # counted for good
    pending: int = 0  # counted provisionally
    reached_end: bool = False
    reader: RecordReader | None = None


@dataclass
class _SetRun:
    key: str
    plans: list[_Plan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    vanished: list[FileState] = field(default_factory=list)


def _plan_set(
    key: str, sources: Sequence[LogSource], rows: Sequence[FileState], forced: Layout | None
) -> _SetRun:
    run = _SetRun(key)
    seen_all = [observe(s) for s in sources]
    seen = [s for s in seen_all if s.head]  # an empty file has nothing to read yet
    pairs = pair_files(rows, seen)
    paired = {id(r) for r in pairs.values()}
    run.vanished = [r for r in rows if id(r) not in paired]
    for gone in run.vanished:
        run.notes.append(f"{gone.path}: gone since the last run")
    heads: dict[tuple[int, str], str] = {}
    for i, s in enumerate(seen):
        row = pairs.get(i)
        if row is None:
            same = next((r for r in rows if verifies(r, s)), None)
            twin = heads.get((len(s.head), s.head_sha)) if len(s.head) == HEAD_BYTES else None
            if same is not None or twin is not None:
                # The content of a file already read (a rotated file compressed, a copy).
                plan = _Plan(s, None, 0, 1, True, None, skip=True)
                plan.duplicate_of = same.path if same is not None else twin
                run.plans.append(plan)
                continue
            _note_truncation(run, rows, s)
        heads.setdefault((len(s.head), s.head_sha), s.source.display)
        final = i < len(seen) - 1 or s.source.member is not None
        start, line = (row.position, row.line) if row is not None else (0, 1)
        if row is not None and row.path != s.source.display:
            run.notes.append(f"{s.source.display}: continued from byte {start} (was {row.path})")
        plan = _Plan(s, row, start, line, final, None, position=start, next_line=line)
        unchanged = row is not None and (row.size, row.mtime_ns) == (s.size, s.mtime_ns)
        if row is not None and row.complete and unchanged:
            plan.skip = True
        elif forced is not None:
            plan.layout = forced
        elif row is not None and row.layout:
            plan.layout = stored_layout(row.layout)
        else:
            plan.layout, settled = sample_layout(s.source)
            plan.settled = settled or final
        run.plans.append(plan)
    return run


def _note_truncation(run: _SetRun, rows: Sequence[FileState], s: Seen) -> None:
    for row in rows:
        same_file = s.ino is not None and (row.dev, row.ino) == (s.dev, s.ino)
        if same_file or row.path == s.source.display:
            run.notes.append(
                f"{s.source.display}: not the file read before under this name, or rewritten "
                f"(shorter, or other bytes before byte {row.position}): read from the start"
            )
            return


def _reader(plan: _Plan, start: int | None = None, line: int | None = None) -> RecordReader:
    """A reader of the plan's file from `start` (a record start; the plan's by default)."""
    s = plan.seen
    src = BoundedSource(
        display=s.source.display,
        size=s.source.size,
        path=s.source.path,
        member=s.source.member,
        gzip=s.source.gzip,
        mtime=s.source.mtime,
        limit=s.size if s.plain else None,
    )
    plan.reader = RecordReader(
        src,
        plan.layout,
        start_offset=plan.start if start is None else start,
        start_line=plan.line if line is None else line,
    )
    return plan.reader


@dataclass
class Stretch:
    """The final records of a big plain file up to its last part, read on the workers; the
    last part is read here, so that the live file's last record can be held back."""

    reader: RecordReader  # the facts of the stretch, once its events are read
    parts: list[Part]
    rest: Part  # where this process goes on


def _stretch(plan: _Plan, workers: int) -> Stretch | None:
    s = plan.seen
    if workers < 2 or not s.plain or s.source.member is not None or plan.layout is None:
        return None
    if s.size - plan.start < parallel.PARALLEL_MIN_BYTES:
        return None  # a night's growth: starting workers costs more than they save
    reader = _reader(plan)
    parts = parallel.plan(
        reader.source, plan.layout, parallel.PART_BYTES, start=plan.start, line=plan.line
    )
    if parts is None or len(parts) < 2:
        return None
    return Stretch(reader, parts[:-1], parts[-1])


def _records(
    plans: Sequence[_Plan], at_boundary: Callable[[], None], workers: int = 1
) -> Iterator[Record | Span | Stretch]:
    """The records of the set's files in order, from the fast reader (`RecordReader.scan`):
    routine records come counted in bulk as `Span`s, and with `workers` the final records of
    a big file come as a `Stretch` for the workers to read.

    Records are final up to the last record of the live file (it may still grow), or up to the
    start of a live file whose layout is not decided yet.  `at_boundary` is called once, where
    the final records end and the provisional ones begin (at the end when there are none):
    everything fed before it is what the next run continues from.  Positions go into the plans.
    The last record of a file always comes built (never inside a `Span`), so it can be held.
    A `Stretch` must be read before the next item is asked for.
    """
    provisional = False

    def boundary() -> None:
        nonlocal provisional
        if not provisional:
            provisional = True
            at_boundary()

    for plan in plans:
        if plan.skip or plan.layout is None:
            continue
        if provisional or not plan.settled:
            boundary()
            for item in _reader(plan).scan():
                plan.pending += _count(item)
                yield item
            continue
        stretch = _stretch(plan, workers)
        if stretch is None:
            reader = _reader(plan)
        else:
            yield stretch
            plan.records += stretch.reader.records
            reader = _reader(plan, stretch.rest.start, stretch.rest.line)
        held: Record | Span | None = None
        for item in reader.scan():
            if held is not None:
                plan.records += _count(held)
                yield held
            held = item
        if stretch is not None:
            add_facts(stretch.reader, reader_result(reader, [], EventCounter()), first=False)
            plan.reader = stretch.reader
        if held is None:
            plan.reached_end = plan.final
            continue
        if isinstance(held, Span):  # not expected: the reader builds the last record
            raise LogdoctorError("internal: last record not built", path=plan.seen.source.display)
        if plan.final:
            plan.records += 1
            yield held
            plan.position = reader.bytes_read
            plan.next_line = held.end_line + 1
            plan.reached_end = True
        else:
            plan.position = held.offset
            plan.next_line = held.line
            boundary()
            plan.pending += 1
            yield held
    boundary()


def _set_events(
    items: Iterable[Record | Span | Stretch],
    counter: EventCounter,
    cache: ChainCache | None,
    parts: PartReader | None,
) -> Iterator[Event]:
    """The events of `_records`, as `events_from_scan` gives them; a `Stretch` is read on the
    workers, with the settings in effect before it (the ones its parts could not know)."""
    settings: SmtpSettings | None = None
    for is_stretch, group in groupby(items, key=lambda item: isinstance(item, Stretch)):
        if is_stretch:
            assert parts is not None
            for stretch in cast(Iterator[Stretch], group):
                found = parts.events(stretch.reader, stretch.parts, counter, settings, light=True)
                for event, _ in found:
                    if event is None:
                        continue
                    if isinstance(event, ConfigLoaded):
                        settings = event.settings
                    yield event
            continue
        records = cast(Iterator[Record | Span], group)
        for event in events_from_scan(
            records, counter=counter, cache=cache, settings=settings, light=True
        ):
            if isinstance(event, ConfigLoaded):
                settings = event.settings
            yield event


def _count(item: Record | Span) -> int:
    return item.records if isinstance(item, Span) else 1


def _file_state(plan: _Plan) -> FileState:
    s, row = plan.seen, plan.row
    done = (row.records - row.pending) if row is not None else 0
    if plan.skip and row is not None:
        position, line, complete = row.position, row.line, row.complete
    else:
        position, line = plan.position, plan.next_line
        complete = plan.reached_end
    if plan.layout is not None and plan.settled:
        layout: str | None = plan.layout.pattern
    else:
        layout = row.layout if row is not None else None
    return FileState(
        path=s.source.display,
        dev=s.dev,
        ino=s.ino,
        gzip=not s.plain,
        head_len=len(s.head),
        head_sha=s.head_sha,
        size=s.size,
        mtime_ns=s.mtime_ns,
        position=position,
        line=line,
        layout=layout,
        complete=complete,
        records=done + plan.records + plan.pending,
        anchor_sha=_anchor(s, position),
        first_run=row.first_run if row is not None else 0,
        pending=plan.pending,
    )


def _hours(points: Sequence[TimelinePoint]) -> Counter[tuple[datetime, str]]:
    return Counter({(p.hour, p.category): p.count for p in points})


def _points(counts: Counter[tuple[datetime, str]]) -> tuple[TimelinePoint, ...]:
    return tuple(
        TimelinePoint(hour=hour, category=category, count=n)
        for (hour, category), n in sorted(counts.items())
        if n > 0
    )


class _SetSpill(IncidentSpill):
    """A set's incidents, kept as they become final, and the store's keys of all of them."""

    def __init__(self, set_key: str) -> None:
        super().__init__()
        self.set_key = set_key
        self.keys: set[str] = set()

    def add(self, incident: Incident, builder: int, seq: int) -> None:
        super().add(incident, builder, seq)
        self.keys.add(incident_key(self.set_key, incident))


def run_set(
    store: Store,
    key: str,
    sources: Sequence[LogSource],
    kb: KnowledgeBase,
    *,
    forced: Layout | None = None,
    default_settings: SmtpSettings | None = None,
    cache: ChainCache | None = None,
    parts: PartReader | None = None,
) -> tuple[SetUpdate, _SetRun]:
    """Read what is new in one rotated set and continue its incidents (nothing committed)."""
    state = store.set_state(key)
    if state is not None:
        builder = IncidentBuilder.restore(kb, state.builder, default_settings=default_settings)
        counter: EventCounter = counter_from_state(state.counter)
    else:
        builder = IncidentBuilder(kb, default_settings=default_settings)
        counter = EventCounter()
    run = _plan_set(key, sources, store.files(key), forced)
    kept: dict[str, Any] = {}
    # A first run over a year of log closes tens of thousands of incidents: they wait in a
    # temporary file, as in `analyze`, not in memory.
    spill = _SetSpill(key)
    builder.spill_to(spill, 0)

    def at_boundary() -> None:
        # Everything fed so far is final: this is the state the next run continues from.
        kept["builder"] = builder.snapshot()
        kept["counter"] = counter_to_state(counter)
        kept["hours"] = _hours(builder.timeline())
        kept["incidents"] = spill.keys | {incident_key(key, i) for i in builder.incidents()}
        kept["unrecognized"] = {u.fingerprint for u in builder.unrecognized()}

    # Settings carry over from one file of the set to the next, as in `analyze`; the builder
    # holds the settings in effect across runs, so a run that starts mid-set loses nothing.
    # Types are all the incident builder needs of a repeated failure shape (`ChainCache.read`).
    workers = parts.workers if parts is not None else 1
    events = _set_events(_records(run.plans, at_boundary, workers), counter, cache, parts)
    builder.feed_all(events)
    for plan in run.plans:
        if plan.duplicate_of is not None:
            run.notes.append(
                f"{plan.seen.source.display}: same content as {plan.duplicate_of}, already read"
            )
        elif not plan.settled and plan.pending:
            run.notes.append(
                f"{plan.seen.source.display}: new and short, its layout is a first guess; "
                "counted again by the next run"
            )
    builder.flush()
    incidents = spill.incidents()
    unrecognized = builder.unrecognized()
    hours = _hours(builder.timeline())
    stable_hours: Counter[tuple[datetime, str]] = kept["hours"]
    update = SetUpdate(
        key=key,
        builder=kept["builder"],
        counter=kept["counter"],
        files=tuple(_file_state(p) for p in run.plans if p.duplicate_of is None),
        incidents=incidents,
        unrecognized=unrecognized,
        timeline=_points(stable_hours),
        shown_counter=counter_to_state(counter),
        provisional_hours=_points(hours - stable_hours),
        provisional_incidents=tuple(sorted(spill.keys - kept["incidents"])),
        provisional_unrecognized=tuple(
            sorted({u.fingerprint for u in unrecognized} - kept["unrecognized"])
        ),
    )
    return update, run


def run_batch(
    paths: Sequence[str | Path],
    store: Store,
    kb: KnowledgeBase,
    *,
    layout: str | None = None,
    service_config: str | Path | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """One nightly run over `paths`: read what is new, commit it all in one transaction."""
    started = now or datetime.now()
    forced, _ = choose_layout(layout, service_config)
    default_settings = service_settings(service_config)
    sources = watched_sources(paths)
    cache = ChainCache()
    updates: list[SetUpdate] = []
    notes: list[str] = []
    stats: list[SourceStats] = []
    records = 0
    read = 0
    workers = worker_count()
    parts = PartReader(workers) if workers > 1 else None
    try:
        for key, members in group_sets(sources).items():
            update, run = run_set(
                store,
                key,
                members,
                kb,
                forced=forced,
                default_settings=default_settings,
                cache=cache,
                parts=parts,
            )
            updates.append(update)
            notes.extend(run.notes)
            for plan in run.plans:
                records += plan.records + plan.pending
                if plan.reader is not None:
                    read += max(plan.reader.bytes_read - plan.start, 0)
                    stats.append(plan.reader.stats())
    finally:
        if parts is not None:
            parts.close()
    run_id = store.commit_run(
        RunInfo(
            started_at=started,
            paths=tuple(str(p) for p in paths),
            records=records,
            bytes=read,
            notes=tuple(notes),
        ),
        updates,
    )
    return BatchResult(
        run_id=run_id,
        started_at=started,
        records=records,
        bytes=read,
        sources=tuple(stats),
        notes=tuple(notes),
    )
