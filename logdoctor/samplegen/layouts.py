"""The log4net layouts the samples are written in, rendered by hand from each pattern.

The reader is deliberately not imported: the samples must test it, not mirror it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from logdoctor.samplegen.truth import Entry


def _iso_comma(when: datetime) -> str:
    # log4net's default %date: ISO 8601 with a comma before the milliseconds.
    return when.strftime("%Y-%m-%d %H:%M:%S,") + f"{when.microsecond // 1000:03d}"


def _iso_dot(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _last_parts(logger: str, n: int) -> str:
    # %logger{2}: only the rightmost n components of the logger name.
    return ".".join(logger.split(".")[-n:])


def _stock(entry: Entry) -> list[str]:
    lines = entry.message.split("\n")
    head = f"{_iso_comma(entry.when)} [{entry.thread}] {entry.level:<5} {entry.logger} - {lines[0]}"
    return [head, *lines[1:]]


def _sdk(indent: str) -> Callable[[Entry], list[str]]:
    def render(entry: Entry) -> list[str]:
        lines = entry.message.split("\n")
        head = (
            f"{_iso_comma(entry.when)} [user: {entry.user}] [fcsessionid: {entry.session}] "
            f"[{entry.level:<5}] [{entry.logger}]"
        )
        # %n<indent>%m%n%n: only the first message line is indented; log4net writes the rest
        # of %m as it is, then the pattern's second %n leaves a blank line.
        return [head, indent + lines[0], *lines[1:], ""]

    return render


def _custom_utc(entry: Entry) -> list[str]:
    lines = entry.message.split("\n")
    head = (
        f"{_iso_dot(entry.when)} {entry.level:<5} [{entry.thread}] "
        f"{_last_parts(entry.logger, 2)}: {lines[0]}"
    )
    return [head, *lines[1:]]


def _custom_pipe(entry: Entry) -> list[str]:
    lines = entry.message.split("\n")
    head = (
        f"{entry.when.strftime('%d/%m/%Y %H:%M:%S')} | {entry.level:<5} | {entry.logger} | "
        f"{lines[0]}"
    )
    return [head, *lines[1:]]


@dataclass(frozen=True, slots=True)
class Layout:
    key: str
    name: str  # the manifest's layout name
    pattern: str  # the log4net conversion pattern, as `--layout` takes it
    render: Callable[[Entry], list[str]]
    has_millis: bool = True


LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (
        Layout(
            "stock",
            "log4net stock",
            "%date [%thread] %-5level %logger - %message%newline",
            _stock,
        ),
        Layout(
            "sdk-tab",
            "Dovetail SDK (tab)",
            "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\t%m%n%n",
            _sdk("\t"),
        ),
        Layout(
            "sdk-spaces",
            "Dovetail SDK (2 spaces)",
            "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n  %m%n%n",
            _sdk("  "),
        ),
        Layout(
            "custom-utc",
            "custom",
            "%utcdate{yyyy-MM-dd HH:mm:ss.fff} %-5level [%thread] %logger{2}: %message%newline",
            _custom_utc,
        ),
        Layout(
            "custom-pipe",
            "custom",
            "%date{dd/MM/yyyy HH:mm:ss} | %-5p | %c | %m%n",
            _custom_pipe,
            has_millis=False,
        ),
    )
}


def layout_for(key_or_pattern: str) -> Layout:
    """A layout by its key (`stock`, `sdk-tab`, ...) or by its exact conversion pattern."""
    if key_or_pattern in LAYOUTS:
        return LAYOUTS[key_or_pattern]
    for layout in LAYOUTS.values():
        if layout.pattern == key_or_pattern:
            return layout
    known = ", ".join(LAYOUTS)
    raise ValueError(f"unknown layout {key_or_pattern!r} (known: {known})")
