""".NET exception chains (`Exception.ToString()`), as logged, pasted or flattened.

The text is read line by line by a small state machine; pyparsing grammars read the pieces of a
line (a link header, a stack frame, a stack-trace marker).  Nothing recurses on the depth of
the chain, so a 10,000-deep chain is just a long loop, and the work per line is bounded:

* link headers: `Ns.Type: message`, `Ns.Type (0x80004005): message`, and the flattened forms
  where the type is glued to its message (`...FatalEmailServiceExceptionFailed to send`) or
  stands alone on its line;
* link separators: ` ---> ` (same line or starting a line), `---` (flattened),
  `---> (Inner Exception #0) ... <---` (AggregateException), `Inner exception: `;
* frames: `at Ns.Type.Method(args) in C:\\path\\File.cs:line 212`, localized `at` words, Mono's
  `[0x000b6] in <...>:0`, async and generic names;
* markers: `--- End of inner exception stack trace ---` (frames below belong to the next outer
  link) and `--- End of stack trace from previous location ... ---` (same link), localized.

Frames follow .NET's order: the innermost link's frames come first, each "end of inner
exception" marker moves to the next outer link.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyparsing as pp

from logdoctor.grammar import codes
from logdoctor.model import ExceptionChain, ExceptionLink

# The grammar reads at most this much of a text; the rest is scanned for type names only.
MAX_PARSE_CHARS = 2_000_000
MAX_FALLBACK_CHARS = 4_000_000
MAX_LINKS = 20_000
_HEADER_WINDOW = 4_096  # a header is read from at most this many characters
_MEMO_LINE = 512  # longer lines are parsed without memo, to bound the memo's memory
_MAX_FALLBACK_MESSAGE = 500

# --- named pieces ---------------------------------------------------------------------------

# A .NET type name ending in Exception or Error: namespaces joined by `.`, nested types by `+`,
# generic arity by a backtick.  Bounded repeats keep the scan linear on long words.  The suffix
# must not run on into a lower-case letter ("Exceptions"), but may run into an upper-case one
# (the flattened "IOExceptionThe handshake ...").
_SEGMENT = r"[A-Za-z_][\w`]{0,127}"
_SUFFIX = r"(?:Exception|Error)(?![a-z0-9_])"
_DOTTED_TYPE = r"(?<![\w.`+])(?:" + _SEGMENT + r"[.+]){1,24}[A-Za-z_][\w`]{0,127}?" + _SUFFIX
# Without a namespace only `...Exception` counts: "Error: ..." starts many a message line.
_SIMPLE_TYPE = r"(?<![\w.`+])[A-Z][\w`]{0,127}?Exception(?![a-z0-9_])"

dotted_type = pp.Regex(_DOTTED_TYPE).set_name("exception type")
simple_type = pp.Regex(_SIMPLE_TYPE).set_name("exception type without namespace")
generic_args = pp.Regex(r"`\d{1,2}(?:\[\[[^\n\]]{0,400}\]\])?").set_name("generic arguments")
# `Win32Exception (0x80004005)`, `SocketException (10060)`, .NET 6 `(00000005, 0xFFFDFFFF)`.
error_number = pp.Regex(
    r"[ \t]*\((?:0[xX][0-9A-Fa-f]{1,8}|-?\d{1,10})(?:,[ \t]*0[xX][0-9A-Fa-f]{1,8})?\)"
).set_name("error number")
# Some loggers write `Type : message`.
# .NET writes ": "; "Exception:Word" without the space is something else (Exchange NDR text).
colon = pp.Regex(r"[ \t]?:(?:[ \t]+|$)").set_name("colon")
# The flattened forms: the message is glued on with a capital letter, or starts on the next line.
glued = pp.Regex(r"(?=[A-Z\"'\[])|[ \t]*$").set_name("glued message")

header_with_colon = (
    (dotted_type | simple_type)("type") + pp.Opt(generic_args) + pp.Opt(error_number) + colon
)
header_glued = dotted_type("type") + pp.Opt(generic_args) + pp.Opt(error_number) + glued
for _expr in (header_with_colon, header_glued):
    _expr.leave_whitespace()
    _expr.parse_with_tabs()

_STRICT_HEADERS = (pp.Located(header_with_colon).leave_whitespace(),)
_LOOSE_HEADERS = (*_STRICT_HEADERS, pp.Located(header_glued).leave_whitespace())

# Localized "at" of stack frames (en, de, fr, es, ru, zh, it, pt, pl, cs, nl, sv, da/no, ja,
# ko, tr, vi, el, hr/sl).
_AT_WORDS = "at|bei|à|en|в|在|in|em|w|v|bij|vid|ved|på|場所|위치|konum|ở|σε|na|pri"
at_word = pp.Regex(r"[ \t]*(?:" + _AT_WORDS + r")[ \t:]{1,4}").set_name("frame 'at'")
frame_method = pp.Regex(r"(?:\(wrapper[^)\n]{0,80}\)[ \t]*)?[^\s(]{1,512}").set_name("method")
frame_args = pp.Regex(r"[ \t]?\([^\n]{0,2048}?\)").set_name("arguments")
frame_rest = pp.Regex(r"[^\n]*").set_name("location")
frame = (at_word + frame_method("method") + frame_args + pp.Opt(frame_rest)).leave_whitespace()
frame.parse_with_tabs()

stack_marker = pp.Regex(r"[ \t]*---[ \t]+(?P<body>[^\n]{1,300}?)[ \t]+---[ \t]*$").set_name(
    "stack trace marker"
)
stack_marker.leave_whitespace()

# Fast gates in front of the grammars: most lines are plainly not a frame or a marker.
_FRAME_GATE = re.compile(
    r"[ \t]*(?:" + _AT_WORDS + r")[ \t:]{1,4}(?:\(wrapper|[^\s(]{1,512}[ \t]?\()"
)
_MARKER_GATE = re.compile(r"[ \t]*---[ \t]+\S")
_INNER_WORDS = re.compile(
    r"(?i)inner|intern|внутренн|内部|wewnętrzn|vnitřní|내부|belső|iç|innere|binnen"
)
_DOTTED_RE = re.compile(_DOTTED_TYPE)
_ANY_TYPE_RE = re.compile(_DOTTED_TYPE + r"|" + _SIMPLE_TYPE)

# Link separators inside a line, checked by parsing a header right after them.
_SEPARATOR = re.compile(
    r"[ \t]*--->?[ \t]*(?=\(Inner Exception #\d{1,6}\)|[A-Za-z_])"
    r"|(?<=\S)---(?=[A-Za-z_])"
    r"|(?i:inner[ \t]?exception)[ \t]*(?:#\d{1,6})?[ \t]*[:=][ \t]*(?=[A-Za-z_])"
    r"|\[(?i:inner[ \t]?exception)\][ \t]*(?=[A-Za-z_])"
)
_DETAILS = re.compile(
    r"[ \t]*(?:(?P<key>HResult|Message|Source|TargetSite)="
    r"|(?P<key2>StackTrace|Inner Exception \d{1,3}):)"
    r"[ \t]?(?P<value>[^\n]*)$"
)
_MENTION_END = re.compile(r"[ \t]|$|[:.,;!?'\")\]](?:[ \t]|$)")
_TAGGED_INNER = re.compile(r"[ \t]*\[(?i:inner[ \t]?exception)\][ \t]*")
_BLOCK_START = re.compile(r"[ \t]*--->[ \t]*(?=\(Inner Exception #)")
_INNER_BLOCK = re.compile(r"\(Inner Exception #\d{1,6}\)[ \t]*")
_LONE_SEPARATOR = re.compile(r"[ \t]*--->?[ \t]*")

# Text pasted with its line breaks lost: put frames, markers and blocks back on lines.
# `(?<=\S)[ \t]+` written as `[ \t](?<=\S[ \t])[ \t]*` (the same test), so that the pattern
# starts with a character class and the engine jumps from blank to blank.
_INLINE_FRAME = re.compile(
    r"[ \t](?<=\S[ \t])[ \t]*(?=(?:at|bei|à|в|在)[ \t]+(?:\(wrapper|[^\s(]{1,160}[ \t]?\())"
)
_INLINE_MARKER = re.compile(
    r"(?<=\S)[ \t]*(---[ \t]+(?i:end|ende|fin|конец|内部|结尾|末尾)[^\n]{1,200}?[ \t]+---)"
    r"(?!-)[ \t]*"
)
_INLINE_BLOCK = re.compile(
    r"(?<=\S)[ \t]*(?=--->[ \t]*\(Inner Exception #\d{1,6}\))|<---(?=[ \t]*\S)"
)


@dataclass(slots=True)
class _Link:
    type: str
    parts: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    def freeze(self) -> ExceptionLink:
        return ExceptionLink(self.type, _message(self.parts), tuple(self.frames))


@dataclass(slots=True)
class _Segment:
    """The main chain, or one `(Inner Exception #n)` block of an AggregateException."""

    links: list[_Link] = field(default_factory=list)
    owner: int | None = None  # index of the link the next frames belong to


@dataclass(slots=True)
class _Reader:
    segments: list[_Segment] = field(default_factory=lambda: [_Segment()])
    open_blocks: list[int] = field(default_factory=list)  # indices into segments
    in_message: bool = False
    pending_separator: str | None = None
    preamble_type: str | None = None  # "L'exception System.IO.IOException n'a pas été gérée"
    partial: bool = False
    count: int = 0

    @property
    def segment(self) -> _Segment:
        return self.segments[self.open_blocks[-1]] if self.open_blocks else self.segments[0]

    def add_link(self, type_name: str, first_part: str) -> None:
        if self.count >= MAX_LINKS:
            self.partial = True
            return
        self.segment.links.append(_Link(type_name, [first_part]))
        self.segment.owner = None
        self.count += 1
        self.in_message = True

    def open_block(self) -> None:
        self.segments.append(_Segment())
        self.open_blocks.append(len(self.segments) - 1)
        self.in_message = False

    def close_block(self) -> None:
        if self.open_blocks:
            self.open_blocks.pop()
        else:
            self.partial = True
        self.in_message = False


def parse_chain(text: str) -> ExceptionChain:
    """Read an exception chain; never raises.  Links outermost first; `partial` when some of the
    text could not be read (what could be read is still there)."""
    try:
        return _parse(text)
    except Exception:  # the grammar must never take a run down; report what the scan finds
        links, _ = _fallback_links(text[:MAX_PARSE_CHARS])
        return _chain(text, links, partial=True)


def _parse(text: str) -> ExceptionChain:
    body = text[:MAX_PARSE_CHARS]
    truncated = len(text) > len(body)
    body = _restore_line_breaks(body.replace("\r\n", "\n").replace("\r", "\n"))
    reader = _Reader()
    for line in body.split("\n"):
        _read_line(reader, line)
    links = _assemble(reader)
    partial = reader.partial or truncated
    if not links:
        links, _ = _fallback_links(body)
        partial = partial or bool(text.strip())
    if truncated:
        more, _ = _fallback_links(text[MAX_PARSE_CHARS : MAX_PARSE_CHARS + MAX_FALLBACK_CHARS])
        links.extend(more[: max(0, MAX_LINKS - len(links))])
    return _chain(text, links, partial=partial)


def _chain(text: str, links: list[ExceptionLink], *, partial: bool) -> ExceptionChain:
    return ExceptionChain(
        links=tuple(links),
        text=text,
        partial=partial,
        smtp_replies=codes.smtp_replies(text),
        socket_errors=codes.socket_errors(text),
        hresults=codes.hresults(text),
        aad_codes=codes.aad_codes(text),
        http_status=codes.http_statuses(text),
    )


def _restore_line_breaks(body: str) -> str:
    # No pattern below matches across a line end, and each sees a line end as it sees the end
    # of the text; so the work is done per line, and a line seen before is not done again.
    if len(body) <= _MEMO_LINE:
        return _restore_lines(body)
    return "\n".join(
        _restore_lines(line) if len(line) <= _MEMO_LINE else _restore_uncached(line)
        for line in body.split("\n")
    )


def _restore_uncached(body: str) -> str:
    if "---" in body:
        # Literal gates: a marker holds "---" and a blank, a block "(Inner Exception #" or "<---".
        if "--- " in body or "---\t" in body:
            body = _INLINE_MARKER.sub(lambda m: "\n   " + m.group(1) + "\n", body)
        if "(Inner Exception #" in body or "<---" in body:
            body = _INLINE_BLOCK.sub(
                lambda m: "<---\n" if m.group(0).startswith("<") else "\n", body
            )
    return _INLINE_FRAME.sub("\n   ", body)


_restore_lines = functools.lru_cache(maxsize=8_192)(_restore_uncached)


# --- the line state machine -----------------------------------------------------------------


def _read_line(r: _Reader, line: str) -> None:
    closes = line.rstrip().endswith("<---")
    if closes:
        line = line.rstrip()[:-4]
    stripped = line.strip()
    if stripped:
        _read_content(r, line, stripped)
    elif r.in_message and r.segment.links:
        r.segment.links[-1].parts.append("")
    if closes:
        r.close_block()


def _read_content(r: _Reader, line: str, stripped: str) -> None:
    seg = r.segment
    if r.pending_separator is not None:
        separator, r.pending_separator = r.pending_separator, None
        if _read_headers(r, line, 0, loose=True):
            return
        if r.segment.links:
            _append_message(r, separator)
    if _LONE_SEPARATOR.fullmatch(line):
        r.pending_separator = stripped
        return
    if _FRAME_GATE.match(line):
        short = len(line) <= _MEMO_LINE
        method = _frame_method(line) if short else _frame_method.__wrapped__(line[:4096])
        if method is not None:
            _add_frame(r, stripped)
            return
    if _MARKER_GATE.match(line):
        body = _marker_body(line[:512])
        if body is not None:
            r.in_message = False
            if _INNER_WORDS.search(body):
                if seg.owner is None:
                    seg.owner = len(seg.links) - 1
                seg.owner -= 1
                if seg.owner < 0:
                    seg.owner = 0
                    r.partial = True
            return
    if _read_details(r, line):
        return
    block = _BLOCK_START.match(line)
    if block:
        _read_headers(r, line, block.end(), loose=False)
        return
    if not seg.links and not r.open_blocks:
        # Still in the text before the exception: look for its first header anywhere.
        start = _first_header(line)
        if start is not None:
            _read_headers(r, line, start, loose=True)
        elif r.preamble_type is None:
            mention = _DOTTED_RE.search(line)
            r.preamble_type = mention.group(0) if mention else None
        return
    tagged = _TAGGED_INNER.match(line)
    if tagged and _read_headers(r, line, tagged.end(), loose=False):
        return
    if not r.in_message:
        # After frames: a new exception printed in the same record, or text we cannot read.
        if not (_starts_with_header(line) and _read_headers(r, line, _indent(line), loose=False)):
            r.partial = True
        return
    if _starts_with_header(line) and _read_headers(r, line, _indent(line), loose=False):
        return
    _append_message(r, line)


def _read_details(r: _Reader, line: str) -> bool:
    """Visual Studio's "exception details" layout: `Type` then `HResult=`, `Message=`,
    `Source=`, `StackTrace:` and `Inner Exception 1:` lines."""
    m = _DETAILS.match(line)
    if m is None:
        return False
    key, value = (m.group("key") or m.group("key2")).lower(), m.group("value")
    links = r.segment.links
    if key == "message":
        if links and not _message(links[-1].parts):
            links[-1].parts[:] = [value]
        elif not links and r.preamble_type is not None:
            r.add_link(r.preamble_type, value)
        elif links:
            return False
        r.in_message = True
        return True
    if key.startswith("inner"):
        r.pending_separator = line.strip()
        r.in_message = False
        return True
    if not links and r.preamble_type is None:
        return False
    r.in_message = False  # HResult=, Source=, TargetSite=, StackTrace:
    return True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _starts_with_header(line: str) -> bool:
    return _ANY_TYPE_RE.match(line, _indent(line)) is not None


def _append_message(r: _Reader, text: str) -> None:
    """Message text, possibly followed on the same line by separators and further links."""
    if not r.segment.links:
        r.partial = True
        return
    sep = _find_separator(text, 0)
    if sep is None:
        r.segment.links[-1].parts.append(text)
        return
    r.segment.links[-1].parts.append(text[: sep[0]])
    _read_headers(r, text, sep[1], loose=True)


def _read_headers(r: _Reader, line: str, pos: int, *, loose: bool) -> bool:
    """Read `Type: message ---> Type: message ...` from `pos`; False if no header is there."""
    read_any = False
    while True:
        block = _INNER_BLOCK.match(line, pos)
        if block:
            r.open_block()
            pos = block.end()
        header = _header_at(line, pos, loose=loose)
        if header is None:
            if block and r.segment.links == []:
                r.partial = True
            return read_any
        type_name, msg_start = header
        sep = _find_separator(line, msg_start)
        if sep is None:
            r.add_link(type_name, line[msg_start:])
            return True
        r.add_link(type_name, line[msg_start : sep[0]])
        read_any = True
        pos = sep[1]
        loose = True


def _find_separator(line: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the next separator that is followed by a header or an inner block."""
    if line.find("---", start) < 0 and line.isascii() and "inner" not in line.lower():
        return None  # every separator holds "---" or "inner" (any case)
    for m in _SEPARATOR.finditer(line, start):
        end = m.end()
        if _INNER_BLOCK.match(line, end) or _header_at(line, end, loose=True) is not None:
            return m.start(), end
    return None


