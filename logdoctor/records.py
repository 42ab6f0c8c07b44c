"""Records: a header line found by the layout plus its continuation lines.

A line is a header only when the layout's whole header structure matches at its start, so a
timestamp inside a message, an SMTP reply or a stack frame never starts a record.  Text before
the first header is kept as one damaged record.  Reading is streamed: only the record being
assembled is held in memory.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import date
from itertools import chain, islice
from typing import TypeVar

from logdoctor.errors import LogdoctorError
from logdoctor.fastpath import (
    FastLayout,
    PhraseLine,
    Span,
    fast_layout,
    header_fields,
    odd_lines,
    scan_span,
    trigger_words,
)
from logdoctor.layout import LEVEL_MAP, Layout, detect_layout
from logdoctor.model import Record, SourceStats
from logdoctor.sources import (
    CP1252,
    UTF8_NONASCII,
    LogSource,
    Region,
    TextLines,
    Window,
    decode_line,
)

# Lines looked at to detect the layout of a source (SDK records take 3 lines each).
SAMPLE_LINES = 500
# A record longer than this keeps its first lines only; the rest is counted, not kept.  A log
# that lost its headers (wrong --layout) must not turn into one record the size of the file.
MAX_MESSAGE_LINES = 20_000
MAX_MESSAGE_CHARS = 4 << 20

PRE_HEADER_REASON = "text before the first record header"
DROPPED_FIELD = "logdoctor.dropped_lines"

_Line = tuple[int, int, str]
_T = TypeVar("_T")
# The part of a region held back for the next one (the last record, which may go on) is read
# line by line when it grows past this: a record cannot make the fast reader hold much.
CARRY_LIMIT = 16 << 20
# The success phrases of `events.DEFAULT_SUCCESS_PHRASES` (records does not import events).
DEFAULT_PHRASES: tuple[str, ...] = (
    "email sent",
    "e-mail sent",
    "message sent",
    "mail sent",
    "sent email",
    "sent e-mail",
    "sent message",
    "successfully sent",
    "sent successfully",
)


class RecordReader:
    """Reads one source into records and remembers what it found.

    After (or during) iteration: `layout` and `layout_forced`, `encoding`, `bytes_read`,
    `records`, `damaged`, `lines`, `truncated` (a gzip cut short: what was there was read),
    and `last_record_offset`/`last_record_line`, where a later run can resume (the last record
    may still be growing, so resume at its start, not at the end of the file).
    """

    def __init__(
        self,
        source: LogSource,
        layout: Layout | None = None,
        *,
        start_offset: int = 0,
        start_line: int = 1,
        end_offset: int | None = None,
    ) -> None:
        self.source = source
        self.layout = layout
        self.layout_forced = layout is not None
        self.start_offset = start_offset
        self.start_line = start_line
        # `scan` only: stop at this offset (a record start) and read in file-aligned chunks;
        # the parallel reader gives each worker such a share of one plain file.
        self.end_offset = end_offset
        self.cp1252_lines = 0
        self.utf8_nonascii = False
        self.bom = 0
        self.encoding = "utf-8"
        self.bytes_read = 0
        self._live: TextLines | None = None  # the reader of the file while it is being read
        self.records = 0
        self.damaged = 0
        self.lines = 0
        self.truncated = False
        self.cut_lines = 0
        self.last_record_offset = start_offset
        self.last_record_line = start_line
        self.level_counts: dict[str, int] = {}
        # A time-only date format (%date{ABSOLUTE}) gets its date from the file's modification
        # time: the best a streamed read knows.  Records from before a midnight in the file get
        # that later date too; `base_date` tells readers of the result that it was assumed.
        self.base_date: date | None = None

    @property
    def layout_note(self) -> str:
        """`Dovetail SDK (tab), detected` for the user."""
        if self.layout is None:
            return "layout: not read yet"
        how = "forced" if self.layout_forced else "detected"
        return f"{self.layout.name}, {how}"

    def position(self) -> int:
        """Bytes read so far, also while reading (`bytes_read` is final only at the end)."""
        live = self._live
        return live.bytes_read if live is not None else self.bytes_read

    def stats(self) -> SourceStats:
        return SourceStats(
            path=self.source.display,
            bytes=self.bytes_read,
            records=self.records,
            encoding=self.encoding,
            layout=self.layout.name if self.layout else "",
        )

    def __iter__(self) -> Iterator[Record]:
        src = self.source
        self.records = self.damaged = self.lines = 0
        self.truncated = False
        self.level_counts = {}
        try:
            stream = src.open()
        except (OSError, zlib.error, zipfile.BadZipFile) as exc:
            raise LogdoctorError(f"cannot read: {_reason(exc)}", path=src.display) from exc
        with stream:
            text_lines = TextLines(
                stream, start_offset=self.start_offset, start_line=self.start_line
            )
            self._live = text_lines
            lines: Iterator[_Line] = self._guarded(text_lines)
            try:
                layout = self.layout
                if layout is None:
                    sample = list(islice(lines, SAMPLE_LINES))
                    layout = detect_layout([t for _, _, t in sample])
                    self.layout = layout
                    lines = chain(sample, lines)
                if layout.time_only and src.mtime is not None:
                    self.base_date = src.mtime.date()
                yield from self._assemble(lines, layout)
            finally:
                self._live = None
                self.encoding = text_lines.encoding
                self.bytes_read = text_lines.bytes_read
                self.cut_lines = text_lines.cut_lines

    def scan(self, phrases: Sequence[str] = DEFAULT_PHRASES) -> Iterator[Record | Span]:
        """The records, fast: routine records come counted in bulk as `Span`s.

        Yields the same records as iterating, in order, except that a `Span` stands for a run
        of records of which only the ones that can become an event (`Span.interesting`) are
        built; the others are only counted.  The last record is always built.  `phrases` are
        the success phrases of `events.record_event` (lower case); records holding one are
        built.  Every attribute (`records`, `level_counts`, `last_record_offset` ...) ends up
        as after iterating.
        """
        src = self.source
        self.records = self.damaged = self.lines = 0
        self.truncated = False
        self.level_counts = {}
        words = tuple(p.lower().encode("ascii") for p in phrases if p.strip() and p.isascii())
        try:
            stream = src.open()
        except (OSError, zlib.error, zipfile.BadZipFile) as exc:
            raise LogdoctorError(f"cannot read: {_reason(exc)}", path=src.display) from exc
        if self.end_offset is not None:
            stream = Window(stream, self.end_offset)  # type: ignore[assignment]
        with stream:
            text_lines = TextLines(
                stream,
                start_offset=self.start_offset,
                start_line=self.start_line,
                align_reads=self.end_offset is not None,
            )
            self._live = text_lines
            items: Iterator[Region | _Line] = self._guarded(text_lines.regions())
            try:
                layout = self.layout
                pulled: list[Region | _Line] = []
                if layout is None:
                    sample: list[str] = []
                    for item in items:
                        pulled.append(item)
                        sample.extend(sample_texts(item, SAMPLE_LINES - len(sample)))
                        if len(sample) >= SAMPLE_LINES:
                            break
                    layout = detect_layout(sample)
                    self.layout = layout
                if layout.time_only and src.mtime is not None:
                    self.base_date = src.mtime.date()
                fast = fast_layout(layout)
                if len(words) != len([p for p in phrases if p.strip()]) or any(
                    b"k" in w for w in words
                ):
                    fast = None  # a phrase the byte search could miss: read line by line
                words = trigger_words(words)
                yield from self._scan(chain(pulled, items), layout, fast, text_lines, words)
            finally:
                self._live = None
                self.encoding = text_lines.encoding
                self.bytes_read = text_lines.bytes_read
                self.cut_lines = text_lines.cut_lines
                self.cp1252_lines = text_lines.cp1252_lines
                self.utf8_nonascii = text_lines.utf8_nonascii
                self.bom = text_lines.bom

    def _scan(
        self,
        items: Iterable[Region | _Line],
        layout: Layout,
        fast: FastLayout | None,
        text_lines: TextLines,
        words: tuple[bytes, ...],
    ) -> Iterator[Record | Span]:
        asm = _Assembler(self, layout)
        carry: Region | None = None
        last_line = self.start_line - 1
        for item in items:
            if isinstance(item, Region):
                last_line = item.line + item.lines - 1
                if fast is None:
                    yield from self._slow(asm, text_lines, item.data, item.line, item.offset)
                    continue
                if carry is not None:
                    item = Region(carry.line, carry.offset, carry.data + item.data, 0)
                    carry = None
                if not item.data.endswith(b"\n"):
                    carry = item  # the last line of the file, not ended: read at the end
                    continue
                carry = yield from self._fast(asm, fast, text_lines, item, words)
            else:
                last_line = item[0]
                if carry is not None:
                    yield from self._slow(asm, text_lines, carry.data, carry.line, carry.offset)
                    carry = None
                record = asm.feed(*item)
                if record is not None:
                    yield record
        if carry is not None and fast is not None:
            # The last record comes built, never inside a `Span`: `batch` holds it back as
            # provisional (the file may still grow) and needs its offset and lines.
            tail = yield from self._fast(asm, fast, text_lines, carry, words)
            if tail is not None:
                yield from self._slow(asm, text_lines, tail.data, tail.line, tail.offset)
        record = asm.flush(last_line)
        if record is not None:
            yield record
        self.lines = max(last_line - self.start_line + 1, 0)

    def _slow(
        self, asm: _Assembler, text_lines: TextLines, data: bytes, line: int, offset: int
    ) -> Iterator[Record]:
        """Whole lines of raw bytes, read one by one as the line reader does."""
        parts = data.split(b"\n")
        if parts and not parts[-1]:
            parts.pop()
        decode = text_lines._decode
        for raw in parts:
            record = asm.feed(line, offset, decode(raw))
            if record is not None:
                yield record
            line += 1
            offset += len(raw) + 1

    def _fast(
        self,
        asm: _Assembler,
        fl: FastLayout,
        text_lines: TextLines,
        region: Region,
        words: tuple[bytes, ...],
    ) -> Generator[Record | Span, None, Region | None]:
        """One region of whole lines; returns the part from its last record start on, to read
        with the next region (or, at the end, line by line)."""
        data, line, offset = region.data, region.line, region.offset
        size = len(data)
        m = fl.head.match(data)
        if m is not None:
            h0 = 0
        else:
            found = fl.nl_head.search(data)
            if found is None:
                # No record starts here: the lines continue the open record.
                yield from self._slow(asm, text_lines, data, line, offset)
                return None
            h0 = found.start() + 1
        starts, ts, levels = header_fields(fl, data, h0, size)
        if h0:
            yield from self._slow(asm, text_lines, data[:h0], line, offset)
            line += data.count(b"\n", 0, h0)
        record = asm.flush(line - 1)
        if record is not None:
            yield record
        end = starts.pop()
        ts.pop()
        levels.pop()
        if not starts:
            rest = Region(line, offset + h0, data[h0:], 0)
            if len(rest.data) <= CARRY_LIMIT:
                return rest
            # One record longer than the carry may grow: let the line reader hold it.
            yield from self._slow(asm, text_lines, rest.data, rest.line, rest.offset)
            return None
        tail = Region(line + data.count(b"\n", h0, end), offset + end, data[end:], 0)
        span = self._fast_span(
            fl, text_lines, data, h0, end, line, offset, starts, ts, levels, words
        )
        if span is None:
            yield from self._slow(asm, text_lines, data[h0:end], line, offset + h0)
        else:
            yield span
        return tail

    def _fast_span(
        self,
        fl: FastLayout,
        text_lines: TextLines,
        data: bytes,
        h0: int,
        end: int,
        line: int,
        offset: int,
        starts: list[int],
        ts: list[bytes],
        levels: list[bytes],
        words: tuple[bytes, ...],
    ) -> Span | None:
        """The records data[h0:end] (`line` is h0's line), or None to read them line by line."""
        nonascii = False
        if not data.isascii() or b"\x00" in data:
            # Lines with other bytes are decoded as the line reader would; a header only the
            # str regex sees, or a line that is not UTF-8, needs the line reader.
            header_at = set(starts)
            match = fl.layout.match
            for ls, le in odd_lines(fl, data, h0, end):
                text, kind = decode_line(data[ls:le])
                if kind == CP1252:
                    return None
                nonascii = nonascii or kind == UTF8_NONASCII
                if ls not in header_at and match(text) is not None:
                    return None
        scan = scan_span(fl, data, starts, ts, levels, end, words)
        if scan is None:
            return None
        span = scan.span
        path = self.source.display
        layout = fl.layout
        at, at_line = h0, line
        built: list[Record | PhraseLine] = []
        phrase_only = scan.phrase_only if layout.message_on_header else set()
        parse_ts = layout.ts_format.parse  # type: ignore[union-attr]
        head = fl.head.match
        for i in scan.wanted:
            s = starts[i]
            e = starts[i + 1] if i + 1 < len(starts) else end
            at_line += data.count(b"\n", at, s)
            at = s
            if i in phrase_only:
                nl = data.find(b"\n", s, e)
                raw = data[s : nl if nl >= 0 else e]
                if (nl < 0 or nl == e - 1) and raw.isascii() and b"\x00" not in raw:
                    # One ASCII line: its message is what follows the header, as the line
                    # reader would cut it (the same regex, on the same characters).
                    m = head(raw)
                    if m is not None:
                        built.append(
                            PhraseLine(
                                path,
                                at_line,
                                ts[i].decode("ascii"),
                                parse_ts,
                                LEVEL_MAP.get(levels[i].decode("ascii").upper()),
                                raw[m.end() :].decode("ascii").rstrip(),
                            )
                        )
                        continue
            record = _build(path, layout, self.base_date, data[s:e], at_line, offset + s)
            if record is None:
                return None
            built.append(record)
        span.interesting = built
        if nonascii:
            text_lines.note_region(True)
        self.records += span.records
        for level, count in span.by_level.items():
            if level != "NONE":
                self.level_counts[level] = self.level_counts.get(level, 0) + count
        last = starts[-1]
        self.last_record_offset = offset + last
        self.last_record_line = at_line + data.count(b"\n", at, last)
        return span

    def _guarded(self, text_lines: Iterable[_T]) -> Iterator[_T]:
        """The lines, with read errors turned into one-line user errors."""
        it = iter(text_lines)
        while True:
            try:
                item = next(it)
            except StopIteration:
                return
            except EOFError:
                # A gzip cut short (copied while being written): keep what was there.
                self.truncated = True
                return
            except (OSError, zlib.error, zipfile.BadZipFile) as exc:
                raise LogdoctorError(
                    f"cannot read: {_reason(exc)}", path=self.source.display
                ) from exc
            yield item

    def _assemble(self, lines: Iterable[_Line], layout: Layout) -> Iterator[Record]:
        rx = layout.header_re.match
        lead = layout.lead
        path = self.source.display
        base = self.base_date

        start_line = 0  # 0: nothing open yet
        start_off = 0
        head_text = ""
        head_match: re.Match[str] | None = None
        body: list[str] = []
        body_chars = 0
        dropped = 0
        last_line = 0

        for line_no, offset, text in lines:
            last_line = line_no
            # The cheap first-character test rejects most continuation lines before the regex.
            if text and (not lead or text[0] in lead):
                m = rx(text)
                if m is not None:
                    if start_line:
                        yield self._record(
                            path,
                            layout,
                            base,
                            start_line,
                            start_off,
                            line_no - 1,
                            head_text,
                            head_match,
                            body,
                            dropped,
                        )
                    start_line, start_off, head_text, head_match = line_no, offset, text, m
                    body = []
                    body_chars = dropped = 0
                    continue
            if not start_line:
                if not text.strip():
                    continue  # blank lines before anything: nothing lost
                start_line, start_off, head_text, head_match = line_no, offset, "", None
            if len(body) < MAX_MESSAGE_LINES and body_chars < MAX_MESSAGE_CHARS:
                body.append(text)
                body_chars += len(text)
            else:
                dropped += 1
        self.lines = max(last_line - self.start_line + 1, 0)
        if start_line:
            yield self._record(
                path,
                layout,
                base,
                start_line,
                start_off,
                last_line,
                head_text,
                head_match,
                body,
                dropped,
            )

    def _record(
        self,
        path: str,
        layout: Layout,
        base: date | None,
        line: int,
        offset: int,
        end_line: int,
        head_text: str,
        m: re.Match[str] | None,
        body: list[str],
        dropped: int,
    ) -> Record:
        record = self._make_record(
            path, layout, base, line, offset, end_line, head_text, m, body, dropped
        )
        self.records += 1
        self.last_record_offset = offset
        self.last_record_line = line
        if record.damaged:
            self.damaged += 1
        level = record.level
        if level is not None:
            self.level_counts[level] = self.level_counts.get(level, 0) + 1
        return record

    @staticmethod
    def _make_record(
        path: str,
        layout: Layout,
        base: date | None,
        line: int,
        offset: int,
        end_line: int,
        head_text: str,
        m: re.Match[str] | None,
        body: list[str],
        dropped: int,
    ) -> Record:
        fields: tuple[tuple[str, str], ...] = ()
        if dropped:
            fields = ((DROPPED_FIELD, str(dropped)),)
        if m is None:
            return Record(
                path=path,
                line=line,
                offset=offset,
                end_line=end_line,
                timestamp=None,
                level=None,
                logger=None,
                thread=None,
                message=_join(body, ""),
                fields=fields,
                damaged=True,
                reason=PRE_HEADER_REASON,
            )
        header = layout.parse(m, base)
        if layout.message_on_header:
            message = _join(body, head_text[m.end() :], first=True)
        else:
            indent = layout.indent
            if indent and body and body[0].startswith(indent):
                body[0] = body[0][len(indent) :]
            message = _join(body, "")
        damaged = header.bad_timestamp is not None
        return Record(
            path=path,
            line=line,
            offset=offset,
            end_line=end_line,
            timestamp=header.timestamp,
            level=header.level,
            logger=header.logger,
            thread=header.thread,
            message=message,
            fields=header.fields + fields,
            damaged=damaged,
            reason=f"unreadable timestamp {header.bad_timestamp!r}" if damaged else None,
        )


def sample_texts(item: Region | _Line, want: int) -> list[str]:
    """Texts of the first lines of an item, for layout detection (no counting)."""
    if want <= 0:
        return []
    if isinstance(item, Region):
        parts = item.data.split(b"\n", want)[:want]
        if parts and not parts[-1] and item.data.endswith(b"\n") and len(parts) > item.lines:
            parts.pop()
        return [decode_line(raw)[0] for raw in parts[: item.lines]]
    return [item[2]]


def _build(
    path: str, layout: Layout, base: date | None, raw: bytes, line: int, offset: int
) -> Record | None:
    """One whole record from its raw bytes, as the line reader builds it (None: not a header)."""
    parts = raw.split(b"\n")
    if not parts[-1]:
        parts.pop()
    head_text = decode_line(parts[0])[0]
    m = layout.match(head_text)
    if m is None:
        return None
    body: list[str] = []
    body_chars = dropped = 0
    for part in parts[1:]:
        if len(body) < MAX_MESSAGE_LINES and body_chars < MAX_MESSAGE_CHARS:
            text = decode_line(part)[0]
            body.append(text)
            body_chars += len(text)
        else:
            dropped += 1
    return RecordReader._make_record(
        path, layout, base, line, offset, line + len(parts) - 1, head_text, m, body, dropped
    )


class _Assembler:
    """`RecordReader._assemble`, fed one line at a time (the fast reader mixes in bulk spans)."""

    def __init__(self, reader: RecordReader, layout: Layout) -> None:
        self.reader = reader
        self.layout = layout
        self.rx = layout.header_re.match
        self.lead = layout.lead
        self.path = reader.source.display
        self.start_line = 0
        self.start_off = 0
        self.head_text = ""
        self.head_match: re.Match[str] | None = None
        self.body: list[str] = []
        self.body_chars = 0
        self.dropped = 0

    def feed(self, line_no: int, offset: int, text: str) -> Record | None:
        out: Record | None = None
        lead = self.lead
        if text and (not lead or text[0] in lead):
            m = self.rx(text)
            if m is not None:
                if self.start_line:
                    out = self.flush(line_no - 1)
                self.start_line, self.start_off = line_no, offset
                self.head_text, self.head_match = text, m
                return out
        if not self.start_line:
            if not text.strip():
                return None  # blank lines before anything: nothing lost
            self.start_line, self.start_off, self.head_text, self.head_match = (
                line_no,
                offset,
                "",
                None,
            )
        if len(self.body) < MAX_MESSAGE_LINES and self.body_chars < MAX_MESSAGE_CHARS:
            self.body.append(text)
            self.body_chars += len(text)
        else:
            self.dropped += 1
        return None

    def flush(self, end_line: int) -> Record | None:
        """The open record, ending at `end_line`; None when nothing is open."""
        if not self.start_line:
            return None
        r = self.reader
        record = r._record(
            self.path,
            self.layout,
            r.base_date,
            self.start_line,
            self.start_off,
            end_line,
            self.head_text,
            self.head_match,
            self.body,
            self.dropped,
        )
        self.start_line = 0
        self.body = []
        self.body_chars = self.dropped = 0
        return record


def _join(body: list[str], first_text: str, *, first: bool = False) -> str:
    """The message: the header's rest (stock) and the body, without trailing blank lines."""
    while body and not body[-1].strip():
        body.pop()
    if first:
        if not body:
            return first_text.rstrip()
        return first_text + "\n" + "\n".join(body)
    return "\n".join(body)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def read_records(source: LogSource, layout: Layout | None = None) -> Iterator[Record]:
    """The records of one source; the layout is detected when not given."""
    return iter(RecordReader(source, layout))


class MultiReader:
    """Records of several sources in the order given (use `discover` for time order).

    Each source detects its own layout unless one is forced; `readers` hold the per-source
    facts after iteration.
    """

    def __init__(self, sources: Sequence[LogSource], layout: Layout | None = None) -> None:
        self.readers = [RecordReader(s, layout) for s in sources]

    def __iter__(self) -> Iterator[Record]:
        for reader in self.readers:
            yield from reader

    def source_stats(self) -> tuple[SourceStats, ...]:
        return tuple(r.stats() for r in self.readers)


def read_all(sources: Sequence[LogSource], layout: Layout | None = None) -> Iterator[Record]:
    """All records of all sources, chained."""
    return iter(MultiReader(sources, layout))
