"""Options and helpers shared by the commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO, TypeVar

import click
from rich.console import Console

FORMATS = ("text", "markdown", "json", "html")
F = TypeVar("F", bound=Callable[..., Any])


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def console(stream: TextIO | None = None) -> Console:
    stream = stream or sys.stdout
    color = use_color(stream)
    return Console(
        file=stream,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=not color,
        # Off a terminal nothing should be cut to 80 columns: the reader may be a ticket.
        width=None if color else 240,
    )


def verbosity(ctx: click.Context) -> int:
    """-q gives -1, nothing 0, -v 1, -vv 2."""
    obj: dict[str, Any] = ctx.find_root().obj or {}
    return int(obj.get("verbosity", 0))


def info(ctx: click.Context, message: str) -> None:
    """A progress or context line on stderr, silenced by -q."""
    if verbosity(ctx) >= 0:
        click.echo(message, err=True)


def debug(ctx: click.Context, message: str) -> None:
    if verbosity(ctx) >= 1:
        click.echo(message, err=True)


def write_output(text: str, output: str | None) -> None:
    """Write to --output FILE (UTF-8) or stdout."""
    if output and output != "-":
        from pathlib import Path

        Path(output).write_text(text, encoding="utf-8", newline="\n")
    else:
        click.echo(text, nl=not text.endswith("\n"))


def write_chunks(chunks: Iterable[str], output: str | None) -> None:
    """`write_output` for text that comes in pieces, never held whole."""
    if output and output != "-":
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            for chunk in chunks:
                fh.write(chunk)
    else:
        last = ""
        for chunk in chunks:
            if chunk:
                click.echo(chunk, nl=False)
                last = chunk
        if not last.endswith("\n"):
            click.echo("")


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (text on a terminal by default).",
)
output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write to FILE."
)
rules_option = click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    type=click.Path(exists=True),
    help="Extra or replacement rule files (a directory or a YAML file); repeatable.",
)
layout_option = click.option(
    "--layout", default=None, help="log4net conversion pattern of the log (skips detection)."
)
service_config_option = click.option(
    "--service-config",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="FChoice.RuleManager.WindowsService.exe.config: read the log4net layout from it.",
)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: object) -> None:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    if param.name == "quiet" and value:
        root.obj["verbosity"] = -1
    elif param.name == "verbose" and isinstance(value, int) and value:
        root.obj["verbosity"] = max(int(root.obj.get("verbosity", 0)), 0) + value


def verbosity_options(f: Any) -> Any:
    """-q/-v on a subcommand too (`logdoctor analyze x.log -v`), same meaning as on the group."""
    f = click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_set_verbosity,
        help="More detail on stderr.",
    )(f)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_verbosity,
        help="Only the result; no progress or notes.",
    )(f)


rules_only_option = click.option(
    "--rules-only",
    is_flag=True,
    help="Use only the --rules files, not the built-in knowledge base.",
)
no_redact_option = click.option(
    "--no-redact",
    is_flag=True,
    help="Show passwords, user names and e-mail addresses as logged.",
)


def fail_on_option(what: str = "an incident") -> Callable[[F], F]:
    from logdoctor.kb.categories import SEVERITIES

    return click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES, case_sensitive=False),
        default=None,
        help=f"Exit 1 when {what} of this severity or worse is found.",
    )


def since_until_options(what: str = "failures") -> Callable[[F], F]:
    """--since/--until: ISO 8601 date or time, or a span back from now (contract)."""

    def decorate(f: F) -> F:
        f = click.option("--until", default=None, help=f"Only {what} up to then (same forms).")(f)
        return click.option(
            "--since", default=None, help=f"Only {what} from then on: 2026-11-27, 7d, 12h."
        )(f)

    return decorate
