"""What organizers look back on: `cop report` (a period) and `cop plan` (the days ahead)."""

from __future__ import annotations

import logging
from datetime import timedelta

import click

from mailer.cli.common import config_path, emit_json, fail, json_time, load, open_store, parse_now
from mailer.plan import plan
from mailer.report import build_report


@click.command("report")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660),
              help="The period: this many days up to --now.")
@click.option("--now", "now_text", help="The end of the period (ISO date-time).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report_verb(ctx: click.Context, community_id: str | None, days: int,
                now_text: str | None, as_json: bool) -> None:
    """Posts and replies per member, unanswered threads, RSVP and attendance, quiet members."""
    config = load(ctx, secrets=False)
    store = open_store(config)
    end = parse_now(now_text, config)
    start = end - timedelta(days=days)
    chosen = [c for c in config.communities if community_id in (None, c.id)]
    if community_id and not chosen:
        fail(f"no community '{community_id}' in {config_path(ctx).name}")
    reports = [build_report(c, store.state, start, end) for c in chosen]
    if as_json:
        emit_json(reports)
        return
    for c, r in zip(chosen, reports, strict=True):
        id_ = c.language == "id"
        click.echo(f"{c.name}: {start:%Y-%m-%d} - {end:%Y-%m-%d}")
        click.echo("  " + ("anggota (topik / tanggapan / terakhir)" if id_
                           else "members (threads / replies / last)"))
        for m in r["members"]:
            last = m["last"][:10] if m["last"] else "-"
            click.echo(f"    {m['name']:<28} {m['threads']:>3} {m['replies']:>4}  {last}")
        if r["unanswered"]:
            click.echo("  " + ("belum ada tanggapan:" if id_ else "not answered yet:"))
            for t in r["unanswered"]:
                click.echo(f"    {t['id']:>5} {t['subject']} ({t['by']})")
        for m in r["meetings"]:
            came = f", {m['present']} hadir" if id_ else f", {m['present']} present"
            click.echo(f"  {m['meeting']} {m['start'][:16]}: {m['answered']}/{m['invited']} "
                       + ("menjawab" if id_ else "answered")
                       + f", {m['accepted']} " + ("ya" if id_ else "yes")
                       + (came if m["roll_call"] else ""))
        if r["quiet"]:
            click.echo("  " + ("belum terdengar (sapa secara pribadi): " if id_
                               else "quiet (invite them personally): ")
                       + "; ".join(q["name"] for q in r["quiet"]))


# --- plan ----------------------------------------------------------------------------------

@click.command("plan")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 366))
@click.option("--now", "now_text", help="Plan from this ISO date-time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plan_verb(ctx: click.Context, days: int, now_text: str | None, as_json: bool) -> None:
    """Every mail cop run will send in the coming days (invitations, reminders, digests,
    notes threads, roll-calls), without sending anything."""
    config = load(ctx, secrets=False)
    logging.getLogger("mailer").setLevel(logging.WARNING)  # the rehearsal's own log lines
    start = parse_now(now_text, config)
    items = plan(config, start, days)
    if as_json:
        emit_json([{"when": json_time(i.when, config), "kind": i.kind, "to": i.to,
                     "subject": i.subject} for i in items])
        return
    if not items:
        click.echo(f"nothing to send in the next {days} day(s)")
    zone = config.service.timezone
    day = None
    for i in items:
        local = i.when.astimezone(zone)
        if local.date() != day:
            day = local.date()
            click.echo(f"\n{day:%Y-%m-%d %A}")
        click.echo(f"  {local:%H:%M}  {i.kind:<10} {i.to:<28} {i.subject}")