def _header_at(line: str, pos: int, *, loose: bool) -> tuple[str, int] | None:
    """(type name, where the message starts) when a link header starts at `pos`."""
    window = line[pos : pos + _HEADER_WINDOW]
    if not window or not (window[0].isalpha() or window[0] == "_"):
        return None
    # A cheap look first: most candidates are no type at all, or a type without a colon.
    m = _ANY_TYPE_RE.match(window)
    if m is None:
        return None
    after = window[m.end() : m.end() + 480].lstrip(" \t")
    if not loose and ":" not in after:
        return None
    if window[m.end() : m.end() + 1] == "`":
        found = _parse_header.__wrapped__(window, loose)  # rare; too long a key to keep
    else:
        # The grammar reads no further than the type, an error number and the colon, so the
        # parse of this short key stands for the whole window; it repeats from record to record.
        key = window[: m.end() + 64]
        if len(window) > len(key):
            key += "\x00"  # keeps "end of line" from matching where the key was cut
        found = _parse_header(key, loose)
    if found is None:
        return None
    return found[0], pos + found[1]


@functools.lru_cache(maxsize=16_384)
def _parse_header(window: str, loose: bool) -> tuple[str, int] | None:
    for expr in _LOOSE_HEADERS if loose else _STRICT_HEADERS:
        try:
            tokens, end = _parse_prefix(expr, window)
        except pp.ParseBaseException:
            continue
        return str(tokens["type"]), end
    return None


