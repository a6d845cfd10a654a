"""`cop web` (the members' web, beside `cop run`) and `cop web export DIR`."""

from __future__ import annotations

import click

from mailer.cli.common import community_of, fail, load, setup_logging


@click.group(invoke_without_command=True)
@click.pass_context
def web(ctx: click.Context) -> None:
    """The members' web: archive, resources, one-click links ([web] in cop.toml)."""
    if ctx.invoked_subcommand is not None:
        return
    config = load(ctx, secrets=False)
    if config.web is None:
        fail("cop.toml has no [web]; add base_url, host and port (see `cop help config`)")
    setup_logging(config.service.log_level)
    from mailer.edges.web.serve import serve  # uvicorn only when the web runs

    serve(config)


@web.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--community", "community_id", help="Which community (default: every public one).")
@click.pass_context
def export_verb(ctx: click.Context, folder: str, community_id: str | None) -> None:
    """A static copy of a public community's archive, for any static host."""
    from pathlib import Path

    from mailer.edges.web.export import export
    from mailer.edges.web.site import Site

    config = load(ctx, secrets=False)
    chosen = [community_of(ctx, config, community_id)] if community_id else \
        [c for c in config.communities if c.archive == "public"]
    if not chosen or any(c.archive != "public" for c in chosen):
        fail("only a community with archive = \"public\" in cop.toml can be exported")
    site = Site(config)
    for community in chosen:
        count = export(site, community, Path(folder))
        click.echo(f"{community.id}: {count} file(s) written to {folder}")
