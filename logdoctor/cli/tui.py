"""`logdoctor tui PATH...` / `logdoctor tui --db FILE`: the terminal UI."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from logdoctor.cli.common import (
    layout_option,
    no_redact_option,
    rules_only_option,
    rules_option,
    service_config_option,
    since_until_options,
    verbosity_options,
)
from logdoctor.pipeline import ProgressFn
from logdoctor.report_model import Analysis

if TYPE_CHECKING:
    from logdoctor.tui.app import Loader


@click.command(name="tui")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--db",
    default=None,
    metavar="FILE",
    help="Browse the incident store's history (the default without PATHs: $LOGDOCTOR_DB, "
    "else the store in the user data folder).",
)
@rules_option
@rules_only_option
@layout_option
@service_config_option
@since_until_options()
@no_redact_option
@click.option(
    "--export-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where exported incidents go by default (the current directory).",
)
@verbosity_options
@click.pass_context
def tui(
    ctx: click.Context,
    paths: tuple[str, ...],
    db: str | None,
    rules_dirs: tuple[str, ...],
    rules_only: bool,
    layout: str | None,
    service_config: str | None,
    since: str | None,
    until: str | None,
    no_redact: bool,
    export_dir: str | None,
) -> None:
    """Browse incidents in the terminal: timeline, incident table, diagnosis, raw log.

    PATH is a Rulemanager.log file, a .gz, a .zip of logs, or a directory, as for
    `analyze`. The first screen shows at once; the analysis runs behind it. Without
    PATHs, the incident store's history is shown (as `report` reads it).

    \b
    Examples:
      logdoctor tui Rulemanager.log*
      logdoctor tui --db nightly.db
    Keys: Enter opens, Escape goes back, / searches, ? helps, q quits.
    """
    from logdoctor.timespec import parse_when

    if paths and db:
        raise click.UsageError("give log files or --db FILE, not both")
    since_at = parse_when(since) if since else None
    until_at = parse_when(until) if until else None
    target = Path(export_dir) if export_dir else None

    if not paths:
        loader, description = _store_loader(db, since_at, until_at, no_redact)
        from logdoctor.tui.app import LogdoctorApp

        LogdoctorApp(loader=loader, description=description, export_dir=target).run()
        return

    from logdoctor.pipeline import LogReading
    from logdoctor.tui.app import LogdoctorApp
    from logdoctor.tui.job import AnalysisJob, run_in_process
    from logdoctor.tui.logfile import source_resolver

    # Opening the files here (not in the app) turns a missing or corrupt file into the usual
    # one-line error and exit 2 before the screen takes over the terminal.
    reading = LogReading(paths, layout=layout, service_config=service_config)
    total = reading.total_bytes
    names = ", ".join(s.display for s in reading.sources[:3])
    more = f" and {len(reading.sources) - 3} more" if len(reading.sources) > 3 else ""
    job = AnalysisJob(
        paths=tuple(paths),
        layout=layout,
        service_config=service_config,
        rules_dirs=tuple(rules_dirs),
        rules_only=rules_only,
        since=since_at,
        until=until_at,
        redact=not no_redact,
    )
    app = LogdoctorApp(
        loader=partial(run_in_process, job),
        description=f"{names}{more} ({total / 1e6:,.1f} MB)",
        resolve_source=source_resolver(reading.sources),
        export_dir=target,
    )
    app.run()


def _redacted(analysis: Analysis) -> Analysis:
    from logdoctor.redact import redact_analysis

    return redact_analysis(analysis)


def _store_loader(
    db: str | None, since: datetime | None, until: datetime | None, no_redact: bool
) -> tuple[Loader, str]:
    """Read the store's history in the worker; a missing or unreadable store fails here first."""
    from logdoctor.store import Store
    from logdoctor.summary import store_analysis

    with Store.open(db, create=False) as store:
        location = store.location

    def loader(progress: ProgressFn) -> Analysis:
        with Store.open(db, create=False) as store:
            analysis = store_analysis(store, since=since, until=until)
        return analysis if no_redact else _redacted(analysis)

    return loader, f"incident store {location}"
