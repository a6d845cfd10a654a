"""The starts a meeting's rule generates, on wall-clock time in its zone. Pure.

A 14:00 meeting stays at 14:00 across DST changes, exactly as a calendar client expands
RRULE with a TZID. Skipping (breaks, holidays) and moving happen above this, in
calendar/occurrences.py; the reader needs only this to check `moved` dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr

from mailer.config.model import MeetingConfig

# A meeting series without an end is expanded this far ahead at most.
HORIZON = timedelta(days=3 * 366)


def rule_starts(meeting: MeetingConfig) -> Iterator[datetime]:
    """Every start the RRULE generates, skipped ones included (what COUNT counts)."""
    zone = meeting.timezone
    if not meeting.rrule:
        yield meeting.start
        return
    local_start = meeting.start.replace(tzinfo=None)
    rule = rrulestr(f"RRULE:{meeting.rrule}", dtstart=local_start)
    if meeting.until is not None:
        rule = rule.replace(until=datetime.combine(meeting.until, time.max))
    elif meeting.count is not None:
        rule = rule.replace(count=meeting.count)
    horizon = local_start + HORIZON
    for start in rule:
        if start > horizon:
            return
        yield start.replace(tzinfo=zone)


def series_dates(meeting: MeetingConfig) -> set[date]:
    """Every day the series itself falls on, skipped ones included."""
    return {start.date() for start in rule_starts(meeting)}
