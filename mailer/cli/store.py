"""`cop migrate` (the PostgreSQL schema) and `cop store copy FROM TO` (a data_dir into
PostgreSQL and back)."""

from __future__ import annotations

import click

from mailer.cli.common import fail, load
from mailer.errors import StoreError


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the PostgreSQL database ([service] database) to this version's schema."""
    config = load(ctx, secrets=False)
    language = config.service.language
    if not config.service.database:
        fail("[service] database is not set: the files in data_dir need no migration"
             if language == "en" else
             "[service] database tidak diisi: berkas di data_dir tidak perlu migrasi")
    from mailer.edges.pg.connect import redact
    from mailer.edges.pg.migrate import latest
    from mailer.edges.pg.migrate import migrate as apply

    try:
        applied = apply(config.service.database)
    except StoreError as exc:
        fail(str(exc))
    where = redact(config.service.database)
    for name in applied:
        click.echo(f"applied {name}" if language == "en" else f"diterapkan {name}")
    click.echo(f"{where}: schema version {latest()}" if language == "en"
               else f"{where}: versi skema {latest()}")


@click.group()
def store() -> None:
    """The store itself: move it between a data_dir and PostgreSQL."""


@store.command("copy")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
def copy(source: str, target: str) -> None:
    """Copy a whole store: FROM and TO are each a data_dir path or a postgresql:// URL
    (password from PGPASSWORD). TO must be empty; FROM is only read. Stop `cop run` first."""
    from mailer.edges.pg.copy import copy_store

    try:
        counts = copy_store(source, target)
    except StoreError as exc:
        fail(str(exc))
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
