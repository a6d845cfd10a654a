"""RSVPs: calendar REPLYs (RFC 5546) and plain answers, as plain data. Pure.

A calendar reply is matched by its UID and the ATTENDEE inside the calendar data, never by
the From header (Apple may send from another address; anyone can forge a From). Gmail,
Outlook (also without ORGANIZER, with Windows zone names), Apple and Thunderbird (several
VEVENTs, one per answered occurrence) all arrive here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

STATUSES = ("ACCEPTED", "DECLINED", "TENTATIVE")


@dataclass(frozen=True)
class Answer:
    uid: str
    email: str
    status: str  # ACCEPTED | DECLINED | TENTATIVE
    occurrence: datetime | None  # RECURRENCE-ID: one occurrence; None: the whole series
    stamp: datetime | None  # DTSTAMP: later answers win


def read_calendar_reply(text: str) -> list[Answer]:
    """Every answer in a METHOD:REPLY calendar; [] if it cannot be read."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError):
        return []
    answers = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        attendees = event.get("ATTENDEE")
        if not uid or attendees is None:
            continue
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            status = str(attendee.params.get("PARTSTAT", "")).upper()
            email = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").strip()
            if status in STATUSES and "@" in email:
                answers.append(Answer(uid, email.lower(), status,
                                      _moment(event.get("RECURRENCE-ID")),
                                      _moment(event.get("DTSTAMP"))))
    return answers


def _moment(prop: object) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, date):
        return None
    return None
