"""Log sources: plain files, `.gz`, `.zip` archives and directories, as byte streams.

`discover` turns what the user named into `LogSource`s in time order (a rotated set oldest first);
`TextLines` decodes a source's bytes into numbered lines with byte offsets, streamed in big
chunks so that memory stays flat whatever the file size.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from logdoctor.errors import LogdoctorError

CHUNK_SIZE = 1 << 20
# A longer line is cut here; the rest of it is skipped (still counted in offsets).  Keeps memory
# and regex work bounded on hostile input such as a binary blob without line ends.
MAX_LINE_BYTES = 1 << 20
# How much of a file `discover` reads to find its first timestamp when names do not decide.
SNIFF_BYTES = 16 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_NAME_PREFIX = "rulemanager.log"


@dataclass(frozen=True, slots=True)
class LogSource:
    """One log file to read: a file on disk, or a member of a zip archive.

    `display` is what users see (`support.zip!logs/Rulemanager.log`), `size` the bytes on disk
    (compressed size for `.gz` and zip members).  `gzip` is sniffed from the magic bytes, not
    from the name, so a rotated `.log.3` that is really gzip still reads.
    """

    display: str
    size: int
    path: Path
    member: str | None = None
    gzip: bool = False
    mtime: datetime | None = None

    def open(self) -> BinaryIO:
        """The decompressed byte stream.  The caller closes it."""
        raw: BinaryIO
        if self.member is None:
            raw = self.path.open("rb")
        else:
            # Closing the ZipFile at once is safe: an open member keeps the file handle alive
            # (zipfile reference-counts it) and closes it with the member.
            with zipfile.ZipFile(self.path) as zf:
                raw = zf.open(self.member)  # type: ignore[assignment]
        if self.gzip:
            return cast(BinaryIO, _OwningGzip(raw))
        return raw


class _OwningGzip(gzip.GzipFile):
    """A GzipFile that also closes the stream it reads from."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__(fileobj=inner, mode="rb")
        self._inner = inner

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._inner.close()


# ---------------------------------------------------------------------------------------------
# Discovery and ordering


def discover(paths: Sequence[str | Path]) -> list[LogSource]:
    """Expand files, `.gz`, `.zip` archives and directories into sources in time order.

    Raises `LogdoctorError` (one line, naming the path) for a missing, unreadable or corrupt input.
    """
    found: list[LogSource] = []
    seen: set[tuple[str, str | None]] = set()
    for given in paths:
        for src in _expand(Path(given)):
            key = (str(src.path.resolve()), src.member)
            if key not in seen:
                seen.add(key)
                found.append(src)
    return order_sources(found)


def _expand(path: Path) -> list[LogSource]:
    shown = str(path)
    try:
        if path.is_dir():
            return _expand_dir(path)
        if not path.exists():
            raise LogdoctorError("cannot read: no such file or directory", path=shown)
        if zipfile.is_zipfile(path):
            return _expand_zip(path)
        if path.suffix.lower() == ".zip":
            raise LogdoctorError(
                "cannot read: not a valid zip file (damaged or cut short?)", path=shown
            )
        src = _file_source(path)
        if path.suffix.lower() == ".gz" and not src.gzip and src.size > 0:
            # An empty one (a rotation compressed only in name) is read as the empty file it
            # is, as it is inside a folder.
            raise LogdoctorError("cannot read: not a gzip file", path=shown)
        return [src]
    except PermissionError as exc:
        raise LogdoctorError("cannot read: permission denied", path=shown) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise LogdoctorError(f"cannot read: corrupt archive ({exc})", path=shown) from exc
    except OSError as exc:
        raise LogdoctorError(f"cannot read: {exc.strerror or exc}", path=shown) from exc


def _expand_dir(path: Path) -> list[LogSource]:
    files = sorted(p for p in path.iterdir() if p.is_file())
    chosen = [p for p in files if p.name.lower().startswith(_NAME_PREFIX)]
    if not chosen:
        chosen = [p for p in files if ".log" in p.name.lower()]
    if not chosen:
        # A folder of ticket attachments: the logs are inside the archives.
        chosen = [p for p in files if p.name.lower().endswith((".zip", ".gz"))]
    if not chosen:
        raise LogdoctorError(
            "cannot read: no Rulemanager.log*, *.log* or archive files in this directory",
            path=str(path),
        )
    out: list[LogSource] = []
    for p in chosen:
        if zipfile.is_zipfile(p):
            out.extend(_expand_zip(p))
        else:
            out.append(_file_source(p))
    return out


