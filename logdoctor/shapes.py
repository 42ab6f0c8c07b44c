"""The shape of a failure line: its variable tokens replaced, so that repeats are worked once.

A varied log repeats each failure with another address, time bomb id, server name and time in
it: every text is new, yet its diagnosis key (`diagkey`) and its exception types are the same
as the last one's.  `line_shape` replaces those tokens with placeholders, and the callers
memoise on the shape instead of the text.

That is exact, not a guess, because a token is replaced only where the result provably does
not depend on it:

* A token is a maximal run of characters between delimiters (white space and
  ``<>()[]{}",;=``, plus one trailing ``.`` before a delimiter).  No pattern of
  `mask.mask_variable` nor of the chain grammar's type names can start or end inside it and go
  on outside, because every one of them needs characters the delimiters are not (``\\w``,
  ``.``, ``@``, ``:``, ``-``); the one that spans blanks (the Gmail ``- gsmtp`` id) is avoided
  by never shaping a text that holds ``gsmtp``.
* Each kind is replaced only when `mask_variable` turns every token of that kind into the same
  mask, whatever its letters and digits are: an e-mail address the address pattern matches
  whole (`<email>`); an IPv4 address, with or without a port, the same (`<ip>`); a host
  name the host pattern matches whole, with nothing in it an earlier pattern would take
  (`<host>`); a letters-and-digits id the id pattern matches whole
  (`<id>`); an ISO 8601 time with its fraction's length kept in the placeholder (``<id>``,
  ``<ip6>`` and ``<id>`` again, as `test_shapes` spells out).  Long numbers are zeroed before,
  exactly as `diagkey` does.
* No replaced token holds ``Exception``, ``Error``, an inner-exception word, or anything the
  grammar reads as a type name, so the exception types read from the text are the same for
  every token of the shape, with two provisos that `Shaper.shape_and_key` puts in the key:
  the grammar reads some things within a window of characters, so the lengths of tokens count
  on lines long enough to reach one (`LENGTH_FREE_LINE`; the grammar works line by line);
  and links that repeat one another are read once (an AggregateException's block #0), so
  which tokens and numbers equal which counts too (a message's first line starts after white
  space and ends at the line's end, so two equal messages hold their tokens at the same
  places).  Words that decide a failure without types, such as "mail", are still read from
  the real text by the callers.

`tests/test_shapes.py` checks all of this against the real functions on generated and
hand-written texts.
"""

from __future__ import annotations

import re

from logdoctor.mask import _PATTERNS

PLACE = "\x00"
SHAPE_CHARS = 8_192  # longer texts are worked on their own (the diagnosis key reads this much)
MAX_LINES_CACHED = 16_384

# A run of six or more digits standing alone; zeroed (as many zeros) before anything else.
LONG_NUMBER = re.compile(r"(?<![\w.:/\\-])\d{6,}(?![\w.:/\\-])")
GSMTP = re.compile(r"gsmtp", re.IGNORECASE)


def has_gsmtp(text: str) -> bool:
    """`GSMTP.search(text) is not None`, fast: a case-insensitive search cannot skip ahead as
    a plain one does (10 us on a 1 KB failure text).  On ASCII text it matches exactly where
    the lower-cased text holds `gsmtp`; other text may hold a long s that `(?i)` reads as `s`."""
    if text.isascii():
        return "gsmtp" in text.lower()
    return GSMTP.search(text) is not None


_EMAIL = next(p for p, token in _PATTERNS if token == "<email>")
_HOST = next(p for p, token in _PATTERNS if token == "<host>")
_ID = next(p for p, token in _PATTERNS if token == "<id>")
_GUID = next(p for p, token in _PATTERNS if token == "<guid>")
_IP = next(p for p, token in _PATTERNS if token == "<ip>")

# Maximal runs between delimiters that hold a digit or an `@`: the only tokens worth a look.
# A match starts only where a run starts and never backtracks, so a long word costs one pass.
_TOKEN = re.compile(
    r"(?<![^\s<>()\[\]{}\",;=])[^\s<>()\[\]{}\",;=\d@]*+[\d@][^\s<>()\[\]{}\",;=]*+"
)
# ASCII digits only: `\d` would take other scripts' digits, which the masks read otherwise.
_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]{1,7}))?(Z?)"
)
_ALNUM_ID = re.compile(r"[A-Za-z0-9]{8,}")
# Words that change how the grammar reads a line or decides on a type: never inside a token.
_GRAMMAR_WORDS = re.compile(
    r"(?i)exception|error|inner|intern|внутренн|内部|wewnętrzn|vnitřní|내부|belső|iç|binnen"
)


_KINDS: dict[str, str | None] = {}  # codes such as `550` and `5.7.60` repeat in every text


