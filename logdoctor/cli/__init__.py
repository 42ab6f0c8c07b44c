"""The `logdoctor` command group.

Subcommands live in their own modules and are imported only when used, so `logdoctor --help`
stays fast and a broken optional dependency cannot break unrelated commands.
"""

from __future__ import annotations

import importlib
import sys

import click

from logdoctor import __version__
from logdoctor.errors import LogdoctorError

# name -> (module, attribute, one-line help shown in the group listing)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "analyze": ("logdoctor.cli.analyze", "analyze", "Read log files, diagnose, print incidents."),
    "explain": ("logdoctor.cli.explain", "explain", "Diagnose a pasted error text."),
    "check-config": (
        "logdoctor.cli.check_config",
        "check_config",
        "Predict failures from the service's exe.config.",
    ),
    "batch": (
        "logdoctor.cli.batch",
        "batch",
        "Nightly mode: ingest what is new, write a summary.",
    ),
    "report": ("logdoctor.cli.report", "report", "Incidents from the store."),
    "tui": ("logdoctor.cli.tui", "tui", "Browse incidents in the terminal UI."),
    "rules": ("logdoctor.cli.rules", "rules", "The knowledge base: list, show, test, lint."),
    "events": ("logdoctor.cli.events", "events", "Print the parsed events (for rule authors)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="logdoctor")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only the result; no progress or notes.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Diagnose Dovetail RuleManager email failures from Rulemanager.log.

    \b
    Examples:
      logdoctor analyze C:\\RuleManager\\logs\\Rulemanager.log
      logdoctor explain "535 5.7.8 Username and Password not accepted"
      logdoctor check-config FChoice.RuleManager.WindowsService.exe.config
    """
    ctx.obj = {"verbosity": -1 if quiet else verbose}


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="logdoctor", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("logdoctor: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except LogdoctorError as exc:
        click.echo(f"logdoctor: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("logdoctor: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:
        name = getattr(exc, "filename", None)
        reason = exc.strerror or str(exc)
        click.echo(f"logdoctor: {name}: {reason}" if name else f"logdoctor: {reason}", err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: still one line, with a hint how to see more
        if "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv):
            raise
        click.echo(
            f"logdoctor: internal error: {type(exc).__name__}: {exc} (rerun with -v)", err=True
        )
        sys.exit(3)
