"""[[community.meeting]] tables -> MeetingConfig: start, recurrence, breaks, moves."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from mailer.config.model import REPEAT_RULES, SLUG, Break, MeetingConfig, Move
from mailer.config.reader import Reader, fix_from, slug
from mailer.config.recurrence import series_dates
from mailer.config.values import RRULE_DAYS, parse_duration, parse_timezone

MEETING_KEYS = ("id", "title", "start", "duration", "end", "timezone", "repeat", "rrule",
                "until", "count", "online", "location", "skip_holidays", "breaks", "remind",
                "agenda", "moved")
MOVE_KEYS = ("date", "to")
BREAK_KEYS = ("from", "to", "name")


def read_meetings(r: Reader, raw: Any, p: tuple[str | int, ...],
                   zone: ZoneInfo) -> tuple[MeetingConfig, ...]:
    if not isinstance(raw, list):
        r.problem(p, "meetings must be written as [[community.meeting]]",
                  "use double brackets: [[community.meeting]]")
        return ()
    meetings: list[MeetingConfig] = []
    seen: set[str] = set()
    for i, m_raw in enumerate(raw):
        meeting = _read_meeting(r, m_raw, (*p, i), zone)
        if meeting is None:
            continue
        if meeting.id in seen:
            r.problem((*p, i, "id"), f"meeting id '{meeting.id}' is used twice in this "
                      "community", "give each meeting its own id (it keeps calendars in step)")
            continue
        seen.add(meeting.id)
        meetings.append(meeting)
    return tuple(meetings)


def _read_meeting(r: Reader, raw: Any, p: tuple[str | int, ...],
                  community_zone: ZoneInfo) -> MeetingConfig | None:
    t = r.table(raw, p, "community.meeting", MEETING_KEYS)
    mid = r.value(t, p, "id", str, hint='"rutin"')
    if mid is not None and not SLUG.match(mid):
        r.problem((*p, "id"), f"meeting id {mid!r} may hold only a-z, 0-9 and -",
                  f"write e.g. id = \"{slug(mid)}\"")
        mid = None
    title = r.value(t, p, "title", str, hint='"Pertemuan rutin"')
    zone = r.value(t, p, "timezone", str, community_zone, parse_timezone) or community_zone
    start = _local_datetime(r, t, p, "start", zone)
    end = _local_datetime(r, t, p, "end", zone) if "end" in t else None
    duration = r.value(t, p, "duration", str, None, parse_duration)
    if "duration" in t and "end" in t:
        r.problem((*p, "end"), "both 'end' and 'duration' are given",
                  "keep one of them")
    if start is not None and end is not None:
        duration = end - start
        if duration <= timedelta(0):
            r.problem((*p, "end"), "the meeting ends before it starts",
                      "check the date and time of 'end' (or write duration = \"90m\")")
    elif duration is not None and duration <= timedelta(0):
        r.problem((*p, "duration"), "the meeting's duration must be above zero",
                  "write e.g. duration = \"90m\"")
    if duration is None and "duration" not in t and "end" not in t:
        duration = timedelta(minutes=90)
    rule = _read_recurrence(r, t, p, start)
    until = r.value(t, p, "until", (date, datetime), None, hint="2027-06-25")
    if isinstance(until, datetime):
        until = until.date()
    count = r.value(t, p, "count", int, None, hint="12")
    if until is not None and count is not None:
        r.problem((*p, "count"), "both 'until' and 'count' are given", "keep one of them")
    if until is not None and start is not None and until < start.date():
        r.problem((*p, "until"), "'until' is before the first meeting",
                  "check the dates of 'start' and 'until'")
    if (until is not None or count is not None) and rule is None and "repeat" not in t \
            and "rrule" not in t:
        r.problem((*p, "until" if until is not None else "count"),
                  "'until'/'count' is given but the meeting does not repeat",
                  "add repeat = \"weekly\" (or remove it)")
    skip = t.get("skip_holidays")
    holidays_country: str | None = None
    if isinstance(skip, bool):
        holidays_country = "ID" if skip else None
    elif skip is not None:
        holidays_country = r.value(t, p, "skip_holidays", str, None, _parse_country)
    breaks = _read_breaks(r, t.get("breaks", []), (*p, "breaks"))
    reminders = []
    for i, text in enumerate(r.strings(t, p, "remind")):
        try:
            reminders.append(parse_duration(text))
        except ValueError as exc:
            r.problem((*p, "remind", i), f"'remind': {exc}", fix_from(exc))
    moves = _read_moves(r, t.get("moved", []), (*p, "moved"), zone)
    if mid is None or title is None or start is None or duration is None:
        return None
    meeting = MeetingConfig(
        id=mid, title=title, start=start, duration=duration, timezone=zone,
        rrule=rule, until=until, count=count,
        online=r.value(t, p, "online", str, None),
        location=r.value(t, p, "location", str, None),
        skip_holidays=holidays_country, breaks=breaks, remind=tuple(reminders),
        agenda=r.value(t, p, "agenda", str, None), moved=moves,
    )
    if moves:
        dates = series_dates(meeting)
        for i, move in enumerate(moves):
            if move.date not in dates:
                r.problem((*p, "moved", i, "date"),
                          f"{move.date} is not a day '{mid}' meets on",
                          "give the usual date of the meeting that moves")
    return meeting


def _read_moves(r: Reader, raw: Any, p: tuple[str | int, ...],
                zone: ZoneInfo) -> tuple[Move, ...]:
    if not isinstance(raw, list):
        r.problem(p, "'moved' must be a list", "write moved = [{ date = 2026-12-11, "
                  "to = 2026-12-12T14:00:00 }]")
        return ()
    moves = []
    for i, m_raw in enumerate(raw):
        mp = (*p, i)
        m = r.table(m_raw, mp, "moved", MOVE_KEYS)
        day = r.value(m, mp, "date", date, hint="2026-12-11")
        to = _local_datetime(r, m, mp, "to", zone)
        if day is not None and to is not None:
            moves.append(Move(day, to))
    return tuple(moves)


def _local_datetime(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], key: str,
                    zone: ZoneInfo) -> datetime | None:
    value = t.get(key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            r.problem((*p, key), f"'{key}' = {value!r} is not a date and time",
                      f"write it without quotes, e.g. {key} = 2026-12-04T14:00:00")
            return None
        r.problem((*p, key), f"'{key}' is written as text",
                  f"remove the quotes: {key} = {value.isoformat()}")
        return None
    parsed: datetime | None = r.value(t, p, key, datetime, hint="2026-12-04T14:00:00")
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone)


def _read_recurrence(r: Reader, t: dict[str, Any], p: tuple[str | int, ...],
                     start: datetime | None) -> str | None:
    if "repeat" in t and "rrule" in t:
        r.problem((*p, "rrule"), "both 'repeat' and 'rrule' are given", "keep one of them")
        return None
    if "repeat" in t:
        repeat = r.choice(t, p, "repeat", {**REPEAT_RULES, "none": "", "tidak": ""}, "")
        if repeat and start is not None and "BYDAY" not in repeat and "WEEKLY" in repeat:
            repeat += f";BYDAY={RRULE_DAYS[start.weekday()]}"
        return repeat or None
    rule: str | None = r.value(t, p, "rrule", str, None,
                               hint='"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"')
    if rule is None:
        return None
    rule = rule.strip().removeprefix("RRULE:").upper()
    if re.search(r"(UNTIL|COUNT)=", rule):
        r.problem((*p, "rrule"), "the rrule holds UNTIL or COUNT",
                  "write them as until = 2027-06-25 or count = 12 beside it")
        return None
    try:
        rrulestr(f"RRULE:{rule}", dtstart=start.replace(tzinfo=None) if start else None)
    except (ValueError, TypeError) as exc:
        r.problem((*p, "rrule"), f"rrule {rule!r} is not valid ({exc})",
                  "write e.g. rrule = \"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR\"")
        return None
    return rule


def _parse_country(text: str) -> str:
    import holidays  # imported here: loading every country's calendar is slow at start-up

    code = text.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(f"{text!r} is not a country the holidays calendar knows; "
                         "write a two-letter code such as \"ID\"")
    return code


def _read_breaks(r: Reader, raw: Any, p: tuple[str | int, ...]) -> tuple[Break, ...]:
    if not isinstance(raw, list):
        r.problem(p, "'breaks' must be a list", 'write breaks = [{ from = 2026-12-21, '
                  'to = 2027-01-03, name = "Libur semester" }]')
        return ()
    breaks = []
    for i, b_raw in enumerate(raw):
        bp = (*p, i)
        b = r.table(b_raw, bp, "break", BREAK_KEYS)
        start = r.value(b, bp, "from", date, hint="2026-12-21")
        end = r.value(b, bp, "to", date, start, hint="2027-01-03")
        name = r.value(b, bp, "name", str, "") or ""
        if start is None or end is None:
            continue
        if end < start:
            r.problem((*bp, "to"), "the break ends before it starts",
                      "swap 'from' and 'to'")
            continue
        breaks.append(Break(start=start, end=end, name=name))
    return tuple(breaks)
