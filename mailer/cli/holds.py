"""The moderation queue: `cop holds`, `cop holds approve ID`, `cop holds reject ID`."""

from __future__ import annotations

import os

import click

from mailer.cli.ask import ask
from mailer.cli.common import (
    emit_json,
    fail,
    json_time,
    load,
    local_time,
    open_store,
    parse_now,
)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def holds(ctx: click.Context, as_json: bool) -> None:
    """The moderation queue; `holds approve ID`, `holds reject ID` decide."""
    if ctx.invoked_subcommand is not None:
        return
    config = load(ctx, secrets=False)
    store = open_store(config)
    waiting = [h for h in store.state.holds.values() if h.state == "held"]
    if as_json:
        emit_json([{"id": h.id, "community": h.community, "from": h.from_addr,
                     "subject": h.subject, "reason": h.reason,
                     "received": json_time(h.received, config, h.community)}
                    for h in waiting])
        return
    if not waiting:
        click.echo("no held messages")
    for h in waiting:
        when = local_time(h.received, config, h.community)
        click.echo(f"{h.id:>5}  {when}  [{h.community}] {h.from_addr}: {h.subject}  "
                   f"({h.reason})")


@holds.command("approve")
@click.argument("hold_id")
@click.option("--add-member", is_flag=True,
              help="Also make the sender a member (a post held because they are not one).")
@click.pass_context
def holds_approve(ctx: click.Context, hold_id: str, add_member: bool) -> None:
    """Pass a held message on to the members (or accept a request to join)."""
    _decide(ctx, hold_id, "approve-add" if add_member else "approve", "")


@holds.command("reject")
@click.argument("hold_id")
@click.option("--reason", default="", help="Sent to the sender.")
@click.pass_context
def holds_reject(ctx: click.Context, hold_id: str, reason: str) -> None:
    """Do not pass a held message on; the sender is told (with the reason)."""
    _decide(ctx, hold_id, "reject", reason)


def _decide(ctx: click.Context, hold_id: str, decision: str, reason: str) -> None:
    config = load(ctx)
    hold = open_store(config).state.holds.get(hold_id)
    if hold is None:
        fail(f"no held message '{hold_id}'; `cop holds` lists them")
    if hold.state != "held":
        by = f" by {hold.decided_by}" if hold.decided_by else ""
        when = (f" at {local_time(hold.decided_at, config, hold.community)}"
                if hold.decided_at else "")
        fail(f"{hold_id} is already {hold.state}{by}{when}")
    ask(config, [{"t": "hold-decision", "id": hold_id, "decision": decision,
                  "reason": reason, "by": os.environ.get("USER", "cop")}],
        f"{hold_id}: {decision}", parse_now(None, config))
