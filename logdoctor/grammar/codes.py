"""Codes found inside failure texts: SMTP replies, socket errors, HRESULTs, AAD and HTTP codes.

Every extractor looks for a code only where that kind of code is written (its *context*), because
log text is full of numbers that are not codes: ports (`Port: 25`), line numbers (`:line 212`),
timeouts, versions (`4.7.2`).  All patterns start with a literal or a small character class and
use bounded repeats, so they stay linear on hostile input; callers cap how much text they scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TypeVar

from logdoctor.model import SmtpReply

_T = TypeVar("_T")

# Text beyond this is not scanned for codes (a 50 MB line must not cost minutes).
MAX_SCAN_CHARS = 1_000_000
_MAX_REPLY_TEXT = 500


def _ascii_lower(scan: str) -> str | None:
    """`scan.lower()` when `scan` is ASCII, else None.  Only for ASCII text do the offsets of the
    lower-cased text equal those of the text, and does a case-insensitive pattern match exactly
    where the lower-cased text holds its words (`(?i)s` also matches the long s, `(?i)k` the
    Kelvin sign)."""
    return scan.lower() if scan.isascii() else None


def _starts(lower: str, words: tuple[str, ...]) -> list[int]:
    found: set[int] = set()
    for word in words:
        pos = lower.find(word)
        while pos >= 0:
            found.add(pos)
            pos = lower.find(word, pos + 1)
    return sorted(found)


def _finditer(
    pattern: re.Pattern[str], scan: str, lower: str | None, words: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(scan)` for a pattern each of whose matches starts where the ASCII
    `lower` (`_ascii_lower(scan)`) holds one of `words`: the pattern is only tried there, not at
    every position.  The patterns used with it never match empty text."""
    if lower is None:
        yield from pattern.finditer(scan)
        return
    end = 0
    for pos in _starts(lower, words):
        if pos < end:
            continue
        m = pattern.match(scan, pos)
        if m is not None:
            yield m
            end = m.end()


# --- SMTP replies ---------------------------------------------------------------------------

# Enhanced status code (RFC 3463), tolerating the stray spaces of text copied from web pages:
# "5.7.8", "5.7 .8", "5 .7. 8".
_ENH_TAIL = r"[ \t]?\.[ \t]?\d{1,3}[ \t]?\.[ \t]?\d{1,3}(?![\d.]|[ \t]\.)"
_ENH = r"[245]" + _ENH_TAIL
# A code that no word character, dot, colon, slash, `=` or `-` comes before.  The check is written
# after the first digit (`(?<![\w.:/=-])[2-5]` as `[2-5](?<![\w.:/=-][2-5])`, the same test) so
# that the pattern starts with a character class and the engine jumps from digit to digit.
_LEAD_BASIC = r"[2-5](?<![\w.:/=-][2-5])[0-5]\d"
_LEAD_ENH = r"[245](?<![\w.:/=-][245])" + _ENH_TAIL
_TEXT = rf"(?P<text>[^\n]{{0,{_MAX_REPLY_TEXT}}})"

# Where a reply starts: line start, just after an exception header's colon, or after the words
# clients put in front of the server's answer.  Checked on the few characters before a code
# candidate (a window), so the scan itself starts with a digit and stays fast.
_MARKER = (
    r"(?:respon(?:ded|se(?:[ \t]+was)?)|repl(?:ied|y(?:[ \t]+was)?)|said|answered|returned|error)"
)
# MailKit puts the status name first: "AuthenticationInvalidCredentials: 5.7.3 ...".
_STATUS_NAME = r"(?<![\w.])[A-Z][a-z]+(?:[A-Z][a-z]+)+:"
_BEFORE = re.compile(
    r"(?:^|\n|Exception[ \t]?:|Error[ \t]?:|\):|" + _STATUS_NAME + r"|[ \t(](?i:" + _MARKER + r")"
    r"[ \t]*:?)[ \t]*\Z"
)
_WINDOW = 40