def _parse_prefix(located: pp.ParserElement, text: str) -> tuple[pp.ParseResults, int]:
    """Parse a `pp.Located` grammar at the start of `text`; also return where it ended."""
    result = located.parse_string(text)
    return result["value"], int(result["locn_end"])


def _first_header(line: str) -> int | None:
    """Where the first link header of a line starts (colon form anywhere; glued form only at
    the start of the line, where the flattened article text puts it)."""
    for m in _ANY_TYPE_RE.finditer(line):
        start = m.start()
        # Glued only where a message starts: the line start, or after "Error: " / " - ".
        loose = start == _indent(line) or line[max(0, start - 2) : start] in (": ", "- ", "| ")
        if _header_at(line, start, loose=loose) is not None:
            return start
    return None


# Frames and markers repeat verbatim from one failure to the next: remember their parse.
@functools.lru_cache(maxsize=8_192)
def _frame_method(line: str) -> str | None:
    try:
        tokens = frame.parse_string(line)
    except pp.ParseBaseException:
        return None
    method = str(tokens["method"])
    return method if ("." in method or "+" in method or method.startswith("(wrapper")) else None


@functools.lru_cache(maxsize=4_096)
def _marker_body(line: str) -> str | None:
    try:
        tokens = stack_marker.parse_string(line, parse_all=True)
    except pp.ParseBaseException:
        return None
    return str(tokens[0])


