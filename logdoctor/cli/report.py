"""`logdoctor report`: the incidents in the store, in the shapes of `analyze`."""

from __future__ import annotations

import json
import sys

import click

from logdoctor.cli.batch import db_option
from logdoctor.cli.common import (
    console,
    format_option,
    output_option,
    verbosity,
    verbosity_options,
    write_output,
)
from logdoctor.kb.categories import SEVERITIES, at_least

TITLE = "logdoctor: RuleManager email incidents from the store"


@click.command(name="report")
@db_option
@format_option
@output_option
@click.option("--since", default=None, help="Incidents seen from then on: 2026-11-01, 7d, 12h.")
@click.option("--until", default=None, help="Incidents seen up to then (same forms).")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    default=None,
    help="Exit 1 when an ongoing incident of this severity or worse is reported.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show passwords, user names and e-mail addresses as logged.",
)
@verbosity_options
@click.pass_context
def report(
    ctx: click.Context,
    db: str | None,
    fmt: str | None,
    output: str | None,
    since: str | None,
    until: str | None,
    fail_on: str | None,
    no_redact: bool,
) -> None:
    """Incidents from the incident store that `logdoctor batch` fills, in the same shapes as
    `analyze`: first and last seen over every night, counts, status, cause and fix.

    \b
    Examples:
      logdoctor report
      logdoctor report --since 7d --format markdown -o last-week.md
      logdoctor report --db /var/lib/logdoctor/store.db --format json
    """
    from logdoctor.redact import redact_analysis
    from logdoctor.render import render_html, render_markdown, render_text
    from logdoctor.store import Store
    from logdoctor.summary import store_analysis
    from logdoctor.timespec import parse_when

    since_at = parse_when(since) if since else None
    until_at = parse_when(until) if until else None
    with Store.open(db, create=False) as store:
        analysis = store_analysis(store, since=since_at, until=until_at)
    shown = analysis if no_redact else redact_analysis(analysis)
    fmt = fmt or "text"
    if fmt == "json":
        write_output(json.dumps(shown.as_contract(), indent=2, ensure_ascii=False), output)
    elif fmt == "markdown":
        write_output(render_markdown(shown, title=TITLE), output)
    elif fmt == "html":
        write_output(render_html(shown, title=TITLE), output)
    elif output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            render_text(shown, console(stream), verbose=max(verbosity(ctx), 0), title=TITLE)
    else:
        render_text(shown, console(), verbose=max(verbosity(ctx), 0), title=TITLE)
    ongoing = [i for i in analysis.incidents if i.status == "ongoing"]
    if fail_on and any(at_least(i.severity, fail_on.lower()) for i in ongoing):
        sys.exit(1)