# A basic code followed by an enhanced code is an SMTP reply wherever it stands.
_CODE_AND_ENH = re.compile(
    r"(?P<code>" + _LEAD_BASIC + r")(?P<sep>[ \t]*-[ \t]*|[ \t]*:?[ \t]+|:)"
    r"(?P<enh>" + _ENH + r")[ \t]*" + _TEXT
)
# A basic code alone, or an enhanced code alone, only in reply position.
_CODE_ONLY = re.compile(
    r"(?P<code>" + _LEAD_BASIC + r")(?P<sep>-|:?[ \t]+)(?=[A-Za-z<\[(#'\"])" + _TEXT
)
_ENH_ONLY = re.compile(r"(?P<enh>" + _LEAD_ENH + r")[ \t]+" + _TEXT)
# Where any match of the three patterns above can start: a code lead digit followed by the rest
# of a basic code and a separator's first character, or by an enhanced code's first dot.
_REPLY_START = re.compile(r"[2-5](?<![\w.:/=-][2-5])(?:[0-5]\d[ \t:-]|[ \t]?\.)")
_SPACES = re.compile(r"[ \t]+")


def _enhanced(raw: str | None) -> str | None:
    return _SPACES.sub("", raw) if raw else None


def _clean_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def smtp_replies(text: str) -> tuple[SmtpReply, ...]:
    """SMTP replies in reply position, in order of appearance.

    Multi-line replies (`535-5.7.8 ...` then `535 5.7.8 ...`) are merged into one reply whose
    text joins the lines with a space.  An enhanced code written without its basic code
    (`The server response was: 5.7.57 ...`, as System.Net.Mail writes it) gets `code=0`.
    """
    scan = text[:MAX_SCAN_CHARS]
    first = _REPLY_START.search(scan)
    if first is None:
        return ()
    begin = first.start()  # no match of the patterns starts before
    found: dict[int, tuple[int, str | None, str, bool]] = {}
    for m in _CODE_AND_ENH.finditer(scan, begin):
        found[m.start("code")] = (
            int(m.group("code")),
            _enhanced(m.group("enh")),
            m.group("text"),
            "-" in m.group("sep"),
        )
    taken = sorted(found)
    for m in _CODE_ONLY.finditer(scan, begin):
        start = m.start("code")
        if _in_reply_position(scan, start) and not _inside(start, taken, found):
            found[start] = (int(m.group("code")), None, m.group("text"), m.group("sep") == "-")
    taken = sorted(found)
    for m in _ENH_ONLY.finditer(scan, begin):
        start = m.start("enh")
        if _in_reply_position(scan, start) and not _inside(start, taken, found):
            found[start] = (0, _enhanced(m.group("enh")), m.group("text"), False)
    return _merge(found[k] for k in sorted(found))


def _in_reply_position(text: str, start: int) -> bool:
    return _BEFORE.search(text, max(0, start - _WINDOW), start) is not None


def _inside(
    pos: int, starts: list[int], found: dict[int, tuple[int, str | None, str, bool]]
) -> bool:
    """True when `pos` lies in the codes of a reply already found (the 5.7.8 of 535 5.7.8)."""
    for start in starts:
        if start <= pos < start + 16:
            return True
    return False


def _merge(items: Iterable[tuple[int, str | None, str, bool]]) -> tuple[SmtpReply, ...]:
    out: list[SmtpReply] = []
    open_continuation = False
    for code, enhanced, raw, continuation in items:
        text = _clean_text(raw)
        if out and out[-1].code == code and out[-1].enhanced == enhanced:
            prev = out[-1]
            if open_continuation:
                out[-1] = SmtpReply(prev.code, prev.enhanced, f"{prev.text} {text}".strip())
                open_continuation = continuation
                continue
            if prev.text == text:
                continue
        out.append(SmtpReply(code, enhanced, text))
        open_continuation = continuation
    return tuple(out)


# --- socket errors --------------------------------------------------------------------------

