"""Days as organizers name them: dates, date ranges, and which day of the month. Pure.

    parse_date        "21/12/2026", "2026-12-21", "21 Desember 2026" -> date
    parse_breaks      "21/12/2026 - 03/01/2027 Libur semester; 17/08/2027 HUT RI"
    parse_on          "sabtu ke-2", "sabtu minggu kedua", "2nd saturday", "jumat terakhir",
                      "last friday", "tanggal 12", "senin dan kamis" -> On
    monthly_byday     the weekday-of-month of a date: 12 Dec 2026 -> "2SA"
    spell_date        "Sabtu, 12 Desember 2026" / "Saturday, 12 December 2026"
    describe_rule     "Sabtu ke-2 setiap bulan" / "the 2nd Saturday of every month"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mailer.config.values import DAY_NAMES, RRULE_DAYS, WEEKDAYS
from mailer.config.words import Words, WordsError

MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2,
    "pebruari": 2, "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5,
    "may": 5, "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8,
    "august": 8, "agu": 8, "agt": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nopember": 11,
    "nov": 11, "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
MONTH_NAMES = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
# A date as written: 2026-12-21 | 21/12/2026, 21-12-2026, 21.12.2026, 21/12/26 | 21 Des 2026
DATE = (r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)"
        r"|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4})")
_RANGE = re.compile(rf"({DATE})(?:\s*(?:-|–|—|\.\.|s/d|s\.d\.?|sd|sampai(?:\s+dengan)?|"
                    rf"hingga|to|until|till|through)\s*({DATE}))?", re.IGNORECASE)
DATE_HELP = Words("write the date as day/month/year, e.g. 21/12/2026 (or 2026-12-21)",
                  "tulis tanggal sebagai tanggal/bulan/tahun, misalnya 21/12/2026 "
                  "(atau 2026-12-21)")


def parse_date(text: str) -> date:
    """'21/12/2026', '3/1/27', '21-12-2026', '2026-12-21', '21 Desember 2026' -> date."""
    cleaned = text.strip().lower().rstrip(".")
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
            year, month, day = (int(x) for x in cleaned.split("-"))
            return date(year, month, day)
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})", cleaned)
        if match:
            year = int(match.group(3))
            return date(year + 2000 if year < 100 else year, int(match.group(2)),
                        int(match.group(1)))
        match = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", cleaned)
        if match and match.group(2) in MONTHS:
            return date(int(match.group(3)), MONTHS[match.group(2)], int(match.group(1)))
    except ValueError:
        pass  # 31/02/2027, 12/21/2026 (month first): reported below
    raise WordsError(Words(f"{text.strip()!r} is not a date", f"{text.strip()!r} bukan tanggal"),
                     DATE_HELP)


@dataclass(frozen=True)
class Pause:
    start: date
    end: date
    name: str


def break_name(language: str) -> str:
    """What a break without a name is called: in cop.toml as `cop init` writes it, and in
    the mails that skip its dates ("Tidak ada pertemuan pada ... (Libur)")."""
    return "Libur" if language == "id" else "Break"


def parse_breaks(text: str) -> list[Pause]:
    """Breaks, one per line or separated by ';': a date or a range of dates, and a name
    before or after it. '21/12/2026 - 03/01/2027 Libur semester', 'HUT RI 17/08/2027'."""
    pauses = []
    for part in (p.strip() for p in re.split(r"[;\n]", text)):
        if not part:
            continue
        match = _RANGE.search(part)
        if match is None:
            raise WordsError(
                Words(f"{part!r} holds no date", f"{part!r} tidak memuat tanggal"),
                Words("write e.g. 21/12/2026 - 03/01/2027 Libur semester",
                      "tulis misalnya 21/12/2026 - 03/01/2027 Libur semester"))
        start = parse_date(match.group(1))
        end = parse_date(match.group(2)) if match.group(2) else start
        if end < start:
            raise WordsError(
                Words(f"{part!r} ends before it starts", f"{part!r} berakhir sebelum mulai"),
                Words("write the first day first", "tulis hari pertama lebih dulu"))
        name = (part[:match.start()] + " " + part[match.end():]).strip(" \t:,-–()")
        pauses.append(Pause(start, end, re.sub(r"\s+", " ", name)))
    return pauses


# Which one in the month: "ke-2", "kedua", "minggu kedua", "2nd", "second", "terakhir", "last"
ORDINALS = {
    "pertama": 1, "kesatu": 1, "first": 1, "1st": 1, "kedua": 2, "second": 2, "2nd": 2,
    "ketiga": 3, "third": 3, "3rd": 3, "keempat": 4, "fourth": 4, "4th": 4,
    "kelima": 5, "fifth": 5, "5th": 5, "terakhir": -1, "last": -1,
}  # fmt: skip
_FILLER = {"the", "of", "in", "every", "each", "month", "on", "setiap", "tiap", "bulan",
           "hari", "pada", "di", "week", "and", "dan", "or", "atau", "&", "a", "tanggal",
           "tgl", "date", "day"}
ON_HELP = Words('write e.g. "sabtu ke-2", "2nd saturday", "last friday" or "tanggal 12"',
                'tulis misalnya "sabtu ke-2", "sabtu minggu kedua", "jumat terakhir" '
                'atau "tanggal 12"')


@dataclass(frozen=True)
class On:
    """The days `on` names: weekdays with their place in the month (0 = every such
    weekday, 1..5 the first..fifth, -1 the last), or a day of the month."""

    days: tuple[tuple[int, int], ...] = ()  # (place, weekday), Monday = 0
    monthday: int | None = None

    @property
    def byday(self) -> str:
        return ",".join(f"{n or ''}{RRULE_DAYS[wd]}" for n, wd in self.days)


def parse_on(value: str | int) -> On:
    """'sabtu ke-2', 'Sabtu minggu kedua', '2nd saturday', 'second saturday', 'jumat
    terakhir', 'last friday', 'sabtu ke-2 dan ke-4', 'tanggal 12', 12, 'senin, kamis'."""
    if isinstance(value, int):
        return _monthday(value, str(value))
    text = value.strip().lower()
    text = re.sub(r"\bke[-\s]?(\d)\b", r"#\1", text)  # "ke-2", "ke 2", "ke2" -> "#2"
    tokens = [t for t in re.split(r"[\s,]+", text) if t and t not in _FILLER]
    has_other_day = any(t in WEEKDAYS and WEEKDAYS[t] != 6 for t in tokens)
    places: list[int] = []
    weekdays: list[int] = []
    numbers: list[int] = []
    for i, token in enumerate(tokens):
        near_place = any(t in ORDINALS or t.startswith("#") for t in tokens[i + 1:i + 2])
        if token == "minggu" and has_other_day and near_place:
            continue  # "sabtu minggu kedua": minggu is the week, not Sunday
        if token.startswith("#") and token[1:].isdigit():
            places.append(int(token[1:]))
        elif token in ORDINALS:
            places.append(ORDINALS[token])
        elif token in WEEKDAYS:
            weekdays.append(WEEKDAYS[token])
        elif re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", token):
            numbers.append(int(re.sub(r"\D", "", token)))
        else:
            break
    else:
        if numbers and not weekdays and not places and len(numbers) == 1:
            return _monthday(numbers[0], value)
        if numbers and weekdays and not places:  # "sabtu 2": the 2nd Saturday
            places, numbers = numbers, []
        if weekdays and not numbers and all(1 <= p <= 5 or p == -1 for p in places):
            if not places:
                return On(days=tuple((0, wd) for wd in dict.fromkeys(weekdays)))
            if len(set(weekdays)) == 1:
                return On(days=tuple((p, weekdays[0]) for p in dict.fromkeys(places)))
    raise WordsError(Words(f"{value!r} does not name a day", f"{value!r} tidak menyebut hari"),
                     ON_HELP)