def _file_source(path: Path) -> LogSource:
    st = path.stat()
    with path.open("rb") as fh:
        head = fh.read(2)
    src = LogSource(
        display=str(path),
        size=st.st_size,
        path=path,
        gzip=head == _GZIP_MAGIC,
        mtime=datetime.fromtimestamp(st.st_mtime),
    )
    if src.gzip:
        _check_gzip(src)
    return src


def _expand_zip(path: Path) -> list[LogSource]:
    with zipfile.ZipFile(path) as zf:
        infos = [
            i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
        ]
        names = [PurePosixPath(i.filename).name.lower() for i in infos]
        chosen = [i for i, n in zip(infos, names, strict=True) if n.startswith(_NAME_PREFIX)]
        if not chosen:
            chosen = [i for i, n in zip(infos, names, strict=True) if ".log" in n]
        if not chosen:
            raise LogdoctorError("cannot read: no log files in this zip archive", path=str(path))
        out: list[LogSource] = []
        for info in chosen:
            display = f"{path}!{info.filename}"
            if info.flag_bits & 0x1:
                raise LogdoctorError("cannot read: encrypted zip member", path=display)
            with zf.open(info) as fh:
                head = fh.read(2)
            src = LogSource(
                display=display,
                size=info.compress_size,
                path=path,
                member=info.filename,
                gzip=head == _GZIP_MAGIC,
                mtime=datetime(*info.date_time) if info.date_time[0] >= 1980 else None,
            )
            if src.gzip:
                _check_gzip(src)
            out.append(src)
        return out


def _check_gzip(src: LogSource) -> None:
    """Fail early, with one line, on a file that only pretends to be gzip."""
    try:
        with src.open() as fh:
            fh.read(64)
    except EOFError:
        return  # truncated after the first bytes: still readable up to the cut
    except (OSError, zlib.error) as exc:
        raise LogdoctorError(f"cannot read: corrupt gzip data ({exc})", path=src.display) from exc


_TRAILING_NUMBER = re.compile(r"^(?P<stem>.*?)\.(?P<n>\d{1,4})$")
_DATE_IN_NAME = re.compile(
    r"[._-]?(?P<y>(?:19|20)\d\d)-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)"
    r"(?:[._T-]?(?P<H>[0-2]\d)(?:-?(?P<M>[0-5]\d))?)?(?!\d)"
)
_NEWEST = datetime.max


@dataclass(frozen=True, slots=True, order=True)
class RotationKey:
    """Where a file sits in its rotated set: (date of the slice, -roll number); larger is newer.

    `Rulemanager.log` (no suffix) is the live file, newest of its set; `.log.N` is older the
    larger N is (log4net's default CountDirection); a date suffix dates the slice.
    """

    date: datetime = _NEWEST
    roll: int = 0


@dataclass(frozen=True, slots=True)
class RotationName:
    set_name: str
    key: RotationKey = field(default_factory=RotationKey)


def rotation_name(name: str) -> RotationName:
    """Split a file name into the rotated set it belongs to and its place in that set."""
    n = name.lower()
    if n.endswith(".gz"):
        n = n[:-3]
    roll = 0
    m = _TRAILING_NUMBER.match(n)
    if m:
        n, roll = m.group("stem"), int(m.group("n"))
    date = _NEWEST
    for dm in _DATE_IN_NAME.finditer(n):
        try:
            date = datetime(
                int(dm.group("y")),
                int(dm.group("m")),
                int(dm.group("d")),
                int(dm.group("H") or 0),
                int(dm.group("M") or 0),
            )
        except ValueError:
            continue
        n = n[: dm.start()] + n[dm.end() :]
        break
    return RotationName(n, RotationKey(date, -roll))


