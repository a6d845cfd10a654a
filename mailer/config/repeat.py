"""How a meeting repeats: `repeat`, `on` and `rrule` of a [[community.meeting]] -> one RRULE.

    repeat = "weekly"                      FREQ=WEEKLY;BYDAY=<the start's weekday>
    repeat = "weekly", on = "senin, kamis" FREQ=WEEKLY;BYDAY=MO,TH
    repeat = "monthly"                     FREQ=MONTHLY;BYDAY=<the start's place>: the 2nd
                                           Saturday when the start is a 2nd Saturday (from
                                           the 29th on: the last such weekday)
    repeat = "monthly", on = "sabtu ke-2"  FREQ=MONTHLY;BYDAY=2SA (also "2nd saturday",
                                           "jumat terakhir" -1FR, "sabtu ke-2 dan ke-4")
    repeat = "monthly", on = "tanggal 12"  FREQ=MONTHLY;BYMONTHDAY=12 (the day number)
    rrule = "FREQ=..."                     as written (without UNTIL/COUNT)

The start must be one of the days the rule names (RFC 5545 leaves a DTSTART outside its rule
undefined, and calendar clients differ); a monthly rule on a day number warns that its
weekday drifts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from dateutil.rrule import rrulestr

from mailer.config.days import (
    On,
    describe_rule,
    is_place,
    monthly_byday,
    parse_on,
    place_in_month,
    spell_date,
    spell_place,
)
from mailer.config.reader import Reader
from mailer.config.values import DAY_NAMES, RRULE_DAYS, parse_repeat
from mailer.config.words import Words

Path = tuple[str | int, ...]


def read_recurrence(r: Reader, t: dict[str, Any], p: Path, start: datetime | None) -> str | None:
    """The meeting's RRULE (without the "RRULE:" prefix), or None when it does not repeat."""
    if "repeat" in t and "rrule" in t:
        r.problem((*p, "rrule"), Words("both 'repeat' and 'rrule' are given",
                                       "'repeat' dan 'rrule' sama-sama ditulis"),
                  Words("keep one of them", "pakai salah satu saja"))
        return None
    if "on" in t and "repeat" not in t:
        r.problem((*p, "on"), Words("'on' is given but not 'repeat'",
                                    "'on' ditulis tanpa 'repeat'"),
                  Words('add repeat = "monthly" (or "weekly")' if "rrule" not in t else
                        "with rrule, write the days as BYDAY in the rule",
                        'tambahkan repeat = "monthly" (atau "weekly")' if "rrule" not in t
                        else "dengan rrule, tulis harinya sebagai BYDAY di dalam rrule"))
        return None
    if "repeat" in t:
        base = r.value(t, p, "repeat", str, "", parse_repeat)
        on: On | None = r.value(t, p, "on", (str, int), None, parse_on, '"sabtu ke-2"')
        if base is None or ("on" in t and on is None):
            return None
        if not base:
            if on is not None:
                r.problem((*p, "on"), Words("'on' is given but the meeting does not repeat",
                                            "'on' ditulis padahal pertemuan tidak berulang"),
                          Words("remove it, or write repeat = \"monthly\"",
                                "hapus, atau tulis repeat = \"monthly\""))
            return None
        return None if start is None else _with_on(r, p, base, on, start)
    return _read_rrule(r, t, p, start)


def _with_on(r: Reader, p: Path, base: str, on: On | None, start: datetime) -> str | None:
    day = start.date()
    if base.startswith("FREQ=DAILY"):
        if on is not None:
            r.problem((*p, "on"), Words("a daily meeting takes no 'on'",
                                        "pertemuan harian tidak memakai 'on'"),
                      Words("remove 'on'", "hapus 'on'"))
            return None
        return base
    if base.startswith("FREQ=WEEKLY"):
        if on is None:
            return f"{base};BYDAY={RRULE_DAYS[day.weekday()]}"
        if on.monthday is not None or any(n for n, _ in on.days):
            r.problem((*p, "on"), Words("a weekly meeting is on weekdays, not on a day of "
                                        "the month", "pertemuan mingguan memakai nama hari, "
                                        "bukan urutan dalam bulan"),
                      Words('write e.g. on = "friday", or repeat = "monthly"',
                            'tulis misalnya on = "jumat", atau repeat = "monthly"'))
            return None
        return _start_on_a_named_day(r, p, start, on, f"{base};BYDAY={on.byday}")
    if on is None:
        return f"{base};BYDAY={monthly_byday(day)}"
    if on.monthday is not None:
        rule = f"{base};BYMONTHDAY={on.monthday}"
        if day.day != on.monthday:
            _start_elsewhere(r, p, start, rule, _next_day(day, lambda d: d.day == on.monthday))
        if on.monthday > 28:
            r.warn((*p, "on"), Words(f"months without a day {on.monthday} have no meeting",
                                     f"bulan tanpa tanggal {on.monthday} tidak ada pertemuan"),
                   Words('write on = "jumat terakhir" for the last Friday of every month',
                         'tulis on = "jumat terakhir" untuk Jumat terakhir setiap bulan'))
        return rule
    if all(n == 0 for n, _ in on.days):
        wd = on.days[0][1]
        place = place_in_month(day) if day.weekday() == wd else 2
        r.problem((*p, "on"), Words(f"'on' names no week of the month: which "
                                    f"{DAY_NAMES['en'][wd]} is it?",
                                    f"'on' tidak menyebut minggu ke berapa: "
                                    f"{DAY_NAMES['id'][wd]} yang mana?"),
                  Words(f'write e.g. on = "{spell_place(place, wd, "en").lower()}"',
                        f'tulis misalnya on = "{spell_place(place, wd, "id").lower()}"'))
        return None
    return _start_on_a_named_day(r, p, start, on, f"{base};BYDAY={on.byday}")