def _monthday(day: int, written: str | int) -> On:
    if not 1 <= day <= 31:
        raise WordsError(Words(f"{written!r} is not a day of the month",
                               f"{written!r} bukan tanggal dalam bulan"), ON_HELP)
    return On(monthday=day)


def place_in_month(day: date) -> int:
    """1..4 for the first..fourth such weekday of its month; -1 from the 29th (a fifth one
    is missing from most months, the last one is in every month)."""
    return -1 if day.day > 28 else (day.day - 1) // 7 + 1


def monthly_byday(day: date) -> str:
    return f"{place_in_month(day)}{RRULE_DAYS[day.weekday()]}"


def is_place(day: date, place: int) -> bool:
    """Is `day` the place-th (1..5, or -1 = last) of its weekday in its month?"""
    if place == -1:
        return day.day + 7 > _days_in_month(day)
    return (day.day - 1) // 7 + 1 == place


def _days_in_month(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


def spell_place(place: int, weekday: int, language: str) -> str:
    """'Sabtu ke-2', 'Jumat terakhir' / '2nd Saturday', 'last Friday'."""
    name = DAY_NAMES[language if language == "id" else "en"][weekday]
    if language == "id":
        return f"{name} terakhir" if place == -1 else f"{name} ke-{place}"
    if place == -1:
        return f"last {name}"
    return f"{place}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(place, 'th')} {name}"


def spell_date(day: date, language: str, comma: str = ",") -> str:
    """'Sabtu, 12 Desember 2026' / 'Saturday, 12 December 2026' (comma="" in lists)."""
    lang = language if language == "id" else "en"
    return (f"{DAY_NAMES[lang][day.weekday()]}{comma} {day.day} "
            f"{MONTH_NAMES[lang][day.month - 1]} {day.year}")


def spell_on(on: On, language: str, lower: bool = True) -> str:
    """The organizer's words for an On, as `cop init` writes them ("sabtu ke-2"), or as a
    sentence shows them (lower=False: "Sabtu ke-2", "2nd Saturday")."""
    if on.monthday is not None:
        return f"tanggal {on.monthday}" if language == "id" else f"day {on.monthday}"
    joiner = " dan " if language == "id" else " and "
    if all(n == 0 for n, _ in on.days):
        text = joiner.join(DAY_NAMES["id" if language == "id" else "en"][wd]
                           for _, wd in on.days)
    else:
        text = joiner.join(spell_place(n, wd, language) for n, wd in on.days)
    return text.lower() if lower else text


def describe_rule(rule: str | None, language: str) -> str:
    """An RRULE in the organizer's words: 'Sabtu ke-2 setiap bulan', 'every Friday'."""
    id_ = language == "id"
    if not rule:
        return "sekali" if id_ else "once"
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    freq, interval = parts.get("FREQ", ""), int(parts.get("INTERVAL", "1") or 1)
    days = [(int(m.group(1) or 0), RRULE_DAYS.index(m.group(2)))
            for m in re.finditer(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", parts.get("BYDAY", ""))]
    names = DAY_NAMES["id" if id_ else "en"]
    if freq == "DAILY" and interval == 1:
        return "setiap hari" if id_ else "every day"
    if freq == "WEEKLY" and days and all(n == 0 for n, _ in days) and interval <= 2:
        listed = (" dan " if id_ else " and ").join(names[wd] for _, wd in days)
        if interval == 2:
            return f"{listed}, dua minggu sekali" if id_ else f"every other {listed}"
        return f"setiap {listed}" if id_ else f"every {listed}"
    if freq == "MONTHLY" and interval == 1 and days and all(n for n, _ in days):
        listed = (" dan " if id_ else " and ").join(spell_place(n, wd, language)
                                                    for n, wd in days)
        return f"{listed} setiap bulan" if id_ else f"the {listed} of every month"
    if freq == "MONTHLY" and interval == 1 and re.fullmatch(r"\d+", parts.get("BYMONTHDAY",
                                                                               "x")):
        day = parts["BYMONTHDAY"]
        return f"tanggal {day} setiap bulan" if id_ else f"day {day} of every month"
    return f"RRULE {rule}"
