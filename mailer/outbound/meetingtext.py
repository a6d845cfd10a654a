"""What a meeting mail says, in words: when the meeting is ("setiap Sabtu minggu ke-2,
08.00-10.00 WITA"), what an update changed ("Waktu berubah: 08.00 → 08.30 WITA"), which
dates a cancellation takes away, and the subject. Pure.

The values are worded here (dates, times, rules); the sentences around them are in the
templates (`meeting.j2` of each language: macros the text and HTML parts share).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailer.calendar.ical import Series
from mailer.calendar.occurrences import Occurrence, expand
from mailer.config import MeetingConfig
from mailer.config.days import describe_rule, spell_place
from mailer.config.values import RRULE_DAYS
from mailer.outbound.dates import format_clock, format_day, format_when

INVITATION_SUBJECTS = {
    "id": {"invite": "Undangan", "update": "Undangan diperbarui", "cancel": "Dibatalkan",
           "leave": "Tidak lagi di kalender Anda", "series": "seluruh jadwal"},
    "en": {"invite": "Invitation", "update": "Updated invitation", "cancel": "Cancelled",
           "leave": "Removed from your calendar", "series": "all meetings"},
}


@dataclass(frozen=True)
class Local:
    """Dates and times in one language, in the zone the community reads them in (as the
    templates' date filters show them)."""

    language: str
    zone: ZoneInfo

    def day(self, moment: datetime) -> str:
        return format_day(moment.astimezone(self.zone), self.language)

    def when(self, moment: datetime) -> str:
        return format_when(moment.astimezone(self.zone), self.language)

    def clock(self, moment: datetime) -> str:
        return format_clock(moment.astimezone(self.zone), self.language)

    def hours(self, start: datetime, duration: timedelta) -> str:
        """'14.00-15.30 WIB' / '14:00-15:30 WIB'."""
        return f"{self.clock(start).split(' ', 1)[0]}-{self.clock(start + duration)}"


@dataclass(frozen=True)
class Change:
    """One thing an update changed. `what`: title | schedule | date | start | time | end |
    place | online | agenda (before -> after), moved (usual day -> new day and time),
    unmoved (day -> its usual time again), skipped (day, why), restored (day and time)."""

    what: str
    before: str
    after: str


def invitation_words(series: Series, kind: str, now: datetime,
                     previous: MeetingConfig | None = None) -> dict[str, Any]:
    """What the invitation templates are given, and the subject (`subject`, untagged)."""
    meeting, language = series.meeting, series.community.language
    local = Local(language, series.community.timezone)
    occurrences, skipped = expand(meeting, language)
    coming = [o for o in occurrences if o.end > now]
    first = series.first or meeting.start
    title = meeting.title
    if series.cancelled:
        title += ", " + ", ".join(local.day(d) for d in series.cancelled)
    elif kind == "cancel" and meeting.rrule:
        title += f" ({INVITATION_SUBJECTS[language]['series']})"
    elif kind == "cancel" and occurrences:
        title += ", " + local.day(occurrences[0].start)
    last = occurrences[-1].start if occurrences and meeting.rrule and (
        meeting.until or meeting.count) else None
    return {
        "subject": f"{INVITATION_SUBJECTS[language][kind]}: {title}",
        "meeting": meeting, "kind": kind, "cancelled": series.cancelled,
        "when": when_words(meeting, occurrences, local),
        "first": first if meeting.rrule and first > now else None, "last": last,
        "next": coming[:4], "skipped": [s for s in skipped if s.start > now][:6],
        "changes": changes(previous, meeting, local, now)
        if previous is not None and kind == "update" else [],
    }


def when_words(meeting: MeetingConfig, occurrences: list[Occurrence], local: Local) -> str:
    """A series by its rule ('setiap Jumat, 14.00-15.30 WIB'); a single meeting by its own
    day and time, where it was moved to when it was ('Jumat, 4 Desember 2026 pukul ...')."""
    if meeting.rrule:
        hours = local.hours(meeting.start, meeting.duration)
        return f"{rule_words(meeting, local.language)}, {hours}"
    start = occurrences[0].start if occurrences else meeting.start
    joiner = "pukul" if local.language == "id" else "at"
    return f"{local.day(start)} {joiner} {local.hours(start, meeting.duration)}"


def rule_words(meeting: MeetingConfig, language: str) -> str:
    """'setiap Jumat', 'setiap Sabtu minggu ke-2' / 'every Friday', 'every 2nd Saturday of
    the month'; 'sekali' / 'once' for a meeting that does not repeat."""
    rule = meeting.rrule
    if not rule:
        return "sekali" if language == "id" else "once"
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    freq = parts.get("FREQ")
    if freq == "WEEKLY" and "BYDAY" not in parts:
        rule += ";BYDAY=" + RRULE_DAYS[meeting.start.weekday()]
    if freq == "MONTHLY" and "BYDAY" not in parts and "BYMONTHDAY" not in parts:
        rule += f";BYMONTHDAY={meeting.start.day}"
    places = re.fullmatch(r"((?:[+-]?\d)(?:MO|TU|WE|TH|FR|SA|SU),?)+", parts.get("BYDAY", ""))
    if freq == "MONTHLY" and parts.get("INTERVAL", "1") == "1" and places:
        days = [(int(m.group(1)), RRULE_DAYS.index(m.group(2)))
                for m in re.finditer(r"([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)", parts["BYDAY"])]
        return (" dan ".join(_place_id(n, wd) for n, wd in days) if language == "id" else
                "every " + " and ".join(spell_place(n, wd, "en") for n, wd in days)
                + " of the month")
    words = describe_rule(rule, language)
    if words.startswith("RRULE"):  # written by hand, beyond words: the dates are listed
        return "berulang" if language == "id" else "repeating"
    return words


def _place_id(place: int, weekday: int) -> str:
    day = spell_place(place, weekday, "id").split()[0]
    return f"setiap {day} terakhir" if place == -1 else f"setiap {day} minggu ke-{place}"


def changes(before: MeetingConfig, after: MeetingConfig, local: Local,
            now: datetime) -> list[Change]:
    """What a member sees changed, in the order they read a meeting: what, when, where."""
    found: list[Change] = []
    language = local.language

    def add(what: str, old: str, new: str) -> None:
        if old != new:
            found.append(Change(what, old, new))

    add("title", before.title, after.title)
    if before.rrule or after.rrule:
        add("schedule", rule_words(before, language), rule_words(after, language))
    add("start" if after.rrule else "date", local.day(before.start),
        local.day(after.start))
    add("time", *_times(before, after, local))
    old_occ, old_skipped = expand(before, language)
    new_occ, new_skipped = expand(after, language)
    if (before.until, before.count) != (after.until, after.count) and old_occ and new_occ:
        add("end", local.day(old_occ[-1].start),
            local.day(new_occ[-1].start))
    add("place", before.location or "", after.location or "")
    add("online", before.online or "", after.online or "")
    add("agenda", before.agenda or "", after.agenda or "")
    found += _moves(before, after, local, now)
    old_days = {s.start.date() for s in old_skipped}
    for skip in new_skipped:
        if skip.start > now and skip.start.date() not in old_days:
            found.append(Change("skipped", local.day(skip.start), skip.reason))
    new_days = {s.start.date() for s in new_skipped}
    for day in sorted(old_days - new_days):
        back = next((o for o in new_occ if (o.usual or o.start).date() == day), None)
        if back is not None and back.start > now:
            found.append(Change("restored", local.when(back.start), ""))
    return found


def _times(before: MeetingConfig, after: MeetingConfig, local: Local) -> tuple[str, str]:
    """'08.00' -> '08.30 WITA' (the zone once, when it stays), or both ranges when the
    length changed too."""
    if before.duration == after.duration:
        old, new = local.clock(before.start), local.clock(after.start)
    else:
        old, new = (local.hours(before.start, before.duration),
                    local.hours(after.start, after.duration))
    if old != new and old.rsplit(" ", 1)[-1] == new.rsplit(" ", 1)[-1]:
        old = old.rsplit(" ", 1)[0]
    return old, new


def _moves(before: MeetingConfig, after: MeetingConfig, local: Local,
           now: datetime) -> list[Change]:
    old = {m.date: m.start for m in before.moved}
    new = {m.date: m.start for m in after.moved}
    found = []
    for day in sorted(new):
        if old.get(day) != new[day] and new[day] > now:
            found.append(Change("moved", _day(day, after, local),
                                local.when(new[day])))
    for day in sorted(set(old) - set(new)):
        usual = datetime.combine(day, after.start.timetz()).astimezone(after.timezone)
        if usual > now:
            found.append(Change("unmoved", _day(day, after, local),
                                local.when(usual)))
    return found


def _day(day: date, meeting: MeetingConfig, local: Local) -> str:
    return local.day(datetime.combine(day, time(12), meeting.timezone))
