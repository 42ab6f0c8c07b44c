"""`logdoctor report`: the incidents in the store, in the shapes of `analyze`."""

from __future__ import annotations

import sys

import click

from logdoctor.cli.batch import db_option
from logdoctor.cli.common import (
    console,
    fail_on_option,
    format_option,
    no_redact_option,
    output_option,
    since_until_options,
    verbosity,
    verbosity_options,
    write_chunks,
    write_output,
)
from logdoctor.kb.categories import at_least
from logdoctor.report_model import Analysis

TITLE = "logdoctor: RuleManager email incidents from the store"


@click.command(name="report")
@db_option
@format_option
@output_option
@since_until_options("incidents seen")
@fail_on_option("an ongoing incident")
@no_redact_option
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
    from logdoctor.render.jsonout import contract_chunks
    from logdoctor.render.shortlist import DETAIL_LIMIT, shortlist
    from logdoctor.store import Store
    from logdoctor.summary import store_analysis
    from logdoctor.timespec import parse_when

    since_at = parse_when(since) if since else None
    until_at = parse_when(until) if until else None
    with Store.open(db, create=False) as store:
        analysis = store_analysis(store, since=since_at, until=until_at)
    fmt = fmt or "text"
    if fmt == "json":
        # As `analyze` writes it: one incident at a time, the same bytes as a whole dump.
        write_chunks(contract_chunks(analysis, redact=not no_redact), output)
        _exit_for(analysis, fail_on)
        return
    # As in `analyze`: past a screenful, the human formats detail the most urgent incidents
    # of each cause and count the rest; -v details them all.
    picked = shortlist(analysis, None if verbosity(ctx) > 0 else DETAIL_LIMIT)
    shown = picked if no_redact else redact_analysis(picked)
    if fmt == "markdown":
        write_output(render_markdown(shown, title=TITLE), output)
    elif fmt == "html":
        write_output(render_html(shown, title=TITLE), output)
    elif output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            render_text(shown, console(stream), verbose=max(verbosity(ctx), 0), title=TITLE)
    else:
        render_text(shown, console(), verbose=max(verbosity(ctx), 0), title=TITLE)
    _exit_for(analysis, fail_on)


def _exit_for(analysis: Analysis, fail_on: str | None) -> None:
    ongoing = [i for i in analysis.incidents if i.status == "ongoing"]
    if fail_on and any(at_least(i.severity, fail_on.lower()) for i in ongoing):
        sys.exit(1)
