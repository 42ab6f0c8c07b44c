"""Failure text prepared once for matching against every rule.

Log text is hostile input: everything here is bounded (text length, word length, number of hits)
so that a 50 KB stack trace or a megabyte-long line costs milliseconds, not minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from logdoctor.mask import mask_variable
from logdoctor.model import ExceptionChain

# Caps on the work done per failure.
MAX_TEXT = 20_000  # characters of the failure looked at by phrases and regexes
MAX_WORD = 200  # longer runs without spaces are cut (they are data, not words)
MAX_HITS = 64  # codes of one kind kept from one text

_FRAME = re.compile(
    r"^[ \t]*(?:at [^\r\n]{0,2000}|--- End of [^\r\n]{0,200})$"
    # localized frames (`bei`, `à`, `в` ...): indented, a method name, then its arguments
    r"|^[ \t]+(?:bei|à|en|в|在|in|em|w|v|bij|vid|ved|på|場所|위치|konum|ở|σε|na|pri)[ \t:]{1,4}"
    r"[^\s(]{1,512}\([^\r\n]{0,2000}$",
    re.MULTILINE,
)
_LONG_WORD = re.compile(r"\S{" + str(MAX_WORD) + r"}\S+")
_PUNCT = re.compile(r"[^\w]+")
_UNDERSCORE = re.compile(r"_+")
_SPACES = re.compile(r"\s+")

# SMTP reply code followed by an enhanced status code, tolerating the spaces and dashes that
# flattening adds (`535 -5.7 .8`, `535-5.7.8`).
_REPLY_ENHANCED = re.compile(
    r"(?<![\w.:/])([2-5][0-5]\d)[ \t]{0,3}-?[ \t]{0,3}([245])[ \t]{0,2}\.[ \t]{0,2}(\d{1,3})"
    r"[ \t]{0,2}\.[ \t]{0,2}(\d{1,3})(?![\d.]*\d)"
)
# An enhanced status code on its own (`5.7.139 Authentication unsuccessful`).
_ENHANCED = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)")
# A basic reply code where the text says it is one.
_REPLY_SAID = re.compile(
    r"(?:respon(?:se|ded)|repl(?:y|ied)|returned|smtp error|error code)\b[^\d\r\n]{0,24}"
    r"(?<![\d.])([2-5][0-5]\d)(?![\d.])",
    re.IGNORECASE,
)
# A reply at the start of a line or of the message: `550 5.1.1 ...`, `421 Service not available`.
_REPLY_LINE = re.compile(
    r"(?:^|[:>]\s{0,4})([2-5][0-5]\d)[ -]"
    r"(?!(?:seconds?|secs?|ms|milliseconds?|minutes?|bytes?|kb|mb)\b)(?=[A-Za-z#(\[])",
    re.MULTILINE | re.IGNORECASE,
)
_SOCKET = re.compile(r"(?<![\w.])(1[01]0\d\d)(?![\w.])")
_AAD = re.compile(r"\b(AADSTS\d{4,9})\b", re.IGNORECASE)
_HTTP = re.compile(
    r"(?:\bHTTP/\d(?:\.\d)?\s+|\bstatus\s*(?:code)?\s*[:=]?\s*|\()"
    r"([1-5]\d\d)\b(?!\.\d)"
    r"|\b([1-5]\d\d)\s*\(?(?:Unauthorized|Forbidden|Too\s?Many\s?Requests|Service\s?Unavailable"
    r"|Bad\s?Request|Not\s?Found|Internal\s?Server\s?Error)\b",
    re.IGNORECASE,
)
# Type names in text the grammar could not read: dotted names, or names ending in Exception
# (lazy, so a flattened `...NegotiationExceptionIOException occurred` yields both types).
_TYPE = re.compile(
    r"\b((?:[A-Za-z_][A-Za-z0-9_]{0,80}\.){1,8}[A-Za-z_][A-Za-z0-9_]{0,80}?Exception"
    r"|[A-Z][A-Za-z0-9_]{0,80}?Exception)"
)

# Windows Sockets codes that mean something to an admin; other five-digit numbers near 10000
# are left alone (they are ports or ids more often than not).
WSA_CODES = frozenset(
    {10004, 10013, 10035, 10038, 10048, 10049, 10050, 10051, 10052, 10053, 10054, 10055,
     10056, 10057, 10058, 10060, 10061, 10064, 10065, 11001, 11002, 11003, 11004}
)  # fmt: skip


def cap_text(text: str) -> str:
    """Bound the text: at most MAX_TEXT characters, no word longer than MAX_WORD."""
    if len(text) > MAX_TEXT * 4:
        text = text[: MAX_TEXT * 4]
    text = _LONG_WORD.sub(lambda m: m.group(0)[:MAX_WORD], text)
    return text[:MAX_TEXT]


def strip_frames(text: str) -> str:
    """Drop stack frames: they are long, and method names fuzzy-match phrases by accident."""
    return _FRAME.sub("", text)


def normalise(text: str) -> str:
    """Lower case, variable parts masked, punctuation and line breaks to single spaces."""
    masked = mask_variable(text)
    out = _PUNCT.sub(" ", masked.lower())
    out = _UNDERSCORE.sub(" ", out)
    return _SPACES.sub(" ", out).strip()


def squash_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a rule can test about one failure, computed once."""

    norm: str  # for phrases
    flat: str  # whitespace-squashed text, for regexes
    types: tuple[str, ...]  # full type names as written, the parsed chain's first
    smtp_codes: frozenset[int]
    enhanced_codes: frozenset[str]
    socket_errors: frozenset[int]
    aad_codes: frozenset[str]
    http_status: frozenset[int]


