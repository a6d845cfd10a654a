"""The attendance ledger: `cop attendance mark` takes the roll by hand, `export` writes the
ledger as CSV, `report` the printable semester report (HTML, or PDF for --out x.pdf)."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailer.calendar.occurrences import expand
from mailer.cli.ask import ask
from mailer.cli.common import community_of, fail, load, open_store, parse_now
from mailer.config import Community, Config, MeetingConfig
from mailer.config.values import zone_label
from mailer.ledger import Ledger, Period, build_ledger, hours, jp
from mailer.ledger.report import render_attendance, report_context
from mailer.membership import memberships
from mailer.state import Record
from mailer.store import Store
from mailer.timed.invitations import from_snapshot


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
    config = load(ctx, secrets=False)
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
    store = open_store(config)
    members = {m.member.email.lower() for m in memberships(community, store.state)
               if m.state != "pending"}  # cop.toml's, joined by email, and who left since
    unknown = [e for e in (*present, *absent) if e.lower() not in members]
    if unknown:
        fail(f"not members of {community_id}: {', '.join(unknown)}")
    records = [{"t": "attendance", "meeting": f"{community.id}/{meeting.id}",
                "occurrence": occ.id, "email": e.lower(), "present": p,
                "source": "cli"} for emails, p in ((present, True), (absent, False))
               for e in emails]
    ask(config, records, f"{len(records)} mark(s)", parse_now(None, config))


def _history(store: Store) -> list[Record]:
    """Every membership record, oldest first: a member who left and joined again has two
    spans."""
    return store.state.member_history


def _retired(store: Store, community: Community) -> list[MeetingConfig]:
    """Meetings no longer in cop.toml, as last sent: their roll-calls keep time and length."""
    configured = {m.id for m in community.meetings}
    return [from_snapshot(sent["snapshot"]) for key, sent in store.meta_items("meeting")
            if sent.get("community") == community.id and sent.get("snapshot")
            and key.split("/", 1)[-1] not in configured]


def _ledgers(config: Config, store: Store, chosen: list[Community], period: Period,
             now: datetime | None) -> list[Ledger]:
    history = _history(store)
    return [build_ledger(c, store.state, period, now, history, _retired(store, c))
            for c in chosen]


def _chosen(ctx: click.Context, config: Config, community_id: str | None) -> list[Community]:
    if community_id:
        return [community_of(ctx, config, community_id)]
    return list(config.communities)


def _semester(text: str) -> Period:
    try:
        return Period.semester(text)
    except ValueError as exc:
        fail(f"--semester: {exc}", 2)


FONTS = (Path("/usr/share/fonts/truetype/dejavu"),  # Debian and Ubuntu: fonts-dejavu-core
         Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
         Path("/usr/share/fonts/TTF"))  # Arch


def _unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans, where the system has it: the PDF then prints every name as written."""
    for folder in FONTS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


DETAIL = ["date", "time", "community", "meeting", "title", "name", "email", "rsvp",
          "attended", "record", "hours", "jp", "zone", "semester", "source", "moved_from"]
SUMMARY = ["community", "name", "email", "meetings", "attended", "rate", "semester", "absent",
           "no_record", "hours", "jp", "source"]


@attendance.command("export")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--semester", help="A semester: 2026-1 (January-June) or 2026-2 (July-December).")
@click.option("--from", "start", help="First date, YYYY-MM-DD (instead of --semester).")
@click.option("--to", "end", help="Last date, YYYY-MM-DD (default: today).")
@click.option("--summary", is_flag=True,
              help="One row per member and semester: meetings, attended, no record, hours, "
                   "JP, rate over the meetings with a record.")