SOCKET_NAMES: dict[str, int] = {
    # System.Net.Sockets.SocketError names
    "timedout": 10060,
    "connectionrefused": 10061,
    "hostnotfound": 11001,
    "connectionreset": 10054,
    "connectionaborted": 10053,
    "hostunreachable": 10065,
    "networkunreachable": 10051,
    "networkdown": 10050,
    "tryagain": 11002,
    "nodata": 11004,
    "accessdenied": 10013,
    "notconnected": 10057,
    "shutdown": 10058,
    "hostdown": 10064,
    # Winsock constants
    "wsaetimedout": 10060,
    "wsaeconnrefused": 10061,
    "wsaeconnreset": 10054,
    "wsaeconnaborted": 10053,
    "wsahost_not_found": 11001,
    "wsaehostunreach": 10065,
    "wsaenetunreach": 10051,
    "wsaenetdown": 10050,
    "wsatry_again": 11002,
    "wsano_data": 11004,
    "wsaeacces": 10013,
    "wsaehostdown": 10064,
    # POSIX errno names (Linux numbers: .NET on Linux and Mono report these)
    "etimedout": 110,
    "econnrefused": 111,
    "econnreset": 104,
    "econnaborted": 103,
    "ehostunreach": 113,
    "enetunreach": 101,
    "ehostdown": 112,
}
# Numbers accepted after a generic "error code" context: Winsock range and the Linux errno
# values above.  Anything else there (a MailBee or HTTP code) is not a socket error.
_ERRNO = {110, 111, 104, 103, 113, 101, 112}

# The Windows FormatMessage texts are unique to their Winsock code.
_SOCKET_MESSAGES: tuple[tuple[str, int], ...] = (
    ("connected party did not properly respond after a period of time", 10060),
    ("target machine actively refused it", 10061),
    ("existing connection was forcibly closed by the remote host", 10054),
    ("established connection was aborted by the software in your host machine", 10053),
    ("no such host is known", 11001),
    ("a socket operation was attempted to an unreachable host", 10065),
    ("a socket operation was attempted to an unreachable network", 10051),
    # strerror texts, as .NET on Linux and Mono write them
    ("connection refused", 10061),
    ("connection timed out", 10060),
    ("connection reset by peer", 10054),
    ("no route to host", 10065),
    ("name or service not known", 11001),
)

# Cheap literal gate: without one of these words no socket context can be there.
_SOCKET_HINTS = (
    "socket",
    "error",
    "errno",
    "wsa",
    "etimedout",
    "econn",
    "ehost",
    "enet",
    "connect",
    "host",
    "route",
    "name or service",
)
_SOCKET_PAREN = re.compile(r"SocketException[ \t]*\((?P<n>\d{1,5})\)")
_SOCKET_CODE = re.compile(
    r"(?i:(?:socket[ \t]*)?error[ \t_]*code|native[ \t]*error[ \t]*code|errno|wsa[ \t]*error)"
    r"[ \t]*(?:[:=#]|is)?[ \t]*\(?(?P<n>\d{2,5})\b"
)
# Where a _SOCKET_CODE match can start (lower case).
_SOCKET_CODE_STARTS = ("socket", "error", "native", "errno", "wsa")
_SOCKET_NAME_WORDS = ("WSA", "ETIMEDOUT", "ECONN", "EHOST", "ENETUNREACH")
_SOCKET_NAME = re.compile(
    r"(?<![\w])(?P<name>WSAE[A-Z]{4,16}|WSAHOST_NOT_FOUND|WSATRY_AGAIN|WSANO_DATA"
    r"|E(?:TIMEDOUT|CONNREFUSED|CONNRESET|CONNABORTED|HOSTUNREACH|NETUNREACH|HOSTDOWN))(?!\w)"
)
_SOCKET_ENUM = re.compile(
    r"(?i:SocketError(?:Code)?)[ \t]*(?:[:=.]|is)?[ \t]*(?P<name>[A-Za-z]{5,24})\b"
)


