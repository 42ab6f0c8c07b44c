"""`logdoctor explain [TEXT]`: diagnose one pasted error text."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence

import click
from rich.console import Console
from rich.text import Text

from logdoctor.cli.common import console, debug, output_option, rules_option, write_output
from logdoctor.errors import LogdoctorError
from logdoctor.kb.fingerprint import describe
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.kb.match import THRESHOLD, Diagnosis, RuleMatch, diagnose
from logdoctor.kb.pasted import chain_from_text, split_pasted
from logdoctor.model import ExceptionChain, MatchContext, SmtpSettings
from logdoctor.redact import Redactor, redact_jsonable
from logdoctor.settings import parse_ssl_mode

MAX_PASTE = 500_000  # characters; more is a whole log, which is what `analyze` is for
FORMATS = ("text", "markdown", "json")


def load_rules(ctx: click.Context, rules_dirs: Sequence[str], only: bool = False) -> KnowledgeBase:
    kb = load_kb(list(rules_dirs), replace=only)
    for note in kb.notes:
        debug(ctx, f"logdoctor: {note}")
    return kb


def read_text_arg(text: str | None) -> str:
    if text is None or text == "-":
        stream = sys.stdin
        if stream.isatty():
            click.echo(
                "logdoctor: paste the error text, then Ctrl-D (Ctrl-Z Enter on Windows)", err=True
            )
        text = stream.read(MAX_PASTE + 1)
    if len(text) > MAX_PASTE:
        raise LogdoctorError(
            f"the text is longer than {MAX_PASTE} characters; use `logdoctor analyze` for log files"
        )
    if not text.strip():
        raise LogdoctorError("no error text given: pass it as an argument or on standard input")
    return text


def apply_options(
    base: SmtpSettings | None,
    host: str | None,
    port: int | None,
    ssl_mode: str | None,
    enable_ssl: bool | None,
) -> SmtpSettings | None:
    """Options override what a pasted configuration record said, field by field."""
    if base is None and all(v is None for v in (host, port, ssl_mode, enable_ssl)):
        return None
    s = base or SmtpSettings()
    changes: dict[str, object] = {}
    if host is not None:
        changes["host"] = host
    if port is not None:
        changes["port"] = port
    if enable_ssl is not None:
        changes["enable_ssl"] = enable_ssl
    if ssl_mode is not None:
        mode, known = parse_ssl_mode(ssl_mode)
        changes["ssl_mode"] = mode
        changes["ssl_mode_known"] = known
    return dataclasses.replace(s, **changes)  # type: ignore[arg-type]


def parsed_json(chain: ExceptionChain, ctx: MatchContext) -> dict[str, object]:
    return {
        "types": list(chain.types),
        "messages": list(chain.messages),
        "smtp_replies": [
            {"code": r.code, "enhanced": r.enhanced, "text": r.text} for r in chain.smtp_replies
        ],
        "socket_errors": list(chain.socket_errors),
        "aad_codes": list(chain.aad_codes),
        "http_status": list(chain.http_status),
        "partial": chain.partial,
        "config": ctx.settings.as_contract() if ctx.settings else None,
        "worked_before": ctx.worked_before,
        "config_changed": ctx.config_changed,
    }


def explain_json(d: Diagnosis, chain: ExceptionChain, ctx: MatchContext) -> dict[str, object]:
    out: dict[str, object] = {
        "matches": [m.as_json() for m in d.ranked] if not d.unknown else [],
        "parsed": parsed_json(chain, ctx),
        "unknown": d.unknown,
        "fingerprint": d.fingerprint,
    }
    if d.unknown:
        out["candidates"] = [m.as_json() for m in d.alternatives]
        out["grouped_by"] = describe(chain)
    return out


def settings_line(s: SmtpSettings | None) -> str:
    if s is None:
        return (
            "not known (no configuration in the text; --host/--port/--ssl-mode/--enable-ssl "
            "rank the causes better)"
        )
    parts = [
        f"host={s.host or '?'}",
        f"port={s.port if s.port is not None else '?'}",
        f"enable_ssl={'?' if s.enable_ssl is None else str(s.enable_ssl).lower()}",
        f"ssl_mode={s.ssl_mode or '?'}" + ("" if s.ssl_mode_known else " (not a RuleManager mode)"),
    ]
    if s.timeout_s is not None:
        parts.append(f"timeout={s.timeout_s:g}s")
    return " ".join(parts)


def print_steps(con: Console, heading: str, steps: Sequence[str], numbered: bool) -> None:
    if not steps:
        return
    con.print(Text(heading, style="bold"))
    for i, step in enumerate(steps, 1):
        con.print(Text(f"  {i}. {step}" if numbered else f"  - {step}"))


def print_match(con: Console, m: RuleMatch, *, with_confidence: bool = True) -> None:
    head = Text()
    head.append(m.title, style="bold")
    meta = f"  [{m.category}, {m.severity}"
    meta += f", confidence {m.confidence:.2f}]" if with_confidence else "]"
    head.append(meta, style="dim")
    con.print(head)
    con.print(Text(f"rule {m.rule}", style="dim"))
    if m.reasons:
        con.print(Text("Why: " + "; ".join(m.reasons)))
    con.print(Text(m.cause))
    print_steps(con, "Fix:", m.fix, numbered=True)
    print_steps(con, "Verify:", m.verify, numbered=False)


def print_text(con: Console, d: Diagnosis, chain: ExceptionChain, ctx: MatchContext) -> None:
    con.print(Text("Settings: " + settings_line(ctx.settings), style="dim"))
    con.print()
    if d.best is not None:
        print_match(con, d.best)
        others = [m for m in d.alternatives if m.rule != d.best.rule]
        if others:
            con.print()
            con.print(Text("Also possible:", style="bold"))
            for m in others[:5]:
                con.print(Text(f"  - {m.title} [{m.category}, confidence {m.confidence:.2f}]"))
        return
    con.print(
        Text("No rule in the knowledge base fits this failure with confidence.", style="bold")
    )
    con.print(Text(f"Fingerprint {d.fingerprint}: {describe(chain)}"))
    if d.alternatives:
        con.print(Text(f"Candidates below the threshold {THRESHOLD}:", style="bold"))
        for m in d.alternatives[:5]:
            con.print(Text(f"  - {m.title} [{m.category}, confidence {m.confidence:.2f}]"))
            if m.reasons:
                con.print(Text("    why: " + "; ".join(m.reasons)))


def md_escape(text: str) -> str:
    """Markdown-safe inline text: log text must not turn into links, emphasis or HTML."""
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def match_markdown(m: RuleMatch, *, level: str = "##", confidence: bool = True) -> list[str]:
    lines = [f"{level} {md_escape(m.title)}", ""]
    meta = f"- rule: `{m.rule}`\n- category: `{m.category}`\n- severity: {m.severity}"
    if confidence:
        meta += f"\n- confidence: {m.confidence:.2f}"
    lines += [meta, ""]
    if m.reasons:
        lines += ["Why: " + "; ".join(md_escape(r) for r in m.reasons), ""]
    lines += [md_escape(m.cause), ""]
    if m.fix:
        lines += ["**Fix**", ""] + [f"{i}. {md_escape(s)}" for i, s in enumerate(m.fix, 1)] + [""]
    if m.verify:
        lines += ["**Verify**", ""] + [f"- {md_escape(s)}" for s in m.verify] + [""]
    return lines


def explain_markdown(d: Diagnosis, chain: ExceptionChain, ctx: MatchContext) -> str:
    lines = ["# logdoctor explain", "", f"Settings: {md_escape(settings_line(ctx.settings))}", ""]
    if d.best is not None:
        lines += match_markdown(d.best)
        others = [m for m in d.alternatives if m.rule != d.best.rule]
        if others:
            lines += ["## Also possible", ""]
            lines += [
                f"- {md_escape(m.title)} (`{m.category}`, {m.confidence:.2f})" for m in others[:5]
            ]
            lines.append("")
    else:
        lines += [
            "## Unknown",
            "",
            "No rule in the knowledge base fits this failure with confidence.",
            "",
            f"Fingerprint `{d.fingerprint}`: {md_escape(describe(chain))}",
            "",
        ]
        if d.alternatives:
            lines += ["Candidates:", ""]
            lines += [
                f"- {md_escape(m.title)} (`{m.category}`, {m.confidence:.2f})"
                for m in d.alternatives[:5]
            ]
            lines.append("")
    return "\n".join(lines)


@click.command()
@click.argument("text", required=False)
@click.option("--host", default=None, help="SMTP host in effect (EmailServiceConfig.Host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="SMTP port in effect.")
@click.option(
    "--ssl-mode", default=None, help="Manual, OnConnect, UseStartTls, UseStartTlsIfSupported."
)
@click.option("--enable-ssl/--no-enable-ssl", default=None, help="EmailServiceConfig.EnableSsl.")
@click.option(
    "--worked-before/--new-setup",
    default=None,
    help="These settings sent mail before (points to the network) / never worked yet.",
)
@click.option(
    "--config-changed/--config-unchanged",
    default=None,
    help="The settings were changed just before the failure.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="Output format.")
@output_option
@rules_option
@click.option(
    "--rules-only", is_flag=True, help="Use only the --rules files, not the built-in rules."
)
@click.option(
    "--no-redact", is_flag=True, help="Show pasted addresses and secrets as they are (json)."
)
@click.pass_context
def explain(
    ctx: click.Context,
    text: str | None,
    host: str | None,
    port: int | None,
    ssl_mode: str | None,
    enable_ssl: bool | None,
    worked_before: bool | None,
    config_changed: bool | None,
    fmt: str,
    output: str | None,
    rules_dirs: tuple[str, ...],
    rules_only: bool,
    no_redact: bool,
) -> None:
    """Diagnose a pasted error TEXT (or standard input when TEXT is absent or -).

    If the text includes the "SMTP server configuration loaded" line, its settings are used;
    the options override them.

    \b
    Examples:
      logdoctor explain "535 5.7.8 Username and Password not accepted"
      logdoctor explain --port 587 --ssl-mode OnConnect < error.txt
    """
    raw = read_text_arg(text)
    kb = load_rules(ctx, rules_dirs, rules_only)
    pasted = split_pasted(raw)
    settings = apply_options(pasted.settings, host, port, ssl_mode, enable_ssl)
    mctx = MatchContext(
        settings=settings, worked_before=worked_before, config_changed=config_changed
    )
    chain = chain_from_text(pasted.failure if pasted.failure.strip() else raw)
    d = diagnose(kb, chain, mctx)
    if fmt == "json":
        out = explain_json(d, chain, mctx)
        if not no_redact:
            # The parsed messages echo the pasted text: addresses and secrets included.
            out["parsed"] = redact_jsonable(out["parsed"], Redactor())
        write_output(json.dumps(out, indent=2, ensure_ascii=False), output)
    elif fmt == "markdown":
        write_output(explain_markdown(d, chain, mctx), output)
    elif output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            print_text(console(fh), d, chain, mctx)
    else:
        print_text(console(sys.stdout), d, chain, mctx)
