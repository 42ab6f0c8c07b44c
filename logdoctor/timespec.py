"""`--since` / `--until` values: an ISO 8601 date or time, or a span back from now (`7d`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from logdoctor.errors import LogdoctorError

_SPAN = re.compile(r"^\s*(\d+)\s*(w|d|h|m|min|s)\s*$", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "min": "minutes", "s": "seconds"}


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """`2026-11-27`, `2026-11-27T10:15`, `2026-11-27 10:15:02.5`, or `7d`/`12h`/`30m`/`2w` ago.

    Log timestamps are the server's local time without a zone, so a zone given here is dropped
    after converting to local time.
    """
    m = _SPAN.match(text)
    if m:
        unit = _UNITS[m.group(2).lower()]
        return (now or datetime.now()) - timedelta(**{unit: int(m.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LogdoctorError(
            f"not a date, time or span: {text!r} (try 2026-11-27, 2026-11-27T10:00 or 7d)"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value
