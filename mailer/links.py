"""Signed personal web links: sign-in, one-click unsubscribe, RSVP buttons. Pure.

A link token reads `<community>.<member>.<expires>.<extra>.<mac>`:

    community   the community it was issued in (its id)
    member      tokens.member_hash of the person's address: the address never appears
    expires     the moment it stops working, seconds since 1970 in base 36
    extra       what it is about: a sign-in nonce (single use, kept by the web), a meeting
                and day for RSVP (`rutin_20261204`), empty for unsubscribe
    mac         HMAC-SHA256 over purpose, community, address, extra and expiry (tokens.py's
                scheme), cut to 80 bits

One issued for one person, community, purpose or meeting is worth nothing for another, and
nothing after it expires. A link only identifies; the web acts on POST only (mail scanners
open every link they see).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailer.calendar.occurrences import expand
from mailer.config.model import MeetingConfig
from mailer.config.recurrence import HORIZON
from mailer.tokens import _base36, _mac, member_hash

SIGNIN_TTL = timedelta(minutes=30)
UNSUBSCRIBE_TTL = timedelta(days=90)  # like the mailto button: a copy of three months ago
RSVP_MARGIN = timedelta(days=30)  # an RSVP link outlives its series' last meeting by this
STATUSES = {"ya": "ACCEPTED", "tidak": "DECLINED", "mungkin": "TENTATIVE"}

_LINK = re.compile(r"^([a-z0-9][a-z0-9-]{0,62})\.([0-9a-f]{8})\.([0-9a-z]{1,8})\."
                   r"([A-Za-z0-9_-]{0,80})\.([0-9a-f]{20})$")


@dataclass(frozen=True)
class Link:
    community: str
    email: str
    extra: str
    expires: datetime


def make_link(secret: str, purpose: str, community: str, email: str, expires: datetime,
              extra: str = "") -> str:
    stamp = _base36(int(expires.timestamp()))
    mac = _mac(secret, "web", purpose, community, email.lower(), extra, stamp)[:20]
    return f"{community}.{member_hash(secret, email)}.{stamp}.{extra}.{mac}"


def read_link(secret: str, token: str, purpose: str, people: Iterable[str],
              now: datetime) -> Link | None:
    """The person among `people` (the addresses of the community `link_community(token)`
    names) the token was issued to, for this purpose, unexpired; else None."""
    match = _LINK.match(token)
    if not match:
        return None
    community, hashed, stamp, extra, mac = match.groups()
    expires = int(stamp, 36)
    if expires < now.timestamp():
        return None
    for email in people:
        if member_hash(secret, email) != hashed:
            continue
        expected = _mac(secret, "web", purpose, community, email.lower(), extra, stamp)[:20]
        if hmac.compare_digest(mac, expected):
            return Link(community, email.lower(), extra,
                        datetime.fromtimestamp(expires, now.tzinfo))
    return None


def link_community(token: str) -> str | None:
    match = _LINK.match(token)
    return match.group(1) if match else None


def rsvp_extra(meeting_id: str, occurrence: str) -> str:
    """'rutin_20261204' for the occurrence of that day; 'rutin' for the series."""
    day = occurrence[:10].replace("-", "")
    return f"{meeting_id}_{day}" if day else meeting_id


def read_rsvp_extra(extra: str) -> tuple[str, str]:
    """(meeting id, 'YYYY-MM-DD' or '')."""
    meeting, _, day = extra.partition("_")
    return meeting, (f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) == 8 else "")


def signin_url(base: str, secret: str, community: str, email: str, nonce: str,
               now: datetime) -> str:
    return f"{base}/s/{make_link(secret, 'signin', community, email, now + SIGNIN_TTL, nonce)}"


def unsubscribe_url(base: str, secret: str, community: str, email: str,
                    now: datetime) -> str:
    """The per-recipient https URL of List-Unsubscribe (RFC 8058). Expiry by the day, so
    that every copy composed on one day carries the same link."""
    token = make_link(secret, "unsubscribe", community, email, _day_end(now) + UNSUBSCRIBE_TTL)
    return f"{base}/u/{token}"


def rsvp_until(meeting: MeetingConfig, now: datetime) -> datetime:
    """When a meeting's RSVP links stop working: RSVP_MARGIN after the series' last meeting
    ends (an invitation kept for months still answers); a series without an end, as far
    ahead as it is ever expanded (HORIZON) from the day the link is made. Never before the
    end of that day: every copy composed on one day carries the same link."""
    day_end = _day_end(now)
    if meeting.rrule and meeting.until is None and meeting.count is None:
        return day_end + HORIZON
    occurrences, _ = expand(meeting)
    last = max((o.end for o in occurrences), default=meeting.start + meeting.duration)
    return max(last, day_end) + RSVP_MARGIN


def rsvp_urls(base: str, secret: str, community: str, email: str, meeting: MeetingConfig,
              occurrence: str, now: datetime, until: datetime | None = None) -> dict[str, str]:
    """Ya / Tidak / Mungkin: one personal link each (a GET shows, a POST records), valid
    until `until` (default rsvp_until: pass it when making many members' links)."""
    expires = until if until is not None else rsvp_until(meeting, now)
    token = make_link(secret, "rsvp", community, email, expires,
                      rsvp_extra(meeting.id, occurrence))
    return {word: f"{base}/r/{token}/{word}" for word in STATUSES}


def _day_end(now: datetime) -> datetime:
    return datetime.fromtimestamp((int(now.timestamp()) // 86400 + 1) * 86400, now.tzinfo)


def thread_url(base: str, community: str, thread: str) -> str:
    return f"{base}/c/{community}/t/{thread}"
