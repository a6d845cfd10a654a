"""A community's digest: `cop digest preview` renders the next one, `cop digest send` sends it."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import click

from mailer.cli.ask import ask
from mailer.cli.common import community_of, load, open_store, parse_now
from mailer.config import Member
from mailer.edges.store import load_secret
from mailer.handle.app import App
from mailer.outbound.compose import compose_digest
from mailer.outbound.whatsapp import whatsapp_text
from mailer.timed.digests import preview_digest


@click.group()
def digest() -> None:
    """Preview or send a community's digest."""


@digest.command("preview")
@click.option("--community", "community_id", required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "html", "whatsapp"]),
              default="text", show_default=True)
@click.option("--now", "now_text")
@click.pass_context
def digest_preview(ctx: click.Context, community_id: str, fmt: str,
                   now_text: str | None) -> None:
    """Render the next digest without sending it."""

    config = load(ctx, secrets=False)
    community = community_of(ctx, config, community_id)
    store = open_store(config)
    now = parse_now(now_text, config)
    app = App(config, load_secret(config.service.data_dir, config.service.secret))
    built = preview_digest(app, store, community, now)
    if fmt == "whatsapp":
        click.echo(whatsapp_text(built, app.secret, config.service.templates), nl=False)
        return
    reader = next((m for m in community.members if m.delivery == "digest"),
                  Member("member@example.org", "Member", "digest"))

    data = compose_digest(built, reader, app.secret, config.service.templates,
                          "<preview@cop>", now).data
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",) if fmt == "text" else ("html",))
    assert part is not None
    click.echo(part.get_content(), nl=False)


@digest.command("send")
@click.option("--community", "community_id", required=True)
@click.option("--now", "now_text")
@click.pass_context
def digest_send(ctx: click.Context, community_id: str, now_text: str | None) -> None:
    """Queue the digest now and deliver it (through the daemon when it runs). It counts as
    the digest of the slot that is due, if one is: no second one is sent for that period.
    Without --now it goes by the clock of the daemon that carries it out (`cop run --now`)."""

    config = load(ctx)
    community = community_of(ctx, config, community_id)
    now = parse_now(now_text, config)
    ask(config, [{"t": "digest-send", "community": community.id,
                  "now": now.isoformat() if now_text else None}],
        f"digest for {community.id}", now, progress=True)
