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
    """'4 Des 14.00' for lists."""
    pattern = "d MMM HH.mm" if language == "id" else "d MMM HH:mm"
    return _babel_datetime(moment, pattern, tzinfo=moment.tzinfo,
                           locale=_LOCALES.get(language, "en_GB"))


def format_moment(moment: datetime, language: str) -> str:
    """'Sabtu 12 Des 08.15 WITA' / 'Saturday 12 Dec 08:15 WITA': when something was done,
    in a sentence (`moment` already in the community's zone)."""
    day = _babel_date(moment, "EEEE d MMM", locale=_LOCALES.get(language, "en_GB"))
    return f"{day} {format_clock(moment, language)}"
