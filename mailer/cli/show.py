"""Listings: threads, one thread, meetings with RSVPs, members, the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from mailer.calendar.occurrences import expand
from mailer.cli.common import (
    config_path,
    emit_json,
    fail,
    json_time,
    load,
    local_time,
    open_store,
    parse_now,
    zone_of,
)
from mailer.config import Community, Config
from mailer.membership import invitees, memberships, name_of, on_pause, paused
from mailer.model import Post, Thread
from mailer.outbound.dates import format_day, format_iso, format_when
from mailer.state import State
from mailer.store import Store


def _post_json(p: Post, zone: ZoneInfo) -> dict[str, Any]:
    return {"message_id": p.message_id, "from": p.from_addr, "name": p.name,
            "date": format_iso(p.date, zone), "body": p.body,
            "attachments": [{"filename": a.filename, "content_type": a.content_type,
                             "size": a.size, "sha256": a.sha256,
                             **({"withheld": a.withheld} if a.withheld else {})}
                            for a in p.attachments]}


def _thread_json(t: Thread, config: Config) -> dict[str, Any]:
    """Times in the thread's community's zone, with the offset (cli/common.json_time)."""
    zone = zone_of(config, t.community)
    return {"id": t.id, "community": t.community, "subject": t.subject,
            "started": format_iso(t.started, zone),
            "last_activity": format_iso(t.last_activity, zone), "post_count": len(t.posts),
            "posts": [_post_json(p, zone) for p in t.posts]}


@click.command()
@click.option("--community", "community_id", help="Only this community.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def threads(ctx: click.Context, community_id: str | None, as_json: bool) -> None:
    """Threads, newest activity first."""
    config = load(ctx, secrets=False)
    if community_id and config.community(community_id) is None:
        fail(f"no community '{community_id}' in {config_path(ctx).name}")
    store = open_store(config)
    chosen = store.state.threads_newest_first(community_id)
    if as_json:
        emit_json([_thread_json(t, config) for t in chosen])
        return
    if not chosen:
        click.echo("no threads yet")
    for t in chosen:
        last = t.posts[-1].name if t.posts else "-"
        when = local_time(t.last_activity, config, t.community)
        click.echo(f"{t.id:>6}  {when}  {len(t.posts):>3} post(s)  [{t.community}] "
                   f"{t.subject}  (last: {last})")


@click.command()
@click.argument("thread_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def thread(ctx: click.Context, thread_id: str, as_json: bool) -> None:
    """One thread with its posts."""
    config = load(ctx, secrets=False)
    store = open_store(config)
    t = store.state.threads.get(thread_id) or store.state.threads.get(f"t{thread_id}")
    if t is None:
        fail(f"no thread '{thread_id}'; `cop threads` lists them")
    if as_json:
        emit_json(_thread_json(t, config))
        return
    click.echo(f"{t.id} [{t.community}] {t.subject}")
    for p in t.posts:
        click.echo(f"\n--- {p.name} <{p.from_addr}>, {local_time(p.date, config, t.community)}")
        click.echo(p.body)
        for a in p.attachments:
            kept = {"blocked": ", removed", "large": ", not mailed: too large"}.get(a.withheld, "")
            click.echo(f"[attachment: {a.filename}, {a.size} bytes{kept}]")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--now", "now_text", help="Occurrences after this ISO date-time.")
@click.pass_context
def meetings(ctx: click.Context, as_json: bool, now_text: str | None) -> None:
    """Meetings and occurrences with each member's RSVP: per occurrence, the answer that
    holds for that date (its own, else the one for the whole series)."""
    config = load(ctx, secrets=False)
    store = open_store(config)
    now = parse_now(now_text, config)
    answers = store.state
    docs: list[dict[str, Any]] = []
    for c in config.communities:
        invited = sorted(invitees(c, answers))  # members now: joined by email too, not left
        for m in c.meetings:
            sent = store.get_meta("meeting", f"{c.id}/{m.id}") or {}
            occurrences, skipped = expand(m, c.language)
            key = f"{c.id}/{m.id}"
            doc = {
                "id": m.id, "community": c.id, "title": m.title, "uid": sent.get("uid"),
                "sequence": sent.get("sequence", 0), "status": sent.get("status", "unsent"),
                "occurrences": [{
                    "start": format_iso(o.start, c.timezone),
                    "end": format_iso(o.end, c.timezone),
                    **({"moved_from": format_iso(o.usual, c.timezone)} if o.usual else {}),
                    "rsvp": {e: answers.rsvp_of(key, e, o.id) for e in invited},
                } for o in occurrences],
                "skipped": [{"start": format_iso(s.start, c.timezone), "reason": s.reason}
                            for s in skipped],
                "rsvp": {e: answers.latest_rsvp(key, e) for e in invited},
            }
            if as_json:
                docs.append(doc)
                continue
            future = [o for o in occurrences if o.end > now]
            click.echo(f"{c.id}/{m.id} \"{m.title}\" sequence {doc['sequence']} "
                       f"({doc['status']}), {len(future)} to come")
            for o in future[:3]:
                moved = (f" ({'dipindah dari' if c.language == 'id' else 'moved from'} "
                         f"{format_day(o.usual, c.language)})" if o.usual else "")
                click.echo(f"  {format_when(o.start.astimezone(c.timezone), c.language)}{moved}")
                for line in _rsvp_lines(answers, c, key, o.id, invited):
                    click.echo(f"    {line}")
    if as_json:
        emit_json(docs)


def _rsvp_lines(state: State, community: Community, key: str, occurrence: str,
                invited: list[str]) -> list[str]:
    """Who answered what for one date; those who did not answer on one line."""
    lines, waiting = [], []
    for email in invited:
        answer = state.rsvp_of(key, email, occurrence)
        if answer == "NEEDS-ACTION":
            waiting.append(email)
            continue
        name = name_of(community, state, email)
        lines.append(f"{answer:<12} {email}" + (f" ({name})" if name else ""))
    if waiting:
        lines.append(f"{'NEEDS-ACTION':<12} {', '.join(waiting)}")
    return lines


@click.command()
@click.option("--community", "community_id", required=True, help="The community's id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def members(ctx: click.Context, community_id: str, as_json: bool) -> None:
    """Members, delivery mode and state. The delivery is the one in force (a member's own
    choice by email, or cop.toml's: membership.py says which wins); paused_until, the day a
    member's own pause ends (null when none); aliases, their other addresses."""
    config = load(ctx, secrets=False)
    community = config.community(community_id)
    if community is None:
        fail(f"no community '{community_id}' in {config_path(ctx).name}")
    store = open_store(config)
    now = datetime.now(UTC)
    docs: list[dict[str, Any]] = [
        {"email": m.member.email, "name": m.member.name, "delivery": m.member.delivery,
         "state": _member_state(store, community.id, m.member.email, m.state),
         "source": m.source, "aliases": list(m.member.aliases),
         "paused_until": _iso(on_pause(community, store.state, m.member.email, now))}
        for m in memberships(community, store.state)]
    if as_json:
        emit_json(docs)
        return
    for d in docs:
        extra = "".join(f" <{a}>" for a in d["aliases"])
        if d["paused_until"]:
            extra += (f" (jeda sampai {d['paused_until']})" if community.language == "id"
                      else f" (paused until {d['paused_until']})")
        click.echo(f"{d['state']:<8} {d['delivery']:<7} {d['source']:<8} "
                   f"{d['name']} <{d['email']}>{extra}")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _member_state(store: Store, community: str, email: str, state: str) -> str:
    """active, pending, left, or bouncing: delivery paused because mail to them fails."""
    if state == "active" and paused(store.state, email, datetime.now(UTC)):
        return "bouncing"
    return state


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def outbox(ctx: click.Context, as_json: bool) -> None:
    """Outgoing mail: queued, sent, deferred (with next try), failed (with reason)."""
    config = load(ctx, secrets=False)
    store = open_store(config)
    items = sorted(store.state.outbox.values(),
                   key=lambda i: (i.queued.isoformat() if i.queued else "", i.id))
    if as_json:
        emit_json([{"id": i.id, "to": i.to, "subject": i.subject, "kind": i.kind,
                     "state": i.state, "attempts": i.attempts,
                     "next_try": json_time(i.next_try, config),
                     "error": i.error} for i in items])
        return
    if not items:
        click.echo("outbox is empty")
    for i in items:
        extra = f" next {local_time(i.next_try, config)}" if i.next_try else ""
        extra += f" ({i.error})" if i.error else ""
        click.echo(f"{i.state:<8} {i.kind:<10} {i.to:<30} {i.subject}{extra}")
