"""`cop help config`: the reference of every cop.toml key (config/reference.toml).

A wheel carries the file inside the package (pyproject's force-include puts it at
mailer/reference.toml, beside the templates); a checkout reads it from config/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from mailer.cli.common import fail


def reference_text() -> str:
    """The text of reference.toml, from the installed package or from the source tree."""
    installed = resources.files("mailer").joinpath("reference.toml")
    if installed.is_file():
        return installed.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parents[2] / "config" / "reference.toml"
    if source.is_file():
        return source.read_text(encoding="utf-8")
    fail("reference.toml is missing from this installation; reinstall cop-mailer "
         "(reference.toml tidak ada di instalasi ini; pasang ulang cop-mailer)")


@click.group(name="help", invoke_without_command=True)
@click.pass_context
def help_verb(ctx: click.Context) -> None:
    """Help on a topic: `cop help config` explains every cop.toml key."""
    if ctx.invoked_subcommand is None:
        parent = ctx.parent
        click.echo(parent.get_help() if parent is not None else ctx.get_help())


@help_verb.command(name="config")
def help_config() -> None:
    """Every cop.toml key, its default, and what it does (a valid cop.toml itself)."""
    click.echo(reference_text(), nl=False)
