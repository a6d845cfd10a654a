"""Dates written the way each language writes them, always with the zone. Pure.

    id: "Jumat, 4 Desember 2026 pukul 14.00 WIB"
    en: "Friday, 4 December 2026 at 14:00 WIB"
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time

from mailer.config.values import zone_label

_LOCALES = {"id": "id_ID", "en": "en_GB"}


def format_iso(moment: datetime, zone: ZoneInfo) -> str:
    """'2026-12-05T20:15:00+08:00': ISO 8601 in `zone` with its offset, whole seconds. What
    every JSON listing gives (a community's times in its own zone, as meetings are)."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def format_day(moment: datetime, language: str) -> str:
    """'Jumat, 4 Desember 2026' / 'Friday, 4 December 2026'."""
    return _babel_date(moment, "EEEE, d MMMM y", locale=_LOCALES.get(language, "en_GB"))


def format_clock(moment: datetime, language: str) -> str:
    """'14.00 WIB' / '14:00 WIB'."""
    pattern = "HH.mm" if language == "id" else "HH:mm"
    zone = moment.tzinfo if isinstance(moment.tzinfo, ZoneInfo) else None
    label = zone_label(zone) if zone else moment.strftime("%Z") or "UTC"
    return f"{_babel_time(moment, pattern, locale=_LOCALES.get(language, 'en_GB'))} {label}"


def format_when(moment: datetime, language: str) -> str:
    """Day and time of `moment` in its own zone."""
    joiner = "pukul" if language == "id" else "at"
    return f"{format_day(moment, language)} {joiner} {format_clock(moment, language)}"


def format_short(moment: datetime, language: str) -> str:
    """'4 Des 14.00 WIB' for lists."""
    day = _babel_datetime(moment, "d MMM", tzinfo=moment.tzinfo,
                          locale=_LOCALES.get(language, "en_GB"))
    return f"{day} {format_clock(moment, language)}"


def format_brief(moment: datetime, language: str, clock: bool = True) -> str:
    """'Senin 7 Des 09.15 WIB' / 'Monday 7 Dec 09:15 WIB' (clock=False: 'Senin 7 Des'):
    the day a post was written, in a digest."""
    day = _babel_date(moment, "EEEE d MMM", locale=_LOCALES.get(language, "en_GB"))
    return f"{day} {format_clock(moment, language)}" if clock else day