def _add_frame(r: _Reader, stripped: str) -> None:
    seg = r.segment
    r.in_message = False
    if not seg.links:
        r.partial = True
        return
    if seg.owner is None:
        seg.owner = len(seg.links) - 1
    seg.links[seg.owner].frames.append(stripped)


# --- assembling -----------------------------------------------------------------------------


def _message(parts: list[str]) -> str:
    lines = [p.rstrip() for p in parts]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines:
        lines[0] = lines[0].lstrip()
    return "\n".join(lines)


def _assemble(r: _Reader) -> list[ExceptionLink]:
    main = [link.freeze() for link in r.segments[0].links]
    if r.open_blocks:
        r.partial = True
    seen = [_identity(link) for link in main]
    out = list(main)
    for seg in r.segments[1:]:
        block = [link.freeze() for link in seg.links]
        key = [_identity(link) for link in block]
        if key and _contains(seen, key):
            continue  # AggregateException repeats its first inner exception as block #0
        out.extend(block)
        seen.extend(key)
    return out


def _identity(link: ExceptionLink) -> tuple[str, str]:
    # Block #0 may repeat a link with fewer message lines (Graph's "Inner error:" details).
    return link.type, link.message.split("\n", 1)[0]


def _contains(seen: list[tuple[str, str]], key: list[tuple[str, str]]) -> bool:
    n = len(key)
    first = key[0]
    for i, item in enumerate(seen):
        if item == first and seen[i : i + n] == key:
            return True
    return False


