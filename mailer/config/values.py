"""Small value types organizers write by hand: durations, time zones, weekdays, times of day,
how often (a meeting repeats, a digest is sent). Dates and "sabtu ke-2" are in days.py.

Each parser takes the organizer's words, in Indonesian or English, and returns a value or
raises WordsError (a ValueError) that says, in both languages, what would have been accepted.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailer.config.words import Words, WordsError

# Indonesia's three zones, as people there name them.
TIMEZONE_ALIASES = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}
ZONE_ABBREVIATIONS = {v: k for k, v in TIMEZONE_ALIASES.items()}

WEEKDAYS = {
    # English
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    # Indonesian
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jumaat": 4,
    "sabtu": 5, "minggu": 6, "ahad": 6,
}  # fmt: skip
DAY_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_UNITS = {
    "w": "w", "wk": "w", "week": "w", "weeks": "w", "minggu": "w", "mgg": "w",
    "d": "d", "day": "d", "days": "d", "hari": "d", "hr": "h", "hrs": "h",
    "h": "h", "hour": "h", "hours": "h", "jam": "h", "j": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m", "menit": "m", "mnt": "m",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s", "detik": "s", "dtk": "s",
}  # fmt: skip
_NUMBER_WORDS = {
    "se": 1, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "one": 1, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "a": 1, "an": 1,
}  # fmt: skip
_AMOUNT = r"\d+(?:[.,]\d+)?"
_DURATION_HELP = Words('write e.g. "90m", "1h30m", "2 jam", "90 menit" or "1,5 jam"',
                       'tulis misalnya "90m", "1h30m", "2 jam", "90 menit" atau "1,5 jam"')


def parse_duration(text: str) -> timedelta:
    """'90m', '1h30m', '2d', '1w', '45s', '2 jam', '90 menit', '1,5 jam', '1 jam 30 menit',
    'dua jam', 'setengah jam', '2 hours', '1 hour and 30 minutes' -> timedelta."""
    words = _number_words(text.strip().lower())
    words = re.sub(r"\b(?:dan|and|lebih|plus)\b|\+|,(?!\d)", " ", words)
    seconds = 0.0
    pos, found = 0, False
    for match in re.finditer(rf"\s*({_AMOUNT})\s*([a-z]+)\s*", words):
        unit = _UNITS.get(match.group(2))
        if match.start() != pos or unit is None:
            break
        seconds += float(match.group(1).replace(",", ".")) * _SECONDS[unit]
        pos, found = match.end(), True
    if not found or pos != len(words):
        raise WordsError(Words(f"{text!r} is not a duration", f"{text!r} bukan lama waktu"),
                         _DURATION_HELP)
    return timedelta(seconds=round(seconds))


def _number_words(text: str) -> str:
    """'dua jam' -> '2 jam', 'satu setengah jam' -> '1.5 jam', 'setengah jam' -> '0.5 jam',
    'dua puluh menit' -> '20 menit', 'half an hour' -> '0.5 hour'."""
    text = re.sub(r"\bhalf an?\b|\bsetengah\b", " 0.5 ", text)
    words = text.split()
    out: list[str] = []
    for word in words:
        value = _NUMBER_WORDS.get(word)
        if word == "puluh" and out and out[-1].isdigit():
            out[-1] = str(int(out[-1]) * 10)
        elif word == "belas" and out and out[-1].isdigit():
            out[-1] = str(int(out[-1]) + 10)
        elif word == "0.5" and out and out[-1].isdigit():
            out[-1] = f"{out[-1]}.5"  # "satu setengah" = 1.5
        elif value is not None and out and out[-1].isdigit() and int(out[-1]) % 10 == 0 \
                and int(out[-1]) >= 20 and value < 10:
            out[-1] = str(int(out[-1]) + value)  # "dua puluh lima"
        elif value is not None and word not in ("a", "an", "se"):
            out.append(str(value))
        else:
            out.append(word)
    return " ".join(out)


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA name ('Asia/Jakarta') or WIB / WITA / WIT -> ZoneInfo."""
    name = TIMEZONE_ALIASES.get(text.strip().upper(), text.strip())
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WordsError(
            Words(f"unknown time zone {text!r}", f"zona waktu {text!r} tidak dikenal"),
            Words('use WIB, WITA, WIT or an IANA name such as "Asia/Jakarta"',
                  'tulis WIB, WITA, WIT atau nama IANA seperti "Asia/Jakarta"'),
        ) from None


def parse_weekday(text: str) -> int:
    """'friday', 'Jumat', 'fri', "Jum'at" -> 0..6 (Monday is 0)."""
    key = re.sub(r"^(?:hari|on|every|setiap|tiap)\s+", "", text.strip().lower())
    if key not in WEEKDAYS:
        raise WordsError(Words(f"{text!r} is not a weekday", f"{text!r} bukan nama hari"),
                         Words('write e.g. "friday" or "jumat"',
                               'tulis misalnya "jumat" atau "friday"'))
    return WEEKDAYS[key]


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(pagi|siang|sore|petang|malam|am|pm)?")


