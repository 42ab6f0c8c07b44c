"""`logdoctor check-config FILE`: predict failures from the service's settings alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from logdoctor.checkconfig import Finding
from logdoctor.checkconfig import check_config as run_check
from logdoctor.cli.common import console, output_option, rules_option, write_output
from logdoctor.cli.explain import load_rules, md_escape, print_steps, settings_line
from logdoctor.errors import LogdoctorError
from logdoctor.kb.categories import SEVERITIES, at_least
from logdoctor.model import SmtpSettings
from logdoctor.serviceconfig import (
    PREFIX,
    decode_config,
    email_keys,
    loosely_written,
    read_app_settings,
    settings_from_app_settings,
)

FORMATS = ("text", "markdown", "json")
MAX_STDIN = 20_000_000


def _missing(s: SmtpSettings) -> list[str]:
    names = (
        ("Host", s.host),
        ("Port", s.port),
        ("EnableSsl", s.enable_ssl),
        ("SmtpSslMode", s.ssl_mode),
    )
    return [PREFIX + n for n, v in names if v is None]


def print_findings(
    con: Console, path: str, s: SmtpSettings, findings: list[Finding], notes: list[str]
) -> None:
    con.print(Text(f"{path}: " + settings_line(s), style="dim"))
    missing = _missing(s)
    if missing:
        con.print(Text("Not set or not readable: " + ", ".join(missing), style="dim"))
    for note in notes:
        con.print(Text("Note: " + note, style="yellow"))
    con.print()
    if not findings:
        con.print(Text("No failures predicted from these settings.", style="bold"))
        return
    for i, f in enumerate(findings):
        if i:
            con.print()
        head = Text()
        head.append(
            f"{f.severity.upper()}: ", style="bold red" if f.severity == "critical" else "bold"
        )
        head.append(f.title, style="bold")
        head.append(f"  [{f.category}]", style="dim")
        con.print(head)
        con.print(
            Text(f"rule {f.rule}" + (f"; {'; '.join(f.reasons)}" if f.reasons else ""), style="dim")
        )
        con.print(Text(f.cause))
        print_steps(con, "Fix:", f.fix, numbered=True)
        print_steps(con, "Verify:", f.verify, numbered=False)


def findings_markdown(path: str, s: SmtpSettings, findings: list[Finding], notes: list[str]) -> str:
    lines = [
        "# logdoctor check-config",
        "",
        f"File: `{path}`",
        "",
        f"Settings: {md_escape(settings_line(s))}",
        "",
    ]
    if notes:
        lines += [f"- **Note:** {md_escape(note)}" for note in notes] + [""]
    if not findings:
        lines += ["No failures predicted from these settings.", ""]
    for f in findings:
        lines += [
            f"## {f.severity.upper()}: {md_escape(f.title)}",
            "",
            f"- rule: `{f.rule}`",
            f"- category: `{f.category}`",
            "",
        ]
        if f.reasons:
            lines += ["Why: " + "; ".join(md_escape(r) for r in f.reasons), ""]
        lines += [md_escape(f.cause), ""]
        lines += ["**Fix**", ""] + [f"{i}. {md_escape(x)}" for i, x in enumerate(f.fix, 1)] + [""]
        if f.verify:
            lines += ["**Verify**", ""] + [f"- {md_escape(x)}" for x in f.verify] + [""]
    return "\n".join(lines)


@click.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="Output format.")
@output_option
@rules_option
@click.option(
    "--rules-only", is_flag=True, help="Use only the --rules files, not the built-in rules."
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    default=None,
    help="Exit 1 when a finding of this severity or worse is predicted.",
)
@click.pass_context
def check_config(
    ctx: click.Context,
    file: str,
    fmt: str,
    output: str | None,
    rules_dirs: tuple[str, ...],
    rules_only: bool,
    fail_on: str | None,
) -> None:
    """Predict failures from FILE: FChoice.RuleManager.WindowsService.exe.config, or a file of
    <add key="EmailServiceConfig..." value="..."/> lines (- for standard input).

    \b
    Examples:
      logdoctor check-config FChoice.RuleManager.WindowsService.exe.config
      logdoctor check-config --format json --fail-on error settings.txt
    """
    if file == "-":
        raw = sys.stdin.buffer.read(MAX_STDIN)
        values = read_app_settings(decode_config(raw))
        shown = "<stdin>"
    else:
        values = read_app_settings(Path(file))
        shown = file
    if not email_keys(values):
        raise LogdoctorError(
            f'no {PREFIX}* settings found (expected lines like <add key="{PREFIX}Port" '
            'value="587" />)',
            path=shown,
        )
    settings = settings_from_app_settings(values)
    kb = load_rules(ctx, rules_dirs, rules_only)
    findings = run_check(kb, settings)
    notes = loosely_written(values)
    if fmt == "json":
        doc = {
            "config": settings.as_contract(),
            "findings": [f.as_json() for f in findings],
            "file": shown,
            "notes": notes,
        }
        write_output(json.dumps(doc, indent=2, ensure_ascii=False), output)
    elif fmt == "markdown":
        write_output(findings_markdown(shown, settings, findings, notes), output)
    elif output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            print_findings(console(fh), shown, settings, findings, notes)
    else:
        print_findings(console(sys.stdout), shown, settings, findings, notes)
    if fail_on and any(at_least(f.severity, fail_on.lower()) for f in findings):
        sys.exit(1)
