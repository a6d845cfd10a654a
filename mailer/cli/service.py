"""`cop check` (is cop.toml right, and what will it do) and `cop run` (the daemon)."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click

from mailer import daemon
from mailer.calendar.occurrences import expand
from mailer.cli.common import config_path, fail, load, parse_now, setup_logging
from mailer.config import Config, load_config
from mailer.edges.store import outbox_folder
from mailer.errors import ConfigError, MailerError
from mailer.outbound.dates import format_when


@click.command()
@click.option("--now", "now_text", help="Show next meetings as of this ISO date-time.")
@click.pass_context
def check(ctx: click.Context, now_text: str | None) -> None:
    """Validate cop.toml; list every problem with its line, or summarize it."""
    path = config_path(ctx)
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    now = parse_now(now_text, config)
    click.echo(f"{path}: OK")
    click.echo(f"  inbound:  {_describe_inbound(config)}")
    click.echo(f"  outbound: {_describe_outbound(config)}")
    click.echo(f"  data_dir: {config.service.data_dir}")
    for c in config.communities:
        each = sum(1 for m in c.members if m.delivery == "each")
        digest = sum(1 for m in c.members if m.delivery == "digest")
        click.echo(f"community {c.id} \"{c.name}\" <{c.address}> [{c.language}, "
                   f"{c.timezone.key}, posting={c.posting}]")
        click.echo(f"  members: {len(c.members)} ({each} each, {digest} digest)")
        click.echo(f"  digest: {_describe_digest(c)}")
        for m in c.meetings:
            occurrences, skipped = expand(m, c.language)
            future = [o for o in occurrences if o.end > now]
            click.echo(f"  meeting {m.id} \"{m.title}\": {len(occurrences)} occurrence(s)"
                       f"{', ' + str(len(skipped)) + ' skipped' if skipped else ''}")
            for o in future[:3]:
                click.echo(f"    next: {format_when(o.start, c.language)}")
            for s in [s for s in skipped if s.start > now][:5]:
                click.echo(f"    skip: {format_when(s.start, c.language)} ({s.reason})")
            if not future:
                click.echo("    (no future occurrences)")
        year = sum(1 for m in c.meetings for o in expand(m, c.language)[0]
                   if now <= o.start < now + timedelta(days=365))
        if c.meetings and year < 12:
            click.echo(f"  note: {year} meeting(s) in the next 12 months; KKG and MGMP groups "
                       "report at least 12 a year")


def _describe_inbound(config: Config) -> str:
    i = config.inbound
    if i.protocol == "smtp":
        return f"built-in SMTP receiver on {i.host}:{i.port}"
    return f"IMAP {i.username}@{i.host}:{i.port} ({i.tls}) folder {i.folder}"


def _describe_outbound(config: Config) -> str:
    o = config.outbound
    if o.protocol == "maildir":
        return f"maildir {outbox_folder(config.service.data_dir)} (nothing leaves this machine)"
    return f"SMTP {o.host}:{o.port} ({o.tls})"


def _describe_digest(c: Any) -> str:
    d = c.digest
    if d.every == "never":
        return "never"
    return f"every {d.every} at {d.at.strftime('%H:%M')} {c.timezone.key}"


@click.command()
@click.option("--once", is_flag=True, help="One full cycle, then exit.")
@click.option("--now", "now_text", help="Act as if it were this ISO date-time.")
@click.pass_context
def run(ctx: click.Context, once: bool, now_text: str | None) -> None:
    """The daemon: receive, route, deliver, send what is due."""
    config = load(ctx)
    setup_logging(config.service.log_level)
    start = parse_now(now_text, config) if now_text else None
    try:
        code = daemon.run(config, once=once, start=start)
    except MailerError as exc:
        fail(str(exc))
    sys.exit(code)
