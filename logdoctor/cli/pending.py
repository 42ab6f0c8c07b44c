"""Commands of the contract whose work has not landed yet: they say so and exit 2."""

from __future__ import annotations

import sys

import click

PENDING: dict[str, str] = {}


def _pending(name: str) -> click.Command:
    @click.command(
        name=name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"Not available yet: {PENDING[name]} has not landed.",
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        click.echo(
            f"logdoctor {name}: not available yet: {PENDING[name]} has not landed.", err=True
        )
        sys.exit(2)

    return command
