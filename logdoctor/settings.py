"""Normalising SMTP setting values, wherever they come from (log records or exe.config).

Shared by the configuration-record grammar and the service-config reader so that
`Enable SSL: Yes` in a log and `EmailServiceConfig.EnableSsl = true` in a config mean the same.
"""

from __future__ import annotations

import re

from logdoctor.model import SSL_MODES

_TRUE = {"yes", "true", "1", "on", "y", "enabled"}
_FALSE = {"no", "false", "0", "off", "n", "disabled"}
_MODES = {m.lower(): m for m in SSL_MODES}
_TIMEOUT = re.compile(
    r"^\s*(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?|min|minutes?)?\s*$",
    re.IGNORECASE,
)


def parse_bool(value: str | None) -> bool | None:
    """Yes/True/1/On -> True, No/False/0/Off -> False, anything else -> None."""
    if value is None:
        return None
    v = value.strip().strip("\"'").lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def parse_port(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.match(r"^\s*(\d{1,5})\b", value.strip().strip("\"'"))
    if not m:
        return None
    port = int(m.group(1))
    return port if 0 < port < 65536 else None


def parse_ssl_mode(value: str | None) -> tuple[str | None, bool]:
    """(canonical name, known).  Case-insensitive; an unknown name is kept as written."""
    if value is None:
        return None, True
    raw = value.strip().strip("\"'")
    if not raw:
        return None, True
    canonical = _MODES.get(raw.lower())
    if canonical is not None:
        return canonical, True
    if raw.isdigit() and int(raw) < len(SSL_MODES):
        # MailBee's SslStartupMode enum values, as a numeric config value would give them.
        return SSL_MODES[int(raw)], True
    return raw, False


def parse_timeout(value: str | None) -> float | None:
    """'10 seconds' -> 10.0, '10000 ms' -> 10.0, '2 min' -> 120.0, '100' -> 100.0 (seconds)."""
    if value is None:
        return None
    m = _TIMEOUT.match(value.strip().strip("\"'"))
    if not m:
        return None
    n = float(m.group("n").replace(",", "."))
    unit = (m.group("unit") or "s").lower()
    if unit.startswith("m") and unit != "min" and not unit.startswith("minute"):
        return n / 1000.0
    if unit == "min" or unit.startswith("minute"):
        return n * 60.0
    return n