def _start_on_a_named_day(r: Reader, p: Path, start: datetime, on: On, rule: str) -> str:
    def named(d: date) -> bool:
        return any(d.weekday() == wd and (n == 0 or is_place(d, n)) for n, wd in on.days)

    if not named(start.date()):
        _start_elsewhere(r, p, start, rule, _next_day(start.date(), named))
    return rule


def _start_elsewhere(r: Reader, p: Path, start: datetime, rule: str, first: date) -> None:
    moved = datetime.combine(first, start.time()).isoformat()
    r.problem((*p, "start"),
              Words(f"the start, {spell_date(start.date(), 'en')}, is not a day the meeting "
                    f"is on ({describe_rule(rule, 'en')})",
                    f"tanggal mulai, {spell_date(start.date(), 'id')}, bukan hari pertemuan "
                    f"({describe_rule(rule, 'id')})"),
              Words(f"the first such day is {spell_date(first, 'en')}: start = {moved}",
                    f"hari pertama yang cocok: {spell_date(first, 'id')}, tulis start = "
                    f"{moved}"))


def _next_day(day: date, wanted: Callable[[date], bool]) -> date:
    for ahead in range(0, 400):
        candidate = day + timedelta(days=ahead)
        if wanted(candidate):
            return candidate
    return day


def _read_rrule(r: Reader, t: dict[str, Any], p: Path, start: datetime | None) -> str | None:
    rule: str | None = r.value(t, p, "rrule", str, None,
                               hint='"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"')
    if rule is None:
        return None
    rule = rule.strip().removeprefix("RRULE:").upper()
    if re.search(r"(UNTIL|COUNT)=", rule):
        r.problem((*p, "rrule"), Words("the rrule holds UNTIL or COUNT",
                                       "rrule memuat UNTIL atau COUNT"),
                  Words("write them as until = 2027-06-25 or count = 12 beside it",
                        "tulis sebagai until = 2027-06-25 atau count = 12 di sebelahnya"))
        return None
    try:
        parsed = rrulestr(f"RRULE:{rule}", dtstart=start.replace(tzinfo=None) if start
                          else None)
    except (ValueError, TypeError) as exc:
        r.problem((*p, "rrule"), Words(f"rrule {rule!r} is not valid ({exc})",
                                       f"rrule {rule!r} tidak sah ({exc})"),
                  Words("write e.g. rrule = \"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR\"",
                        "tulis misalnya rrule = \"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR\""))
        return None
    if start is not None and "FREQ=MONTHLY" in rule and not re.search(r"BY(DAY|MONTHDAY)=",
                                                                       rule):
        _warn_drift(r, p, start, [s.date() for s in islice(parsed, 12)])
    return rule


def _warn_drift(r: Reader, p: Path, start: datetime, days: list[date]) -> None:
    """A monthly rule on a day number: the 12th is a Tuesday one month, a Friday the next."""
    if len({d.weekday() for d in days}) < 2:
        return
    shown = days[:3]
    byday = monthly_byday(start.date())
    place = spell_place(place_in_month(start.date()), start.weekday(), "id").lower()
    r.warn((*p, "rrule"),
           Words(f"this monthly meeting keeps day {start.day}, so its weekday changes: "
                 + ", ".join(spell_date(d, "en", "") for d in shown),
                 f"pertemuan bulanan ini tetap di tanggal {start.day}, jadi harinya berganti: "
                 + ", ".join(spell_date(d, "id", "") for d in shown)),
           Words(f'for {describe_rule("FREQ=MONTHLY;BYDAY=" + byday, "en")} write repeat = '
                 f'"monthly" (or on = "{place}"); to keep the day number write repeat = '
                 f'"monthly" and on = "tanggal {start.day}"',
                 f'untuk {describe_rule("FREQ=MONTHLY;BYDAY=" + byday, "id")} tulis repeat = '
                 f'"monthly" (atau on = "{place}"); untuk tetap di tanggalnya tulis repeat = '
                 f'"monthly" dan on = "tanggal {start.day}"'))
