"""When periodic mail is due. Pure: `now` and the last run are passed in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mailer.config import DigestConfig


def latest_slot(digest: DigestConfig, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The most recent scheduled digest time at or before `now` (None for `never`)."""
    if digest.every == "never":
        return None
    local = now.astimezone(zone)
    day = local.date()
    for _ in range(400):  # at most a year back, plus slack
        if _is_digest_day(digest, day):
            slot = datetime.combine(day, digest.at, zone)
            if slot <= local:
                return slot
        day -= timedelta(days=1)
    return None


def due_slot(digest: DigestConfig, zone: ZoneInfo, now: datetime,
             last: datetime | None) -> datetime | None:
    """The slot to send for now, if one passed since `last`; several missed ones become one."""
    slot = latest_slot(digest, zone, now)
    if slot is None or (last is not None and slot <= last):
        return None
    return slot


def next_slot(digest: DigestConfig, zone: ZoneInfo, after: datetime) -> datetime | None:
    if digest.every == "never":
        return None
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(400):
        if _is_digest_day(digest, day):
            slot = datetime.combine(day, digest.at, zone)
            if slot > local:
                return slot
        day += timedelta(days=1)
    return None


def _is_digest_day(digest: DigestConfig, day: date) -> bool:
    if digest.every == "day":
        return True
    if digest.every == "week":
        return day.weekday() == digest.weekday
    if digest.day is not None:
        return day.day == digest.day
    return day.weekday() == digest.weekday and day.day <= 7  # first such weekday
