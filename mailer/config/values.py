"""Small value types organizers write by hand: durations, time zones, weekdays, times of day.

Each parser takes the organizer's text and returns a value or raises ValueError with a
message that says what would have been accepted.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Indonesia's three zones, as people there name them.
TIMEZONE_ALIASES = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}
ZONE_ABBREVIATIONS = {v: k for k, v in TIMEZONE_ALIASES.items()}

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

WEEKDAYS = {
    # English
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    # Indonesian
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4,
    "sabtu": 5, "minggu": 6, "ahad": 6,
}  # fmt: skip

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def parse_duration(text: str) -> timedelta:
    """'90m', '1h30m', '2d', '1w', '45s' -> timedelta."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. \"90m\", \"1h30m\" or \"2d\"")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA name ('Asia/Jakarta') or WIB / WITA / WIT -> ZoneInfo."""
    name = TIMEZONE_ALIASES.get(text.strip().upper(), text.strip())
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}; use an IANA name such as \"Asia/Jakarta\" "
            "(or WIB, WITA, WIT)"
        ) from None


def parse_weekday(text: str) -> int:
    """'friday', 'Jumat', 'fri' -> 0..6 (Monday is 0)."""
    key = text.strip().lower()
    if key not in WEEKDAYS:
        raise ValueError(
            f"{text!r} is not a weekday; write e.g. \"friday\" or \"jumat\""
        )
    return WEEKDAYS[key]


def parse_time_of_day(text: str) -> time:
    """'15:00', '15.00', '7:30' -> time."""
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day; write e.g. \"15:00\"")
    return time(int(match.group(1)), int(match.group(2)))


def zone_label(zone: ZoneInfo) -> str:
    """The name people use for a zone: WIB for Asia/Jakarta, else the IANA key."""
    return ZONE_ABBREVIATIONS.get(zone.key, zone.key)
