"""The fast way through a UTF-8 log: records counted in bulk, built only where they matter.

A region of raw bytes (whole lines) is searched with one compiled bytes regex for record
headers; their levels and timestamps are counted without building a `Record`.  Only records
whose text holds a word that can make an event (`loaded`, `xception`, `fail`, `sent` ...) are
built, line by line, exactly as the line reader builds them.

Exactness, not speed, decides where this path may run (`RecordReader.scan` falls back to the
line reader for the rest):

* the header pattern is ASCII and has no `\\s`, so on ASCII text the bytes regex and the str
  regex agree; a line holding a non-ASCII byte or a NUL is decoded and checked with the str
  regex, and any disagreement sends the region to the line reader;
* a region that is not valid UTF-8 (cp1252 lines), or that holds a BOM, goes to the line reader;
* timestamps must have fixed-width fields in calendar order, so the smallest and largest text
  are the earliest and latest time; a timestamp that is not a valid date sends the span to the
  line reader, which reports it as a damaged record.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter, methodcaller

from logdoctor.layout import (
    DEFAULT_DATE_FORMAT,
    LEVEL_MAP,
    NAMED_DATE_FORMATS,
    Layout,
    _date_tokens,
)
from logdoctor.model import Record

# Words (lower case) that can make a record an event; see `events.record_event`.  `xception`
# and `rror` are looked for as written, the others in the lower-cased text.
CASED_WORDS: tuple[bytes, ...] = (b"xception", b"rror")
LOWER_WORDS: tuple[bytes, ...] = (b"loaded", b"fail", b"start", b"stop", b"shut")

_DOLLAR = r"(?=\r?\n|\r?\Z)"  # `$` of a line read alone, inside a block of lines


@dataclass(frozen=True, slots=True)
class FastLayout:
    """Bytes regexes for one layout: a header at a position, and a header after a LF."""

    layout: Layout
    head: re.Pattern[bytes]
    nl_head: re.Pattern[bytes]
    odd_line: re.Pattern[bytes]  # a line holding a non-ASCII byte or a NUL
    lead: bytes
    date_hour: tuple[slice, slice, slice, slice]  # year, month, day, hour
    date_hour_end: int  # year..hour is a prefix in calendar order
    minute: slice
    second: slice
    seps: tuple[int, ...]  # places of `[,.]` in the timestamp


def _line_pattern(pattern: str) -> str:
    """The header regex for a position inside a block of lines: `$` becomes a lookahead."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            out.append(c)
            i += 1
            # `[]...]` and `[^]...]`: a leading `]` is a member, not the end
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("]")
                i += 1
            continue
        elif c == "$":
            out.append(_DOLLAR)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def fast_layout(layout: Layout) -> FastLayout | None:
    """The bytes regexes for a layout, or None when the fast path could not be exact."""
    pattern = layout.header_re.pattern
    df = layout.ts_format
    if (
        not pattern.isascii()
        or "\\s" in pattern
        or "\\S" in pattern
        or "(?P<ts>" not in pattern
        or "(?P<level>" not in pattern
        or layout.time_only
        or not layout.lead
        or not layout.lead.isascii()
        or df is None
        or df._fast is None
    ):
        return None
    ya, yb, ma, mb, da, db, ha, hb, ia, ib, sa, sb, fa, fb = df._fast
    order = (ya, ma, da, ha, ia, sa) + ((fa,) if fb > fa else ())
    if list(order) != sorted(order) or len(set(order)) != len(order) or ya != 0:
        return None
    seps: list[int] = []
    pos = 0
    fmt = df.fmt if df.fmt.strip() else DEFAULT_DATE_FORMAT
    fmt = NAMED_DATE_FORMATS.get(fmt.strip().upper(), fmt)
    for kind, tok in _date_tokens(fmt):
        if kind == "lit" and tok == ",":
            seps.append(pos)  # written `[,.]` in the regex: the one place texts may differ
        pos += len(tok)
    line = _line_pattern(pattern).encode("ascii")
    try:
        head = re.compile(line)
        nl_head = re.compile(b"\\n" + line)
    except re.error:
        return None
    return FastLayout(
        layout=layout,
        head=head,
        nl_head=nl_head,
        odd_line=_ODD_LINE,
        lead=layout.lead.encode("ascii"),
        date_hour=(slice(ya, yb), slice(ma, mb), slice(da, db), slice(ha, hb)),
        date_hour_end=hb,
        minute=slice(ia, ib),
        second=slice(sa, sb),
        seps=tuple(seps),
    )


_ODD_LINE = re.compile(rb"\n[^\n\x80-\xff\x00]*+[\x80-\xff\x00]")