def socket_errors(text: str) -> tuple[int, ...]:
    """Socket error numbers from socket contexts only, in order of first appearance."""
    scan = text[:MAX_SCAN_CHARS]
    lower = scan.lower()
    found: list[tuple[int, int]] = []
    if not any(w in lower for w in _SOCKET_HINTS):
        return ()
    ascii_lower = lower if scan.isascii() else None  # as _ascii_lower(scan)
    for m in _SOCKET_PAREN.finditer(scan):
        found.append((m.start(), int(m.group("n"))))
    code_words = ("code", "errno", "wsa")
    if any(w in lower for w in code_words):
        for m in _finditer(_SOCKET_CODE, scan, ascii_lower, _SOCKET_CODE_STARTS):
            n = int(m.group("n"))
            if 10000 <= n <= 11999 or n in _ERRNO:
                found.append((m.start(), n))
    # _SOCKET_NAME is case-sensitive: no match without one of these.
    names = any(w in scan for w in _SOCKET_NAME_WORDS)
    for m in _SOCKET_NAME.finditer(scan) if names else ():
        code = SOCKET_NAMES.get(m.group("name").lower())
        if code is not None:
            found.append((m.start(), code))
    for m in _SOCKET_ENUM.finditer(scan) if "socketerror" in lower else ():
        code = SOCKET_NAMES.get(m.group("name").lower())
        if code is not None:
            found.append((m.start(), code))
    for phrase, code in _SOCKET_MESSAGES:
        pos = lower.find(phrase)
        if pos >= 0:
            found.append((pos, code))
    return _unique(n for _, n in sorted(found))


# --- HRESULTs -------------------------------------------------------------------------------

_HRESULT_HEX = re.compile(r"0(?<![\w]0)[xX](?P<h>8[0-9A-Fa-f]{7})(?![\w])")
_HRESULT_DEC = re.compile(r"(?i:HResult)[ \t]*[=:][ \t]*(?P<n>-\d{9,10})(?!\d)")


def hresults(text: str) -> tuple[str, ...]:
    """HRESULTs as `0x80004005` (hex digits upper case), also from `HResult=-2147467259`."""
    scan = text[:MAX_SCAN_CHARS]
    found: list[tuple[int, str]] = []
    if "0x" not in scan and "0X" not in scan and "hresult" not in scan.lower():
        return ()
    if "0x" in scan or "0X" in scan:
        for m in _HRESULT_HEX.finditer(scan):
            found.append((m.start(), "0x" + m.group("h").upper()))
    for m in _finditer(_HRESULT_DEC, scan, _ascii_lower(scan), ("hresult",)):
        value = int(m.group("n"))
        if -(2**31) <= value < 0:
            found.append((m.start(), f"0x{value & 0xFFFFFFFF:08X}"))
    return _unique(h for _, h in sorted(found))


# --- Microsoft identity and Graph -----------------------------------------------------------

_AAD = re.compile(r"(?<![\w])AADSTS(?P<n>\d{4,7})(?!\d)")


def aad_codes(text: str) -> tuple[str, ...]:
    """Microsoft Entra (AAD) sign-in error codes: `AADSTS7000215`."""
    scan = text[:MAX_SCAN_CHARS]
    if "AADSTS" not in scan:
        return ()
    return _unique("AADSTS" + m.group("n") for m in _AAD.finditer(scan))


HTTP_NAMES: dict[str, int] = {
    "badrequest": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "notfound": 404,
    "methodnotallowed": 405,
    "requesttimeout": 408,
    "conflict": 409,
    "preconditionfailed": 412,
    "requestentitytoolarge": 413,
    "payloadtoolarge": 413,
    "toomanyrequests": 429,
    "internalservererror": 500,
    "notimplemented": 501,
    "badgateway": 502,
    "serviceunavailable": 503,
    "gatewaytimeout": 504,
}
_HTTP_NUMBER = re.compile(
    r"(?i:status[ \t_]*code|http[ \t]*status(?:[ \t]*code)?|ResponseStatusCode)[ \t]*[:=]?[ \t]*"
    r"(?P<n>[1-5]\d\d)(?!\d)"
    r"|(?i:HTTP)(?:/\d(?:\.\d)?)?[ \t]+(?P<n2>[1-5]\d\d)(?![\d.])"
    r"|(?i:returned an error|does not indicate success)[ \t]*:[ \t]*\(?(?P<n3>[1-5]\d\d)(?!\d)"
)
_HTTP_NAME = re.compile(
    r"(?i:status[ \t_]*code|HttpStatusCode|http[ \t]*status)[ \t]*[:=.]?[ \t]*"
    r"(?P<name>[A-Za-z]{8,24})\b"
    r"|(?<![\w])(?P<bare>TooManyRequests)(?!\w)"
)

