"""`logdoctor batch PATH...`: the nightly run that feeds the incident store and writes a summary."""

from __future__ import annotations

import sys
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import click

from logdoctor.cli.common import (
    debug,
    format_option,
    info,
    layout_option,
    rules_option,
    service_config_option,
    verbosity,
    verbosity_options,
    write_chunks,
    write_output,
)
from logdoctor.kb.categories import SEVERITIES, at_least

if TYPE_CHECKING:
    from logdoctor.summary import Summary

DEFAULT_WAIT_S = 10.0

db_option = click.option(
    "--db",
    default=None,
    metavar="FILE",
    help="The incident store (default: $LOGDOCTOR_DB, else logdoctor.db in the user data folder).",
)


def default_out_dir(location: str) -> Path:
    from logdoctor.store import is_url

    return Path("summaries") if is_url(location) else Path(location).parent / "summaries"


@click.command(name="batch")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for summary-YYYY-MM-DD.json/.md/.html (default: 'summaries' next to the store).",
)
@format_option
@rules_option
@layout_option
@service_config_option
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    default=None,
    help="Exit 1 when a new or ongoing incident of this severity or worse is in the summary.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show passwords, user names and e-mail addresses as logged in the summary files.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_WAIT_S,
    show_default=True,
    help="Seconds to wait for another batch on the same store before giving up (exit 2).",
)
@verbosity_options
@click.pass_context
def batch(
    ctx: click.Context,
    paths: tuple[str, ...],
    db: str | None,
    out_dir: str | None,
    fmt: str | None,
    rules_dirs: tuple[str, ...],
    layout: str | None,
    service_config: str | None,
    fail_on: str | None,
    no_redact: bool,
    wait: float,
) -> None:
    """Nightly mode: read only what is new in the logs, keep the history in the incident store,
    and write that night's summary (new, ongoing and resolved incidents).

    PATH is Rulemanager.log (its rotated files next to it are followed too: .log.1, .log.2.gz
    ...), or a folder of them. Run it every night from cron or the Task Scheduler; a run that
    is killed or fails changes nothing, and the next run reads the same bytes again.

    \b
    Examples:
      logdoctor batch "C:\\Program Files\\Dovetail Software\\RuleManager\\Rulemanager.log"
      logdoctor batch /srv/rulemanager/logs --db /var/lib/logdoctor/store.db --out /srv/reports
      logdoctor batch Rulemanager.log --fail-on critical -q
    """
    from logdoctor.batch import run_batch
    from logdoctor.kb.loader import load_kb
    from logdoctor.store import Store, batch_lock, resolve_db
    from logdoctor.summary import (
        build_summary,
        redact_summary,
        summary_json_chunks,
        write_summary,
    )

    location = resolve_db(db)
    kb = load_kb(list(rules_dirs))
    for note in kb.notes:
        debug(ctx, f"logdoctor: {note}")
    with batch_lock(location, wait), Store.open(location) as store:
        result = run_batch(list(paths), store, kb, layout=layout, service_config=service_config)
        summary = build_summary(store, result, day=date.today())
    for note in result.notes:
        debug(ctx, f"logdoctor: {note}")
    # The store keeps the original text; only what is written out is redacted.
    shown = summary if no_redact else redact_summary(summary)
    target = Path(out_dir) if out_dir else default_out_dir(location)
    written = write_summary(shown, target)
    info(ctx, "logdoctor: wrote " + ", ".join(str(p) for p in written))
    fmt = fmt or "text"
    if fmt == "json":
        write_chunks(summary_json_chunks(shown), None)
    elif fmt == "markdown":
        write_output(written[1].read_text(encoding="utf-8"), None)
    elif fmt == "html":
        write_output(written[2].read_text(encoding="utf-8"), None)
    elif verbosity(ctx) >= 0:
        # -q keeps cron quiet: the summary files are written, the exit code still alerts.
        click.echo(_text(shown))
    alerting = chain(shown.new, shown.ongoing)
    if fail_on and any(at_least(i.severity, fail_on.lower()) for i in alerting):
        sys.exit(1)


# Incidents of each kind (new, ongoing, resolved) listed on the terminal, most urgent first.
LISTED_PER_KIND = 20


def _text(summary: Summary) -> str:
    from logdoctor.render import view

    lines = [
        f"logdoctor batch, run {summary.run_id}: read {summary.run_records:,} records "
        f"({summary.run_bytes:,} bytes): {len(summary.new):,} new, {len(summary.ongoing):,} "
        f"ongoing, {len(summary.resolved):,} resolved"
    ]
    for label, items in (
        ("new", summary.new),
        ("ongoing", summary.ongoing),
        ("resolved", summary.resolved),
    ):
        ordered = view.in_order(items)
        for i in ordered[:LISTED_PER_KIND]:
            lines.append(
                f"  {label:<8} {i.severity:<8} {i.category:<30} {i.count:>6,}  "
                f"{view.when(i.last_seen)}  {view.one_line(i.title, 100)}"
            )
        if len(ordered) > LISTED_PER_KIND:
            # A first run over a year of log finds thousands; cron mails this text.
            lines.append(
                f"  ... and {len(ordered) - LISTED_PER_KIND:,} more {label}, the least urgent "
                "(every one is in the JSON summary)"
            )
    if summary.unmatched:
        lines.append(f"  unmatched: {len(summary.unmatched)} kinds of failure no rule explained")
    lines += [f"  note: {view.one_line(n, 300)}" for n in summary.notes]
    return "\n".join(lines)
