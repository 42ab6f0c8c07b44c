"""`logdoctor analyze PATH...`: read the logs, say what was read, diagnose."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from logdoctor.analysis import analyze_reading, service_settings
from logdoctor.cli.common import (
    console,
    debug,
    fail_on_option,
    format_option,
    layout_option,
    no_redact_option,
    output_option,
    rules_only_option,
    rules_option,
    service_config_option,
    since_until_options,
    verbosity,
    verbosity_options,
    write_chunks,
    write_output,
)
from logdoctor.kb.categories import at_least
from logdoctor.kb.loader import load_kb
from logdoctor.pipeline import LogReading, ProgressFn
from logdoctor.redact import redact_analysis
from logdoctor.render.jsonout import contract_chunks
from logdoctor.render.shortlist import DETAIL_LIMIT, shortlist
from logdoctor.report_model import Analysis
from logdoctor.timespec import parse_when

# Below this many bytes a progress bar would only flicker.
PROGRESS_MIN_BYTES = 32 << 20


@click.command(name="analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@format_option
@output_option
@rules_option
@rules_only_option
@layout_option
@service_config_option
@since_until_options()
@fail_on_option()
@no_redact_option
@verbosity_options
@click.pass_context
def analyze(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    rules_dirs: tuple[str, ...],
    rules_only: bool,
    layout: str | None,
    service_config: str | None,
    since: str | None,
    until: str | None,
    fail_on: str | None,
    no_redact: bool,
) -> None:
    """Read log files, diagnose the email failures, and tell the story as incidents.

    PATH is a Rulemanager.log file, a .gz, a .zip of logs, or a directory (every
    Rulemanager.log* in it). Rotated files are read in time order whatever order they are
    given in.

    \b
    Examples:
      logdoctor analyze Rulemanager.log
      logdoctor analyze logs.zip --format markdown -o diagnosis.md
      logdoctor analyze Rulemanager.log* --since 7d --fail-on error
    """
    fmt = fmt or "text"
    # A human report details every incident only when asked (-v): a long log can hold
    # tens of thousands, and the rest are counted by cause (render/shortlist.py).
    detail_all = verbosity(ctx) > 0
    kb = load_kb(list(rules_dirs), replace=rules_only)
    for note in kb.notes:
        debug(ctx, f"logdoctor: {note}")
    reading = LogReading(paths, layout=layout, service_config=service_config)
    with _progress(ctx, reading) as progress:
        analysis = analyze_reading(
            reading,
            kb,
            default_settings=service_settings(service_config),
            since=parse_when(since) if since else None,
            until=parse_when(until) if until else None,
            progress=progress,
            # JSON is written one incident at a time and the other formats hold only the
            # incidents they detail, so only a report of every incident in detail keeps them
            # all in memory (spilling them to disk would then only cost time).
            spill=fmt == "json" or not detail_all,
        )
    for note in [reading.layout_note, *reading.layout_notes()]:
        debug(ctx, note)
    # Diagnosis ran on the original text; only what is shown is redacted.
    if fmt == "json":
        # One incident at a time: a long log's incidents are never all copied at once.
        write_chunks(contract_chunks(analysis, redact=not no_redact), output)
        _exit_for(analysis, fail_on)
        return
    picked = shortlist(analysis, None if detail_all else DETAIL_LIMIT)
    shown = picked if no_redact else redact_analysis(picked)
    # Renderers are imported when asked for: Jinja2 alone took 40 ms of every JSON run.
    if fmt == "markdown":
        from logdoctor.render.markdown import render_markdown

        write_output(render_markdown(shown), output)
    elif fmt == "html":
        from logdoctor.render.html import render_html

        write_output(render_html(shown), output)
    else:
        _print_text(ctx, shown, output)
    _exit_for(analysis, fail_on)


def _exit_for(analysis: Analysis, fail_on: str | None) -> None:
    if fail_on and any(at_least(i.severity, fail_on.lower()) for i in analysis.incidents):
        sys.exit(1)


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


def _print_text(ctx: click.Context, analysis: Analysis, output: str | None) -> None:
    from logdoctor.render.text import render_text

    verbose = max(verbosity(ctx), 0)
    if output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            render_text(analysis, console(stream), verbose=verbose)
    else:
        render_text(analysis, console(), verbose=verbose)
