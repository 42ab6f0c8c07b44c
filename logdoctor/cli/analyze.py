"""`logdoctor analyze PATH...`: read the logs, say what was read, diagnose."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logdoctor import __version__
from logdoctor.cli.common import (
    console,
    debug,
    format_option,
    layout_option,
    output_option,
    service_config_option,
    verbosity_options,
    write_output,
)
from logdoctor.model import ReadStats
from logdoctor.pipeline import LogReading, ProgressFn

LEVEL_ORDER = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# Below this many bytes a progress bar would only flicker.
PROGRESS_MIN_BYTES = 32 << 20


@click.command(name="analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@format_option
@output_option
@layout_option
@service_config_option
@verbosity_options
@click.pass_context
def analyze(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    layout: str | None,
    service_config: str | None,
) -> None:
    """Read log files, say what was read, and diagnose the email failures.

    PATH is a Rulemanager.log file, a .gz, a .zip of logs, or a directory (every
    Rulemanager.log* in it). Rotated files are read in time order whatever order they are
    given in.
    """
    fmt = fmt or "text"
    if fmt == "html":
        raise click.UsageError("--format html is not available yet (issue 5)")
    reading = LogReading(paths, layout=layout, service_config=service_config)
    with _progress(ctx, reading) as progress:
        for _event in reading.events(progress):
            pass
    stats = reading.stats()
    for note in [reading.layout_note, *reading.layout_notes()]:
        debug(ctx, note)
    if fmt == "json":
        write_output(json.dumps(stats_json(stats), indent=2, ensure_ascii=False), output)
    elif fmt == "markdown":
        write_output(stats_markdown(stats, reading.layout_notes()), output)
    else:
        _print_text(stats, reading.layout_notes(), output)


@contextmanager
def _progress(ctx: click.Context, reading: LogReading) -> Iterator[ProgressFn | None]:
    """A progress bar on stderr for large inputs on a terminal; nothing otherwise."""
    obj = ctx.find_root().obj or {}
    if (
        reading.total_bytes < PROGRESS_MIN_BYTES
        or not sys.stderr.isatty()
        or obj.get("verbosity", 0) < 0
    ):
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console(sys.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=reading.total_bytes)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def iso_ms(value: object) -> str | None:
    from datetime import datetime

    if not isinstance(value, datetime):
        return None
    return value.isoformat(timespec="milliseconds")


def stats_json(stats: ReadStats) -> dict[str, object]:
    """The contract's analyze object (incidents land with issue 5)."""
    return {
        "logdoctor_version": __version__,
        "sources": [
            {
                "path": s.path,
                "bytes": s.bytes,
                "records": s.records,
                "encoding": s.encoding,
                "layout": s.layout,
            }
            for s in stats.sources
        ],
        "incidents": [],
        "unrecognized": [],
        "stats": {
            "records": stats.records,
            "config_loads": stats.config_loads,
            "sends_ok": stats.sends_ok,
            "sends_failed": stats.sends_failed,
            "damaged_records": stats.damaged_records,
            "by_level": dict(stats.by_level),
            "first": iso_ms(stats.first),
            "last": iso_ms(stats.last),
            "damaged": list(stats.damaged),
        },
    }


def _levels(stats: ReadStats) -> list[tuple[str, int]]:
    counts = dict(stats.by_level)
    ordered = [(name, counts.pop(name)) for name in LEVEL_ORDER if name in counts]
    return ordered + sorted(counts.items())


def _span(stats: ReadStats) -> str:
    if stats.first is None or stats.last is None:
        return "no timestamps"
    first = stats.first.isoformat(sep=" ", timespec="seconds")
    last = stats.last.isoformat(sep=" ", timespec="seconds")
    return f"{first} to {last} ({_duration(stats)})"


def _duration(stats: ReadStats) -> str:
    assert stats.first is not None and stats.last is not None
    seconds = int((stats.last - stats.first).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {rest % 60}s"


def stats_markdown(stats: ReadStats, notes: list[str]) -> str:
    lines = [
        "# logdoctor: what was read",
        "",
        f"- Records: {stats.records:,}",
        f"- Time span: {_span(stats)}",
        f"- Configuration loads: {stats.config_loads}",
        f"- Sends ok: {stats.sends_ok}, sends failed: {stats.sends_failed}",
        f"- Damaged records: {stats.damaged_records}",
        "- Records per level: " + ", ".join(f"{n} {c:,}" for n, c in _levels(stats)),
        "",
        "## Files",
        "",
        "| file | bytes | records | read as |",
        "|---|---:|---:|---|",
    ]
    for source, note in zip(stats.sources, notes, strict=True):
        read_as = note.split(": ", 1)[-1].replace("|", "\\|")
        lines.append(f"| `{source.path}` | {source.bytes:,} | {source.records:,} | {read_as} |")
    if stats.damaged:
        lines += ["", "## Damaged records", ""]
        lines += [f"- `{d}`" for d in stats.damaged]
    return "\n".join(lines) + "\n"


def _print_text(stats: ReadStats, notes: list[str], output: str | None) -> None:
    if output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            _render_text(console(stream), stats, notes)
    else:
        _render_text(console(), stats, notes)


def _render_text(out: Console, stats: ReadStats, notes: list[str]) -> None:
    # Log text goes in as rich.Text, never as markup: a `[bold]` in a log stays literal.
    out.print(
        Text(
            f"logdoctor {__version__}: read {len(stats.sources)} file(s), "
            f"{stats.records:,} records, {_span(stats)}",
            style="bold",
        )
    )
    files = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    files.add_column("file")
    files.add_column("bytes", justify="right")
    files.add_column("records", justify="right")
    files.add_column("read as")
    for source, note in zip(stats.sources, notes, strict=True):
        files.add_row(
            Text(source.path),
            f"{source.bytes:,}",
            f"{source.records:,}",
            Text(note.split(": ", 1)[-1]),
        )
    out.print(files)
    out.print(Text("records per level: " + "  ".join(f"{n} {c:,}" for n, c in _levels(stats))))
    line = Text()
    line.append(f"configuration loads: {stats.config_loads}   sends ok: {stats.sends_ok}   ")
    line.append(
        f"sends failed: {stats.sends_failed}", style="bold red" if stats.sends_failed else ""
    )
    line.append(f"   damaged records: {stats.damaged_records}")
    out.print(line)
    for damaged in stats.damaged:
        out.print(Text(f"  damaged: {damaged}", style="yellow"))