def _fallback_links(text: str) -> tuple[list[ExceptionLink], bool]:
    """Type names mentioned as words anywhere but in frames, each with the rest of its line
    as message."""
    links: list[ExceptionLink] = []
    for line in text.split("\n"):
        if "Exception" not in line and "Error" not in line:
            continue
        if _FRAME_GATE.match(line) or _MARKER_GATE.match(line):
            continue
        for m in _DOTTED_RE.finditer(line):
            if _MENTION_END.match(line, m.end()) is None:
                continue  # glued to more text, a method call, a namespace: not a type mention
            if len(links) >= MAX_LINKS:
                return links, True
            rest = line[m.end() : m.end() + _MAX_FALLBACK_MESSAGE]
            rest = re.sub(r"^[ \t]*(?:\([^)\n]{0,40}\))?[ \t]*:?[ \t]*", "", rest)
            rest = re.split(r"[ \t]*--->?[ \t]*|(?<=\S)---", rest, maxsplit=1)[0]
            links.append(ExceptionLink(m.group(0), rest.strip()))
    return links, False


def email_types(chain: ExceptionChain) -> tuple[str, ...]:
    """The chain's types that belong to sending e-mail (SMTP, MailBee, MailKit, Graph)."""
    return tuple(t for t in chain.types if is_email_type(t))


_EMAIL_TYPE = re.compile(
    r"EmailService|MailBee|Smtp|System\.Net\.Mail|MailKit|Microsoft\.Graph|MsGraph|ODataError|Msal"
)


def is_email_type(type_name: str) -> bool:
    return _EMAIL_TYPE.search(type_name) is not None
