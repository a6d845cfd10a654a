"""A community's digest: `cop digest preview` renders the next one, `cop digest send` sends it."""

from __future__ import annotations

import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import click

from mailer.cli.common import community_of, fail, load, open_store, parse_now, setup_logging
from mailer.config import Member
from mailer.daemon import Runtime
from mailer.edges.store import DataDirLock, load_secret
from mailer.errors import StoreError
from mailer.handle.app import App
from mailer.outbound.compose import compose_digest
from mailer.outbound.outbox import Limits, deliver
from mailer.outbound.whatsapp import whatsapp_text
from mailer.timed.digests import preview_digest, send_digest


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
    """Queue the digest now and deliver it."""

    config = load(ctx)
    community = community_of(ctx, config, community_id)
    setup_logging(config.service.log_level)
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError as exc:
        fail(f"{exc}. The running daemon sends digests on schedule; stop it to send by hand")
    try:
        store = open_store(config, read_only=False)
        rt = Runtime(config, store)
        now = parse_now(now_text, config)
        queued = send_digest(rt.app, store, community, now, force=True)

        def bar(items: Any) -> Any:
            items = list(items)
            with click.progressbar(items, label="sending", show_pos=True,
                                   file=sys.stderr) as shown:
                yield from shown

        counts = deliver(store, rt.transport, now,
                         Limits(config.outbound.per_minute, config.outbound.per_day), bar)
        rt.close()
    finally:
        lock.release()
    click.echo(f"digest for {community.id}: {queued} queued, {counts['sent']} sent, "
               f"{counts['deferred']} deferred, {counts['failed']} failed")
