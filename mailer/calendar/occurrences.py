"""Meeting -> occurrences: recurrence, breaks and national holidays. Pure functions.

The rule's own starts come from config/recurrence.py (wall-clock time in the meeting's
zone); this module skips breaks and holidays and applies moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from mailer.config.days import break_name
from mailer.config.model import MeetingConfig
from mailer.config.recurrence import rule_starts


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    end: datetime
    usual: datetime | None = None  # the usual start when this one was moved (RECURRENCE-ID)

    @property
    def id(self) -> str:
        """What answers and roll-calls are kept under: the usual start (RECURRENCE-ID), ISO
        in the meeting's zone. The state keys it by its date, so a new time of day or a
        move keeps what members answered for that meeting."""
        return (self.usual or self.start).isoformat()


@dataclass(frozen=True)
class Skipped:
    start: datetime
    reason: str  # the break's or the holiday's name


def expand(meeting: MeetingConfig, language: str = "id") -> tuple[list[Occurrence],
                                                                   list[Skipped]]:
    """Every occurrence of the series (up to HORIZON), and the dates skipped with why."""
    occurrences: list[Occurrence] = []
    skipped: list[Skipped] = []
    moves = {m.date: m.start for m in meeting.moved}
    for start in rule_starts(meeting):
        reason = skip_reason(meeting, start.date(), language)
        moved = moves.get(start.date())
        if reason and moved is None:
            skipped.append(Skipped(start, reason))
        elif moved is not None:
            occurrences.append(Occurrence(moved, moved + meeting.duration, usual=start))
        else:
            occurrences.append(Occurrence(start, start + meeting.duration))
    occurrences.sort(key=lambda o: o.start)
    return occurrences, skipped


def series_starts(meeting: MeetingConfig) -> list[datetime]:
    """Every start the RRULE generates, skipped ones included (what COUNT counts)."""
    return list(rule_starts(meeting))


def upcoming(meeting: MeetingConfig, now: datetime, limit: int = 3,
             language: str = "id") -> list[Occurrence]:
    """The next `limit` occurrences that have not ended at `now`."""
    occurrences, _ = expand(meeting, language)
    return [o for o in occurrences if o.end > now][:limit]


def skip_reason(meeting: MeetingConfig, day: date, language: str = "id") -> str | None:
    for pause in meeting.breaks:
        if pause.start <= day <= pause.end:
            return pause.name.strip() or break_name(language)
    if meeting.skip_holidays:
        name = national_holidays(meeting.skip_holidays, day.year, language).get(day)
        if name:
            return name
    return None


@lru_cache(maxsize=64)
def national_holidays(country: str, year: int, language: str) -> dict[date, str]:
    import holidays

    calendar = holidays.country_holidays(country, years=[year])
    supported = getattr(calendar, "supported_languages", ())
    wanted = {"id": "id", "en": "en_US"}.get(language, language)
    if wanted in supported:
        calendar = holidays.country_holidays(country, years=[year], language=wanted)
    return dict(calendar.items())
