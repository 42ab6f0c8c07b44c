"""`logdoctor rules list|show|test|lint`: the knowledge base for the people who write it."""

from __future__ import annotations

import json
import sys

import click
from rapidfuzz import process
from rich.text import Text

from logdoctor.cli.common import console, rules_option, write_output
from logdoctor.cli.explain import load_rules, md_escape
from logdoctor.errors import LogdoctorError
from logdoctor.kb.lint import lint_kb
from logdoctor.kb.loader import KbRule, KnowledgeBase, load_kb_report
from logdoctor.kb.selftest import run_examples

only_option = click.option(
    "--rules-only", is_flag=True, help="Use only the --rules files, not the built-in rules."
)


@click.group()
def rules() -> None:
    """The knowledge base: list, show, test and lint the rules."""


def _example_count(kr: KbRule) -> int:
    return len(kr.rule.examples.match) + len(kr.rule.examples.no_match)


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
@rules_option
@only_option
@click.pass_context
def list_rules(ctx: click.Context, fmt: str, rules_dirs: tuple[str, ...], rules_only: bool) -> None:
    """List every rule: id, category, severity, title, number of examples."""
    kb = load_rules(ctx, rules_dirs, rules_only)
    if fmt == "json":
        doc = [
            {
                "id": kr.rule.id,
                "category": kr.rule.category,
                "severity": kr.rule.severity.value,
                "title": kr.rule.title,
                "examples": _example_count(kr),
            }
            for kr in kb.rules
        ]
        write_output(json.dumps(doc, indent=2, ensure_ascii=False), None)
        return
    # Plain aligned columns rather than a Rich table: the list is grepped and piped, and a
    # table folds long ids at the terminal width.
    rows = [
        (
            kr.rule.id,
            kr.rule.category,
            kr.rule.severity.value,
            str(_example_count(kr)),
            kr.rule.title,
        )
        for kr in kb.rules
    ]
    header = ("id", "category", "severity", "examples", "title")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    lines.append(f"{len(kb.rules)} rules from {len(kb.files)} files")
    write_output("\n".join(lines), None)


def _find(kb: KnowledgeBase, rule_id: str) -> KbRule:
    kr = kb.get(rule_id)
    if kr is None:
        near = process.extractOne(rule_id, kb.ids(), score_cutoff=60)
        hint = f"; did you mean {near[0]}?" if near else "; see logdoctor rules list"
        raise LogdoctorError(f"no rule with id {rule_id!r}{hint}")
    return kr


def _show_markdown(kr: KbRule) -> str:
    r = kr.rule
    out = [
        f"# {md_escape(r.title)}",
        "",
        f"- id: `{r.id}`",
        f"- category: `{r.category}`",
        f"- severity: {r.severity.value}",
        f"- status: {r.status.value}",
        f"- tags: {', '.join(r.tags) or '-'}",
        f"- defined at: `{kr.where}`",
        "",
        "## Cause",
        "",
        md_escape(r.cause),
        "",
        "## Fix",
        "",
        *[f"{i}. {md_escape(s)}" for i, s in enumerate(r.fix, 1)],
        "",
    ]
    if r.verify:
        out += ["## Verify", "", *[f"- {md_escape(s)}" for s in r.verify], ""]
    out += [
        "## Match",
        "",
        "```yaml",
        json.dumps(r.match.model_dump(by_alias=True, exclude_none=True), indent=2),
        "```",
        "",
    ]
    if r.predict:
        out += ["Predicts failures from the settings alone (check-config).", ""]
    if r.references:
        out += ["## References", ""]
        for ref in r.references:
            parts = [p for p in (ref.source, ref.url, ref.note) if p]
            out.append("- " + " - ".join(md_escape(p) for p in parts))
        out.append("")
    for kind, label in (("match", "must match"), ("no_match", "must not match")):
        examples = getattr(r.examples, kind)
        if examples:
            out += [f"## Examples that {label}", ""]
            for ex in examples:
                ctx = ex.settings.model_dump(exclude_none=True) if ex.settings else {}
                if ex.history:
                    ctx.update(ex.history.model_dump(exclude_none=True))
                if ctx:
                    out.append(f"Context: `{json.dumps(ctx)}`")
                    out.append("")
                out += ["```text", ex.text.rstrip("\n").replace("```", "'''"), "```", ""]
    return "\n".join(out)


@rules.command("show")
@click.argument("rule_id")
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")), default="text")
@rules_option
@only_option
@click.pass_context
def show(
    ctx: click.Context, rule_id: str, fmt: str, rules_dirs: tuple[str, ...], rules_only: bool
) -> None:
    """Everything about rule RULE_ID: cause, fix, verify, conditions, references, examples."""
    kr = _find(load_rules(ctx, rules_dirs, rules_only), rule_id)
    if fmt == "json":
        doc = kr.rule.model_dump(mode="json", by_alias=True, exclude_none=True)
        doc["path"] = kr.path
        doc["line"] = kr.line
        write_output(json.dumps(doc, indent=2, ensure_ascii=False), None)
    elif fmt == "markdown":
        write_output(_show_markdown(kr), None)
    else:
        # Markdown source reads well as plain text, and markup is off, so rule text is safe.
        console().print(Text(_show_markdown(kr)))


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="Also list the examples that pass.")
@rules_option
@only_option
@click.pass_context
def test(
    ctx: click.Context,
    rule_ids: tuple[str, ...],
    verbose: bool,
    rules_dirs: tuple[str, ...],
    rules_only: bool,
) -> None:
    """Run every rule's own examples (or those of RULE_IDS); exit 0 only when all pass."""
    kb = load_rules(ctx, rules_dirs, rules_only)
    for rid in rule_ids:
        _find(kb, rid)
    results = run_examples(kb, rule_ids or None)
    failed = [r for r in results if not r.passed]
    for r in results:
        if not r.passed:
            click.echo(f"{r.where}: FAIL {r.rule} {r.kind}[{r.index}]: {r.message}")
        elif verbose:
            click.echo(f"{r.where}: ok   {r.rule} {r.kind}[{r.index}]")
    click.echo(f"rules test: {len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@rules.command("lint")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
@click.option("--no-timing", is_flag=True, help="Skip timing regexes on 100 KB inputs.")
@rules_option
@only_option
@click.pass_context
def lint(
    ctx: click.Context, fmt: str, no_timing: bool, rules_dirs: tuple[str, ...], rules_only: bool
) -> None:
    """Validate the rules: schema, duplicate ids, slow regexes, shadowing, examples, coverage."""
    kb, problems = load_kb_report(list(rules_dirs), replace=rules_only)
    issues = lint_kb(kb, problems, timed=not no_timing)
    errors = [i for i in issues if i.level == "error"]
    warnings = [i for i in issues if i.level == "warning"]
    if fmt == "json":
        write_output(json.dumps([i.as_json() for i in issues], indent=2), None)
    else:
        for issue in issues:
            click.echo(str(issue))
        click.echo(
            f"rules lint: {len(kb.rules)} rules, {len(errors)} errors, {len(warnings)} warnings"
        )
    if errors:
        sys.exit(1)
