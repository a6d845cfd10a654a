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
    occurrences, skipped = expand(meeting, language)
    coming = [o for o in occurrences if o.end > now]
    first = series.first or meeting.start
    title = meeting.title
    if series.cancelled:
        title += ", " + ", ".join(format_day(d, language) for d in series.cancelled)
    elif kind == "cancel" and meeting.rrule:
        title += f" ({INVITATION_SUBJECTS[language]['series']})"
    elif kind == "cancel" and occurrences:
        title += ", " + format_day(occurrences[0].start, language)
    last = occurrences[-1].start if occurrences and meeting.rrule and (
        meeting.until or meeting.count) else None
    return {
        "subject": f"{INVITATION_SUBJECTS[language][kind]}: {title}",
        "meeting": meeting, "kind": kind, "cancelled": series.cancelled,
        "when": when_words(meeting, occurrences, language),
        "first": first if meeting.rrule and first > now else None, "last": last,
        "next": coming[:4], "skipped": [s for s in skipped if s.start > now][:6],
        "changes": changes(previous, meeting, language, now)
        if previous is not None and kind == "update" else [],
    }


def when_words(meeting: MeetingConfig, occurrences: list[Occurrence], language: str) -> str:
    """A series by its rule ('setiap Jumat, 14.00-15.30 WIB'); a single meeting by its own
    day and time, where it was moved to when it was ('Jumat, 4 Desember 2026 pukul ...')."""
    if meeting.rrule:
        return (f"{rule_words(meeting, language)}, "
                f"{hours(meeting.start, meeting.duration, language)}")
    start = occurrences[0].start if occurrences else meeting.start
    joiner = "pukul" if language == "id" else "at"
    return (f"{format_day(start, language)} {joiner} "
            f"{hours(start, meeting.duration, language)}")


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


def hours(start: datetime, duration: timedelta, language: str) -> str:
    """'14.00-15.30 WIB' / '14:00-15:30 WIB'."""
    return f"{_bare_clock(start, language)}-{format_clock(start + duration, language)}"


def _bare_clock(moment: datetime, language: str) -> str:
    return format_clock(moment, language).split(" ", 1)[0]


def changes(before: MeetingConfig, after: MeetingConfig, language: str,
            now: datetime) -> list[Change]:
    """What a member sees changed, in the order they read a meeting: what, when, where."""
    found: list[Change] = []

    def add(what: str, old: str, new: str) -> None:
        if old != new:
            found.append(Change(what, old, new))

    add("title", before.title, after.title)
    if before.rrule or after.rrule:
        add("schedule", rule_words(before, language), rule_words(after, language))
    add("start" if after.rrule else "date", format_day(before.start, language),
        format_day(after.start, language))
    add("time", *_times(before, after, language))
    old_occ, old_skipped = expand(before, language)
    new_occ, new_skipped = expand(after, language)
    if (before.until, before.count) != (after.until, after.count) and old_occ and new_occ:
        add("end", format_day(old_occ[-1].start, language),
            format_day(new_occ[-1].start, language))
    add("place", before.location or "", after.location or "")
    add("online", before.online or "", after.online or "")
    add("agenda", before.agenda or "", after.agenda or "")
    found += _moves(before, after, language, now)
    old_days = {s.start.date() for s in old_skipped}
    for skip in new_skipped:
        if skip.start > now and skip.start.date() not in old_days:
            found.append(Change("skipped", format_day(skip.start, language), skip.reason))
    new_days = {s.start.date() for s in new_skipped}
    for day in sorted(old_days - new_days):
        back = next((o for o in new_occ if (o.usual or o.start).date() == day), None)
        if back is not None and back.start > now:
            found.append(Change("restored", format_when(back.start, language), ""))
    return found


def _times(before: MeetingConfig, after: MeetingConfig, language: str) -> tuple[str, str]:
    """'08.00' -> '08.30 WITA' (the zone once, when it stays), or both ranges when the
    length changed too."""
    if before.duration == after.duration:
        old, new = (format_clock(before.start, language), format_clock(after.start, language))
    else:
        old, new = (hours(before.start, before.duration, language),
                    hours(after.start, after.duration, language))
    if old != new and before.timezone.key == after.timezone.key:
        old = old.rsplit(" ", 1)[0]
    return old, new


def _moves(before: MeetingConfig, after: MeetingConfig, language: str,
           now: datetime) -> list[Change]:
    old = {m.date: m.start for m in before.moved}
    new = {m.date: m.start for m in after.moved}
    found = []
    for day in sorted(new):
        if old.get(day) != new[day] and new[day] > now:
            found.append(Change("moved", _day(day, after, language),
                                format_when(new[day], language)))
    for day in sorted(set(old) - set(new)):
        usual = datetime.combine(day, after.start.timetz()).astimezone(after.timezone)
        if usual > now:
            found.append(Change("unmoved", _day(day, after, language),
                                format_when(usual, language)))
    return found


def _day(day: date, meeting: MeetingConfig, language: str) -> str:
    return format_day(datetime.combine(day, time(), meeting.timezone), language)
