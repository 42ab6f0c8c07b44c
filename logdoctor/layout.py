"""log4net layouts: conversion patterns read with pyparsing, turned into record-header matchers.

A pattern such as `%date [%thread] %-5level %logger - %message%newline` is parsed into tokens
(pyparsing grammar), the tokens of the line that holds the date and level become an anchored
regular expression that recognises a record header.  The header matcher is a compiled `re`
rather than a pyparsing element on purpose: it runs on every line of files of hundreds of MB,
and every variable field is a negated character class bounded by the next literal, so it stays
linear on hostile lines (no nested or lazy quantifiers that could backtrack).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PureWindowsPath

import pyparsing as pp

from logdoctor.errors import LogdoctorError

# ---------------------------------------------------------------------------------------------
# Levels

LEVEL_MAP: dict[str, str] = {
    "ALL": "DEBUG",
    "FINEST": "DEBUG",
    "FINER": "DEBUG",
    "FINE": "DEBUG",
    "TRACE": "DEBUG",
    "VERBOSE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "NOTICE": "INFO",
    "WARN": "WARN",
    "WARNING": "WARN",
    "ERROR": "ERROR",
    "SEVERE": "ERROR",
    "FATAL": "FATAL",
    "CRITICAL": "FATAL",
    "CRIT": "FATAL",
    "ALERT": "FATAL",
    "EMERGENCY": "FATAL",
    "EMERG": "FATAL",
}
# Longest first so that WARNING is not read as WARN + "ING".
_LEVEL_RE = "(?i:" + "|".join(sorted(LEVEL_MAP, key=len, reverse=True)) + ")"


def normalise_level(raw: str | None) -> str | None:
    """log4net and syslog-style level names -> DEBUG/INFO/WARN/ERROR/FATAL (None if unknown)."""
    if raw is None:
        return None
    return LEVEL_MAP.get(raw.strip().upper())


# ---------------------------------------------------------------------------------------------
# Date formats (.NET custom format strings and log4net's named ones)

NAMED_DATE_FORMATS: dict[str, str] = {
    "ISO8601": "yyyy-MM-dd HH:mm:ss,fff",
    "ABSOLUTE": "HH:mm:ss,fff",
    "DATE": "dd MMM yyyy HH:mm:ss,fff",
}
DEFAULT_DATE_FORMAT = NAMED_DATE_FORMATS["ISO8601"]

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "jan january janv januar enero ene gen",
        "feb february fev fevr februar febrero",
        "mar march mars marz maerz marzo mrt",
        "apr april avr avril abr abril",
        "may mai mayo mei mag",
        "jun june juin juni junio giu",
        "jul july juil juillet juli julio lug",
        "aug august aou aout ago agosto",
        "sep sept september septembre septiembre set",
        "oct october okt oktober octobre octubre ott",
        "nov november novembre noviembre",
        "dec december dez dezember decembre diciembre dic",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _i
_MONTH_FOLD = str.maketrans("äéèûÄÉÈÛ", "aeeuAEEU")


@dataclass(frozen=True, slots=True)
class DateFormat:
    """A .NET date format turned into a regex fragment, and the parser of the text it matches."""

    fmt: str
    regex: str  # fragment for a header regex (named groups only when a prefix was asked for)
    has_date: bool
    lead_digit: bool  # the formatted text starts with a digit
    named: re.Pattern[str]  # the fragment with `d_year`... groups, for parsing
    # (group, start, end) when every part has a fixed width: slicing beats a second regex
    slices: tuple[tuple[str, int, int], ...] | None = None
    _fast: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.slices is None:
            return
        where = {name: (a, b) for name, a, b in reversed(self.slices)}
        names = ("year", "month", "day", "hour", "minute", "second")
        if all(n in where for n in names):
            frac = where.get("frac", (0, 0))
            flat = [i for n in names for i in where[n]] + list(frac)
            object.__setattr__(self, "_fast", tuple(flat))

    def parse(self, text: str, base: date | None = None) -> datetime | None:
        """The datetime the text stands for, or None when it is not a valid one."""
        fast = self._fast
        if fast is not None:
            # The common case (ISO8601 and friends): plain slicing, no dictionaries.
            ya, yb, ma, mb, da, db, ha, hb, ia, ib, sa, sb, fa, fb = fast
            try:
                frac = text[fa:fb]
                return datetime(
                    int(text[ya:yb]),
                    int(text[ma:mb]),
                    int(text[da:db]),
                    int(text[ha:hb]),
                    int(text[ia:ib]),
                    int(text[sa:sb]),
                    int((frac + "000000")[:6]) if frac else 0,
                )
            except ValueError:
                return None
        if self.slices is not None:
            try:
                return parse_date_groups(
                    {"d_" + name: text[a:b] for name, a, b in self.slices}, "d_", base
                )
            except ValueError:
                return None
        m = self.named.match(text)
        if m is None or m.end() != len(text):
            return None
        return parse_date_groups(m.groupdict(), "d_", base)


_SPEC_CHARS = set("yMdHhmsfFtzK")


def _date_tokens(fmt: str) -> list[tuple[str, str]]:
    """Split a .NET custom date format into ('spec', 'yyyy') and ('lit', '-') tokens."""
    out: list[tuple[str, str]] = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c in _SPEC_CHARS:
            j = i
            while j < n and fmt[j] == c:
                j += 1
            out.append(("spec", fmt[i:j]))
            i = j
        elif c in "'\"":
            j = fmt.find(c, i + 1)
            if j < 0:
                raise ValueError(f"unclosed quote in date format {fmt!r}")
            out.append(("lit", fmt[i + 1 : j]))
            i = j + 1
        elif c == "\\" and i + 1 < n:
            out.append(("lit", fmt[i + 1]))
            i += 2
        elif c == "%" and i + 1 < n and fmt[i + 1] in _SPEC_CHARS:
            i += 1  # "%d": a single custom specifier written alone
        else:
            out.append(("lit", c))
            i += 1
    return out


def date_format(fmt: str, prefix: str | None = "d_") -> DateFormat:
    regex, has_date, lead_digit, slices = _date_regex(fmt, prefix)
    named = regex if prefix == "d_" else _date_regex(fmt, "d_")[0]
    return DateFormat(fmt, regex, has_date, lead_digit, re.compile(named), slices)


_FIXED_WIDTH = {
    "yyyy": ("year", 4),
    "yy": ("year2", 2),
    "MM": ("month", 2),
    "dd": ("day", 2),
    "HH": ("hour", 2),
    "mm": ("minute", 2),
    "ss": ("second", 2),
}


def _date_regex(
    fmt: str, prefix: str | None
) -> tuple[str, bool, bool, tuple[tuple[str, int, int], ...] | None]:
    """Regex for a log4net `%date{...}` option: a named format or a .NET custom format.

    With `prefix=None` the groups are unnamed (a second date in the same header).
    Raises ValueError on a format it cannot read.
    """
    fmt = NAMED_DATE_FORMATS.get(fmt.strip().upper(), fmt) if fmt.strip() else DEFAULT_DATE_FORMAT
    parts: list[str] = []
    slices: list[tuple[str, int, int]] | None = []
    pos = 0
    used: set[str] = set()
    has_date = False
    first_spec: str | None = None
    first_is_lit = False

    def grp(name: str, body: str) -> str:
        if prefix is None or name in used:
            return f"(?:{body})"
        used.add(name)
        return f"(?P<{prefix}{name}>{body})"

    tokens = _date_tokens(fmt)
    for i, (kind, tok) in enumerate(tokens):
        if kind == "skip":
            continue
        if kind == "lit" and tok in ",." and i + 1 < len(tokens) and tokens[i + 1][1][:1] == "F":
            # .NET leaves out both the `F` digits and the separator before them when the
            # fraction is zero: `ss.FFF` gives "02" for a whole second.
            k = len(tokens[i + 1][1])
            frac = grp("frac", r"\d{1,%d}" % k)  # noqa: UP031 - braces of the regex
            parts.append(f"(?:[,.]{frac})?")
            tokens[i + 1] = ("skip", "")
            slices = None
            continue
        if kind == "lit":
            if not parts:
                first_is_lit = True
            if tok == ",":
                # log4net writes `,fff`; many hand-written formats use `.fff`: accept either.
                parts.append("[,.]")
            else:
                parts.append(re.escape(tok))
            pos += len(tok)
            continue
        if first_spec is None and not parts:
            first_spec = tok
        c, k = tok[0], len(tok)
        width = _FIXED_WIDTH.get(tok) or (("frac", k) if c == "f" else None)
        if slices is not None and width is not None:
            slices.append((width[0], pos, pos + width[1]))
            pos += width[1]
        else:
            slices = None
        if c == "y":
            has_date = True
            parts.append(
                grp("year", r"\d{4}")
                if k >= 3
                else grp("year2", r"\d{2}" if k == 2 else r"\d{1,2}")
            )
        elif c == "M":
            has_date = True
            if k >= 3:
                parts.append(grp("monthname", r"[^\W\d_]{3,12}\.?"))
            else:
                parts.append(grp("month", r"\d{2}" if k == 2 else r"\d{1,2}"))
        elif c == "d":
            if k >= 3:
                parts.append(r"[^\W\d_]{2,12}\.?")  # day name: not needed for the date
            else:
                has_date = True
                parts.append(grp("day", r"\d{2}" if k == 2 else r"\d{1,2}"))
        elif c == "H":
            parts.append(grp("hour", r"\d{2}" if k >= 2 else r"\d{1,2}"))
        elif c == "h":
            parts.append(grp("hour12", r"\d{2}" if k >= 2 else r"\d{1,2}"))
        elif c == "m":
            parts.append(grp("minute", r"\d{2}" if k >= 2 else r"\d{1,2}"))
        elif c == "s":
            parts.append(grp("second", r"\d{2}" if k >= 2 else r"\d{1,2}"))
        elif c == "f":
            if k > 7:
                raise ValueError(f"too many 'f' in date format {fmt!r}")
            parts.append(grp("frac", rf"\d{{{k}}}"))
        elif c == "F":
            if k > 7:
                raise ValueError(f"too many 'F' in date format {fmt!r}")
            parts.append(grp("frac", rf"\d{{0,{k}}}"))
        elif c == "t":
            parts.append(grp("ampm", r"[AaPp][Mm]" if k >= 2 else r"[AaPp]"))
        elif c == "z":
            parts.append({1: r"[+-]\d{1,2}", 2: r"[+-]\d{2}"}.get(k, r"[+-]\d{2}:?\d{2}"))
        elif c == "K":
            parts.append(r"(?:Z|[+-]\d{2}:?\d{2})?")
    if first_spec is None and not first_is_lit:
        raise ValueError(f"empty date format {fmt!r}")
    lead_digit = first_spec is not None and (
        first_spec[0] in "yHhmsfF" or (first_spec[0] in "Md" and len(first_spec) <= 2)
    )
    return "".join(parts), has_date, lead_digit, tuple(slices) if slices is not None else None


def parse_date_groups(
    groups: dict[str, str | None], prefix: str, base: date | None
) -> datetime | None:
    """A datetime from the named groups of `date_format`; None when they make no valid date."""

    def g(name: str) -> str | None:
        return groups.get(prefix + name)

    try:
        year_s, year2 = g("year"), g("year2")
        if year_s:
            year = int(year_s)
        elif year2:
            year = 2000 + int(year2)
        else:
            year = base.year if base else 1900
        month_s, monthname = g("month"), g("monthname")
        if month_s:
            month = int(month_s)
        elif monthname:
            key = monthname.rstrip(".").lower().translate(_MONTH_FOLD)
            found = _MONTHS.get(key) or _MONTHS.get(key[:3])
            if found is None:
                return None
            month = found
        else:
            month = base.month if base else 1
        day_s = g("day")
        day = int(day_s) if day_s else (base.day if base else 1)
        hour_s, hour12 = g("hour"), g("hour12")
        if hour_s:
            hour = int(hour_s)
        elif hour12:
            hour = int(hour12) % 12
            ampm = g("ampm")
            if ampm and ampm[0] in "Pp":
                hour += 12
        else:
            hour = 0
        minute = int(g("minute") or 0)
        second = int(g("second") or 0)
        frac = g("frac") or ""
        micro = int((frac + "000000")[:6]) if frac else 0
        return datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Pattern tokens and the pyparsing grammar of a conversion pattern


@dataclass(frozen=True, slots=True)
class Literal:
    text: str


@dataclass(frozen=True, slots=True)
class Conversion:
    """One `%[-][min][.max]name[{option}]` specifier."""

    name: str  # canonical: date, utcdate, thread, level, logger, message, newline, property ...
    written: str  # as written: "d", "-5p"
    left: bool = False
    min_width: int | None = None
    max_width: int | None = None
    option: str | None = None


Token = Literal | Conversion

# log4net's converter names (PatternLayout documentation), alias -> canonical name.
ALIASES: dict[str, str] = {
    "a": "appdomain",
    "appdomain": "appdomain",
    "aspnet-cache": "aspnet",
    "aspnet-context": "aspnet",
    "aspnet-request": "aspnet",
    "aspnet-session": "aspnet",
    "c": "logger",
    "logger": "logger",
    "C": "type",
    "class": "type",
    "type": "type",
    "d": "date",
    "date": "date",
    "utcdate": "utcdate",
    "exception": "exception",
    "F": "file",
    "file": "file",
    "identity": "identity",
    "u": "identity",
    "l": "location",
    "location": "location",
    "L": "line",
    "line": "line",
    "m": "message",
    "message": "message",
    "M": "method",
    "method": "method",
    "n": "newline",
    "newline": "newline",
    "ndc": "ndc",
    "x": "ndc",
    "p": "level",
    "level": "level",
    "P": "property",
    "properties": "property",
    "property": "property",
    "X": "property",
    "mdc": "property",
    "r": "timestamp",
    "timestamp": "timestamp",
    "stacktrace": "stacktrace",
    "stacktracedetail": "stacktrace",
    "t": "thread",
    "thread": "thread",
    "username": "username",
    "w": "username",
    "env": "env",
}


def _flatten(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [s for v in value for s in _flatten(v)]
    return [str(value)]


def _make_conversion(toks: pp.ParseResults) -> Conversion:
    parsed = toks.as_dict()
    written = str(parsed["name"])
    canonical = ALIASES.get(written) or ALIASES.get(written.lower()) or written.lower()
    min_s = parsed.get("min")
    max_s = parsed.get("max")
    option = parsed.get("option")  # absent: no braces; [] for `{}`; ["x"] for `{x}`
    return Conversion(
        name=canonical,
        written=written,
        left="left" in parsed,
        min_width=int(min_s) if min_s else None,
        max_width=int(max_s) if max_s else None,
        option=None if option is None else "".join(_flatten(option)),
    )


def _grammar() -> pp.ParserElement:
    # Known names longest first, then any word: log4net takes the longest known converter name
    # that prefixes the text, so `%dx` is `%d` followed by "x".
    known = sorted(ALIASES, key=len, reverse=True)
    name = pp.Regex("|".join(re.escape(k) for k in known) + r"|[A-Za-z][A-Za-z0-9_-]*")
    option = pp.Group(pp.Suppress("{") + pp.Opt(pp.CharsNotIn("}")) + pp.Suppress("}"))
    conv = (
        pp.Suppress("%")
        + pp.Opt(pp.Literal("-"))("left")
        + pp.Opt(pp.Word(pp.nums))("min")
        + pp.Opt(pp.Suppress(".") + pp.Word(pp.nums)("max"))
        + name("name")
        + pp.Opt(option)("option")
    ).set_parse_action(_make_conversion)
    percent = pp.Literal("%%").set_parse_action(lambda: Literal("%"))
    literal = pp.CharsNotIn("%").set_parse_action(lambda t: Literal(str(t[0])))
    grammar = pp.ZeroOrMore(percent | conv | literal) + pp.StringEnd()
    grammar.leave_whitespace(recursive=True)
    grammar.set_name("log4net conversion pattern")
    # A TAB is meaningful here (the SDK indents messages with one): keep it, do not expand it.
    grammar.parse_with_tabs()
    return grammar


_GRAMMAR = _grammar()


def parse_pattern(pattern: str) -> list[Token]:
    """Tokens of a conversion pattern; raises LogdoctorError naming the problem."""
    try:
        result = _GRAMMAR.parse_string(pattern, parse_all=True)
    except pp.ParseBaseException as exc:
        raise LogdoctorError(
            f"cannot read the layout pattern {pattern!r}: unexpected text at column {exc.col}"
            " (a lone '%'? write '%%' for a percent sign)"
        ) from exc
    tokens: list[Token] = []
    for tok in result:
        if isinstance(tok, Literal) and tokens and isinstance(tokens[-1], Literal):
            tokens[-1] = Literal(tokens[-1].text + tok.text)
        else:
            tokens.append(tok)
    return tokens


# ---------------------------------------------------------------------------------------------
# Layouts


@dataclass(frozen=True, slots=True)
class Header:
    timestamp: datetime | None
    level: str | None
    logger: str | None
    thread: str | None
    fields: tuple[tuple[str, str], ...]
    bad_timestamp: str | None = None  # the text, when it looked like a date but was not one


@dataclass(frozen=True, slots=True)
class Layout:
    """How records look: a header matcher and where the message sits.

    `message_on_header`: the message starts on the header line after the match (stock log4net);
    otherwise it starts on the next line, indented by `indent` (Dovetail SDK).  `lead` lists the
    characters a header line can start with ("" when any), a cheap test before the regex.
    `time_only`: the date format has no date part (`%date{ABSOLUTE}`): the reader supplies one.
    """

    name: str
    pattern: str
    header_re: re.Pattern[str]
    message_on_header: bool = True
    indent: str = ""
    lead: str = ""
    time_only: bool = False
    field_groups: tuple[tuple[str, str], ...] = ()  # regex group -> field key (%X{user} ...)
    has_logger: bool = False
    has_thread: bool = False
    has_level: bool = False
    ts_format: DateFormat | None = None

    def match(self, line: str) -> re.Match[str] | None:
        if self.lead and (not line or line[0] not in self.lead):
            return None
        return self.header_re.match(line)

    def parse(self, m: re.Match[str], base: date | None = None) -> Header:
        ts: datetime | None = None
        bad: str | None = None
        if self.ts_format is not None:
            ts_text = m.group("ts")
            ts = self.ts_format.parse(ts_text, base)
            if ts is None:
                bad = ts_text
        thread = m.group("thread") if self.has_thread else None
        logger = m.group("logger") if self.has_logger else None
        level = m.group("level") if self.has_level else None
        return Header(
            timestamp=ts,
            level=LEVEL_MAP.get(level.upper()) if level else None,
            logger=logger.strip() if logger is not None else None,
            thread=thread.strip() if thread is not None else None,
            fields=tuple((key, (m.group(g) or "").strip()) for g, key in self.field_groups),
            bad_timestamp=bad,
        )


STOCK_PATTERN = "%date [%thread] %-5level %logger - %message%newline"
STOCK_NDC_PATTERN = "%date [%thread] %-5level %logger [%property{NDC}] - %message%newline"
SDK_TAB_PATTERN = "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\t%m%n%n"
SDK_SPACES_PATTERN = "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n  %m%n%n"

_DATE_NAMES = {"date", "utcdate"}
_ANCHOR_NAMES = _DATE_NAMES | {"level", "timestamp"}


def _split_lines(tokens: Sequence[Token]) -> list[list[Token]]:
    lines: list[list[Token]] = [[]]
    for tok in tokens:
        if isinstance(tok, Conversion) and tok.name == "newline":
            lines.append([])
        elif isinstance(tok, Literal) and ("\n" in tok.text or "\r" in tok.text):
            pieces = tok.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            for i, piece in enumerate(pieces):
                if i:
                    lines.append([])
                if piece:
                    lines[-1].append(Literal(piece))
        else:
            lines[-1].append(tok)
    return lines


def _field_regex(next_tok: Token | None) -> str:
    """A variable field: everything up to the first character of what follows it.

    Negated classes cannot backtrack into each other, which keeps the header regex linear.
    """
    if isinstance(next_tok, Literal) and next_tok.text:
        stop = next_tok.text[0]
        if stop in " \t":
            return r"[^ \t\r\n]*"
        return f"[^{re.escape(stop)}\\r\\n]*"
    if next_tok is None:
        return r"[^\r\n]*"
    return r"[^ \t\r\n]*"


def _build(name: str, pattern: str, tokens: Sequence[Token]) -> Layout:
    lines = _split_lines(tokens)
    header_idx = next(
        (
            i
            for i, line in enumerate(lines)
            if any(isinstance(t, Conversion) and t.name in _ANCHOR_NAMES for t in line)
        ),
        None,
    )
    if header_idx is None:
        raise LogdoctorError(
            f"cannot use the layout pattern {pattern!r}: it has no %date, %level or %timestamp"
            " to tell where a record starts"
        )
    header_line = lines[header_idx]
    msg_pos = next(
        (i for i, t in enumerate(header_line) if isinstance(t, Conversion) and t.name == "message"),
        None,
    )
    header_tokens = header_line if msg_pos is None else header_line[:msg_pos]
    indent = ""
    if msg_pos is None:
        for line in lines[header_idx + 1 :]:
            if any(isinstance(t, Conversion) and t.name == "message" for t in line):
                first = line[0]
                if isinstance(first, Literal) and not first.text.strip():
                    indent = first.text
                break

    parts: list[str] = []
    field_groups: list[tuple[str, str]] = []
    seen: set[str] = set()
    date_used = False
    time_only = False
    lead = ""
    has_logger = has_thread = False
    main_date: DateFormat | None = None
    for i, tok in enumerate(header_tokens):
        nxt = header_tokens[i + 1] if i + 1 < len(header_tokens) else None
        if isinstance(tok, Literal):
            if i == 0 and tok.text:
                lead = tok.text[0] if not tok.text[0].isspace() else ""
            text = tok.text
            if nxt is None and msg_pos is not None and text != text.rstrip():
                # `logger - ` before an empty message loses its trailing space to editors and
                # log shippers that trim lines; the record is still there.
                kept = text.rstrip()
                parts.append(f"{re.escape(kept)}(?:{re.escape(text[len(kept) :])}|$)")
            else:
                parts.append(re.escape(text))
            continue
        kind = tok.name
        if kind in _DATE_NAMES:
            try:
                df = date_format(tok.option or "", None)
            except ValueError as exc:
                raise LogdoctorError(f"cannot use the layout pattern {pattern!r}: {exc}") from exc
            if not date_used:
                parts.append(f"(?P<ts>{df.regex})")
                main_date = df
                time_only = not df.has_date
                if i == 0 and df.lead_digit:
                    lead = "0123456789"
            else:
                parts.append(df.regex)
            date_used = True
        elif kind == "level":
            body = f"(?P<level>{_LEVEL_RE})" if "level" not in seen else _LEVEL_RE
            if tok.max_width:
                body = (
                    f"(?P<level>[A-Za-z]{{1,{tok.max_width}}})"
                    if "level" not in seen
                    else f"[A-Za-z]{{1,{tok.max_width}}}"
                )
            seen.add("level")
            pad = " *" if tok.min_width else ""
            parts.append(f"{body}{pad}" if tok.left else f"{pad}{body}")
        elif kind == "timestamp":
            parts.append(r" *\d+ *")
        elif kind in ("thread", "logger") and kind not in seen:
            seen.add(kind)
            has_logger = has_logger or kind == "logger"
            has_thread = has_thread or kind == "thread"
            parts.append(f"(?P<{kind}>{_field_regex(nxt)})")
        elif kind in (
            "property",
            "ndc",
            "identity",
            "username",
            "appdomain",
            "type",
            "method",
            "file",
            "line",
            "location",
            "env",
        ):
            group = f"f{len(field_groups)}"
            key = tok.option if kind == "property" and tok.option else kind
            field_groups.append((group, key))
            parts.append(f"(?P<{group}>{_field_regex(nxt)})")
        elif kind in ("exception", "stacktrace"):
            parts.append(r"[^\r\n]*?" if nxt is None else _field_regex(nxt))
        else:
            parts.append(_field_regex(nxt))
    regex = "".join(parts)
    if msg_pos is None:
        regex += r"[ \t]*$"  # the header is the whole line: say so, it sharpens detection
    try:
        compiled = re.compile(regex)
    except re.error as exc:  # pragma: no cover - every part above is escaped or fixed
        raise LogdoctorError(f"cannot use the layout pattern {pattern!r}: {exc}") from exc
    return Layout(
        name=name,
        pattern=pattern,
        header_re=compiled,
        message_on_header=msg_pos is not None,
        indent=indent,
        lead=lead,
        time_only=time_only,
        field_groups=tuple(field_groups),
        has_logger=has_logger,
        has_thread=has_thread,
        has_level="level" in seen,
        ts_format=main_date,
    )


def _unescape_cli(pattern: str) -> str:
    """Patterns pasted from a config or typed on a command line: `&#9;` and `\\t` mean a TAB."""
    if "&" in pattern:
        pattern = html.unescape(pattern)
    return pattern.replace("\\t", "\t").replace("\\n", "\n")


KNOWN_LAYOUTS: tuple[Layout, ...] = (
    _build("log4net stock", STOCK_PATTERN, parse_pattern(STOCK_PATTERN)),
    _build("log4net stock with NDC", STOCK_NDC_PATTERN, parse_pattern(STOCK_NDC_PATTERN)),
    _build("Dovetail SDK (tab)", SDK_TAB_PATTERN, parse_pattern(SDK_TAB_PATTERN)),
    _build("Dovetail SDK (2 spaces)", SDK_SPACES_PATTERN, parse_pattern(SDK_SPACES_PATTERN)),
)


def choose_layout(
    pattern: str | None = None, service_config: str | Path | None = None
) -> tuple[Layout | None, str]:
    """The layout the user asked for (`--layout` wins over `--service-config`), and a note.

    (None, note) means: detect the layout of each file by itself.
    """
    if pattern:
        layout = layout_from_pattern(pattern)
        return layout, f"layout: {layout.name} (from --layout)"
    if service_config:
        found = find_service_pattern(Path(service_config))
        if found.pattern:
            layout = layout_from_pattern(found.pattern)
            where = found.origin + (f", appender {found.appender}" if found.appender else "")
            return layout, f"layout: {layout.name} (from {where})"
        notes = "; ".join(found.notes)
        return None, (
            f"layout: no log4net PatternLayout in {found.origin}"
            + (f" ({notes})" if notes else "")
            + "; detecting it from the log"
        )
    return None, "layout: detected from the log"


def layout_from_pattern(pattern: str) -> Layout:
    """A layout for a log4net conversion pattern (`--layout`); a known one keeps its name."""
    pattern = _unescape_cli(pattern)
    for known in KNOWN_LAYOUTS:
        if known.pattern == pattern:
            return known
    tokens = parse_pattern(pattern)
    return _build(f"custom: {pattern.encode('unicode_escape').decode('ascii')}", pattern, tokens)


# ---------------------------------------------------------------------------------------------
# Generic fallback and detection

_GENERIC_FORMATS: tuple[str, ...] = (
    "yyyy-MM-dd HH:mm:ss,FFFFFFF",
    "yyyy-MM-ddTHH:mm:ss,FFFFFFF",
    "yyyy/MM/dd HH:mm:ss,FFFFFFF",
    "dd MMM yyyy HH:mm:ss,FFFFFFF",
    "dd/MM/yyyy HH:mm:ss,FFFFFFF",
    "MM/dd/yyyy h:mm:ss tt",
    "MM/dd/yyyy HH:mm:ss,FFFFFFF",
    "dd.MM.yyyy HH:mm:ss,FFFFFFF",
)


def _generic(fmt: str) -> Layout:
    df = date_format(fmt, None)
    # The level must appear close after the timestamp: a bounded gap keeps this linear enough
    # and stops a date in the middle of a message line from counting.
    regex = (
        f"(?P<ts>{df.regex})(?:Z|[+-]\\d\\d:?\\d\\d)?[^\\r\\n]{{0,120}}?"
        f"(?<![A-Za-z])(?P<level>{_LEVEL_RE})(?![A-Za-z])[\\]\\)>:| \\t-]*"
    )
    return Layout(
        name="generic timestamp",
        pattern=f"%date{{{fmt}}} ... %level %message%newline",
        header_re=re.compile(regex),
        lead="0123456789",
        has_level=True,
        ts_format=df,
    )


GENERIC_LAYOUTS: tuple[Layout, ...] = tuple(_generic(f) for f in _GENERIC_FORMATS)
_SNIFF_FORMATS = tuple(date_format(f) for f in _GENERIC_FORMATS)


def sniff_timestamp(line: str) -> datetime | None:
    """The timestamp a line starts with, in any common format, or None."""
    if not line or not line[0].isdigit():
        return None
    for df in _SNIFF_FORMATS:
        m = df.named.match(line)
        if m:
            ts = parse_date_groups(m.groupdict(), "d_", None)
            if ts is not None:
                return ts
    return None


def score_layout(layout: Layout, lines: Sequence[str]) -> int:
    """How well a layout explains the sample: matching headers, plus indented message lines."""
    score = 0
    for i, line in enumerate(lines):
        m = layout.match(line)
        if m is None:
            continue
        if layout.parse(m).bad_timestamp is not None:
            continue
        score += 2
        if not layout.message_on_header and layout.indent and i + 1 < len(lines):
            nxt = lines[i + 1]
            if nxt.startswith(layout.indent) and (
                layout.indent != "  " or not nxt.startswith("   ")
            ):
                score += 1
            elif nxt.startswith(("\t", "  ")):
                score -= 1
    return score


def detect_layout(lines: Sequence[str]) -> Layout:
    """The known layout that explains the sample best; else the best generic one."""
    best: Layout | None = None
    best_score = 0
    for layout in KNOWN_LAYOUTS:
        s = score_layout(layout, lines)
        if s > best_score:
            best, best_score = layout, s
    if best is not None:
        return best
    generic = GENERIC_LAYOUTS[0]
    best_score = 0
    for layout in GENERIC_LAYOUTS:
        s = score_layout(layout, lines)
        if s > best_score:
            generic, best_score = layout, s
    return generic


# ---------------------------------------------------------------------------------------------
# The service's exe.config


@dataclass(frozen=True, slots=True)
class ServicePattern:
    """A conversion pattern found in a service config, and where it came from."""

    pattern: str | None
    origin: str  # the file it was read from
    appender: str | None = None
    notes: tuple[str, ...] = field(default=())


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _param(elem: ET.Element, name: str) -> str | None:
    """`<name value="..."/>`, `<param name="Name" value="..."/>` or `<name>text</name>`."""
    for child in elem:
        tag = _local(child.tag)
        if tag == name.lower():
            value = child.get("value")
            if value is None and child.text and child.text.strip():
                value = child.text
            return value
        if tag == "param" and (child.get("name") or "").lower() == name.lower():
            return child.get("value")
    return None


def _read_xml(path: Path) -> ET.Element:
    # ElementTree never fetches external entities or DTDs; expat caps entity expansion.
    try:
        return ET.fromstring(path.read_bytes())
    except ET.ParseError as exc:
        raise LogdoctorError(f"cannot read: not valid XML ({exc})", path=str(path)) from exc
    except OSError as exc:
        raise LogdoctorError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc


def _pattern_in(root: ET.Element) -> tuple[str | None, str | None]:
    """(pattern, appender name) from a log4net element tree (the section or a whole file)."""
    log4net = (
        root
        if _local(root.tag) == "log4net"
        else next((e for e in root.iter() if _local(e.tag) == "log4net"), None)
    )
    if log4net is None:
        return None, None
    candidates: list[tuple[int, str, str | None]] = []
    for order, appender in enumerate(e for e in log4net.iter() if _local(e.tag) == "appender"):
        layout = next((c for c in appender if _local(c.tag) == "layout"), None)
        if layout is None:
            continue
        pattern = _param(layout, "conversionPattern") or layout.get("value")
        if not pattern:
            continue
        file_name = (_param(appender, "file") or "").strip().lower()
        rank = (
            0
            if file_name.endswith("rulemanager.log")
            else (1 if "file" in (appender.get("type") or "").lower() else 2)
        )
        candidates.append((rank * 1000 + order, pattern, appender.get("name")))
    if not candidates:
        return None, None
    _, pattern, name = min(candidates, key=lambda c: c[0])
    return pattern, name


def find_service_pattern(path: Path) -> ServicePattern:
    """The Rulemanager.log conversion pattern of a service config, following
    `fchoice.logconfigfile` to an external log4net file when it names one."""
    try:
        root = _read_xml(path)
    except LogdoctorError as exc:
        # A few `<add key=... value=.../>` lines (what check-config also takes) are no whole
        # XML document: they carry email settings, not a log4net layout.  A broken document
        # that meant to be one (a truncated exe.config) is still an error.
        head = path.read_bytes()[:65536].lower() if path.is_file() else b""
        whole = any(tag in head for tag in (b"<?xml", b"<configuration", b"<log4net"))
        if "not valid XML" not in str(exc) or whole:
            raise
        return ServicePattern(None, str(path), None, ("a snippet, not a whole XML file",))
    notes: list[str] = []
    external: str | None = None
    for add in root.iter():
        if _local(add.tag) == "add" and (add.get("key") or "").lower() == "fchoice.logconfigfile":
            external = (add.get("value") or "").strip() or None
    if external:
        candidates = [path.parent / external]
        if "\\" in external or ":" in external:
            # A Windows path copied from the server: look for the same name next to the config.
            candidates.append(path.parent / PureWindowsPath(external).name)
        found = next((c for c in candidates if c.is_file()), None)
        if found is not None:
            pattern, appender = _pattern_in(_read_xml(found))
            if pattern:
                return ServicePattern(pattern, str(found), appender, tuple(notes))
            notes.append(
                f"{found}: no log4net PatternLayout in the file named by fchoice.logconfigfile"
            )
        else:
            notes.append(
                f"fchoice.logconfigfile names {external!r}, which is not next to the "
                "config; using the config's own log4net section"
            )
    pattern, appender = _pattern_in(root)
    return ServicePattern(pattern, str(path), appender, tuple(notes))


def pattern_from_service_config(path: Path) -> str | None:
    """The conversion pattern of Rulemanager.log's appender, or None when there is none."""
    return find_service_pattern(Path(path)).pattern


def stored_layout(pattern: str) -> Layout:
    """The layout a store row names by its pattern: a known or generic one by name, else one
    built from the pattern (`batch` keeps a file's layout between runs as its pattern)."""
    for known in (*KNOWN_LAYOUTS, *GENERIC_LAYOUTS):
        if known.pattern == pattern:
            return known
    return layout_from_pattern(pattern)
