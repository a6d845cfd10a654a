"""Meeting -> text/calendar (iTIP REQUEST / CANCEL, RFC 5546). Pure: time and UID are passed in.

What clients need (see the interop checklist rows in brackets): METHOD equal to the MIME
method parameter [MIME-2/3], one ATTENDEE = the recipient with RSVP [ICS-12], ORGANIZER =
the community mailbox [ICS-11], stable UID + SEQUENCE [ICS-7/10], DTSTAMP in UTC [ICS-8],
TZID with VTIMEZONE [TZ-1], UNTIL in UTC [RR-2], EXDATE written exactly like DTSTART [RR-6],
the online link in LOCATION and DESCRIPTION as well as URL/CONFERENCE [ONL-1/2].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from icalendar import Alarm, Calendar, Event, vCalAddress, vText, vUri

from mailer.calendar.occurrences import expand, series_starts
from mailer.config import Community, MeetingConfig, Member

PRODID = "-//CoP Mailer//cop-mailer 0.1//EN"


@dataclass(frozen=True)
class Series:
    """What one member is sent about one meeting."""

    community: Community
    meeting: MeetingConfig
    uid: str
    sequence: int
    first: datetime | None = None  # a member who joined later: their copy starts here
    cancelled: tuple[datetime, ...] = ()  # CANCEL of these occurrences only [RR-8]


def build_calendar(series: Series, member: Member, method: str, stamp: datetime) -> bytes:
    """A VCALENDAR for one member: REQUEST (invite or update) or CANCEL. A moved
    occurrence travels as a RECURRENCE-ID override in the same object [RR-7]."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    if method == "CANCEL" and series.cancelled:
        for start in series.cancelled:  # one occurrence each, the series stays
            event = _event(series, member, method, stamp)
            event.add("recurrence-id", start)
            event.add("dtstart", start)
            event.add("dtend", start + series.meeting.duration)
            cal.add_component(event)
        cal.add_missing_timezones()
        return bytes(cal.to_ical())
    cal.add_component(_master(series, member, method, stamp))
    if method == "REQUEST" and series.meeting.rrule:
        occurrences, _ = expand(series.meeting, series.community.language)
        for occ in occurrences:
            if occ.usual is not None and (series.first is None or occ.usual >= series.first):
                override = _event(series, member, method, stamp)
                override.add("recurrence-id", occ.usual)
                override.add("dtstart", occ.start)
                override.add("dtend", occ.end)
                cal.add_component(override)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _master(series: Series, member: Member, method: str, stamp: datetime) -> Event:
    meeting = series.meeting
    event = _event(series, member, method, stamp)
    start = series.first or meeting.start
    event.add("dtstart", start)
    event.add("dtend", start + meeting.duration)
    if meeting.rrule:
        event.add("rrule", _rrule(meeting, series.first))
        _, skipped = expand(meeting, series.community.language)
        for skip in skipped:
            if series.first is None or skip.start >= series.first:
                event.add("exdate", skip.start)  # same TZID and wall-clock time as DTSTART
    if method == "REQUEST":
        for before in meeting.remind:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", meeting.title)
            alarm.add("trigger", -before)
            event.add_component(alarm)
    return event


def _event(series: Series, member: Member, method: str, stamp: datetime) -> Event:
    """The properties every VEVENT of the object carries (master and overrides)."""
    community, meeting = series.community, series.meeting
    language = community.language
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", series.sequence)
    event.add("summary", meeting.title)
    event.add("description", describe(meeting, language))
    where = [p for p in (meeting.location, meeting.online) if p]
    if where:
        event.add("location", " | ".join(where))
    if meeting.online:
        event.add("url", meeting.online)
        conference = vUri(meeting.online)
        conference.params["VALUE"] = "URI"
        conference.params["FEATURE"] = "AUDIO,VIDEO"
        conference.params["LABEL"] = "Gabung" if language == "id" else "Join"
        event.add("conference", conference)
    organizer = vCalAddress(f"mailto:{community.address}")
    organizer.params["CN"] = vText(community.name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{member.email}")
    attendee.params["CN"] = vText(member.name)
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    event.add("attendee", attendee)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
    return event


def _rrule(meeting: MeetingConfig, first: datetime | None) -> dict[str, object]:
    assert meeting.rrule
    rule: dict[str, object] = {}
    for part in meeting.rrule.split(";"):
        key, _, value = part.partition("=")
        rule[key.lower()] = value.split(",") if "," in value else value
    if meeting.until is not None:
        local_end = datetime.combine(meeting.until, time(23, 59, 59), meeting.timezone)
        rule["until"] = local_end.astimezone(UTC)
    elif meeting.count is not None:
        before = sum(1 for start in series_starts(meeting) if first and start < first)
        rule["count"] = meeting.count - before
    return rule


def describe(meeting: MeetingConfig, language: str) -> str:
    lines = []
    if meeting.agenda:
        lines.append("Agenda: " + meeting.agenda)  # the same word in both languages
    if meeting.online:
        lines.append(("Tautan: " if language == "id" else "Link: ") + meeting.online)
    if meeting.location:
        lines.append(("Tempat: " if language == "id" else "Place: ") + meeting.location)
    return "\n".join(lines)
