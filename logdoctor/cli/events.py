"""`logdoctor events PATH...`: the parsed events, for rule authors and for debugging."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from logdoctor.cli.common import info, layout_option, output_option, service_config_option
from logdoctor.errors import LogdoctorError
from logdoctor.events import (
    DEFAULT_SUCCESS_PHRASES,
    EventCounter,
    event_to_dict,
    events_from_records,
    iso_ms,
)
from logdoctor.model import Event, SendFailed
from logdoctor.redact import Redactor, kind_of, redact_jsonable


@click.command(name="events")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("jsonl", "text")),
    default="jsonl",
    show_default=True,
    help="One JSON object per event, or one readable line per event.",
)
@layout_option
@service_config_option
@click.option(
    "--success-phrase",
    "success_phrases",
    multiple=True,
    help="A phrase (case-insensitive) that marks a sent e-mail; repeatable; replaces the defaults.",
)
@output_option
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show passwords, user names and e-mail addresses as logged.",
)
@click.pass_context
def events(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str,
    layout: str | None,
    service_config: str | None,
    success_phrases: tuple[str, ...],
    output: str | None,
    no_redact: bool,
) -> None:
    """Print the events found in log files: configuration loaded, send failed, send
    succeeded, service started and stopped.  Everything else is only counted (on stderr)."""
    from logdoctor.layout import layout_from_pattern, pattern_from_service_config
    from logdoctor.records import MultiReader
    from logdoctor.sources import discover

    pattern = layout
    if pattern is None and service_config is not None:
        pattern = pattern_from_service_config(Path(service_config))
        if pattern is None:
            info(ctx, f"logdoctor: {service_config}: no log4net layout found; detecting it")
    forced = layout_from_pattern(pattern) if pattern else None
    sources = discover(list(paths))
    if not sources:
        raise LogdoctorError("no log files found", path=", ".join(paths))
    reader = MultiReader(sources, forced)
    counter = EventCounter()
    stream = events_from_records(
        reader, success_phrases=success_phrases or DEFAULT_SUCCESS_PHRASES, counter=counter
    )
    redactor = None if no_redact else Redactor()
    if output and output != "-":
        with Path(output).open("w", encoding="utf-8", newline="\n") as out:
            _write(stream, fmt, out, redactor)
    else:
        _write(stream, fmt, sys.stdout, redactor)
    info(
        ctx,
        f"logdoctor: {counter.records} records, {counter.config_loads} configuration loads, "
        f"{counter.sends_failed} failed and {counter.sends_ok} sent e-mails, "
        f"{counter.service_starts} starts, {counter.service_stops} stops, "
        f"{counter.other} other, {counter.damaged_records} damaged",
    )


def _write(stream: Iterator[Event], fmt: str, out: TextIO, redactor: Redactor | None) -> None:
    # Rule authors paste this output into tickets: secrets are replaced unless --no-redact.
    for event in stream:
        if fmt == "jsonl":
            raw = event_to_dict(event)
            data: object = (
                raw if redactor is None else redact_jsonable(_redact_extra(raw, redactor), redactor)
            )
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            line = text_line(event)
            out.write((redactor.text(line) if redactor is not None else line) + "\n")
    out.flush()


def text_line(event: Event) -> str:
    """`Rulemanager.log:12 2026-11-27T10:15:02.123 send_failed fatal: Type: message`."""
    data = event_to_dict(event)
    head = f"{event.path}:{event.line} {iso_ms(event.timestamp) or '-'} {data['event']}"
    if isinstance(event, SendFailed):
        chain = event.chain
        inner = chain.links[-1] if chain.links else None
        what = f"{inner.short_type}: {inner.message}" if inner else "(no exception text)"
        codes = " ".join(f"{r.code or ''} {r.enhanced or ''}".strip() for r in chain.smtp_replies)
        scope = event.scope or "-"
        return " ".join(p for p in (head, scope, _one_line(what), codes) if p)
    settings = data.get("settings")
    if isinstance(settings, dict):
        shown = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "extra")
        return f"{head} {shown}"
    text = data.get("text")
    return f"{head} {_one_line(str(text or ''))}"


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _redact_extra(data: dict[str, object], redactor: Redactor) -> dict[str, object]:
    """Settings fields (user, password, from) are redacted by what their name says they hold."""
    settings = data.get("settings")
    if isinstance(settings, dict) and isinstance(settings.get("extra"), dict):
        extra = {
            key: redactor.value(kind_of(key), value) if isinstance(value, str) else value
            for key, value in settings["extra"].items()
        }
        data = {**data, "settings": {**settings, "extra": extra}}
    return data
