"""Lazy access to the lines of a (possibly huge) log file, for the raw log viewer.

Only line-start offsets at checkpoints are kept, never the text: a window of lines is read on
demand from the nearest checkpoint.  For a plain file that is a seek plus counting newlines in
raw bytes (C speed); for gzip files and zip members, which cannot seek, it reads sequentially
from the start (or decompresses past a checkpoint), which is acceptable for attachments.
Line numbers agree with the records' (1-based, LF or CRLF ends) because the same `TextLines`
decoder reads the window.
"""

from __future__ import annotations

import bisect
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from logdoctor.render import view
from logdoctor.sources import LogSource, TextLines, discover, sniff_encoding

# Raw bytes counted per read while looking for a line: big enough for C-speed counting.
SCAN_CHUNK = 1 << 20
# Lines between checkpoints on the decoding path (gzip, zip, UTF-16).
CHECKPOINT_LINES = 1024
# A line is cut here for display; a 40 MB line without line ends must not stall the view.
MAX_LINE_CHARS = 2000
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ViewLine:
    number: int
    text: str  # inert (control characters made visible) and capped
    cut: bool = False


def display_text(text: str, max_chars: int = MAX_LINE_CHARS) -> tuple[str, bool]:
    """A line as the viewer shows it: control characters visible, tabs expanded, capped."""
    shown = view.inert(text.replace("\t", "    "))
    if len(shown) > max_chars:
        return shown[:max_chars] + f" ... ({len(shown) - max_chars:,} more characters)", True
    return shown, False


class LogFile:
    """Lines of one log source, read on demand.  Thread-safe: the viewer reads in a worker."""

    def __init__(self, source: LogSource, *, max_chars: int = MAX_LINE_CHARS) -> None:
        self.source = source
        self.max_chars = max_chars
        # (line, byte offset of that line's first byte): always sorted, line 1 at offset 0.
        self._lines: list[int] = [1]
        self._offsets: list[int] = [0]
        self.total_lines: int | None = None  # known once a read reached the end
        self._encoding: str | None = None
        self._lock = threading.Lock()

    @property
    def display(self) -> str:
        return self.source.display

    @property
    def seekable(self) -> bool:
        return self.source.member is None and not self.source.gzip

    def encoding(self) -> str:
        if self._encoding is None:
            with self.source.open() as stream:
                self._encoding = sniff_encoding(stream.read(4096))[0]
        return self._encoding

    def read(self, start: int, count: int) -> list[ViewLine]:
        """Up to `count` lines from line `start` (1-based); fewer at the end of the file."""
        start = max(1, start)
        if count <= 0:
            return []
        with self._lock:
            fast = self.seekable and not self.encoding().startswith("utf-16")
            with self.source.open() as stream:
                if fast:
                    line, offset = self._locate_raw(stream, start)
                    stream.seek(0)
                else:
                    line, offset = self._checkpoint(start)
                return self._decode(stream, line, offset, start, count)

    def count_lines(self) -> int:
        """Every line of the file (reads to the end once; remembered)."""
        if self.total_lines is None:
            self.read(1 << 62, 1)
        return self.total_lines or 0

    def _checkpoint(self, line: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._lines, line) - 1
        return self._lines[i], self._offsets[i]

    def _remember(self, line: int, offset: int) -> None:
        i = bisect.bisect_left(self._lines, line)
        if i < len(self._lines) and self._lines[i] == line:
            return
        self._lines.insert(i, line)
        self._offsets.insert(i, offset)

    def _locate_raw(self, stream: BinaryIO, target: int) -> tuple[int, int]:
        """The start of line `target`, or of the last line seen when the file is shorter.

        Counting newlines in raw bytes is exact for UTF-8 and cp1252 (no multi-byte character
        contains 0x0A); a checkpoint is kept at the last line start of every chunk.
        """
        line, offset = self._checkpoint(target)
        stream.seek(offset)
        best = (line, offset)
        while line < target:
            chunk = stream.read(SCAN_CHUNK)
            if not chunk:
                return best  # decoding from here finds the end and the line count
            need = target - line
            newlines = chunk.count(b"\n")
            if newlines < need:
                last_nl = chunk.rfind(b"\n")
                if last_nl >= 0:
                    line += newlines
                    best = (line, offset + last_nl + 1)
                    self._remember(*best)
                offset += len(chunk)
                continue
            pos = -1
            for _ in range(need):
                pos = chunk.find(b"\n", pos + 1)
            best = (target, offset + pos + 1)
            self._remember(*best)
            return best
        return best

    def _decode(
        self, stream: BinaryIO, line: int, offset: int, start: int, count: int
    ) -> list[ViewLine]:
        out: list[ViewLine] = []
        reader = TextLines(
            stream, start_offset=offset, start_line=line, max_line_bytes=MAX_LINE_BYTES
        )
        last = line - 1
        try:
            for number, at, text in reader:
                last = number
                if number % CHECKPOINT_LINES == 0:
                    self._remember(number, at)
                if number >= start:
                    shown, cut = display_text(text, self.max_chars)
                    out.append(ViewLine(number, shown, cut))
                    if len(out) >= count:
                        return out
        except (EOFError, zlib.error, zipfile.BadZipFile):
            pass  # a cut-short archive: show what was there
        self.total_lines = last
        return out


def source_resolver(sources: list[LogSource]) -> Callable[[str], LogSource | None]:
    """Map an evidence path (a source's display name) back to the source to read."""
    known = {source.display: source for source in sources}

    def resolve(display: str) -> LogSource | None:
        found = known.get(display)
        if found is not None:
            return found
        return find_source(display)

    return resolve


def find_source(display: str) -> LogSource | None:
    """A source from its display name alone (`file`, or `archive.zip!member`), if readable."""
    archive, bang, _member = display.partition("!")
    path = Path(archive if bang else display)
    try:
        if not path.is_file():
            return None
        for source in discover([path]):
            if source.display == display or not bang:
                return source
    except Exception:  # whatever is wrong with the file, the viewer just cannot open it
        return None
    return None
