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
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import chain, islice

from logdoctor.errors import LogdoctorError
from logdoctor.layout import Layout, detect_layout
from logdoctor.model import Record, SourceStats
from logdoctor.sources import LogSource, TextLines

# Lines looked at to detect the layout of a source (SDK records take 3 lines each).
SAMPLE_LINES = 500
# A record longer than this keeps its first lines only; the rest is counted, not kept.  A log
# that lost its headers (wrong --layout) must not turn into one record the size of the file.
MAX_MESSAGE_LINES = 20_000
MAX_MESSAGE_CHARS = 4 << 20

PRE_HEADER_REASON = "text before the first record header"
DROPPED_FIELD = "logdoctor.dropped_lines"

_Line = tuple[int, int, str]


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
    ) -> None:
        self.source = source
        self.layout = layout
        self.layout_forced = layout is not None
        self.start_offset = start_offset
        self.start_line = start_line
        self.encoding = "utf-8"
        self.bytes_read = 0
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
                self.encoding = text_lines.encoding
                self.bytes_read = text_lines.bytes_read
                self.cut_lines = text_lines.cut_lines

    def _guarded(self, text_lines: TextLines) -> Iterator[_Line]:
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
        self.records += 1
        self.last_record_offset = offset
        self.last_record_line = line
        fields: tuple[tuple[str, str], ...] = ()
        if dropped:
            fields = ((DROPPED_FIELD, str(dropped)),)
        if m is None:
            self.damaged += 1
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
        level = header.level
        if level is not None:
            self.level_counts[level] = self.level_counts.get(level, 0) + 1
        damaged = header.bad_timestamp is not None
        if damaged:
            self.damaged += 1
        return Record(
            path=path,
            line=line,
            offset=offset,
            end_line=end_line,
            timestamp=header.timestamp,
            level=level,
            logger=header.logger,
            thread=header.thread,
            message=message,
            fields=header.fields + fields,
            damaged=damaged,
            reason=f"unreadable timestamp {header.bad_timestamp!r}" if damaged else None,
        )


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
