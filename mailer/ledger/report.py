"""The printable attendance report of one community and one semester: the ledger turned
into plain data for templates/<language>/attendance.html.j2 (and pdf.py). Pure, but for
reading the templates.

Numbers are written here, the way the community's language writes them ("1,5" in
Indonesian); dates and times stay datetimes, in the meeting's zone, for the templates'
`day` and `clock` filters (outbound/dates.py), which always name the zone (WIB, WITA, WIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.ledger.book import (
    SEMESTER_TARGET,
    YEAR_TARGET,
    Ledger,
    Period,
    Tally,
    hours,
    jp,
)
from mailer.ledger.spans import Person
from mailer.outbound.render import render


def number(value: float, language: str) -> str:
    """1.5 -> '1,5' (id) or '1.5' (en); 3.0 -> '3'; at most two decimals."""
    text = f"{round(value, 2):g}"
    return text.replace(".", ",") if language == "id" else text


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.0%}"


@dataclass(frozen=True)
class SpanNote:
    """What the report says of a member whose membership began or ended in the semester."""

    joined: datetime | None
    left: datetime | None


def _notes(person: Person, period: Period) -> list[SpanNote]:
    """The joins and leaves that fall in the period (a cop.toml member from the start, still
    a member, has none)."""
    notes = []
    for span in person.spans:
        if (span.end and span.end.date() < period.first) or \
                (span.start and span.start.date() > period.last):
            continue  # another period's
        joined = span.start if span.start and span.start.date() >= period.first else None
        left = span.end if span.end and span.end.date() <= period.last else None
        if joined or left:
            notes.append(SpanNote(joined, left))
    return notes


def _member(tally: Tally, period: Period, language: str, zone: Any) -> dict[str, Any]:
    person = tally.person
    return {
        "name": person.name, "email": person.email, "source": person.source,
        "meetings": tally.meetings, "attended": tally.attended, "absent": tally.absent,
        "no_record": tally.no_record, "recorded": tally.attended + tally.absent,
        "hours": number(hours(tally.minutes), language),
        "jp": number(jp(tally.minutes), language), "rate": percent(tally.rate),
        "notes": [SpanNote(n.joined and n.joined.astimezone(zone),
                           n.left and n.left.astimezone(zone))
                  for n in _notes(person, period)],
    }


def report_context(ledger: Ledger, semester: str) -> dict[str, Any]:
    """What the template gets: community, semester, meetings, members, totals."""
    community = ledger.community
    language = community.language
    period = Period.semester(semester)
    meetings = [m for m in ledger.meetings if m.semester == semester]
    totals = next((t for t in ledger.totals if t.semester == semester), None)
    held_minutes = sum(m.minutes for m in meetings if m.held)
    tallies = [t for t in ledger.tallies if t.semester == semester]
    members = sorted((_member(t, period, language, community.timezone) for t in tallies),
                     key=lambda m: (str(m["name"]).lower(), m["email"]))
    last = period.last
    if ledger.now is not None and ledger.now.date() < last:
        last = ledger.now.astimezone(community.timezone).date()
    return {
        "community": {"id": community.id, "name": community.name,
                      "purpose": community.purpose},
        "semester": {"label": semester, "year": int(semester[:4]),
                     "half": int(semester[-1]), "first": period.first, "last": period.last,
                     "until": last, "complete": last == period.last},
        "meetings": [{
            "n": n, "title": m.title, "start": m.start, "end": m.end,
            "time_known": m.time_known, "usual": m.usual, "kept": m.kept,
            "roll_call": m.roll_call, "held": m.held, "present": m.present,
            "absent": len(m.marks) - m.present,
            "hours": number(hours(m.minutes), language), "jp": number(jp(m.minutes), language),
        } for n, m in enumerate(meetings, 1)],
        "members": [{"n": n, **m} for n, m in enumerate(members, 1)],
        "totals": {
            "meetings": len(meetings), "held": totals.held if totals else 0,
            "no_record": totals.no_record if totals else 0,
            "year_held": totals.year_held if totals else 0,
            "met_semester": bool(totals and totals.met_semester),
            "met_year": bool(totals and totals.met_year),
            "semester_target": SEMESTER_TARGET, "year_target": YEAR_TARGET,
            "hours": number(hours(held_minutes), language),
            "jp": number(jp(held_minutes), language),
            "present": sum(m.present for m in meetings),
        },
        "generated": ledger.now.astimezone(community.timezone) if ledger.now else None,
    }


def render_attendance(ledger: Ledger, semester: str, templates: Path | None = None) -> str:
    """The report as one HTML document, in the community's language."""
    return render("attendance.html.j2", ledger.community.language, templates,
                  **report_context(ledger, semester))
