"""Masking the variable parts of failure texts.

The same failure repeats thousands of times with different ids, addresses and numbers.  Masking
them gives a key under which identical failures are parsed once (speed) and grouped into one
fingerprint (Sentry-style grouping of failures no rule explains).
"""

from __future__ import annotations

import hashlib
import re

# Order matters: longer, more specific shapes first, so an e-mail address is not half-masked
# as a host name.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://\S+", re.IGNORECASE), "<url>"),
    (re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
        ),
        "<guid>",
    ),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\[?(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\]?", re.IGNORECASE), "<ip6>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\b[a-z0-9]*\d[a-z0-9]*(?:\.\d+)+\s*-\s*gsmtp\b", re.IGNORECASE), "<gid> - gsmtp"),
    (
        re.compile(
            # The lookahead keeps .NET type names (`System.Net.Mail`) from passing for hosts.
            r"\b(?:[a-z0-9-]+\.)+(?:com|net|org|local|lan|corp|io|de|uk|fr|nl|edu|gov)\b"
            r"(?!\.?[\w-])",
            re.IGNORECASE,
        ),
        "<host>",
    ),
    (re.compile(r"\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{7,}\b"), "<id>"),
)
_NUMBER = re.compile(r"\b\d+\b")
_SPACE = re.compile(r"\s+")


def mask_variable(text: str, *, numbers: bool = True) -> str:
    """Replace URLs, e-mail addresses, GUIDs, IPs, hosts, long ids (and numbers) with tokens.

    SMTP and socket codes are numbers too: pass `numbers=False` to keep them, which is what a
    fingerprint wants (`535` and `550` are different failures).
    """
    out = text
    for pattern, token in _PATTERNS:
        out = pattern.sub(token, out)
    if numbers:
        out = _NUMBER.sub("<n>", out)
    return _SPACE.sub(" ", out).strip()


def digest(*parts: str) -> str:
    """A short stable hex digest of the parts (stable across runs and platforms)."""
    h = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:12]
