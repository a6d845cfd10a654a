"""[[community.meeting]] tables -> MeetingConfig: start, breaks, moves (how it repeats: in
repeat.py). Dates may also be written as text the way people write them ("21/12/2026")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailer.config.days import parse_date
from mailer.config.model import SLUG, Break, MeetingConfig, Move
from mailer.config.reader import Reader, slug
from mailer.config.recurrence import series_dates
from mailer.config.repeat import read_recurrence
from mailer.config.values import parse_duration, parse_timezone
from mailer.config.words import Words, WordsError

MEETING_KEYS = ("id", "title", "start", "duration", "end", "timezone", "repeat", "on",
                "rrule", "until", "count", "online", "location", "skip_holidays", "breaks",
                "remind", "agenda", "moved")
MOVE_KEYS = ("date", "to")
ONE_OF_THEM = Words("keep one of them", "pakai salah satu saja")
BREAK_KEYS = ("from", "to", "name")


def read_meetings(r: Reader, raw: Any, p: tuple[str | int, ...],
                   zone: ZoneInfo) -> tuple[MeetingConfig, ...]:
    if not isinstance(raw, list):
        r.problem(p, Words("meetings must be written as [[community.meeting]]",
                           "pertemuan ditulis sebagai [[community.meeting]]"),
                  Words("use double brackets: [[community.meeting]]",
                        "pakai kurung ganda: [[community.meeting]]"))
        return ()
    meetings: list[MeetingConfig] = []
    seen: set[str] = set()
    for i, m_raw in enumerate(raw):
        meeting = _read_meeting(r, m_raw, (*p, i), zone)
        if meeting is None:
            continue
        if meeting.id in seen:
            r.problem((*p, i, "id"),
                      Words(f"meeting id '{meeting.id}' is used twice in this community",
                            f"id pertemuan '{meeting.id}' dipakai dua kali di komunitas ini"),
                      Words("give each meeting its own id (it keeps calendars in step)",
                            "beri setiap pertemuan id sendiri (agar kalender tetap cocok)"))
            continue
        seen.add(meeting.id)
        meetings.append(meeting)
    return tuple(meetings)


def _read_meeting(r: Reader, raw: Any, p: tuple[str | int, ...],
                  community_zone: ZoneInfo) -> MeetingConfig | None:
    t = r.table(raw, p, "community.meeting", MEETING_KEYS)
    mid = r.value(t, p, "id", str, hint='"rutin"')
    if mid is not None and not SLUG.match(mid):
        r.problem((*p, "id"), Words(f"meeting id {mid!r} may hold only a-z, 0-9 and -",
                                    f"id pertemuan {mid!r} hanya boleh berisi a-z, 0-9 dan -"),
                  Words(f"write e.g. id = \"{slug(mid)}\"", f"tulis misalnya id = \"{slug(mid)}\""))
        mid = None
    title = r.value(t, p, "title", str, hint='"Pertemuan rutin"')
    zone = r.value(t, p, "timezone", str, community_zone, parse_timezone) or community_zone
    start = _local_datetime(r, t, p, "start", zone)
    end = _local_datetime(r, t, p, "end", zone) if "end" in t else None
    duration = r.value(t, p, "duration", str, None, parse_duration)
    if "duration" in t and "end" in t:
        r.problem((*p, "end"), Words("both 'end' and 'duration' are given",
                                     "'end' dan 'duration' sama-sama ditulis"), ONE_OF_THEM)
    if start is not None and end is not None:
        duration = end - start
        if duration <= timedelta(0):
            r.problem((*p, "end"), Words("the meeting ends before it starts",
                                         "pertemuan berakhir sebelum mulai"),
                      Words("check the date and time of 'end' (or write duration = \"90m\")",
                            "periksa tanggal dan jam 'end' (atau tulis duration = \"2 jam\")"))
    elif duration is not None and duration <= timedelta(0):
        r.problem((*p, "duration"), Words("the meeting's duration must be above zero",
                                          "lama pertemuan harus lebih dari nol"),
                  Words("write e.g. duration = \"90m\"", "tulis misalnya duration = \"2 jam\""))
    if duration is None and "duration" not in t and "end" not in t:
        duration = timedelta(minutes=90)
    rule = read_recurrence(r, t, p, start)
    until = _day(r, t, p, "until", None)
    count = r.value(t, p, "count", int, None, hint="12")
    if until is not None and count is not None:
        r.problem((*p, "count"), Words("both 'until' and 'count' are given",
                                       "'until' dan 'count' sama-sama ditulis"), ONE_OF_THEM)
    if until is not None and start is not None and until < start.date():
        r.problem((*p, "until"), Words("'until' is before the first meeting",
                                       "'until' lebih awal dari pertemuan pertama"),
                  Words("check the dates of 'start' and 'until'",
                        "periksa tanggal 'start' dan 'until'"))
    if (until is not None or count is not None) and rule is None and "repeat" not in t \
            and "rrule" not in t:
        r.problem((*p, "until" if until is not None else "count"),
                  Words("'until'/'count' is given but the meeting does not repeat",
                        "'until'/'count' ditulis padahal pertemuan tidak berulang"),
                  Words("add repeat = \"weekly\" (or remove it)",
                        "tambahkan repeat = \"weekly\" (atau hapus)"))
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
            r.value_problem((*p, "remind", i), "remind", exc)
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
                          Words(f"{move.date} is not a day '{mid}' meets on",
                                f"{move.date} bukan hari pertemuan '{mid}'"),
                          Words("give the usual date of the meeting that moves",
                                "tulis tanggal biasa pertemuan yang dipindah"))
    return meeting


def _read_moves(r: Reader, raw: Any, p: tuple[str | int, ...],
                zone: ZoneInfo) -> tuple[Move, ...]:
    if not isinstance(raw, list):
        example = "moved = [{ date = 2026-12-11, to = 2026-12-12T14:00:00 }]"
        r.problem(p, Words("'moved' must be a list", "'moved' harus berupa daftar"),
                  Words(f"write {example}", f"tulis {example}"))
        return ()
    moves = []
    for i, m_raw in enumerate(raw):
        mp = (*p, i)
        m = r.table(m_raw, mp, "moved", MOVE_KEYS)
        day = _day(r, m, mp, "date")
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
            example = f"{key} = 2026-12-04T14:00:00"
            r.problem((*p, key), Words(f"'{key}' = {value!r} is not a date and time",
                                       f"'{key}' = {value!r} bukan tanggal dan jam"),
                      Words(f"write it without quotes, e.g. {example}",
                            f"tulis tanpa tanda kutip, misalnya {example}"))
            return None
        r.problem((*p, key), Words(f"'{key}' is written as text",
                                   f"'{key}' ditulis sebagai teks"),
                  Words(f"remove the quotes: {key} = {value.isoformat()}",
                        f"hapus tanda kutipnya: {key} = {value.isoformat()}"))
        return None
    parsed: datetime | None = r.value(t, p, key, datetime, hint="2026-12-04T14:00:00")
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone)


def _parse_country(text: str) -> str:
    import holidays  # imported here: loading every country's calendar is slow at start-up

    code = text.strip().upper()
    if code not in holidays.list_supported_countries():
        raise WordsError(Words(f"{text!r} is not a country the holidays calendar knows",
                               f"{text!r} bukan negara yang dikenal kalender libur"),
                         Words("write a two-letter code such as \"ID\"",
                               "tulis kode dua huruf seperti \"ID\""))
    return code


def _read_breaks(r: Reader, raw: Any, p: tuple[str | int, ...]) -> tuple[Break, ...]:
    if not isinstance(raw, list):
        example = 'breaks = [{ from = 2026-12-21, to = 2027-01-03, name = "Libur semester" }]'
        r.problem(p, Words("'breaks' must be a list", "'breaks' harus berupa daftar"),
                  Words(f"write {example}", f"tulis {example}"))
        return ()
    breaks = []
    for i, b_raw in enumerate(raw):
        bp = (*p, i)
        b = r.table(b_raw, bp, "break", BREAK_KEYS)
        start = _day(r, b, bp, "from")
        end = _day(r, b, bp, "to", start)
        name = r.value(b, bp, "name", str, "") or ""
        if start is None or end is None:
            continue
        if end < start:
            r.problem((*bp, "to"), Words("the break ends before it starts",
                                         "libur berakhir sebelum mulai"),
                      Words("swap 'from' and 'to'", "tukar 'from' dan 'to'"))
            continue
        breaks.append(Break(start=start, end=end, name=name))
    return tuple(breaks)


def _day(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], key: str,
         default: Any = None) -> date | None:
    """A date written as a TOML date (2026-12-21) or as text ("21/12/2026")."""
    if key not in t and default is None and key in ("from", "date"):
        required: date | None = r.value(t, p, key, date, hint="2026-12-21")  # says so
        return required
    value = r.value(t, p, key, (date, datetime, str), default, hint="2026-12-21")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError as exc:
            r.value_problem((*p, key), key, exc)
            return None
    return value if isinstance(value, date) else None