def parse_time_of_day(text: str) -> time:
    """'15:00', '15.00', '7:30', '8', 'jam 8 pagi', 'pukul 2 siang', '8am', '2:30 pm' -> time."""
    cleaned = text.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    cleaned = re.sub(r"^(?:jam|pukul|pk\.?|at)\s*", "", cleaned)
    match = _TIME.fullmatch(cleaned)
    hour = _hour(int(match.group(1)), match.group(3)) if match else None
    minute = int(match.group(2) or 0) if match else 0
    if hour is None or hour > 23 or minute > 59:
        raise WordsError(Words(f"{text!r} is not a time of day", f"{text!r} bukan jam"),
                         Words('write e.g. "15:00", "08.00" or "8 am"',
                               'tulis misalnya "15.00", "08.00" atau "jam 8 pagi"'))
    return time(hour, minute)


def _hour(hour: int, period: str | None) -> int | None:
    """The 24-hour clock of '8 pagi', '2 siang', '4 sore', '7 malam', '8 am', '2 pm'."""
    if period is None:
        return hour
    if not 1 <= hour <= 12:
        return None
    if period in ("pagi", "am"):
        return hour % 12
    if period == "siang":  # late morning to early afternoon: 11 siang, 12 siang, 1 siang
        return hour + 12 if hour < 11 else hour
    if period == "malam" and hour == 12:
        return 0
    return hour % 12 + 12  # sore, petang, malam, pm


# Words that only dress up how often: "rangkuman mingguan", "setiap minggu", "every week".
_FILLER = {"rangkuman", "ringkasan", "digest", "setiap", "tiap", "every", "each", "sekali",
           "once", "a", "per", "kirim", "send", "satu", "kali", "pertemuan", "meeting",
           "meet", "rutin", "secara"}
_EVERY = {
    "day": "day", "daily": "day", "harian": "day", "hari": "day", "sehari": "day",
    "week": "week", "weekly": "week", "mingguan": "week", "minggu": "week", "seminggu": "week",
    "month": "month", "monthly": "month", "bulanan": "month", "bulan": "month",
    "sebulan": "month",
    "never": "never", "tidak": "never", "none": "never", "no": "never", "off": "never",
    "tanpa": "never", "jangan": "never", "tidak ada": "never", "tidak usah": "never",
    "tidak perlu": "never", "": "week",  # "rangkuman" alone: the usual weekly digest
}  # fmt: skip


def parse_every(text: str) -> str:
    """How often a digest goes out: 'week', 'rangkuman mingguan', 'setiap hari', 'monthly',
    'tidak', 'rangkuman' (weekly) -> day | week | month | never."""
    key = " ".join(w for w in re.split(r"[\s,]+", text.strip().lower()) if w not in _FILLER)
    if key in _EVERY:
        return _EVERY[key]
    raise WordsError(
        Words(f"{text!r} does not say how often", f"{text!r} tidak menyebut seberapa sering"),
        Words('write "week", "day", "month" or "never" (or mingguan, harian, bulanan, tidak)',
              'tulis "mingguan", "harian", "bulanan" atau "tidak" (atau week, day, month, '
              'never)'))


_REPEAT = {
    "daily": "FREQ=DAILY", "harian": "FREQ=DAILY", "hari": "FREQ=DAILY",
    "sehari": "FREQ=DAILY", "day": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY", "mingguan": "FREQ=WEEKLY", "minggu": "FREQ=WEEKLY",
    "seminggu": "FREQ=WEEKLY", "week": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2", "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "dua-mingguan": "FREQ=WEEKLY;INTERVAL=2", "dwimingguan": "FREQ=WEEKLY;INTERVAL=2",
    "2 minggu": "FREQ=WEEKLY;INTERVAL=2", "dua minggu": "FREQ=WEEKLY;INTERVAL=2",
    "two weeks": "FREQ=WEEKLY;INTERVAL=2", "2 weeks": "FREQ=WEEKLY;INTERVAL=2",
    "other week": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY", "bulanan": "FREQ=MONTHLY", "bulan": "FREQ=MONTHLY",
    "sebulan": "FREQ=MONTHLY", "month": "FREQ=MONTHLY",
    "none": "", "tidak": "", "no": "", "never": "", "once": "", "sekali": "",
}  # fmt: skip


def parse_repeat(text: str) -> str:
    """How often a meeting repeats -> the start of an RRULE ('' = it does not repeat):
    'weekly', 'mingguan', 'setiap minggu', 'dua minggu sekali', 'every 2 weeks',
    'bulanan', 'sebulan sekali', 'none', 'sekali' (once)."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w]
    if " ".join(words) in _REPEAT:
        return _REPEAT[" ".join(words)]
    key = " ".join(w for w in words if w not in _FILLER)
    if key and key in _REPEAT:
        return _REPEAT[key]
    raise WordsError(
        Words(f"{text!r} does not say how often the meeting repeats",
              f"{text!r} tidak menyebut seberapa sering pertemuan diadakan"),
        Words('write "weekly", "biweekly", "monthly" or "none" (or mingguan, dua-mingguan, '
              'bulanan, tidak)', 'tulis "mingguan", "dua-mingguan", "bulanan" atau "tidak" '
              '(atau weekly, biweekly, monthly, none)'))


def zone_label(zone: ZoneInfo) -> str:
    """The name people use for a zone: WIB for Asia/Jakarta, else the IANA key."""
    return ZONE_ABBREVIATIONS.get(zone.key, zone.key)