def _take(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    for m in pattern.finditer(text):
        out.append(m)
        if len(out) >= MAX_HITS:
            break
    return out


def scan_types(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for m in _take(_TYPE, text):
        seen.setdefault(m.group(1), None)
    return list(seen)


def prepare(chain: ExceptionChain) -> Prepared:
    """Collect types, codes and normalised text from the parsed chain and from its raw text.

    The raw text is scanned as well as the parsed fields because a text the grammar could only
    partly read (flattened, localized, cut off) still carries its codes and type names.
    """
    full = chain.text or "\n".join(f"{link.type}: {link.message}" for link in chain.links)
    # Frames go before the cap so that a long stack trace does not push the messages out.
    raw = cap_text(full)
    body = cap_text(strip_frames(full[: MAX_TEXT * 4]))
    if chain.links and not body.strip():
        body = "\n".join(f"{link.type}: {link.message}" for link in chain.links)

    types: dict[str, str] = {}
    for t in (*chain.types, *scan_types(body)):
        types.setdefault(t.strip().lower(), t.strip())

    smtp: set[int] = {r.code for r in chain.smtp_replies}
    enhanced: set[str] = {r.enhanced for r in chain.smtp_replies if r.enhanced}
    for m in _take(_REPLY_ENHANCED, body):
        smtp.add(int(m.group(1)))
        enhanced.add(f"{m.group(2)}.{int(m.group(3))}.{int(m.group(4))}")
    for m in _take(_ENHANCED, body):
        enhanced.add(f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}")
    for m in _take(_REPLY_SAID, body):
        smtp.add(int(m.group(1)))
    for m in _take(_REPLY_LINE, body):
        smtp.add(int(m.group(1)))

    sockets: set[int] = set(chain.socket_errors)
    for m in _take(_SOCKET, body):
        code = int(m.group(1))
        if code in WSA_CODES:
            sockets.add(code)

    aad = {c.upper() for c in chain.aad_codes}
    aad.update(m.group(1).upper() for m in _take(_AAD, body))

    http: set[int] = set(chain.http_status)
    for m in _take(_HTTP, body):
        http.add(int(m.group(1) or m.group(2)))

    return Prepared(
        norm=normalise(body),
        flat=squash_space(raw),
        types=tuple(types.values()),
        smtp_codes=frozenset(smtp),
        enhanced_codes=frozenset(enhanced),
        socket_errors=frozenset(sockets),
        aad_codes=frozenset(aad),
        http_status=frozenset(http),
    )