def order_sources(sources: Sequence[LogSource]) -> list[LogSource]:
    """Time order: each rotated set oldest first; sets by their first timestamp.

    Names decide inside a set; where they do not (two files with the same place, such as the
    same `Rulemanager.log` from two folders), the first timestamp in the file decides.
    """
    groups: dict[str, list[LogSource]] = {}
    for src in sources:
        name = PurePosixPath(src.member).name if src.member else src.path.name
        groups.setdefault(rotation_name(name).set_name, []).append(src)

    first_ts: dict[int, datetime | None] = {}

    def first(src: LogSource) -> datetime | None:
        if id(src) not in first_ts:
            first_ts[id(src)] = first_timestamp(src)
        return first_ts[id(src)]

    def in_set_key(src: LogSource) -> RotationKey:
        name = PurePosixPath(src.member).name if src.member else src.path.name
        return rotation_name(name).key

    ordered_groups: list[list[LogSource]] = []
    for members in groups.values():
        keys = [in_set_key(s) for s in members]
        if len(set(keys)) == len(keys):
            members = sorted(members, key=in_set_key)
        else:
            members = sorted(members, key=lambda s: (_ts_key(first(s)), in_set_key(s)))
        ordered_groups.append(members)
    if len(ordered_groups) > 1:
        ordered_groups.sort(key=lambda g: _ts_key(first(g[0])))
    return [s for g in ordered_groups for s in g]


def _ts_key(ts: datetime | None) -> tuple[int, datetime]:
    return (1, datetime.max) if ts is None else (0, ts)


def first_timestamp(src: LogSource) -> datetime | None:
    """The first line-start timestamp in the first few KB, or None."""
    from logdoctor.layout import sniff_timestamp  # layout does not import sources

    try:
        with src.open() as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile):
        return None
    for _, _, text in TextLines(io.BytesIO(head)):
        ts = sniff_timestamp(text)
        if ts is not None:
            return ts
    return None


# ---------------------------------------------------------------------------------------------
# Decoding


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) from the first bytes.  Without a BOM: UTF-16 if NULs say so."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    sample = head[:4096]
    if len(sample) >= 16:
        even_nul = sample[0::2].count(0)
        odd_nul = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nul > half * 0.4 and even_nul < half * 0.05:
            return "utf-16-le", 0
        if even_nul > half * 0.4 and odd_nul < half * 0.05:
            return "utf-16-be", 0
    return "utf-8", 0


CP1252 = 2
UTF8_NONASCII = 1
ASCII = 0