# Where matches of the two patterns above can start (lower case).
_HTTP_NUMBER_STARTS = (
    "status",
    "http",
    "responsestatuscode",
    "returned an error",
    "does not indicate success",
)
_HTTP_NAME_STARTS = ("status", "http", "toomanyrequests")


def http_statuses(text: str) -> tuple[int, ...]:
    """HTTP status codes from HTTP contexts: `Status Code: Unauthorized`, `(429)`, `HTTP 503`."""
    scan = text[:MAX_SCAN_CHARS]
    lower = scan.lower()
    if not any(
        w in lower
        for w in ("status", "http", "toomanyrequests", "returned an error", "does not indicate")
    ):
        return ()
    found: list[tuple[int, int]] = []
    ascii_lower = _ascii_lower(scan)
    for m in _finditer(_HTTP_NUMBER, scan, ascii_lower, _HTTP_NUMBER_STARTS):
        n = m.group("n") or m.group("n2") or m.group("n3")
        if n:
            found.append((m.start(), int(n)))
    for m in _finditer(_HTTP_NAME, scan, ascii_lower, _HTTP_NAME_STARTS):
        name = (m.group("name") or m.group("bare") or "").lower()
        code = HTTP_NAMES.get(name)
        if code is not None:
            found.append((m.start(), code))
    return _unique(n for _, n in sorted(found))


# --- provider markers -----------------------------------------------------------------------

# Each pattern with the words (lower case) one of which any match of it holds.
_PROVIDERS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"(?<![\w])gsmtp(?!\w)"), "gsmtp", ("gsmtp",)),
    (
        re.compile(
            r"(?i)(?<![\w-])(?:smtp(?:-relay)?\.gmail\.com|(?:support|accounts)\.google\.com)"
        ),
        "google",
        (".gmail.com", ".google.com"),
    ),
    (
        re.compile(r"(?i)(?<![\w-])[\w-]{1,63}\.mail\.protection\.outlook\.com"),
        "protection.outlook.com",
        (".mail.protection.outlook.com",),
    ),
    # Exchange Online session tags: [BN0PR04CA0011.namprd04.prod.outlook.com 2026-...]
    (
        re.compile(r"(?i)(?<![\w-])[A-Z0-9]{4,20}\.[a-z]{3,6}\d{2,3}\.prod\.outlook\.com"),
        "outlook",
        (".prod.outlook.com",),
    ),
    (
        re.compile(
            r"(?i)(?<![\w-])(?:smtp\.office365\.com|smtp-mail\.outlook\.com"
            r"|aka\.ms/smtp_auth\w*)"
        ),
        "office365",
        ("smtp.office365.com", "smtp-mail.outlook.com", "aka.ms/smtp_auth"),
    ),
)


def provider_markers(text: str) -> tuple[str, ...]:
    """Which provider wrote the reply: 'gsmtp', 'google', 'outlook', 'protection.outlook.com',
    'office365'; in order of first appearance."""
    scan = text[:MAX_SCAN_CHARS]
    found: list[tuple[int, str]] = []
    lower = _ascii_lower(scan)
    for pattern, name, words in _PROVIDERS:
        if lower is not None and not any(w in lower for w in words):
            continue  # ASCII text without the pattern's words: no match
        m = pattern.search(scan)
        if m:
            found.append((m.start(), name))
    return tuple(name for _, name in sorted(found))


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))
