"""The `cop` command: click verbs, wiring only.

Exit codes: 0 success, 1 a user error (bad config, unknown id) with a one-line message naming
what to fix, 2 usage. Every listing verb takes --json and then prints one JSON document.
"""

from __future__ import annotations

import os

import click

from mailer import __version__
from mailer.cli import attendance, digest, holds, quarantine, reports, service, show, status, store
from mailer.cli.common import wrap_output
from mailer.cli.demo import demo
from mailer.cli.help import help_verb
from mailer.cli.init import init
from mailer.cli.web import web


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False),
              default=lambda: os.environ.get("COP_CONFIG", "cop.toml"),
              show_default="./cop.toml or $COP_CONFIG", help="The configuration file.")
@click.version_option(__version__, prog_name="cop")
@click.pass_context
def main(ctx: click.Context, config: str) -> None:
    """CoP Mailer: run a community of practice by email, from one cop.toml."""
    os.umask(0o077)  # data_dir and what the verbs write are their owner's only
    wrap_output()  # no control characters from mail reach the terminal
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


for command in (service.check, service.run, show.threads, show.thread, show.meetings,
                show.members, show.outbox, holds.holds, digest.digest, reports.report_verb,
                reports.plan_verb, attendance.attendance, init, demo, help_verb):
    main.add_command(command)
main.add_command(quarantine.quarantine)
main.add_command(web)
main.add_command(status.status)
main.add_command(store.migrate)
main.add_command(store.store)