def _kind(token: str) -> str | None:
    """The placeholder a token may be replaced with, or None to keep it."""
    if token in _KINDS:
        return _KINDS[token]
    kind = _token_kind(token)
    if len(_KINDS) >= MAX_LINES_CACHED:
        _KINDS.clear()
    _KINDS[token] = kind
    return kind


def _token_kind(token: str) -> str | None:
    if _GRAMMAR_WORDS.search(token) is not None or PLACE in token:
        return None
    if "@" in token:
        return "E" if _EMAIL.fullmatch(token) is not None else None
    if _IP.fullmatch(token) is not None:
        return "P"
    if ":" not in token and "." in token:
        if (
            _HOST.fullmatch(token) is not None
            and "0x" not in token.lower()
            and _GUID.search(token) is None
            and _IP.search(token) is None
        ):
            return "H"
        return None
    m = _ISO_TIME.fullmatch(token)
    if m is not None:
        return f"T{len(m.group(1) or '')}{m.group(2)}"
    if (
        _ALNUM_ID.fullmatch(token) is not None
        and not token.isdigit()
        and token[:2] not in ("0x", "0X")
        and _ID.fullmatch(token) is not None
    ):
        return "I"
    return None


def line_shape(line: str, spans: list[tuple[int, int]] | None = None) -> str:
    """`line` with every provably interchangeable token replaced by a placeholder; the
    (start, end) of each replaced token is added to `spans` when given.

    A line that already holds the placeholder character is returned as it is (its shape could
    not be told from a real one); so is one holding ``gsmtp``.
    """
    if PLACE in line or has_gsmtp(line):
        return line
    out: list[str] = []
    last = 0
    for m in _TOKEN.finditer(line):
        start, end = m.span()
        token = m.group(0)
        if token.endswith(".") and len(token) > 1:
            token = token[:-1]
            end -= 1
        kind = _kind(token)
        if kind is None:
            continue
        out.append(line[last:start])
        out.append(PLACE + kind + PLACE)
        if spans is not None:
            spans.append((start, end))
        last = end
    if not out:
        return line
    out.append(line[last:])
    return "".join(out)


# A line no longer than this is read the same whatever the lengths of its tokens: the
# grammar's windows and bounded repeats that can take in a token's characters are all longer
# (a frame's method and the inline-frame split: 160 and more; a stack marker's text 200 and
# 300; generic arguments 400; what follows a type 480; a header 4,096) but one, `(wrapper
# ...)` up to 80, so a line holding `(wrapper` counts only up to 80.
LENGTH_FREE_LINE = 160
LENGTH_FREE_WRAPPER_LINE = 80


def _length_free(line: str) -> bool:
    n = len(line)
    return n <= LENGTH_FREE_WRAPPER_LINE or (n <= LENGTH_FREE_LINE and "(wrapper" not in line)


def zeros(m: re.Match[str]) -> str:
    return "0" * len(m.group(0))


class Shaper:
    """`shape(text)`: the text's lines, long numbers zeroed and shaped, joined; None for a text
    that is worked on its own (too long, holding ``gsmtp`` or the placeholder character).

    Lines that hold nothing variable (stack frames, fixed messages) repeat verbatim from one
    failure to the next and are looked up, not scanned again.
    """

    def __init__(self) -> None:
        self._lines: dict[str, str] = {}

    def shape(self, text: str) -> str | None:
        found = self.shape_and_key(text)
        return None if found is None else found[0]

    def shape_and_key(self, text: str) -> tuple[str, tuple[int, ...]] | None:
        """The shape, and the key its exception types are memoised under: the shape and,
        for each replaced token and zeroed number in order, which earlier one it equals (its
        own place if none) and, on a line long enough for it to matter, its length (0
        elsewhere).

        The diagnosis key depends on the shape alone.  The types also depend on lengths
        where the grammar reads within a window of characters (`LENGTH_FREE_LINE`), and on
        which values are equal, since links that repeat one another are read once (an
        AggregateException's block #0 repeats its first inner exception).
        """
        if len(text) > SHAPE_CHARS or PLACE in text or has_gsmtp(text):
            return None
        fixed = self._lines
        out: list[str] = []
        key: list[int] = []
        seen: dict[str, int] = {}
        for line in text.split("\n"):
            shaped = fixed.get(line)
            if shaped is None:
                numbers = [m.span() for m in LONG_NUMBER.finditer(line)]
                zeroed = LONG_NUMBER.sub(zeros, line) if numbers else line
                spans: list[tuple[int, int]] = []
                shaped = line_shape(zeroed, spans)
                if not numbers and not spans:
                    if len(fixed) >= MAX_LINES_CACHED:
                        fixed.clear()
                    fixed[line] = line
                else:
                    # Every number counts, `000000` too: it may equal one on another line.
                    free = _length_free(line)
                    for start, end in (*numbers, *spans):
                        value = line[start:end]
                        key.append(seen.setdefault(value, len(key)))
                        key.append(0 if free else end - start)
            out.append(shaped)
        return "\n".join(out), tuple(key)