def decode_line(raw: bytes, *, cut: bool = False) -> tuple[str, int]:
    """One raw line (without its LF) as text, and how it decoded: ASCII, UTF8_NONASCII, CP1252.

    A trailing CR goes, a BOM at the start goes (two logs joined with `copy a+b`), NULs go.
    Text that is not valid UTF-8 is read as cp1252, the ANSI code page of Western Windows.
    """
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    if b"\x00" in raw:
        # NUL runs are what Windows leaves where a crash cut a write short; they are not text.
        raw = raw.replace(b"\x00", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(raw) - 3:
            # the cut went through a multi-byte character
            return raw[: exc.start].decode("utf-8", "replace"), ASCII
        return raw.decode("cp1252", "replace"), CP1252
    return text, ASCII if raw.isascii() else UTF8_NONASCII


def encoding_label(bom: int, cp1252_lines: int, utf8_nonascii: bool) -> str:
    """What a UTF-8/cp1252 stream was read as: utf-8, utf-8-sig, cp1252 or a mix."""
    if bom:
        return "utf-8-sig+cp1252" if cp1252_lines else "utf-8-sig"
    if cp1252_lines:
        return "utf-8+cp1252" if utf8_nonascii else "cp1252"
    return "utf-8"


class Window:
    """A seekable byte stream that ends at `end` (the parallel reader's share of a file)."""

    def __init__(self, inner: BinaryIO, end: int) -> None:
        self._inner = inner
        self._end = end

    def read(self, size: int = -1) -> bytes:
        left = self._end - self._inner.tell()
        if left <= 0:
            return b""
        return self._inner.read(left if size < 0 else min(size, left))

    def seekable(self) -> bool:
        return True

    def seek(self, target: int) -> int:
        return self._inner.seek(target)

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class Region:
    """Whole lines of a UTF-8/cp1252 stream as raw bytes: `lines` lines from `line`/`offset`.

    Every line ends with LF except, at the end of the stream, the last one.
    """

    line: int
    offset: int
    data: bytes
    lines: int


class TextLines:
    """Numbered, decoded lines of a byte stream: `(line_no, byte_offset, text)`.

    `line_no` is 1-based; `byte_offset` is the offset of the line's first byte in the
    (decompressed) stream, BOM included, so seeking there reads the line back.  Line ends are
    LF or CRLF, mixed freely; a lone CR stays part of the text.  Without a BOM each line is
    decoded as UTF-8, or as cp1252 when it is not valid UTF-8 (the ANSI code page of Western
    Windows), so one stray byte never spoils the rest of the file.

    `start_offset`/`start_line` resume at a known line start (the nightly batch reads only what
    is new).  After iteration, `encoding` tells what was found and `bytes_read` how far it read.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        start_offset: int = 0,
        start_line: int = 1,
        chunk_size: int = CHUNK_SIZE,
        max_line_bytes: int = MAX_LINE_BYTES,
        align_reads: bool = False,
    ) -> None:
        self._stream = stream
        # With `align_reads`, a read that starts mid-file ends where a read from the start of
        # the file would: lines longer than `max_line_bytes` are then cut at the same places
        # (the parallel reader relies on it).
        self._align = align_reads
        self._start_offset = start_offset
        self._start_line = start_line
        self._chunk = chunk_size
        self._max_line = max_line_bytes
        self.encoding = "utf-8"
        self.bytes_read = 0
        self.cut_lines = 0  # lines longer than max_line_bytes, cut
        self.cp1252_lines = 0
        self._utf8_nonascii = False
        self.bom = 0

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        stream = self._stream
        first = stream.read(4096)
        enc, bom = sniff_encoding(first)
        self.encoding = enc
        start = max(self._start_offset, bom)
        if start <= len(first):
            buf, buf_off = first[start:], start
        else:
            _skip(stream, start, len(first))
            buf, buf_off = b"", start
        if enc.startswith("utf-16"):
            yield from self._utf16(buf, buf_off, enc)
        else:
            yield from self._utf8(buf, buf_off)
            self._settle_encoding(bom)

    # The UTF-8/cp1252 path is the hot one: split whole chunks in C, decode line by line.
    def _utf8(self, buf: bytes, buf_off: int) -> Iterator[tuple[int, int, str]]:
        stream = self._stream
        line_no = self._start_line
        max_line = self._max_line
        decode = self._decode
        skipping = False  # inside the rest of an over-long line
        while True:
            if skipping:
                nl = buf.find(b"\n")
                if nl < 0:
                    buf_off += len(buf)
                    buf = b""
                else:
                    buf_off += nl + 1
                    buf = buf[nl + 1 :]
                    skipping = False
            if not skipping and buf:
                parts = buf.split(b"\n")
                buf = parts.pop()
                pos = buf_off
                for raw in parts:
                    yield line_no, pos, decode(raw)
                    line_no += 1
                    pos += len(raw) + 1
                buf_off = pos
                if len(buf) > max_line:
                    yield line_no, buf_off, decode(buf[:max_line], cut=True)
                    self.cut_lines += 1
                    line_no += 1
                    skipping = True
                    buf_off += len(buf)
                    buf = b""
            self.bytes_read = buf_off + len(buf)
            chunk = stream.read(self._chunk)
            if not chunk:
                if buf and not skipping:
                    yield line_no, buf_off, decode(buf)
                return
            buf = buf + chunk if buf else chunk

    def _decode(self, raw: bytes, *, cut: bool = False) -> str:
        text, kind = decode_line(raw, cut=cut)
        if kind == CP1252:
            self.cp1252_lines += 1
        elif kind == UTF8_NONASCII:
            self._utf8_nonascii = True
        return text

    def note_region(self, utf8_nonascii: bool) -> None:
        """A region of lines was decoded in one piece (all valid UTF-8) by a fast reader."""
        if utf8_nonascii:
            self._utf8_nonascii = True

    @property
    def utf8_nonascii(self) -> bool:
        """Whether a line decoded as UTF-8 held non-ASCII text (part of `encoding`)."""
        return self._utf8_nonascii

    def regions(self) -> Iterator[Region | tuple[int, int, str]]:
        """The same lines as iterating, in bulk: `Region`s of whole lines as raw bytes.

        A line cut at `max_line_bytes` comes as a decoded `(line_no, offset, text)` tuple, and so
        does every line of a UTF-16 file.  Lines of a region are decoded by the caller, with
        `decode_line` per line or the region at once (`note_region` then keeps `encoding` right).
        The chunking is the one of `__iter__`, so cut lines fall on the same places.
        """
        stream = self._stream
        first = stream.read(4096)
        enc, bom = sniff_encoding(first)
        self.encoding = enc
        self.bom = bom
        start = max(self._start_offset, bom)
        if start <= len(first):
            buf, buf_off = first[start:], start
        else:
            _skip(stream, start, len(first))
            buf, buf_off = b"", start
            if self._align and not enc.startswith("utf-16"):
                # Read up to where a read from the start of the file would have ended.
                behind = (start - len(first)) % self._chunk
                if behind:
                    buf = stream.read(self._chunk - behind)
        if enc.startswith("utf-16"):
            yield from self._utf16(buf, buf_off, enc)
        else:
            yield from self._utf8_regions(buf, buf_off)
            self._settle_encoding(bom)

    def _utf8_regions(self, buf: bytes, buf_off: int) -> Iterator[Region | tuple[int, int, str]]:
        # Mirrors `_utf8` step by step; only the splitting into lines is left to the caller.
        stream = self._stream
        line_no = self._start_line
        max_line = self._max_line
        skipping = False
        while True:
            if skipping:
                nl = buf.find(b"\n")
                if nl < 0:
                    buf_off += len(buf)
                    buf = b""
                else:
                    buf_off += nl + 1
                    buf = buf[nl + 1 :]
                    skipping = False
            if not skipping and buf:
                last = buf.rfind(b"\n")
                if last >= 0:
                    data = buf[: last + 1]
                    count = data.count(b"\n")
                    yield Region(line_no, buf_off, data, count)
                    line_no += count
                    buf_off += last + 1
                    buf = buf[last + 1 :]
                if len(buf) > max_line:
                    yield line_no, buf_off, self._decode(buf[:max_line], cut=True)
                    self.cut_lines += 1
                    line_no += 1
                    skipping = True
                    buf_off += len(buf)
                    buf = b""
            self.bytes_read = buf_off + len(buf)
            chunk = stream.read(self._chunk)
            if not chunk:
                if buf and not skipping:
                    yield Region(line_no, buf_off, buf, 1)
                return
            buf = buf + chunk if buf else chunk

    def _settle_encoding(self, bom: int) -> None:
        self.encoding = encoding_label(bom, self.cp1252_lines, self._utf8_nonascii)

    def _utf16(self, buf: bytes, buf_off: int, enc: str) -> Iterator[tuple[int, int, str]]:
        stream = self._stream
        nl = b"\n\x00" if enc == "utf-16-le" else b"\x00\n"
        cr = b"\r\x00" if enc == "utf-16-le" else b"\x00\r"
        line_no = self._start_line
        max_line = self._max_line
        skipping = False

        def decode(raw: bytes) -> str:
            if raw.endswith(cr):
                raw = raw[:-2]
            return raw[: len(raw) - len(raw) % 2].decode(enc, "replace")

        while True:
            pos = 0
            while True:
                i = buf.find(nl, pos)
                # Only a match on a code-unit boundary is a line end: the bytes 0A 00 also
                # straddle two characters such as U+0A41 U+4E00.
                while i >= 0 and (i - pos) % 2:
                    i = buf.find(nl, i + 1)
                if i < 0:
                    break
                if skipping:
                    skipping = False
                else:
                    yield line_no, buf_off + pos, decode(buf[pos:i])
                    line_no += 1
                pos = i + 2
            buf_off += pos
            buf = buf[pos:]
            if len(buf) > max_line and not skipping:
                yield line_no, buf_off, decode(buf[:max_line])
                self.cut_lines += 1
                line_no += 1
                skipping = True
            if skipping:
                keep = len(buf) % 2  # an odd tail byte belongs to the next code unit
                buf_off += len(buf) - keep
                buf = buf[len(buf) - keep :]
            self.bytes_read = buf_off + len(buf)
            chunk = stream.read(self._chunk)
            if not chunk:
                if buf and not skipping:
                    yield line_no, buf_off, decode(buf)
                return
            buf = buf + chunk if buf else chunk


def _skip(stream: BinaryIO, target: int, done: int) -> None:
    """Move a stream that has given `done` bytes to `target` (seek, or read and drop for gzip)."""
    try:
        if stream.seekable():
            stream.seek(target)
            return
    except (OSError, io.UnsupportedOperation):
        pass
    left = target - done
    while left > 0:
        got = stream.read(min(left, CHUNK_SIZE))
        if not got:
            break
        left -= len(got)