def trigger_words(phrases: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Fewer words that find every record holding a phrase: a word all phrases share, if any.

    Each word costs one pass over the text; the default phrases all hold `sent`.
    """
    if not phrases:
        return ()
    shortest = min(phrases, key=len)
    best = b""
    for i in range(len(shortest)):
        for j in range(len(shortest), i + len(best), -1):
            part = shortest[i:j]
            if len(part) > len(best) and all(part in p for p in phrases):
                best = part
                break
    if len(best) >= 4:
        return (best,)
    return phrases


@dataclass(frozen=True, slots=True)
class PhraseLine:
    """A one-line ASCII record that holds a success phrase's word and no other word that can
    make an event: all `events.record_event` would look at is its level and message.

    The timestamp is read from `raw_ts` when asked for: most such lines are successes that
    follow a success, which `analyze` only counts.
    """

    path: str
    line: int
    raw_ts: str
    read_ts: Callable[[str], datetime | None]
    level: str | None
    message: str

    @property
    def timestamp(self) -> datetime | None:
        return self.read_ts(self.raw_ts)


@dataclass(slots=True)
class Span:
    """Records read in bulk: counts for all of them, and the ones that matter, built.

    `records` counts every record of the span, `interesting` included; `by_level` maps a
    normalised level (or "NONE") to its count; `first`/`last` are the earliest and latest time.
    """

    records: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    interesting: list[Record | PhraseLine] = field(default_factory=list)  # in order


@dataclass(slots=True)
class SpanScan:
    """What `scan_span` found before the records are built."""

    starts: list[int]
    wanted: list[int]  # indexes of the records to build
    phrase_only: set[int]  # of those, the ones that hold a success phrase's word and no other
    span: Span


def scan_span(
    fl: FastLayout,
    data: bytes,
    starts: list[int],
    ts: list[bytes],
    raw_levels: list[bytes],
    end: int,
    words: tuple[bytes, ...],
) -> SpanScan | None:
    """Counts for the records at `starts` (ending at `end`); None when a timestamp needs the
    line reader (a damaged one, or one the bulk check cannot order)."""
    n = len(starts)
    if n == 0:
        return SpanScan(starts, [], set(), Span())
    if len(min(ts, key=len)) != len(max(ts, key=len)):
        return None
    for pos in fl.seps:
        if len(set(map(itemgetter(pos), ts))) > 1:
            return None  # `,` here, `.` there: text order is not time order
    ys, ms, ds, hs = fl.date_hour
    for prefix in set(map(itemgetter(slice(0, fl.date_hour_end)), ts)):
        try:
            datetime(int(prefix[ys]), int(prefix[ms]), int(prefix[ds]), int(prefix[hs]))
        except ValueError:
            return None
    if max(map(itemgetter(fl.minute), ts)) > b"59" or max(map(itemgetter(fl.second), ts)) > b"59":
        return None
    parse = fl.layout.ts_format.parse  # type: ignore[union-attr]
    first = parse(min(ts).decode("ascii"))
    last = parse(max(ts).decode("ascii"))
    if first is None or last is None:
        return None

    by_level: dict[str, int] = {}
    for raw, count in Counter(raw_levels).items():
        key = LEVEL_MAP.get(raw.decode("ascii").upper()) or "NONE"
        by_level[key] = by_level.get(key, 0) + count

    # A record's level alone never makes an event: a WARN or ERROR record is a failure only
    # through an exception type (`...Exception`, `...Error`: found by `xception`, `rror`) or
    # the words "failed to send"; so the words below find every record that matters.
    wanted: set[int] = set()
    a = starts[0]
    for word in CASED_WORDS:
        _hits(data, word, a, end, starts, wanted)
    low = data[a:end].lower()
    for word in LOWER_WORDS:
        _hits(low, word, 0, end - a, starts, wanted, shift=a)
    phrased: set[int] = set()
    for word in words:
        _hits(low, word, 0, end - a, starts, phrased, shift=a)
    span = Span(records=n, by_level=by_level, first=first, last=last)
    return SpanScan(starts, sorted(wanted | phrased), phrased - wanted, span)


def _hits(
    hay: bytes,
    word: bytes,
    a: int,
    end: int,
    starts: list[int],
    wanted: set[int],
    shift: int = 0,
) -> None:
    """Add the index of every record holding `word` to `wanted`."""
    find = hay.find
    i = find(word, a, end)
    while i >= 0:
        k = bisect_right(starts, i + shift) - 1
        wanted.add(k)
        # The rest of this record cannot add anything: go on after it.
        nxt = starts[k + 1] - shift if k + 1 < len(starts) else end
        i = find(word, max(nxt, i + 1), end)


def header_fields(
    fl: FastLayout, data: bytes, a: int, end: int
) -> tuple[list[int], list[bytes], list[bytes]]:
    """Starts, timestamps and raw levels of the headers in data[a:end] (a header at `a`)."""
    m0 = fl.head.match(data, a, end)
    assert m0 is not None
    found = list(fl.nl_head.finditer(data, a, end))
    starts = [a, *(m.start() + 1 for m in found)]
    ts = [m0.group("ts"), *map(methodcaller("group", "ts"), found)]
    levels = [m0.group("level"), *map(methodcaller("group", "level"), found)]
    return starts, ts, levels


def odd_lines(fl: FastLayout, data: bytes, a: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of the lines in data[a:end] that hold a non-ASCII byte or a NUL."""
    le = data.find(b"\n", a, end)
    le = end if le < 0 else le
    first = data[a:le]
    if not first.isascii() or b"\x00" in first:
        yield a, le
    pos = le
    search = fl.odd_line.search
    while pos < end:
        found = search(data, pos, end)
        if found is None:
            return
        ls = found.start() + 1
        le = data.find(b"\n", ls, end)
        le = end if le < 0 else le
        yield ls, le
        pos = le