@click.option("--now", "now_text", help="Count meetings started by then (ISO date-time).")
@click.pass_context
def attendance_export(ctx: click.Context, community_id: str | None, semester: str | None,
                      start: str | None, end: str | None, summary: bool,
                      now_text: str | None) -> None:
    """The ledger as CSV, for PD reports: one row per member and meeting (present, absent or
    no record, hours, JP), or with --summary one per member and semester. A member counts
    from joining to leaving; a meeting without a roll-call is "no record", not absence."""
    config = load(ctx, secrets=False)
    chosen = _chosen(ctx, config, community_id)
    now = parse_now(now_text, config)
    if semester and (start or end):
        fail("give --semester or --from/--to, not both", 2)
    if semester:
        period = _semester(semester)
        cutoff: datetime | None = now
    else:
        try:
            first = date.fromisoformat(start) if start else date.min
            last = date.fromisoformat(end) if end else \
                now.astimezone(config.service.timezone).date()
        except ValueError:
            fail("--from/--to take dates written as 2026-12-04", 2)
        period, cutoff = Period(first, last), None if end else now
    ledgers = _ledgers(config, open_store(config), chosen, period, cutoff)
    out = csv.writer(sys.stdout, lineterminator="\n")
    if summary:
        out.writerow(SUMMARY)
        for ledger in ledgers:
            for t in ledger.tallies:
                out.writerow([ledger.community.id, t.person.name, t.person.email, t.meetings,
                              t.attended, "" if t.rate is None else f"{t.rate:.0%}",
                              t.semester, t.absent, t.no_record, _num(hours(t.minutes)),
                              _num(jp(t.minutes)), t.person.source])
        return
    out.writerow(DETAIL)
    for ledger in ledgers:
        for row in ledger.rows:
            m = row.meeting
            zone = m.start.tzinfo
            came = {"present": "yes", "absent": "no"}.get(row.record, "")
            out.writerow([
                m.start.date().isoformat(), m.start.strftime("%H:%M") if m.time_known else "",
                ledger.community.id, m.meeting_id, m.title, row.person.name, row.person.email,
                row.rsvp, came, row.record,
                _num(hours(m.minutes)) if row.record == "present" else "0",
                _num(jp(m.minutes)) if row.record == "present" else "0",
                zone_label(zone) if isinstance(zone, ZoneInfo) and m.time_known else "",
                m.semester, row.person.source, m.usual.date().isoformat() if m.usual else ""])


@attendance.command("report")
@click.option("--semester", required=True,
              help="A semester: 2026-1 (January-June) or 2026-2 (July-December).")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (.pdf: a PDF; else HTML). With several communities, one file "
                   "each, the community's id added to the name. Default: HTML on stdout.")
@click.option("--now", "now_text", help="Count meetings started by then (ISO date-time).")
@click.pass_context
def attendance_report(ctx: click.Context, semester: str, community_id: str | None,
                      out_path: Path | None, now_text: str | None) -> None:
    """A printable semester report in the community's language: each meeting with its
    present count, each member's meetings attended, hours and JP, and the 12-a-year count."""
    config = load(ctx, secrets=False)
    chosen = _chosen(ctx, config, community_id)
    period = _semester(semester)
    label = semester.strip()
    now = parse_now(now_text, config)
    if out_path is None and len(chosen) > 1:
        fail("several communities: name one with --community "
             f"({', '.join(c.id for c in chosen)}), or write files with --out")
    ledgers = _ledgers(config, open_store(config), chosen, period, now)
    for ledger in ledgers:
        html = render_attendance(ledger, label, config.service.templates)
        if out_path is None:
            click.echo(html, nl=False)
            continue
        target = out_path if len(chosen) == 1 else \
            out_path.with_name(f"{out_path.stem}-{ledger.community.id}{out_path.suffix}")
        try:
            if target.suffix.lower() == ".pdf":
                # imported here: fpdf2 (with numpy and Pillow) costs ~0.8 s and ~45 MB, and
                # every other verb, `cop run` included, would pay it at start
                from mailer.ledger.pdf import render_attendance_pdf

                target.write_bytes(render_attendance_pdf(report_context(ledger, label),
                                                         ledger.community.language,
                                                         _unicode_font()))
            else:
                target.write_text(html, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror}")
        click.echo(f"wrote {target}")
