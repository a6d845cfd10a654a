"""The attendance ledger: `cop attendance mark` takes the roll by hand, `export` writes CSV."""

from __future__ import annotations

import csv
import sys
from datetime import date

import click

from mailer.calendar.occurrences import expand
from mailer.cli.common import community_of, fail, load, open_store, parse_now
from mailer.edges.store import DataDirLock, FileStore
from mailer.errors import StoreError


@click.group()
def attendance() -> None:
    """The attendance ledger: roll-calls and the CSV export for reports."""


@attendance.command("mark")
@click.option("--community", "community_id", required=True)
@click.option("--meeting", "meeting_id", required=True)
@click.option("--date", "day", required=True, help="The meeting's date, YYYY-MM-DD.")
@click.option("--present", multiple=True, help="A member's email (repeat for more).")
@click.option("--absent", multiple=True, help="A member's email (repeat for more).")
@click.pass_context
def attendance_mark(ctx: click.Context, community_id: str, meeting_id: str, day: str,
                    present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    """Take the roll for one meeting by hand."""
    config = load(ctx)
    community = community_of(ctx, config, community_id)
    meeting = next((m for m in community.meetings if m.id == meeting_id), None)
    if meeting is None:
        fail(f"no meeting '{meeting_id}' in community '{community_id}'")
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        fail(f"--date {day!r} is not a date; write it as 2026-12-04", 2)
    occurrences, _ = expand(meeting, community.language)
    occ = next((o for o in occurrences if o.start.date() == wanted), None)
    if occ is None:
        fail(f"'{meeting_id}' does not meet on {day}")
    members = {m.email.lower() for m in community.members}
    unknown = [e for e in (*present, *absent) if e.lower() not in members]
    if unknown:
        fail(f"not members of {community_id}: {', '.join(unknown)}")
    records = [{"t": "attendance", "meeting": f"{community.id}/{meeting.id}",
                "occurrence": occ.id, "email": e.lower(), "present": p,
                "source": "cli"} for emails, p in ((present, True), (absent, False))
               for e in emails]
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError:  # the daemon runs: it applies the request at its next tick
        store = FileStore(config.service.data_dir, read_only=True)
        store.requests.submit(records)
        click.echo(f"recorded {len(records)} mark(s); the running daemon saves them")
        return
    try:
        store = FileStore(config.service.data_dir)
        for record in records:
            store.record(record)
        store.close()
    finally:
        lock.release()
    click.echo(f"recorded {len(records)} mark(s)")


@attendance.command("export")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--from", "start", help="First date, YYYY-MM-DD.")
@click.option("--to", "end", help="Last date, YYYY-MM-DD (default: today).")
@click.option("--summary", is_flag=True, help="One row per member: meetings, attended, rate.")
@click.pass_context
def attendance_export(ctx: click.Context, community_id: str | None, start: str | None,
                      end: str | None, summary: bool) -> None:
    """CSV of who attended which meeting (RSVP beside the roll-call), for PD reports."""
    config = load(ctx)
    store = open_store(config)
    try:
        first = date.fromisoformat(start) if start else date.min
        last = date.fromisoformat(end) if end else parse_now(None, config).date()
    except ValueError:
        fail("--from/--to take dates written as 2026-12-04", 2)
    out = csv.writer(sys.stdout, lineterminator="\n")
    totals: dict[tuple[str, str], list[int]] = {}
    if not summary:
        out.writerow(["date", "time", "community", "meeting", "title", "name", "email",
                      "rsvp", "attended"])
    for c in config.communities:
        if community_id and c.id != community_id:
            continue
        for m in c.meetings:
            key = f"{c.id}/{m.id}"
            occurrences, _ = expand(m, c.language)
            for o in occurrences:
                if not first <= o.start.date() <= last:
                    continue
                for member in c.members:
                    email = member.email.lower()
                    came = store.state.attended(key, o.id, email)
                    row = totals.setdefault((c.id, email), [0, 0])
                    row[0] += 1
                    row[1] += 1 if came else 0
                    if not summary:
                        out.writerow([o.start.date().isoformat(), o.start.strftime("%H:%M"),
                                      c.id, m.id, m.title, member.name, member.email,
                                      store.state.rsvp_of(key, email, o.id),
                                      "" if came is None else ("yes" if came else "no")])
    if summary:
        out.writerow(["community", "name", "email", "meetings", "attended", "rate"])
        for c in config.communities:
            for member in c.members:
                held, came_n = totals.get((c.id, member.email.lower()), [0, 0])
                if held:
                    out.writerow([c.id, member.name, member.email, held, came_n,
                                  f"{came_n / held:.0%}"])
